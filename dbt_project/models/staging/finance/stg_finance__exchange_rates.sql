-- raw.exchange_rates in house conventions (renames only). One row per month, currency and
-- reporting currency with the rate.

with

source as (

    select * from {{ source('finance', 'exchange_rates') }}

),

renamed as (

    select
        month as rate_month,
        upper(currency) as currency,
        upper(reporting_currency) as reporting_currency,
        rate,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
