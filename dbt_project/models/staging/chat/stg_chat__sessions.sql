-- raw.chat_sessions in house conventions (renames and documented defaults only). One row per chat
-- session.

with

source as (

    select * from {{ source('chat', 'chat_sessions') }}

),

renamed as (

    select
        chat_id,
        site_id,
        program_id,
        queue_id,
        chat_type,
        invited_at,
        requested_at,
        first_human_response_at,
        customer_replied_at,
        established as is_established,
        ended_at,
        end_reason,
        agent_id,
        wrap_seconds,
        customer_key,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
