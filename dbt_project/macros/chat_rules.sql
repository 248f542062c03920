{#-
    The per-unit, per-day sums of METRICS.md section 2, written once for every unit of measure
    in int_chat__metrics. Expects the columns of fct_chat_sessions.
-#}

{% macro chat_parts() -%}
        count(*) filter (where is_offered) as offered,
        count(*) filter (where is_responded) as responded,
        count(*) filter (where is_abandoned) as abandoned,
        count(*) filter (where is_offered and is_abandonment_measurable) as measurable_offered,
        count(*) filter (where is_abandoned and is_abandonment_measurable) as measurable_abandoned,
        count(*) filter (where is_short_abandoned) as short_abandoned,
        count(*) filter (where is_responded_within_sl) as responded_within_sl,
        count(*) filter (where is_offered and is_established) as established,
        count(*) filter (where is_session_abandoned) as session_abandoned,
        count(*) filter (where is_handled) as handled,
        count(*) filter (where is_invited) as invited,
        count(*) filter (where is_accepted) as accepted,
        {{ exact_sum('case when is_responded then wait_seconds else 0 end') }} as responded_wait_seconds,
        {{ exact_sum('handle_seconds') }} as handle_seconds,
        sum(response_pairs) as response_pairs,
        {{ exact_sum('response_gap_seconds') }} as response_gap_seconds
{%- endmacro %}
