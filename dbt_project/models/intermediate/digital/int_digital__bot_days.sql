-- Bot conversation parts per unit of measure (program, client, organisation) and day of the
-- organisation's zone (METRICS.md section 8): conversations started, contained, escalations
-- judged and routed right, resolved, questions asked and recognised, bot messages.
-- Decisions: DECISIONLOG.md, "Digital: Program Days" and "Digital: Bot Conversation Rules".

with

conversations as (

    select * from {{ ref('stg_bot__conversations') }}
    where program_id is not null

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

conversation_flags as (

    select
        conversations.program_id,
        programs.client_id,
        cast({{ to_local('conversations.started_at', org_time_zone()) }} as date) as org_date,
        -- contained: the export says so and it was not escalated (an escalation wins)
        coalesce(
            conversations.is_contained and not coalesce(conversations.is_escalated, false), false
        ) as is_contained,
        coalesce(conversations.is_escalated, false) as is_escalated,
        -- an escalation whose routing was not judged stays out of escalation_accuracy
        coalesce(conversations.is_escalated, false)
        and conversations.is_escalated_correctly is not null as is_escalation_judged,
        coalesce(conversations.is_escalated, false)
        and coalesce(conversations.is_escalated_correctly, false) as is_escalated_correctly,
        coalesce(conversations.is_resolved, false) as is_resolved,
        -- questions: only where both counts are known; recognised never above asked
        case
            when conversations.questions_recognised is not null then conversations.questions
        end as questions,
        -- (least() skips NULLs in DuckDB, hence the explicit test of both)
        case
            when
                conversations.questions is not null
                and conversations.questions_recognised is not null
                then least(conversations.questions_recognised, conversations.questions)
        end as questions_recognised,
        conversations.bot_messages
    from conversations
    left join programs on conversations.program_id = programs.program_id

),

final as (

    {% for level, unit in [
        ('program', 'program_id'),
        ('client', 'client_id'),
        ('organisation', "'organisation'"),
    ] %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            org_date as period_start,
            count(*) as started,
            count(*) filter (where is_contained) as contained,
            count(*) filter (where is_escalation_judged) as escalations_judged,
            count(*) filter (where is_escalated_correctly) as escalated_correctly,
            count(*) filter (where is_resolved) as resolved,
            coalesce(sum(questions), 0) as questions,
            coalesce(sum(questions_recognised), 0) as questions_recognised,
            count(bot_messages) as messaged,
            coalesce(sum(bot_messages), 0) as bot_messages
        from conversation_flags
        where {{ unit }} is not null
        group by {{ unit }}, org_date
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
