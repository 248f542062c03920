-- raw.wfm_schedules in house conventions (renames and documented defaults only). One row per
-- scheduled activity interval of an agent.

with

source as (

    select * from {{ source('wfm', 'wfm_schedules') }}

),

renamed as (

    select
        agent_id,
        site_id,
        activity,
        started_at,
        ended_at,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
