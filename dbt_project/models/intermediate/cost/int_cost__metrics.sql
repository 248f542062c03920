-- Cost metrics in long form (METRICS.md section 9): cost_per_contact = the program's total cost
-- of the month ÷ the contacts it handled in that month. program_costs is monthly, so there are
-- month rows only, at program, client and organisation level. Handled contacts: answered calls
-- (customer view, once per call), handled chats, completed tickets and bot conversations the
-- bot contained. Client and organisation rows sum the programs that have a cost: in their one
-- currency when they share it, else converted into the reporting currency when every cost has a
-- rate for its month, else no row. Decisions: DECISIONLOG.md, "Cost: Handled Contacts" and
-- "Cost: One Currency per Row, or Converted at the Month's Rate".

with

costs as (

    select
        program_id,
        cast(date_trunc('month', cost_month) as date) as cost_month,
        total_cost,
        currency
    from {{ ref('stg_finance__program_costs') }}
    where total_cost is not null

),

-- the reporting currency: var('reporting_currency'), else the one the rates are quoted in
reporting as (

    select
        {% if var('reporting_currency', none) -%}
            upper('{{ var("reporting_currency") }}') as reporting_currency
        {%- else -%}
            case
                when count(distinct reporting_currency) = 1
                    then {{ any_value('reporting_currency') }}
            end as reporting_currency
        {%- endif %}
    from {{ ref('stg_finance__exchange_rates') }}

),

rates as (

    select exchange_rates.*
    from {{ ref('stg_finance__exchange_rates') }} as exchange_rates
    inner join reporting
        on exchange_rates.reporting_currency = reporting.reporting_currency

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

-- contained conversations, by the bot rules written once in int_digital__bot_days
bot_days as (

    select * from {{ ref('int_digital__bot_days') }}
    where unit_level = 'program'

),

handled_contacts as (

    select
        program_id,
        offered_date as contact_date,
        offered_org_date as contact_org_date,
        count(*) as handled
    from {{ ref('fct_voice_contacts') }}
    where is_answered
    group by all

    union all

    select
        program_id,
        chat_date as contact_date,
        chat_org_date as contact_org_date,
        count(*) as handled
    from {{ ref('fct_chat_sessions') }}
    where is_handled
    group by all

    union all

    select
        program_id,
        completed_date as contact_date,
        completed_org_date as contact_org_date,
        count(*) as handled
    from {{ ref('fct_tickets') }}
    where is_completed
    group by all

    union all

    -- contained only: an escalated conversation is counted as the human contact it became; bot
    -- days are the organisation's days at every level
    select
        unit_id as program_id,
        period_start as contact_date,
        period_start as contact_org_date,
        contained as handled
    from bot_days

),

-- the client and organisation months of each program's contacts (client on site-local days,
-- the organisation on its own zone's days, as every family does)
program_contacts as (

    {% for level, day in [
        ('program', 'contact_date'),
        ('client', 'contact_date'),
        ('organisation', 'contact_org_date'),
    ] %}
        select
            '{{ level }}' as unit_level,
            program_id,
            cast(date_trunc('month', {{ day }}) as date) as cost_month,
            sum(handled) as handled
        from handled_contacts
        where program_id is not null and {{ day }} is not null
        group by program_id, date_trunc('month', {{ day }})
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

levels as (

    select unit_levels.unit_level
    from (values ('program'), ('client'), ('organisation')) as unit_levels (unit_level)

),

program_months as (

    select
        levels.unit_level,
        case levels.unit_level
            when 'program' then costs.program_id
            when 'client' then programs.client_id
            else 'organisation'
        end as unit_id,
        costs.cost_month,
        costs.currency,
        costs.total_cost,
        case
            when upper(costs.currency) = reporting.reporting_currency then costs.total_cost
            else costs.total_cost * rates.rate
        end as reporting_cost,
        coalesce(program_contacts.handled, 0) as handled
    from costs
    cross join levels
    cross join reporting
    left join rates
        on
            costs.cost_month = rates.rate_month
            and upper(costs.currency) = rates.currency
    left join programs on costs.program_id = programs.program_id
    left join program_contacts
        on
            costs.program_id = program_contacts.program_id
            and costs.cost_month = program_contacts.cost_month
            and levels.unit_level = program_contacts.unit_level

),

unit_months as (

    select
        unit_level,
        unit_id,
        cost_month,
        case
            when count(distinct coalesce(currency, '')) = 1 then {{ exact_sum('total_cost') }}
            -- several currencies: converted, only when every cost has its month's rate
            when count(*) = count(reporting_cost) then {{ exact_sum('reporting_cost') }}
        end as total_cost,
        sum(handled) as handled
    from program_months
    where unit_id is not null
    group by unit_level, unit_id, cost_month

),

final as (

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        cost_month as period_start,
        'cost_per_contact' as metric_id,
        cast(total_cost as double) as numerator,
        cast(handled as double) as denominator
    from unit_months
    where total_cost is not null

)

select * from final
