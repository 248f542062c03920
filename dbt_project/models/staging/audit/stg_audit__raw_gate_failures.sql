-- audit.validation_results reduced to what dbt needs: the unit-days of the latest raw-gate run that
-- failed an expectation. Failures without a day (reference entities) mark no period.

with

source as (

    select * from {{ source('audit', 'validation_results') }}

),

latest_run as (

    select max(run_id) as run_id
    from source
    where gate = 'raw'

),

failures as (

    select distinct
        source.source as source_entity,
        source.site_id,
        source.queue_id,
        source.day as failure_date
    from source
    inner join latest_run on source.run_id = latest_run.run_id
    where
        source.gate = 'raw'
        and not source.success
        and source.day is not null

)

select * from failures
