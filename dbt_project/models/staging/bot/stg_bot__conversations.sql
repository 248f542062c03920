-- raw.bot_conversations in house conventions (renames and documented defaults only). One row per
-- bot conversation.

with

source as (

    select * from {{ source('bot', 'bot_conversations') }}

),

renamed as (

    select
        conversation_id,
        program_id,
        started_at,
        ended_at,
        contained as is_contained,
        escalated as is_escalated,
        escalated_correctly as is_escalated_correctly,
        resolved as is_resolved,
        questions,
        questions_recognised,
        bot_messages,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
