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
        {{ star_except(['unit_level', 'unit_id', 'period_start']) }}
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
        metric_parts.metric_id,
        metric_parts.numerator,
        metric_parts.denominator
    from voice_periods as p
    cross join
        {{ rows_of('metric_parts', ['metric_id', 'numerator', 'denominator'], [
            ("'voice_offered'", 'p.offered', 'null'),
            ("'voice_answered'", 'p.answered', 'null'),
            ("'voice_abandoned'", 'p.abandoned', 'null'),
            ("'voice_short_abandoned'", 'p.short_abandoned', 'null'),
            ("'voice_answered_within_sl'", 'p.answered_within_sl', 'null'),
            ("'voice_answered_after_sl'", 'p.answered_after_sl', 'null'),
            ("'voice_abandoned_within_sl'", 'p.abandoned_within_sl', 'null'),
            ("'voice_abandoned_after_sl'", 'p.abandoned_after_sl', 'null'),
            ("'voice_callbacks'", 'p.callbacks', 'null'),
            ("'voice_timeouts'", 'p.timeouts', 'null'),
            ("'voice_exit_keys'", 'p.exit_keys', 'null'),
            ("'voice_no_agents'", 'p.no_agents', 'null'),
            ("'voice_overflows'", 'p.overflows', 'null'),
            ("'voice_service_level'", 'p.sl_numerator', 'p.sl_denominator'),
            ("'voice_asa'", 'p.answered_wait_seconds', 'p.answered'),
            (
                "'voice_abandon_rate'",
                'p.abandoned - p.short_abandoned',
                'p.offered - p.short_abandoned',
            ),
            ("'voice_aht'", 'p.answered_handle_seconds', 'p.answered'),
            ("'voice_transfer_rate'", 'p.transferred', 'p.answered'),
        ]) }}

)

select * from voice_metrics
