-- The customer view of phone contacts: one row per contact, from its first queue entry to its
-- final outcome, at the first queue's site, program and settings. Segments of one contact
-- (transfers, overflows) count once here; queue-level metrics use fct_voice_segments.
-- Incremental: a night rebuilds the contacts first offered from the first day its changes reach
-- (every segment of a changed contact is on or after it; macros/incremental.sql).

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete('offered_at', ['acd_contacts']) }}",
) }}

{%- set first_day = incremental_from(['acd_contacts']) %}

with

segments as (

    select * from {{ ref('fct_voice_segments') }}
    {%- if first_day is not none %}
        -- the contacts whose first segment is on or after the first day (a contact that began
        -- before it is unchanged and kept)
        where contact_id in (
            select first_segments.contact_id
            from {{ ref('fct_voice_segments') }} as first_segments
            group by first_segments.contact_id
            having {{ incremental_where('min(first_segments.offered_at)', first_day) }}
        )
    {%- endif %}

),

ordered as (

    select
        *,
        row_number() over (
            partition by contact_id order by offered_at, segment_id
        ) as segment_number,
        row_number() over (
            partition by contact_id order by offered_at desc, segment_id desc
        ) as segments_from_end,
        min(case when is_answered then offered_at end) over (
            partition by contact_id
        ) as first_answered_segment_at

    from segments

),

contacts as (

    select
        contact_id,
        -- answered once any segment reached a CSS; otherwise the final segment's outcome
        case
            when bool_or(is_answered) then 'answered'
            else max(case when segments_from_end = 1 then outcome end)
        end as outcome,
        -- the customer's wait: every segment up to the first answer (all of them if none)
        sum(
            case
                when
                    first_answered_segment_at is null
                    or offered_at <= first_answered_segment_at then wait_seconds
                else 0
            end
        ) as wait_seconds,
        sum(handle_seconds) as handle_seconds,
        bool_or(is_transferred) as is_transferred,
        count(*) as segment_count

    from ordered
    group by contact_id

),

first_segment as (

    select * from ordered
    where segment_number = 1

),

joined as (

    select
        contacts.contact_id,
        first_segment.site_id,
        first_segment.program_id,
        first_segment.client_id,
        first_segment.queue_id,
        first_segment.customer_key,
        first_segment.offered_at,
        first_segment.offered_date,
        first_segment.offered_org_date,
        first_segment.service_level_seconds,
        first_segment.short_abandon_seconds,
        first_segment.sl_formula,
        contacts.outcome,
        contacts.wait_seconds,
        contacts.handle_seconds,
        contacts.is_transferred,
        contacts.segment_count

    from contacts
    inner join first_segment on contacts.contact_id = first_segment.contact_id

),

flagged as (

    select
        *,
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
