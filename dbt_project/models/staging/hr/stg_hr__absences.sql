-- raw.absences in house conventions (renames and documented defaults only). One row per employee
-- and day of absence.

with

source as (

    select * from {{ source('hr', 'absences') }}

),

renamed as (

    select
        employee_id,
        date as absence_date,
        hours,
        planned as is_planned,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
