-- raw.tickets in house conventions (renames and documented defaults only). One row per ticket
-- (email, web form, social, letter or back-office case).

with

source as (

    select * from {{ source('ticketing', 'tickets') }}

),

renamed as (

    select
        ticket_id,
        case_id,
        site_id,
        program_id,
        queue_id,
        channel,
        priority,
        customer_key,
        received_at,
        first_response_at,
        response_due_at,
        completed_at,
        due_at,
        status,
        assignee_id,
        handle_seconds,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
