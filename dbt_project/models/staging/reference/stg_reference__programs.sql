-- raw.programs in house conventions (renames and documented defaults only). One row per program (a
-- client's line of business served by the centre).

with

source as (

    select * from {{ source('reference', 'programs') }}

),

renamed as (

    select
        program_id,
        program_name,
        client_id,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
