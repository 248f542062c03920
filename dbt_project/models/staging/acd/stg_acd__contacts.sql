-- raw.acd_contacts in house conventions (renames and documented defaults only). One row per queue
-- segment of a phone contact.

with

source as (

    select * from {{ source('acd', 'acd_contacts') }}

),

renamed as (

    select
        contact_id,
        segment_id,
        site_id,
        program_id,
        queue_id,
        channel,
        direction,
        customer_key,
        offered_at,
        answered_at,
        ended_at,
        abandoned as is_abandoned,
        outcome,
        wait_seconds,
        talk_seconds,
        hold_seconds,
        acw_seconds,
        agent_id,
        transferred_to_queue,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
