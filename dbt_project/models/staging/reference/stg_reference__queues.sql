-- raw.queues in house conventions (renames and documented defaults only). One row per queue (ACD
-- queue, chat queue or ticket queue) with its service settings.

with

source as (

    select * from {{ source('reference', 'queues') }}

),

renamed as (

    select
        queue_id,
        site_id,
        program_id,
        channel,
        -- documented default (SOURCES.md, dbt var) when the export leaves it empty: 20
        coalesce(
            service_level_seconds, {{ var('default_service_level_seconds') }}
        ) as service_level_seconds,
        -- documented default (SOURCES.md) when the export leaves it empty: 5
        coalesce(
            short_abandon_seconds, {{ var('default_short_abandon_seconds') }}
        ) as short_abandon_seconds,
        -- documented default (SOURCES.md) when the export leaves it empty: copc_offered
        coalesce(sl_formula, '{{ var("default_sl_formula") }}') as sl_formula,
        cycle_time_hours,
        calendar_id,
        -- documented default when the export leaves it empty: the button is always shown
        coalesce(chat_button_only_when_free, false) as is_chat_button_only_when_free,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
