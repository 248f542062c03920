{#-
    A survey answer is valid only on a declared scale of at least three whole points, and only
    as a whole point on it: a missing scale, a score outside it or between points is not a valid
    response (METRICS.md section 5: mapped by a declared scale, never guessed). DECISIONLOG.md,
    "Surveys: Declared Scales, Never Guessed".
-#}
{% macro survey_scale_flags(score, scale_min, scale_max) -%}
    coalesce(
        {{ score }} between {{ scale_min }} and {{ scale_max }}
        and {{ scale_max }} - {{ scale_min }} >= 2
        and {{ score }} = floor({{ score }})
        and {{ scale_min }} = floor({{ scale_min }})
        and {{ scale_max }} = floor({{ scale_max }}),
        false
    )
{%- endmacro %}
