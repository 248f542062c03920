-- One row per case (tickets sharing a case_id): from the first contact to the final closure,
-- across every step, escalation and re-open, at the first item's site, program, queue and
-- channel. The case's target is its first item's due time. Decisions: DECISIONLOG.md, "Tickets".

with

tickets as (

    select * from {{ ref('fct_tickets') }}
    where case_id is not null

),

cases as (

    select
        case_id,
        count(*) as items,
        {{ arg_min('ticket_id', 'received_at') }} as first_ticket_id,
        min(received_at) as first_contact_at,
        -- closed when every item is completed and none is open again now
        bool_and(
            completed_at is not null and coalesce(status, 'solved') in ('solved', 'closed')
        ) as is_closed,
        max(completed_at) as last_completed_at
    from tickets
    group by case_id

),

final as (

    select
        cases.case_id,
        cases.items,
        cases.first_ticket_id,
        first_items.queue_id,
        first_items.site_id,
        first_items.program_id,
        first_items.client_id,
        first_items.channel,
        first_items.site_time_zone,
        cases.first_contact_at,
        first_items.due_at as case_due_at,
        case when cases.is_closed then cases.last_completed_at end as closed_at,
        cases.is_closed,
        cast(
            {{ to_local('cases.last_completed_at', 'first_items.site_time_zone') }} as date
        ) as closed_date,
        cast({{ to_local('cases.last_completed_at', org_time_zone()) }} as date) as closed_org_date,
        -- closed exactly at the target is on time
        cases.is_closed
        and coalesce(cases.last_completed_at <= first_items.due_at, false) as is_closed_on_time
    from cases
    inner join tickets as first_items on cases.first_ticket_id = first_items.ticket_id

)

select * from final
