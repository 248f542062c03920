-- The metric periods built from a source that failed the raw gate (DECISIONLOG "A Raw-Gate
-- Failure Marks the Metric-Months Built from It"): for each failing source x site x queue x day,
-- every metric whose source_entities (seed metric_gate) name that source, at the failing queue (or
-- every queue of the failing site, or every queue when the source has no site), its site, program,
-- client and channel, the programs (and their clients) and channels the failing rows name, and the
-- organisation; on that day and in its month.

with

failures as (

    select * from {{ ref('stg_audit__raw_gate_failures') }}

),

queues as (

    select * from {{ ref('stg_reference__queues') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

metric_sources as (

    select
        metric_id,
        {{ explode(split_string('trim(source_entities)', "' '")) }} as source_entity
    from {{ ref('metric_gate') }}
    where trim(coalesce(source_entities, '')) <> ''

),

-- the programs and channels the failing rows themselves name (a QA review of an unknown contact
-- has a site and a program but no queue)
row_units as (

    select
        source_entity,
        failure_date,
        'program' as unit_level,
        {{ explode(json_string_list("coalesce(failing_programs, '[]')")) }} as unit_id
    from failures
    union all
    select
        source_entity,
        failure_date,
        'channel' as unit_level,
        {{ explode(json_string_list("coalesce(failing_channels, '[]')")) }} as unit_id
    from failures

),

affected_queues as (

    select
        failures.source_entity,
        failures.failure_date,
        queues.queue_id,
        queues.site_id,
        queues.program_id,
        queues.channel
    from failures
    inner join queues
        on
            failures.queue_id = queues.queue_id
            or (
                failures.queue_id is null
                and (failures.site_id = queues.site_id or failures.site_id is null)
            )

),

units as (

    select
        source_entity,
        failure_date,
        'queue' as unit_level,
        queue_id as unit_id
    from affected_queues
    union all
    select
        source_entity,
        failure_date,
        'site' as unit_level,
        site_id as unit_id
    from affected_queues
    union all
    select
        source_entity,
        failure_date,
        'site' as unit_level,
        site_id as unit_id
    from failures
    where site_id is not null
    union all
    select
        source_entity,
        failure_date,
        'program' as unit_level,
        program_id as unit_id
    from affected_queues
    union all
    select
        affected_queues.source_entity,
        affected_queues.failure_date,
        'client' as unit_level,
        programs.client_id as unit_id
    from affected_queues
    inner join programs on affected_queues.program_id = programs.program_id
    union all
    select
        source_entity,
        failure_date,
        'channel' as unit_level,
        channel as unit_id
    from affected_queues
    union all
    select
        source_entity,
        failure_date,
        unit_level,
        unit_id
    from row_units
    union all
    select
        row_units.source_entity,
        row_units.failure_date,
        'client' as unit_level,
        programs.client_id as unit_id
    from row_units
    inner join programs on row_units.unit_id = programs.program_id
    where row_units.unit_level = 'program'
    union all
    select
        source_entity,
        failure_date,
        'organisation' as unit_level,
        'organisation' as unit_id
    from failures

),

periods as (

    select
        metric_sources.metric_id,
        units.unit_level,
        units.unit_id,
        'day' as period_grain,
        units.failure_date as period_start
    from units
    inner join metric_sources on units.source_entity = metric_sources.source_entity
    union
    select
        metric_sources.metric_id,
        units.unit_level,
        units.unit_id,
        'month' as period_grain,
        cast(date_trunc('month', units.failure_date) as date) as period_start
    from units
    inner join metric_sources on units.source_entity = metric_sources.source_entity

)

select distinct * from periods
where unit_id is not null
