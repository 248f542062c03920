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
        -- documented default (SOURCES.md) when the export leaves it empty: 20
        coalesce(service_level_seconds, 20) as service_level_seconds,
        -- documented default (SOURCES.md) when the export leaves it empty: 5
        coalesce(short_abandon_seconds, 5) as short_abandon_seconds,
        -- documented default (SOURCES.md) when the export leaves it empty: copc_offered
        coalesce(sl_formula, 'copc_offered') as sl_formula,
        cycle_time_hours,
        calendar_id,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
