-- raw.system_outages in house conventions (renames and documented defaults only). One row per
-- outage of a customer-facing system.

with

source as (

    select * from {{ source('ops', 'system_outages') }}

),

renamed as (

    select
        outage_id,
        system as system_name,
        program_id,
        queue_id,
        site_id,
        started_at,
        ended_at,
        impact,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
