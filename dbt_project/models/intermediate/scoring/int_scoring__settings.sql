-- The scoring run's settings in one row (SCORING.md sections 3 and 5): the scoring month, the
-- measurement period ending at it, the points-table edition and trend rule, and whether the centre
-- has digital-assisted and human-assisted KCRPs (applicability). dbt vars override each; empty
-- vars are read from the mart. Decisions (DECISIONLOG.md): "Scoring: the Scoring Month Is the
-- Last Month the Day Rows Cover", "Scoring: Applicability From the Data, Centre-Wide".

{%- set edition = var('scoring_edition') %}
{%- set trend_rule = var('trend_rule') %}
{%- if edition not in ['CSP', 'OSP'] %}
    {{ exceptions.raise_compiler_error("var scoring_edition must be CSP or OSP, not " ~ edition) }}
{%- endif %}
{%- if trend_rule not in ['regression', 'consecutive'] %}
    {{ exceptions.raise_compiler_error(
        "var trend_rule must be regression or consecutive, not " ~ trend_rule) }}
{%- endif %}
{%- set month = var('scoring_month') %}
{%- set month = '' if month is none else (month | string | trim) %}
{%- if month | length == 7 %}{% set month = month ~ '-01' %}{% endif %}

{%- set flags = {} %}
{%- for name, item in [('has_digital', '4.4'), ('has_human_assisted', '4.3')] %}
    {%- set v = var(name) %}
    {%- set v = '' if v is none else (v | string | trim | lower) %}
    {%- if v in ['true', '1', 'yes'] %}
        {%- do flags.update({name: 'true'}) %}
    {%- elif v in ['false', '0', 'no'] %}
        {%- do flags.update({name: 'false'}) %}
    {%- elif v == '' %}
        {%- do flags.update({name: "exists (select 1 from metric_values where copc_item = '"
            ~ item ~ "')"}) %}
    {%- else %}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be true, false or empty") }}
    {%- endif %}
{%- endfor %}

with

metric_values as (

    select * from {{ ref('metric_values') }}

),

last_day as (

    -- the last local day any day row covers
    select max(period_start) as last_day
    from metric_values
    where period_grain = 'day'

),

scoring_month as (

    select
        {% if month %}
            date_trunc('month', date '{{ month }}') as scoring_month
        {% else %}
            -- the last calendar month fully covered: the last day's month when that day ends it
            case
                when last_day = last_day(last_day) then date_trunc('month', last_day)
                else date_trunc('month', last_day) - interval 1 month
            end as scoring_month
        {% endif %}
    from last_day

),

final as (

    select
        cast(scoring_month as date) as scoring_month,
        cast(
            scoring_month - {{ months_interval(var('measurement_months') ~ ' - 1') }} as date
        ) as period_start,
        cast(scoring_month as date) as period_end,
        cast({{ var('measurement_months') }} as integer) as measurement_months,
        '{{ edition }}' as edition,
        '{{ trend_rule }}' as trend_rule,
        {{ flags['has_digital'] }} as has_digital,
        {{ flags['has_human_assisted'] }} as has_human_assisted
    from scoring_month

)

select * from final
