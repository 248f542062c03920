-- calibration_agreement parts (METRICS.md section 4): in each calibration session (evaluations
-- with monitoring_mode 'calibration' of one transaction), every evaluator's attribute-level
-- verdicts (customer, business and compliance critical error, defective) are compared with the
-- session's reference: the evaluation marked `calibration_reference` in `attributes`, else the
-- strict majority of at least three evaluators. Month rows carry the calendar quarter to date
-- at the session's site, program, client, channel and organisation. Decisions: DECISIONLOG.md,
-- "QA: Calibration Agreement Against the Reference or the Majority".

{%- set levels = [] -%}
{%- for level in unit_levels('channel', 'session_date', 'session_org_date') -%}
    {%- if level[0] != 'queue' -%}{%- do levels.append(level) -%}{%- endif -%}
{%- endfor %}

with

evaluations as (

    select * from {{ ref('int_quality__evaluations') }}

),

calibration_evaluations as (

    select
        *,
        -- a session is the transaction all evaluators scored, unless the export names it
        coalesce(
            {{ json_text('attributes', "'$.calibration_session_id'") }}, contact_id
        ) as session_id,
        coalesce(
            try_cast({{ json_text('attributes', "'$.calibration_reference'") }} as boolean),
            false
        ) as is_reference
    from evaluations
    where is_calibration

),

sessions as (

    select
        session_id,
        min(site_id) as site_id,
        min(program_id) as program_id,
        min(client_id) as client_id,
        min(channel) as channel,
        min(evaluated_date) as session_date,
        min(evaluated_org_date) as session_org_date,
        bool_or(is_reference) as has_reference
    from calibration_evaluations
    where session_id is not null
    group by session_id

),

verdicts as (

    select
        e.session_id,
        e.evaluation_id,
        e.is_reference,
        verdict.attribute as attribute_name,
        verdict.flag
    from calibration_evaluations as e
    cross join
        {{ rows_of('verdict', ['attribute', 'flag'], [
            ("'customer_critical_error'", 'e.has_customer_critical_error'),
            ("'business_critical_error'", 'e.has_business_critical_error'),
            ("'compliance_critical_error'", 'e.has_compliance_critical_error'),
            ("'defective'", 'e.has_defect'),
        ]) }}
    where e.session_id is not null

),

votes as (

    select
        session_id,
        attribute_name,
        bool_or(flag) filter (where is_reference) as reference_flag,
        count(*) filter (where not is_reference and flag) as yes_votes,
        count(*) filter (where not is_reference and not flag) as no_votes
    from verdicts
    group by session_id, attribute_name

),

reference_verdicts as (

    select
        votes.session_id,
        votes.attribute_name,
        case
            when sessions.has_reference then votes.reference_flag
            -- a majority needs three verdicts: with two, a disagreement is a tie and an
            -- agreement would always score 100%
            when votes.yes_votes + votes.no_votes < 3 then null
            when votes.yes_votes > votes.no_votes then true
            when votes.no_votes > votes.yes_votes then false
        end as reference_flag
    from votes
    inner join sessions on votes.session_id = sessions.session_id

),

checks as (

    select
        sessions.*,
        verdicts.evaluation_id,
        verdicts.attribute_name,
        verdicts.flag = reference_verdicts.reference_flag as is_agreement
    from verdicts
    inner join reference_verdicts
        on
            verdicts.session_id = reference_verdicts.session_id
            and verdicts.attribute_name = reference_verdicts.attribute_name
    inner join sessions on verdicts.session_id = sessions.session_id
    where
        not verdicts.is_reference
        and verdicts.flag is not null
        and reference_verdicts.reference_flag is not null

),

-- the months with QA data: each carries the sessions of its calendar quarter up to its end
months as (

    select distinct cast(date_trunc('month', evaluated_date) as date) as month_start
    from evaluations
    where evaluated_date is not null

),

final as (

    {% for level, unit, day in levels %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            months.month_start as period_start,
            count(*) as comparisons,
            count(*) filter (where checks.is_agreement) as agreements
        from checks
        inner join months
            on
                date_trunc('quarter', months.month_start)
                = date_trunc('quarter', checks.{{ day }})
                and months.month_start >= date_trunc('month', checks.{{ day }})
        where {{ unit }} is not null
        group by {{ unit }}, months.month_start
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
