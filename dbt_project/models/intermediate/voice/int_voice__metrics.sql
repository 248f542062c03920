-- Voice metrics in long form (METRICS.md section 1): numerator and denominator per metric, unit
-- of measure and period (local day, and month summed from the days). metric_values adds the
-- dictionary and computes the value.

with

voice_days as (

    select * from {{ ref('int_voice__unit_days') }}

),

voice_periods as (

    select
        unit_level,
        unit_id,
        'day' as period_grain,
        period_start,
        * exclude (unit_level, unit_id, period_start)
    from voice_days

    union all

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        cast(date_trunc('month', period_start) as date) as period_start,
        sum(offered) as offered,
        sum(answered) as answered,
        sum(abandoned) as abandoned,
        sum(short_abandoned) as short_abandoned,
        sum(answered_within_sl) as answered_within_sl,
        sum(answered_after_sl) as answered_after_sl,
        sum(abandoned_within_sl) as abandoned_within_sl,
        sum(abandoned_after_sl) as abandoned_after_sl,
        sum(callbacks) as callbacks,
        sum(timeouts) as timeouts,
        sum(exit_keys) as exit_keys,
        sum(no_agents) as no_agents,
        sum(overflows) as overflows,
        sum(transferred) as transferred,
        sum(sl_numerator) as sl_numerator,
        sum(sl_denominator) as sl_denominator,
        sum(answered_wait_seconds) as answered_wait_seconds,
        sum(answered_handle_seconds) as answered_handle_seconds
    from voice_days
    group by unit_level, unit_id, date_trunc('month', period_start)

),

voice_metrics as (

    select
        p.unit_level,
        p.unit_id,
        p.period_grain,
        p.period_start,
        struct_extract(metric_parts.part, 'metric_id') as metric_id,
        struct_extract(metric_parts.part, 'numerator') as numerator,
        struct_extract(metric_parts.part, 'denominator') as denominator
    from voice_periods as p
    cross join unnest([
        { 'metric_id': 'voice_offered', 'numerator': p.offered, 'denominator': null },
        { 'metric_id': 'voice_answered', 'numerator': p.answered, 'denominator': null },
        { 'metric_id': 'voice_abandoned', 'numerator': p.abandoned, 'denominator': null },
        {
            'metric_id': 'voice_short_abandoned',
            'numerator': p.short_abandoned,
            'denominator': null
        },
        {
            'metric_id': 'voice_answered_within_sl',
            'numerator': p.answered_within_sl,
            'denominator': null
        },
        {
            'metric_id': 'voice_answered_after_sl',
            'numerator': p.answered_after_sl,
            'denominator': null
        },
        {
            'metric_id': 'voice_abandoned_within_sl',
            'numerator': p.abandoned_within_sl,
            'denominator': null
        },
        {
            'metric_id': 'voice_abandoned_after_sl',
            'numerator': p.abandoned_after_sl,
            'denominator': null
        },
        { 'metric_id': 'voice_callbacks', 'numerator': p.callbacks, 'denominator': null },
        { 'metric_id': 'voice_timeouts', 'numerator': p.timeouts, 'denominator': null },
        { 'metric_id': 'voice_exit_keys', 'numerator': p.exit_keys, 'denominator': null },
        { 'metric_id': 'voice_no_agents', 'numerator': p.no_agents, 'denominator': null },
        { 'metric_id': 'voice_overflows', 'numerator': p.overflows, 'denominator': null },
        {
            'metric_id': 'voice_service_level',
            'numerator': p.sl_numerator,
            'denominator': p.sl_denominator
        },
        {
            'metric_id': 'voice_asa',
            'numerator': p.answered_wait_seconds,
            'denominator': p.answered
        },
        {
            'metric_id': 'voice_abandon_rate',
            'numerator': p.abandoned - p.short_abandoned,
            'denominator': p.offered - p.short_abandoned
        },
        {
            'metric_id': 'voice_aht',
            'numerator': p.answered_handle_seconds,
            'denominator': p.answered
        },
        {
            'metric_id': 'voice_transfer_rate',
            'numerator': p.transferred,
            'denominator': p.answered
        }
    ]) as metric_parts (part)

)

select * from voice_metrics
