-- Quality-monitoring metrics in long form (METRICS.md section 4). Critical-error accuracy
-- (customer, business, compliance) and the defect rate are sampled proportions per site,
-- program, client, channel, organisation and agent (the CSS evaluated), by local day and month,
-- with sample_size and sample_selection; metric_values adds the Wilson interval and the
-- min_sample/max_margin rule. monitoring_coverage and calibration_agreement are month rows
-- (int_quality__coverage, int_quality__calibration). Decisions: DECISIONLOG.md, "QA: Which
-- Evaluations Are in the Sample", "Sampled Rows Use the Random Sample; Non-Random Only as a
-- Marked Fallback".

{%- set levels = [] -%}
{%- for level in unit_levels('channel', 'evaluated_date', 'evaluated_org_date') -%}
    {%- if level[0] != 'queue' -%}{%- do levels.append(level) -%}{%- endif -%}
{%- endfor -%}
{%- do levels.append(('agent', 'agent_id', 'evaluated_date')) %}

with

evaluations as (

    select * from {{ ref('int_quality__evaluations') }}

),

coverage as (

    select * from {{ ref('int_quality__coverage') }}

),

calibration as (

    select * from {{ ref('int_quality__calibration') }}

),

-- one row per monitored transaction and metric; calibration evaluations are not in the sample
sampled_items as (

    select
        e.channel,
        e.site_id,
        e.program_id,
        e.client_id,
        e.agent_id,
        e.evaluated_date,
        e.evaluated_org_date,
        e.is_random,
        item.metric_id,
        item.is_counted,
        item.is_hit
    from evaluations as e
    cross join
        {{ rows_of('item', ['metric_id', 'is_counted', 'is_hit'], [
            (
                "'cea_customer'",
                'e.has_customer_critical_error is not null',
                'not e.has_customer_critical_error',
            ),
            (
                "'cea_business'",
                'e.has_business_critical_error is not null',
                'not e.has_business_critical_error',
            ),
            (
                "'cea_compliance'",
                'e.has_compliance_critical_error is not null',
                'not e.has_compliance_critical_error',
            ),
            ("'defect_rate'", 'e.has_defect is not null', 'e.has_defect'),
        ]) }}
    where not e.is_calibration

),

sampled_parts as (

    {{ sampled_proportion_parts('sampled_items', levels) }}

),

sampled as (

    select {{ sampled_proportion_columns() }}
    from sampled_parts

),

final as (

    select * from sampled

    union all

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        period_start,
        'monitoring_coverage' as metric_id,
        cast(covered_css as double) as numerator,
        cast(active_css as double) as denominator,
        cast(null as bigint) as sample_size,
        cast(null as string) as sample_selection
    from coverage

    union all

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        period_start,
        'calibration_agreement' as metric_id,
        cast(agreements as double) as numerator,
        cast(comparisons as double) as denominator,
        cast(null as bigint) as sample_size,
        cast(null as string) as sample_selection
    from calibration

)

select * from final
