-- raw.ticket_events in house conventions (renames and documented defaults only). One row per
-- ticket status change; the history point-in-time backlog is built from.

with

source as (

    select * from {{ source('ticketing', 'ticket_events') }}

),

renamed as (

    select
        ticket_id,
        event_at,
        status_from,
        status_to,
        queue_id,
        assignee_id,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
