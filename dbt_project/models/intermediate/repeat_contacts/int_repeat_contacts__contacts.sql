-- Every human-channel contact (phone, chat, ticket) with its pseudonymised customer key, and for
-- each handled one whether the same customer came back on any human channel within
-- repeat_window_days (METRICS.md repeat_contact_rate). Decisions: DECISIONLOG.md, "Repeat".
-- Incremental: a night rebuilds the contacts made from repeat_window_days + 1 days before the
-- first UTC day its changes to any human channel reach (a contact's flag reads the customer's
-- next contact, up to the window later; macros/incremental.sql).

{%- set channels = ['acd_contacts', 'chat_sessions', 'chat_messages', 'tickets', 'ticket_events'] %}
{%- set back = var('repeat_window_days') + 1 %}

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete_since_timestamp('contacted_at', incremental_first_date("
    ~ channels ~ ", " ~ back ~ ", items=true)) }}",
) }}

{%- set first_date = incremental_first_date(channels, back, items=true) %}

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
    where {{ incremental_since_timestamp('offered_at', first_date, 0) }}

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
    where started_at is not null and {{ incremental_since_timestamp('started_at', first_date, 0) }}

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
    where {{ incremental_since_timestamp('received_at', first_date, 0) }}

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
