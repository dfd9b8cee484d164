{#- One row per campaign x user in its audience at the run's as_of: users with marketing
    consent whose label in the campaign's segment_dimension is one of its segment_values, split
    into treatment and holdout by a salted hash of (campaign_id, user_id)
    (docs/segments/measure_act.md, section 3). Erased users are gone upstream. -#}

{%- set dimensions = segment_kpi_dimensions() %}

with

users as (
    select * from {{ ref('user_segments') }}
    where has_marketing_consent
),

campaigns as (
    select * from {{ ref('campaigns') }}
),

user_labels as (
    {%- for dimension in dimensions %}
        select
            user_id,
            as_of,
            '{{ dimension }}' as segment_dimension,
            {{ segment_label_text(dimension) }} as segment_value
        from users
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
        user_labels.as_of,
        user_labels.segment_dimension,
        user_labels.segment_value
    from campaigns
    inner join user_labels
        on
            campaigns.segment_dimension = user_labels.segment_dimension
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
        campaign_name,
        segment_dimension,
        segment_value,
        holdout_share,
        assignment_bucket,
        {{ audience_group('assignment_bucket', 'holdout_share') }} as assignment_group
    from bucketed
)

select * from final
