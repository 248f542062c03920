-- Digital-assisted metrics in long form (METRICS.md section 8, and chat_availability of section
-- 2): numerator and denominator per metric, unit of measure and period (local day, and month
-- summed from the days). metric_values adds the dictionary and computes the value.
-- Bot conversations carry a program only: program, client and organisation rows, all on the
-- organisation's days (DECISIONLOG "Digital: Program Days"); conversation rules in
-- "Digital: Bot Conversation Rules"; uptime and availability in "Digital: Service Hours",
-- "Digital: Outages" and "Chat: Availability From the Outage Log".

with

conversation_days as (

    select * from {{ ref('int_digital__bot_days') }}

),

availability as (

    select * from {{ ref('int_digital__service_availability') }}

),

service_days as (

    {% set bot_levels = [
        ('program', 'program_id', 'org_date'),
        ('client', 'client_id', 'org_date'),
        ('organisation', "'organisation'", 'org_date'),
    ] %}
    {% set services = [] %}
    {% for level in unit_levels("'chat'", 'local_date', 'org_date') %}
        {% do services.append(('chat',) + level) %}
    {% endfor %}
    {% for level in bot_levels %}{% do services.append(('bot',) + level) %}{% endfor %}
    {% for system, level, unit, day in services %}
        select
            '{{ system }}' as system_name,
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            {{ day }} as period_start,
            {{ exact_sum('service_seconds - outage_seconds') }} / 60.0 as available_minutes,
            {{ exact_sum('service_seconds') }} / 60.0 as service_minutes
        from availability
        where system_name = '{{ system }}' and {{ unit }} is not null
        group by {{ unit }}, {{ day }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

day_metrics as (

    select
        d.unit_level,
        d.unit_id,
        d.period_start,
        metric_parts.metric_id,
        metric_parts.numerator,
        metric_parts.denominator
    from conversation_days as d
    cross join
        {{ rows_of('metric_parts', ['metric_id', 'numerator', 'denominator'], [
            ("'containment_rate'", 'd.contained', 'd.started'),
            ("'recognition_rate'", 'd.questions_recognised', 'd.questions'),
            ("'escalation_accuracy'", 'd.escalated_correctly', 'd.escalations_judged'),
            ("'digital_resolution_rate'", 'd.resolved', 'd.started'),
            ("'messages_per_conversation'", 'd.bot_messages', 'd.messaged'),
        ]) }}

    union all

    select
        unit_level,
        unit_id,
        period_start,
        case system_name
            when 'bot' then 'system_uptime'
            else 'chat_availability'
        end as metric_id,
        available_minutes as numerator,
        service_minutes as denominator
    from service_days

),

final as (

    {{ day_and_month_rows('day_metrics') }}

)

select * from final
