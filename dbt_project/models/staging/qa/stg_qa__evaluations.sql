-- raw.qa_evaluations in house conventions (renames and documented defaults only). One row per
-- quality evaluation of a contact.

with

source as (

    select * from {{ source('qa', 'qa_evaluations') }}

),

renamed as (

    select
        evaluation_id,
        contact_id,
        channel,
        site_id,
        program_id,
        agent_id,
        evaluator_id,
        evaluated_at,
        monitoring_mode,
        selection,
        customer_critical_error as has_customer_critical_error,
        business_critical_error as has_business_critical_error,
        compliance_critical_error as has_compliance_critical_error,
        defects,
        score,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
