-- One row per queue segment of an inbound phone contact, with its queue's settings, its local
-- dates and the service-level parts each metric sums. Decisions: DECISIONLOG.md, "Voice".
-- Incremental: a night rebuilds the segments offered from the first day its changes reach
-- (macros/incremental.sql; DECISIONLOG "Incremental Nights Rebuild From the First Day a Change
-- Reaches").

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete('offered_at', ['acd_contacts']) }}",
) }}

{%- set first_day = incremental_from(['acd_contacts']) %}

with

segments as (

    select * from {{ ref('stg_acd__contacts') }}
    where
        coalesce(direction, 'inbound') = 'inbound'
        and {{ incremental_where('offered_at', first_day) }}

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

joined as (

    select
        segments.contact_id,
        segments.segment_id,
        segments.site_id,
        segments.program_id,
        programs.client_id,
        segments.queue_id,
        segments.customer_key,
        segments.agent_id,
        segments.offered_at,
        segments.answered_at,
        segments.ended_at,
        segments.outcome,
        segments.transferred_to_queue,
        coalesce(sites.time_zone, 'UTC') as site_time_zone,
        -- a queue missing from the reference export gets the documented defaults
        coalesce(
            queues.service_level_seconds, {{ var('default_service_level_seconds') }}
        ) as service_level_seconds,
        coalesce(
            queues.short_abandon_seconds, {{ var('default_short_abandon_seconds') }}
        ) as short_abandon_seconds,
        coalesce(queues.sl_formula, '{{ var("default_sl_formula") }}') as sl_formula,
        -- the export's wait when given, else from the timestamps
        coalesce(
            segments.wait_seconds,
            {{ seconds_between(
                'segments.offered_at', 'coalesce(segments.answered_at, segments.ended_at)'
            ) }}
        ) as wait_seconds,
        coalesce(segments.talk_seconds, 0) as talk_seconds,
        coalesce(segments.hold_seconds, 0) as hold_seconds,
        coalesce(segments.acw_seconds, 0) as acw_seconds

    from segments
    left join queues on segments.queue_id = queues.queue_id
    left join sites on segments.site_id = sites.site_id
    left join programs on segments.program_id = programs.program_id

),

flagged as (

    select
        *,
        cast({{ to_local('offered_at', 'site_time_zone') }} as date) as offered_date,
        cast({{ to_local('offered_at', org_time_zone()) }} as date) as offered_org_date,
        outcome = 'transfer' as is_transferred,
        talk_seconds + hold_seconds + acw_seconds as handle_seconds,
        {{ voice_outcome_flags() }}

    from joined

),

service_level as (

    select
        *,
        {{ voice_service_level_flags() }}

    from flagged

),

final as (

    select
        *,
        {{ voice_service_level_fraction() }}

    from service_level

)

select * from final
