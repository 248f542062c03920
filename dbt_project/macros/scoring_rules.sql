{#- The item-score rules of SCORING.md section 4, written once; arguments are percentages 0..100.
    Written so the worked examples come out exact in floating point (4 x 6 / 3, not 4/3 x 6). -#}

{#- Items 4.1, 4.2a, 4.2b, 4.5 and each metric type of 4.3/4.4: min(100, 2 M + 0.5 I). -#}
{% macro copc_item_score(m_pct, i_pct) -%}
    least(100.0, 2 * ({{ m_pct }}) + 0.5 * ({{ i_pct }}))
{%- endmacro %}

{#- Item 4.6, 50 rule: 100 minus 2 points per percentage point M falls below 50, never below 0. -#}
{% macro rule_50_score(m_pct) -%}
    greatest(0.0, 100 - 2 * greatest(0.0, 50 - ({{ m_pct }})))
{%- endmacro %}

{#- Item 4.6, 75 rule: 100 minus 4/3 point per percentage point M + I falls below 75, >= 0. -#}
{% macro rule_75_score(mi_pct) -%}
    greatest(0.0, 100 - 4 * greatest(0.0, 75 - ({{ mi_pct }})) / 3)
{%- endmacro %}

{#- Categories 1.0-3.0 (section 6): deployment % is the share of programs deploying, floored to
    0/25/50/75/100, in integer arithmetic (2 of 3 -> 50, 3 of 4 -> 75 exactly). -#}
{% macro deployment_pct(deploying, total) -%}
    case
        when ({{ total }}) > 0 then 25.0 * {{ int_div('4 * (' ~ deploying ~ ')', total) }}
    end
{%- endmacro %}
