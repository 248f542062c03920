-- raw.agent_states in house conventions (renames and documented defaults only). One row per agent
-- state interval on the ACD.

with

source as (

    select * from {{ source('acd', 'agent_states') }}

),

renamed as (

    select
        agent_id,
        site_id,
        state,
        reason,
        started_at,
        ended_at,
        channel,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
