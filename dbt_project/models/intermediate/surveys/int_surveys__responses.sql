-- One row per survey response with its unit of measure, the day it counts on and whether its
-- overall and effort answers are valid on their declared scales (METRICS.md section 5). The day
-- is the surveyed contact's local day (its voice contact, chat or ticket fact), the response's
-- own local day only when the contact is unknown. Decisions: DECISIONLOG.md, "Surveys: Declared
-- Scales, Never Guessed", "Surveys: Counted on the Contact's Day", "Surveys: Random Selection".

with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

sites as (

    select * from {{ ref('stg_reference__sites') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

contacts as (

    select
        contact_id,
        'voice' as channel,
        site_id,
        program_id,
        offered_date as contact_date,
        offered_org_date as contact_org_date
    from {{ ref('fct_voice_contacts') }}

    union all

    select
        chat_id as contact_id,
        'chat' as channel,
        site_id,
        program_id,
        chat_date as contact_date,
        chat_org_date as contact_org_date
    from {{ ref('fct_chat_sessions') }}

    union all

    select
        ticket_id as contact_id,
        channel,
        site_id,
        program_id,
        received_date as contact_date,
        received_org_date as contact_org_date
    from {{ ref('fct_tickets') }}

),

-- the surveyed contact, on the response's channel when it gives one
matched as (

    select
        responses.response_id,
        contacts.channel,
        contacts.site_id,
        contacts.program_id,
        contacts.contact_date,
        contacts.contact_org_date
    from responses
    inner join contacts
        on
            responses.contact_id = contacts.contact_id
            and (responses.channel is null or responses.channel = contacts.channel)
    qualify row_number() over (
        partition by responses.response_id order by contacts.channel
    ) = 1

),

joined as (

    select
        responses.response_id,
        responses.contact_id,
        responses.responded_at,
        responses.overall_score,
        responses.overall_scale_min,
        responses.overall_scale_max,
        responses.effort_score,
        responses.effort_scale_min,
        responses.effort_scale_max,
        responses.selection,
        coalesce(responses.channel, matched.channel) as channel,
        coalesce(responses.site_id, matched.site_id) as site_id,
        coalesce(responses.program_id, matched.program_id) as program_id,
        matched.response_id is not null as is_contact_known,
        matched.contact_date,
        matched.contact_org_date
    from responses
    left join matched on responses.response_id = matched.response_id

),

located as (

    select
        joined.*,
        programs.client_id,
        coalesce(sites.time_zone, 'UTC') as site_time_zone
    from joined
    left join sites on joined.site_id = sites.site_id
    left join programs on joined.program_id = programs.program_id

),

final as (

    select
        {{ star_except(['contact_date', 'contact_org_date']) }},
        coalesce(
            contact_date, cast({{ to_local('responded_at', 'site_time_zone') }} as date)
        ) as response_date,
        coalesce(
            contact_org_date, cast({{ to_local('responded_at', org_time_zone()) }} as date)
        ) as response_org_date,
        -- 'random' and 'all' (every contact invited) are unbiased; 'other' and missing are not
        coalesce(selection in ('random', 'all'), false) as is_random,
        {{ survey_scale_flags('overall_score', 'overall_scale_min', 'overall_scale_max') }}
            as is_overall_valid,
        -- the top two and the bottom point of the declared scale (1-10: 9-10 and 1)
        {{ survey_scale_flags('overall_score', 'overall_scale_min', 'overall_scale_max') }}
        and overall_score >= overall_scale_max - 1 as is_top2,
        {{ survey_scale_flags('overall_score', 'overall_scale_min', 'overall_scale_max') }}
        and overall_score = overall_scale_min as is_bottom1,
        {{ survey_scale_flags('effort_score', 'effort_scale_min', 'effort_scale_max') }}
            as is_effort_valid,
        -- 1 = very low effort: the bottom two boxes are low effort
        {{ survey_scale_flags('effort_score', 'effort_scale_min', 'effort_scale_max') }}
        and effort_score <= effort_scale_min + 1 as is_low_effort
    from located

)

select * from final
