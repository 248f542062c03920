-- Every human-channel contact (phone, chat, ticket) with its pseudonymised customer key, and for
-- each handled one whether the same customer came back on any human channel within
-- repeat_window_days (METRICS.md repeat_contact_rate). Decisions: DECISIONLOG.md, "Repeat".

with

voice as (

    select
        'voice' as channel,
        contact_id,
        customer_key,
        site_id,
        program_id,
        client_id,
        queue_id,
        offered_at as contacted_at,
        offered_date as contact_date,
        offered_org_date as contact_org_date,
        is_answered as is_handled
    from {{ ref('fct_voice_contacts') }}

),

chat as (

    select
        'chat' as channel,
        chat_id as contact_id,
        customer_key,
        site_id,
        program_id,
        client_id,
        queue_id,
        started_at as contacted_at,
        chat_date as contact_date,
        chat_org_date as contact_org_date,
        is_handled
    from {{ ref('fct_chat_sessions') }}
    where started_at is not null

),

tickets as (

    select
        channel,
        ticket_id as contact_id,
        customer_key,
        site_id,
        program_id,
        client_id,
        queue_id,
        received_at as contacted_at,
        received_date as contact_date,
        received_org_date as contact_org_date,
        first_response_at is not null or completed_at is not null as is_handled
    from {{ ref('fct_tickets') }}

),

contacts as (

    select * from voice
    union all
    select * from chat
    union all
    select * from tickets

),

next_contacts as (

    select
        *,
        lead(contacted_at) over (
            partition by customer_key order by contacted_at, channel, contact_id
        ) as next_contacted_at
    from contacts
    where customer_key is not null

),

final as (

    select
        *,
        -- the customer's last contact has no next one: not repeated (never NULL)
        coalesce(
            is_handled
            and next_contacted_at > contacted_at
            and next_contacted_at
            <= contacted_at + {{ days_interval(var('repeat_window_days')) }},
            false
        ) as is_repeated
    from next_contacts

)

select * from final
