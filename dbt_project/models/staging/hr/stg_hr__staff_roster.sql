-- raw.staff_roster in house conventions (renames and documented defaults only). One row per
-- employee per program assignment, so transfers are visible.

with

source as (

    select * from {{ source('hr', 'staff_roster') }}

),

renamed as (

    select
        employee_id,
        site_id,
        program_id,
        role,
        employment_type,
        hired_at as hire_date,
        contract_end_at as contract_end_date,
        separated_at as separation_date,
        separation_type,
        backfilled as is_backfilled,
        requested_start_at as requested_start_date,
        training_completed_at as training_completed_date,
        proficient_at as proficient_date,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
