{#-
    The opening windows of queues' calendars, one row per queue, local date and opening interval,
    in UTC [window_start_at, window_end_at), written once for tickets (due times, backlog) and
    chat availability. `queue_zones` is a relation with queue_id, calendar_id and time_zone (the
    queue's site zone); `local_dates` one with local_date. The arithmetic is on the local wall
    clock per local date, so a DST change shifts the UTC window, never the opening hours;
    holidays are closed; closes_at 24:00:00 is the next local midnight. Expects CTEs named
    `calendars` and `holidays` (stg_reference__calendars, stg_reference__holidays).
-#}

{% macro calendar_windows(queue_zones, local_dates) -%}
    select
        {{ queue_zones }}.queue_id,
        {{ queue_zones }}.calendar_id,
        {{ queue_zones }}.time_zone,
        {{ local_dates }}.local_date,
        {{ from_local(
            date_at_time(local_dates ~ '.local_date', 'calendars.opens_local_time'),
            queue_zones ~ '.time_zone'
        ) }} as window_start_at,
        {{ from_local(
            date_at_time(local_dates ~ '.local_date', 'calendars.closes_local_time'),
            queue_zones ~ '.time_zone'
        ) }} as window_end_at
    from {{ queue_zones }}
    inner join calendars on {{ queue_zones }}.calendar_id = calendars.calendar_id
    inner join {{ local_dates }}
        on {{ iso_weekday(local_dates ~ '.local_date') }} = calendars.weekday
    left join holidays
        on
            {{ queue_zones }}.calendar_id = holidays.calendar_id
            and {{ local_dates }}.local_date = holidays.holiday_date
    where holidays.holiday_date is null
{%- endmacro %}
