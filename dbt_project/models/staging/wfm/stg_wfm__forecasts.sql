-- raw.wfm_forecasts in house conventions (renames and documented defaults only). One row per
-- queue, forecast interval, horizon and forecast version (made_at).

with

source as (

    select * from {{ source('wfm', 'wfm_forecasts') }}

),

renamed as (

    select
        queue_id,
        interval_start as interval_start_at,
        interval_minutes,
        horizon,
        forecast_offered,
        forecast_aht_seconds,
        made_at,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
