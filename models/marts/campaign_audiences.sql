{#- One row per campaign x user in its audience: users with marketing consent whose label in
    the campaign's segment_dimension is one of its segment_values, split into treatment and
    holdout by a salted hash of (campaign_id, user_id) (docs/segments/measure_act.md,
    section 3). Erased users are gone upstream.

    The labels are those at the campaign's audience_as_of: the latest as_of in
    user_segment_history on or before the send date, so once a campaign is sent its audience
    stays the one that was sent (buying after the send must not move a user out of it, or
    campaign_lift would lose exactly the converters). Without such an as_of in the history
    (a send date before the first backfilled as_of) it is the run's as_of. -#}

{%- set dimensions = segment_kpi_dimensions() %}

with

consenting_users as (
    select user_id from {{ ref('user_segments') }}
    where has_marketing_consent
),

history as (
    select * from {{ ref('user_segment_history') }}
),

campaigns as (
    select * from {{ ref('campaigns') }}
),

run_context as (
    select as_of from {{ ref('stg_run_context') }}
),

history_dates as (
    select distinct as_of from history
),

audience_dates as (
    select
        campaigns.campaign_id,
        coalesce(max(history_dates.as_of), max(run_context.as_of)) as audience_as_of
    from campaigns
    cross join run_context
    left join history_dates on campaigns.send_date >= history_dates.as_of
    group by campaigns.campaign_id
),

labelled as (
    -- the history rows of the dates some audience is taken at, consenting users only
    select history.*
    from history
    inner join consenting_users on history.user_id = consenting_users.user_id
    where history.as_of in (select audience_dates.audience_as_of from audience_dates)
),

user_labels as (
    {%- for dimension in dimensions %}
        select
            user_id,
            as_of as audience_as_of,
            '{{ dimension }}' as segment_dimension,
            {{ segment_label_text(dimension) }} as segment_value
        from labelled
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- the seed's filter is data: '|' || value || '|' must occur in '|' || segment_values || '|'
members as (
    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.holdout_share,
        user_labels.user_id,
        run_context.as_of,
        user_labels.audience_as_of,
        user_labels.segment_dimension,
        user_labels.segment_value
    from campaigns
    cross join run_context
    inner join audience_dates on campaigns.campaign_id = audience_dates.campaign_id
    inner join user_labels
        on
            audience_dates.audience_as_of = user_labels.audience_as_of
            and campaigns.segment_dimension = user_labels.segment_dimension
            and {{ dbt.position("'|' || user_labels.segment_value || '|'", "'|' || campaigns.segment_values || '|'") }} > 0
),

hashed as (
    select
        *,
        {{ audience_hash_hex('campaign_id', 'user_id') }} as assignment_hash
    from members
),

bucketed as (
    select
        *,
        {{ hex_prefix_fraction('assignment_hash') }} as assignment_bucket
    from hashed
),

final as (
    select
        campaign_id,
        user_id,
        as_of,
        audience_as_of,
        campaign_name,
        segment_dimension,
        segment_value,
        holdout_share,
        assignment_bucket,
        {{ audience_group('assignment_bucket', 'holdout_share') }} as assignment_group
    from bucketed
)

select * from final
