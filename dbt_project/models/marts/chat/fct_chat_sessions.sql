-- One row per chat session with its queue's settings, its local dates and the flags each chat
-- metric (METRICS.md section 2) sums. Decisions: DECISIONLOG.md, "Chat".
-- Incremental: a night rebuilds the chats requested (or, declined, invited) from the first day
-- its changes reach, each with all its messages (macros/incremental.sql).

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete('coalesce(requested_at, invited_at)', ['chat_sessions', 'chat_messages']) }}",
) }}

{%- set first_day = incremental_from(['chat_sessions', 'chat_messages']) %}

with

sessions as (

    select * from {{ ref('stg_chat__sessions') }}
    where {{ incremental_where('coalesce(requested_at, invited_at)', first_day) }}

),

messages as (

    select * from {{ ref('stg_chat__messages') }}
    {%- if first_day is not none %}
        where chat_id in (select sessions.chat_id from sessions)
    {%- endif %}

),

queues as (

    select * from {{ ref('stg_reference__queues') }}

),

sites as (

    select * from {{ ref('stg_reference__sites') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

-- each customer message paired with the next CSS message in the same chat (bots excluded)
message_pairs as (

    select
        chat_id,
        sender,
        sent_at,
        min(case when sender = 'agent' then sent_at end) over (
            partition by chat_id
            order by sent_at
            range between current row and unbounded following
        ) as next_agent_message_at

    from messages

),

message_summary as (

    select
        chat_id,
        count(*) as message_count,
        min(case when sender = 'agent' then sent_at end) as first_agent_message_at,
        count(*) filter (
            where sender = 'customer' and next_agent_message_at is not null
        ) as response_pairs,
        coalesce(
            {% call exact_sum() %}
                case
                    when sender = 'customer' and next_agent_message_at is not null
                        then {{ seconds_between('sent_at', 'next_agent_message_at') }}
                end
            {% endcall %},
            0
        ) as response_gap_seconds

    from message_pairs
    group by chat_id

),

joined as (

    select
        sessions.chat_id,
        sessions.site_id,
        sessions.program_id,
        programs.client_id,
        sessions.queue_id,
        sessions.customer_key,
        sessions.agent_id,
        sessions.chat_type,
        sessions.invited_at,
        sessions.requested_at,
        sessions.customer_replied_at,
        sessions.is_established as source_is_established,
        sessions.ended_at,
        sessions.end_reason,
        coalesce(sessions.chat_type = 'proactive', false) as is_proactive,
        -- the clock starts at the request (reactive) or the acceptance (proactive); a proactive
        -- chat without requested_at was declined and is never offered
        sessions.requested_at as started_at,
        -- the first HUMAN response: the first CSS message; the session's own field only when
        -- the chat has no message log
        case
            when message_summary.message_count > 0 then message_summary.first_agent_message_at
            else sessions.first_human_response_at
        end as first_human_response_at,
        coalesce(message_summary.response_pairs, 0) as response_pairs,
        coalesce(message_summary.response_gap_seconds, 0) as response_gap_seconds,
        coalesce(sessions.wrap_seconds, 0) as wrap_seconds,
        coalesce(sites.time_zone, 'UTC') as site_time_zone,
        coalesce(
            queues.service_level_seconds, {{ var('default_service_level_seconds') }}
        ) as service_level_seconds,
        coalesce(
            queues.short_abandon_seconds, {{ var('default_short_abandon_seconds') }}
        ) as short_abandon_seconds,
        -- chat abandonment cannot be measured where the button shows only while a CSS is free
        not coalesce(queues.is_chat_button_only_when_free, false) as is_abandonment_measurable

    from sessions
    left join message_summary on sessions.chat_id = message_summary.chat_id
    left join queues on sessions.queue_id = queues.queue_id
    left join sites on sessions.site_id = sites.site_id
    left join programs on sessions.program_id = programs.program_id

),

flagged as (

    select
        *,
        -- the day of the request/acceptance; a declined invitation counts on its invitation day
        cast(
            {{ to_local('coalesce(started_at, invited_at)', 'site_time_zone') }} as date
        ) as chat_date,
        cast(
            {{ to_local('coalesce(started_at, invited_at)', org_time_zone()) }} as date
        ) as chat_org_date,
        started_at is not null as is_offered,
        is_proactive and invited_at is not null as is_invited,
        is_proactive and invited_at is not null and started_at is not null as is_accepted,
        first_human_response_at is not null and started_at is not null as is_responded,
        -- the wait to the first human response, or to the end when nobody responded
        {{ seconds_between(
            'started_at', 'coalesce(first_human_response_at, ended_at)'
        ) }} as wait_seconds,
        -- a dialog is established once a CSS responded and the customer replied
        coalesce(
            source_is_established,
            first_human_response_at is not null and customer_replied_at is not null
        ) as is_established,
        agent_id is not null and first_human_response_at is not null as is_handled,
        -- the CSS handles the chat from the first human response to the end
        {{ seconds_between('first_human_response_at', 'ended_at') }} as duration_seconds

    from joined

),

final as (

    select
        *,
        is_offered and not is_established as is_abandoned,
        -- short abandon: left before any human response, strictly under the threshold
        is_offered
        and not is_established
        and first_human_response_at is null
        and wait_seconds < short_abandon_seconds as is_short_abandoned,
        -- a first human response at exactly T meets the service level
        is_offered
        and first_human_response_at is not null
        and wait_seconds <= service_level_seconds as is_responded_within_sl,
        is_established and end_reason = 'customer_left' as is_session_abandoned,
        {{ add_seconds('ended_at', 'wrap_seconds') }} as wrap_ended_at,
        case
            when is_handled then coalesce(duration_seconds, 0) + wrap_seconds else 0
        end as handle_seconds

    from flagged

)

select * from final
