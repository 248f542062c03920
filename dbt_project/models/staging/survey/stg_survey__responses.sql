-- raw.survey_responses in house conventions (renames and documented defaults only). One row per
-- survey response.

with

source as (

    select * from {{ source('survey', 'survey_responses') }}

),

renamed as (

    select
        response_id,
        contact_id,
        channel,
        site_id,
        program_id,
        agent_id,
        responded_at,
        overall_score,
        overall_scale_min,
        overall_scale_max,
        effort_score,
        effort_scale_min,
        effort_scale_max,
        selection,

        -- load bookkeeping
        attributes,
        _file_id as source_file_id,
        _row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
