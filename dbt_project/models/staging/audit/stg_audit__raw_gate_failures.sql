-- audit.validation_results reduced to what dbt needs: the unit-days of the latest raw-gate run that
-- failed an expectation. Failures without a day (reference entities) mark no period. Every run
-- records every failing unit-day of the history (a night's run decides only on the days it judges,
-- but records them all), so the latest run alone is the verdict. Runs are ordered by run_seq, the
-- warehouse's own sequence; rows of warehouses from before it have none and sort by run_id.

with

source as (

    select * from {{ source('audit', 'validation_results') }}

),

latest_run as (

    select
        run_id,
        run_seq
    from source
    where gate = 'raw'
    order by run_seq desc nulls last, run_id desc
    limit 1

),

failures as (

    select distinct
        source.source as source_entity,
        source.site_id,
        source.queue_id,
        source.day as failure_date,
        -- JSON lists of the programs and channels of the failing rows (NULL in runs before them)
        source.failing_programs,
        source.failing_channels
    from source
    inner join latest_run
        on
            source.run_id = latest_run.run_id
            and source.run_seq is not distinct from latest_run.run_seq
    where
        source.gate = 'raw'
        and not source.success
        and source.day is not null

)

select * from failures
