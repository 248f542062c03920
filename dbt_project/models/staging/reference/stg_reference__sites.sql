-- raw.sites in house conventions (renames and documented defaults only). One row per site
-- (physical or virtual contact centre location).

with

source as (

    select * from {{ source('reference', 'sites') }}

),

renamed as (

    select
        site_id,
        site_name,
        -- documented default (SOURCES.md) when the export leaves it empty: UTC
        coalesce(time_zone, 'UTC') as time_zone,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
