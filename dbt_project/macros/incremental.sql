{#-
  Incremental nights (issue 12; DECISIONLOG "Incremental Nights Rebuild From the First Day a
  Change Reaches"). The loader records in raw._changes the UTC day and item (contact, chat or
  ticket) of every raw row it inserts or removes, and one row without a day when a reference
  entity changes; they stay there until the mart built from them is published. An incremental
  model deletes and rebuilds its rows from the first UTC day that the pending changes to its
  entities reach: a changed row's own day, or the first day of its item (every segment of a
  contact, every message of a chat, every event of a ticket is rebuilt with it). A pending change
  without a day (reference data: sites and zones, queues, calendars, rosters) rebuilds it in full,
  as do the first build and `--full-refresh`. On Spark every build is a whole build: the models
  are built in full from the exported raw Parquet (DECISIONLOG "Spark Builds Everything From the
  Raw Parquet"), so these macros say "built in full" there.
-#}

{#- The raw tables holding each entity's items, with their id column and time (the same time the
    loader records a change's day by: connectors/loader.py CHANGE_DAYS). -#}
{%- macro _change_item_sources(entity) -%}
    {%- set contacts = [('acd_contacts', 'contact_id', 's.offered_at')] -%}
    {%- set chats = [
        ('chat_sessions', 'chat_id', 'coalesce(s.requested_at, s.invited_at)'),
        ('chat_messages', 'chat_id', 's.sent_at'),
    ] -%}
    {%- set tickets = [('tickets', 'ticket_id', 's.received_at'), ('ticket_events', 'ticket_id', 's.event_at')] -%}
    {%- set by_entity = {
        'acd_contacts': contacts,
        'chat_sessions': chats,
        'chat_messages': chats,
        'tickets': tickets,
        'ticket_events': tickets,
    } -%}
    {{ return(by_entity.get(entity, [])) }}
{%- endmacro -%}

{#- The first UTC day ('YYYY-MM-DD') from which the calling incremental model rebuilds its rows,
    from the pending changes to `entities`; none when it is built in full. With no pending change
    to them it is '9999-12-31' (nothing to rebuild). With `items`, a changed row reaches back to
    the first day of its item; without, only to its own day. -#}
{%- macro incremental_from(entities, items=true) -%}
    {%- if not execute or this is none or target.type != 'duckdb' or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set names = "'" ~ (entities | join("', '")) ~ "'" -%}
    {%- set query -%}
        with pending as (select * from raw._changes),
        firsts as (
            select min(day) as day from pending where entity in ({{ names }})
            {%- for entity in (entities if items else []) %}
                {%- for table, id, at in _change_item_sources(entity) %}
            union all
            select min(cast(timezone('UTC', {{ at }}) as date)) as day
            from raw.{{ table }} as s
            where cast(s.{{ id }} as string) in (
                select item from pending where entity = '{{ entity }}' and item is not null
            )
                {%- endfor %}
            {%- endfor %}
        )
        select
            (select count(*) from pending where day is null) > 0 as rebuild_all,
            coalesce(cast((select min(day) from firsts) as string), '9999-12-31') as first_day
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- if row[0] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(row[1]) }}
{%- endmacro -%}

{#- `column >= <first day, 00:00 UTC>` for a timestamp column, or `true` when built in full. -#}
{%- macro incremental_where(column, first_day) -%}
    {%- if first_day is none -%}
        true
    {%- else -%}
        {{ column }} >= timestamptz '{{ first_day }} 00:00:00+00'
    {%- endif -%}
{%- endmacro -%}

{#- The pre-hook of an incremental model: delete the rows it is about to rebuild. -#}
{%- macro incremental_delete(column, entities) -%}
    {%- set first_day = incremental_from(entities) -%}
    {%- if first_day is none -%}
        select 1
    {%- else -%}
        delete from {{ this }} where {{ incremental_where(column, first_day) }}
    {%- endif -%}
{%- endmacro -%}

{#- For a model keyed by a local date column whose rows on a date depend only on raw rows of that
    date and before (a backlog snapshot: the tickets received and the events up to then): the
    first date it rebuilds ('YYYY-MM-DD'), none when built in full. The day before the first
    changed UTC day (a UTC midnight is the day before in a zone west of UTC), and never after the
    model's own last date, whose rows can depend on how far the data reaches (a backlog's month
    snapshot on the run's last day). -#}
{%- macro incremental_from_date(entities, date_column) -%}
    {%- set first_day = incremental_from(entities, items=false) -%}
    {%- if first_day is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(least(
            date '{{ first_day }}' - 1, coalesce(max({{ date_column }}), date '9999-12-31')
        ) as string)
        from {{ this }}
    {%- endset -%}
    {{ return(run_query(query).rows[0][0]) }}
{%- endmacro -%}

{#- The pre-hook of an incremental model keyed by a local date column. -#}
{%- macro incremental_delete_dates(date_column, entities) -%}
    {%- set first_date = incremental_from_date(entities, date_column) -%}
    {%- if first_date is none -%}
        select 1
    {%- else -%}
        delete from {{ this }} where {{ date_column }} >= date '{{ first_date }}'
    {%- endif -%}
{%- endmacro -%}

{#- For a model with one row per item (a ticket with its status history): `column` is one of the
    items the pending changes to `entities` name, or `true` when built in full. -#}
{%- macro incremental_items_where(column, entities) -%}
    {%- if incremental_from(entities, items=false) is none -%}
        true
    {%- else -%}
        {{ column }} in (
            select c.item from raw._changes as c
            where c.entity in ('{{ entities | join("', '") }}') and c.item is not null
        )
    {%- endif -%}
{%- endmacro -%}

{#- The pre-hook of an incremental model with one row per item. -#}
{%- macro incremental_delete_items(column, entities) -%}
    {%- if incremental_from(entities, items=false) is none -%}
        select 1
    {%- else -%}
        delete from {{ this }} where {{ incremental_items_where(column, entities) }}
    {%- endif -%}
{%- endmacro -%}

{#- For a model keyed by a local date column whose rows on a date depend on raw rows of that date
    and the days before it (an agent's day from its shifts and states, a CSS's chat islands): the
    first date it rebuilds ('YYYY-MM-DD'), `days_before` days before the first UTC day the pending
    changes to `entities` reach (a UTC day is the day before in a zone west of UTC, and a shift or
    state begun the day before runs into it); none when built in full, '9999-12-31' when nothing
    changed. -#}
{%- macro incremental_first_date(entities, days_before, items=false) -%}
    {%- set first_day = incremental_from(entities, items=items) -%}
    {%- if first_day is none or first_day == '9999-12-31' -%}
        {{ return(first_day) }}
    {%- endif -%}
    {%- set first = modules.datetime.date.fromisoformat(first_day) -%}
    {{ return((first - modules.datetime.timedelta(days=days_before)).isoformat()) }}
{%- endmacro -%}

{#- `column >= <first_date>` for a date column, or `true` when built in full. -#}
{%- macro incremental_since_date(column, first_date) -%}
    {%- if first_date is none -%}
        true
    {%- else -%}
        {{ column }} >= date '{{ first_date }}'
    {%- endif -%}
{%- endmacro -%}

{#- `column >= <first_date> - days` for a timestamp column (the rows a rebuilt date reads, from
    that many days before it), or `true` when built in full. -#}
{%- macro incremental_since_timestamp(column, first_date, days) -%}
    {%- if first_date is none -%}
        true
    {%- else -%}
        {{ column }} >= timestamptz '{{ first_date }} 00:00:00+00' - to_days({{ days }})
    {%- endif -%}
{%- endmacro -%}

{#- The pre-hook of an incremental model keyed by a local date column: delete the dates it rebuilds. -#}
{%- macro incremental_delete_since(date_column, first_date) -%}
    {%- if first_date is none -%}
        select 1
    {%- else -%}
        delete from {{ this }} where {{ date_column }} >= date '{{ first_date }}'
    {%- endif -%}
{%- endmacro -%}

{#- The pre-hook of an incremental model keyed by a timestamp column: delete its rows from
    <first_date> 00:00 UTC on. -#}
{%- macro incremental_delete_since_timestamp(column, first_date) -%}
    {%- if first_date is none -%}
        select 1
    {%- else -%}
        delete from {{ this }} where {{ incremental_since_timestamp(column, first_date, 0) }}
    {%- endif -%}
{%- endmacro -%}
