-- raw.holidays in house conventions (renames and documented defaults only). One row per calendar
-- and closed day.

with

source as (

    select * from {{ source('reference', 'holidays') }}

),

renamed as (

    select
        calendar_id,
        date as holiday_date,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
