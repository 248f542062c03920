{#-
    The voice rules of METRICS.md section 1, written once and used by both voice facts:
    fct_voice_segments (queue view) and fct_voice_contacts (customer view). Each expects the
    columns outcome, wait_seconds, service_level_seconds, short_abandon_seconds, sl_formula.
-#}

{% macro voice_outcome_flags() -%}
        outcome in ('answered', 'transfer') as is_answered,
        outcome = 'abandoned' as is_abandoned,
        outcome = 'callback' as is_callback,
        outcome = 'overflow' as is_overflow,
        outcome = 'timeout' as is_timeout,
        outcome = 'exit_key' as is_exit_key,
        outcome = 'no_agents' as is_no_agents
{%- endmacro %}

{% macro voice_service_level_flags() -%}
        -- short abandon: strictly under the threshold; a threshold of 0 turns it off
        is_abandoned and wait_seconds < short_abandon_seconds as is_short_abandoned,
        -- an answer at exactly T meets the service level
        is_answered and wait_seconds <= service_level_seconds as is_answered_within_sl,
        is_abandoned and wait_seconds <= service_level_seconds as is_abandoned_within_sl,
        is_callback and wait_seconds <= service_level_seconds as is_callback_within_sl
{%- endmacro %}

{% macro voice_service_level_fraction() -%}
        -- the queue's sl_formula picks the variant (METRICS.md voice_service_level)
        case sl_formula
            when 'abandons_positive'
                then cast(
                    is_answered_within_sl or is_abandoned_within_sl or is_callback_within_sl
                    as integer
                )
            else cast(is_answered_within_sl as integer)
        end as sl_numerator,
        case sl_formula
            when 'copc_offered' then 1 - cast(is_short_abandoned as integer)
            when 'answered_only' then cast(is_answered as integer)
            else 1
        end as sl_denominator
{%- endmacro %}

{% macro voice_parts() -%}
        count(*) as offered,
        count(*) filter (where is_answered) as answered,
        count(*) filter (where is_abandoned) as abandoned,
        count(*) filter (where is_short_abandoned) as short_abandoned,
        count(*) filter (where is_answered_within_sl) as answered_within_sl,
        count(*) filter (where is_answered and not is_answered_within_sl) as answered_after_sl,
        count(*) filter (where is_abandoned_within_sl) as abandoned_within_sl,
        count(*) filter (where is_abandoned and not is_abandoned_within_sl) as abandoned_after_sl,
        count(*) filter (where is_callback) as callbacks,
        count(*) filter (where is_timeout) as timeouts,
        count(*) filter (where is_exit_key) as exit_keys,
        count(*) filter (where is_no_agents) as no_agents,
        count(*) filter (where is_overflow) as overflows,
        count(*) filter (where is_answered and is_transferred) as transferred,
        sum(sl_numerator) as sl_numerator,
        sum(sl_denominator) as sl_denominator,
        sum(case when is_answered then wait_seconds else 0 end) as answered_wait_seconds,
        sum(case when is_answered then handle_seconds else 0 end) as answered_handle_seconds
{%- endmacro %}
