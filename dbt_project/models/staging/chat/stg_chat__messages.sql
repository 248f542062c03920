-- raw.chat_messages in house conventions (renames and documented defaults only). One row per chat
-- message; no natural key (two messages may share a second).

with

source as (

    select * from {{ source('chat', 'chat_messages') }}

),

renamed as (

    select
        chat_id,
        sender,
        sent_at,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
