-- Survey metrics in long form (METRICS.md section 5): csat_top2 and dsat_bottom1 per site,
-- program, client, channel and organisation, customer_effort (the low-effort share) at
-- organisation level, by the contact's local day and by month, as sampled proportions with
-- sample_size and sample_selection; metric_values adds the Wilson interval and the
-- min_sample/max_margin rule. Decisions: DECISIONLOG.md, "Surveys: Counted on the Contact's
-- Day", "Surveys: Random Selection", "Sampled Rows Use the Random Sample; Non-Random Only as a
-- Marked Fallback".

{%- set levels = [] -%}
{%- for level in unit_levels('channel', 'response_date', 'response_org_date') -%}
    {%- if level[0] != 'queue' -%}{%- do levels.append(level) -%}{%- endif -%}
{%- endfor %}

with

responses as (

    select * from {{ ref('int_surveys__responses') }}

),

-- one row per answered question and metric; an answer off its declared scale counts nowhere
sampled_items as (

    select
        r.channel,
        r.site_id,
        r.program_id,
        r.client_id,
        r.response_date,
        r.response_org_date,
        r.is_random,
        item.metric_id,
        item.is_counted,
        item.is_hit
    from responses as r
    cross join
        {{ rows_of('item', ['metric_id', 'is_counted', 'is_hit'], [
            ("'csat_top2'", 'r.is_overall_valid', 'r.is_top2'),
            ("'dsat_bottom1'", 'r.is_overall_valid', 'r.is_bottom1'),
            ("'customer_effort'", 'r.is_effort_valid', 'r.is_low_effort'),
        ]) }}
    where
        case
            when item.metric_id = 'customer_effort'
                then r.effort_score is not null
            else r.overall_score is not null
        end

),

sampled_parts as (

    {{ sampled_proportion_parts('sampled_items', levels) }}

),

final as (

    select {{ sampled_proportion_columns() }}
    from sampled_parts
    -- customer effort is a journey measure: organisation level only
    where metric_id <> 'customer_effort' or unit_level = 'organisation'

)

select * from final
