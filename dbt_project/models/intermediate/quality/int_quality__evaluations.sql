-- One row per QA evaluation with its client, its local day (site zone) and organisation day,
-- and the flags the quality metrics (METRICS.md section 4) count. Decisions: DECISIONLOG.md,
-- "QA: Which Evaluations Are in the Sample", "QA: A Defective Item".

with

evaluations as (

    select * from {{ ref('stg_qa__evaluations') }}

),

sites as (

    select * from {{ ref('stg_reference__sites') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

joined as (

    select
        evaluations.evaluation_id,
        evaluations.contact_id,
        evaluations.channel,
        evaluations.site_id,
        evaluations.program_id,
        programs.client_id,
        evaluations.agent_id,
        evaluations.evaluator_id,
        evaluations.evaluated_at,
        evaluations.monitoring_mode,
        evaluations.selection,
        evaluations.has_customer_critical_error,
        evaluations.has_business_critical_error,
        evaluations.has_compliance_critical_error,
        evaluations.defects,
        evaluations.score,
        evaluations.attributes,
        coalesce(sites.time_zone, 'UTC') as site_time_zone
    from evaluations
    left join sites on evaluations.site_id = sites.site_id
    left join programs on evaluations.program_id = programs.program_id

),

final as (

    select
        *,
        cast({{ to_local('evaluated_at', 'site_time_zone') }} as date) as evaluated_date,
        cast({{ to_local('evaluated_at', org_time_zone()) }} as date) as evaluated_org_date,
        coalesce(monitoring_mode = 'calibration', false) as is_calibration,
        -- only a declared random selection is random; a missing one is not known to be
        coalesce(selection = 'random', false) as is_random,
        -- a critical error is a defect too; no defect count and no error flag: not known
        case
            when
                has_customer_critical_error
                or has_business_critical_error
                or has_compliance_critical_error
                or defects > 0
                then true
            when defects is not null then false
        end as has_defect
    from joined

)

select * from final
