{#-
    The units of measure every metric family reports, with the day each is counted on (METRICS.md
    "Unit of measure"; DECISIONLOG "Local Days"): a list of (unit_level, unit_id expression, day
    column). `channel` is the SQL for the channel unit's id; `day` is the site-local date column,
    `org_day` the organisation-zone date column. Agent-level rows are family-specific.
-#}
{% macro unit_levels(channel, day, org_day) -%}
    {{ return([
        ('queue', 'queue_id', day),
        ('site', 'site_id', day),
        ('program', 'program_id', day),
        ('client', 'client_id', day),
        ('channel', channel, day),
        ('organisation', "'organisation'", org_day),
    ]) }}
{%- endmacro %}
