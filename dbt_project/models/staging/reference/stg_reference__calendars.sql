-- raw.calendars in house conventions (renames and documented defaults only). Opening hours: one
-- row per calendar, weekday and opening interval (local time).

with

source as (

    select * from {{ source('reference', 'calendars') }}

),

renamed as (

    select
        calendar_id,
        weekday,
        opens_at as opens_local_time,
        closes_at as closes_local_time,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
