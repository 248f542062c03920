-- The scopes a scorecard is drawn up for (SCORING.md section 4: "for the organisation and for
-- each site"): the organisation unit of mart.metric_values and every site unit in it.

with

metric_values as (

    select * from {{ ref('metric_values') }}

),

final as (

    select distinct
        unit_level as scope_level,
        unit_id as scope_id
    from metric_values
    where unit_level in ('organisation', 'site')

)

select * from final
