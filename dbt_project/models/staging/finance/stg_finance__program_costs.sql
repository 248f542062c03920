-- raw.program_costs in house conventions (renames and documented defaults only). One row per
-- program and month with the total cost.

with

source as (

    select * from {{ source('finance', 'program_costs') }}

),

renamed as (

    select
        program_id,
        month as cost_month,
        total_cost,
        currency,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
