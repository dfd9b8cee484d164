{{ config(materialized=bi_materialization()) }}

{#- One row per campaign of the seed: conversion and revenue of treatment vs holdout in the
    conversion window after the send date, with normal-approximation confidence intervals of
    the differences (docs/segments/measure_act.md, section 5). -#}

{%- set z = lift_ci_z() %}
{%- set days_after_send = days_between('campaigns.send_date', 'orders.order_date') %}
{%- set squared_deviation -%}
    (user_outcomes.window_revenue - group_means.revenue_per_user) * (user_outcomes.window_revenue - group_means.revenue_per_user)
{%- endset %}

with

campaigns as (
    select * from {{ ref('campaigns') }}
),

audiences as (
    select * from {{ ref('campaign_audiences') }}
),

orders as (
    select * from {{ ref('int_orders') }}
),

run_context as (
    select as_of from {{ ref('stg_run_context') }}
),

-- an order converts when 1 <= order_date - send_date <= conversion_window_days and it is
-- on or before as_of (the send day itself is left out: the send time is unknown)
window_orders as (
    select
        audiences.campaign_id,
        audiences.user_id,
        orders.revenue
    from audiences
    inner join campaigns on audiences.campaign_id = campaigns.campaign_id
    inner join orders on audiences.user_id = orders.user_id
    cross join run_context
    where
        {{ days_after_send }} >= 1
        and {{ days_after_send }} <= campaigns.conversion_window_days
        and orders.order_date <= run_context.as_of
),

user_outcomes as (
    select
        audiences.campaign_id,
        audiences.user_id,
        audiences.assignment_group,
        case when count(window_orders.user_id) > 0 then 1 else 0 end as converted,
        coalesce({{ exact_sum('window_orders.revenue') }}, 0) as window_revenue
    from audiences
    left join window_orders
        on
            audiences.campaign_id = window_orders.campaign_id
            and audiences.user_id = window_orders.user_id
    group by
        audiences.campaign_id,
        audiences.user_id,
        audiences.assignment_group
),

group_totals as (
    select
        campaign_id,
        assignment_group,
        count(*) as users,
        cast(sum(converted) as {{ dbt.type_bigint() }}) as converters,
        {{ exact_sum('window_revenue') }} as revenue
    from user_outcomes
    group by
        campaign_id,
        assignment_group
),

group_means as (
    select
        campaign_id,
        assignment_group,
        users,
        converters,
        revenue,
        revenue / cast(users as {{ type_double() }}) as revenue_per_user
    from group_totals
),

-- sample variance of per-user window revenue, two-pass with an exact sum of squares
group_variances as (
    select
        group_means.campaign_id,
        group_means.assignment_group,
        case
            when max(group_means.users) > 1
                then {{ exact_sum(squared_deviation) }} / cast(max(group_means.users) - 1 as {{ type_double() }})
        end as revenue_variance
    from group_means
    inner join user_outcomes
        on
            group_means.campaign_id = user_outcomes.campaign_id
            and group_means.assignment_group = user_outcomes.assignment_group
    group by
        group_means.campaign_id,
        group_means.assignment_group
),

by_campaign as (
    select
        group_means.campaign_id,
        sum(case when group_means.assignment_group = 'treatment' then group_means.users else 0 end) as treatment_users,
        sum(case when group_means.assignment_group = 'holdout' then group_means.users else 0 end) as holdout_users,
        sum(case when group_means.assignment_group = 'treatment' then group_means.converters else 0 end) as treatment_converters,
        sum(case when group_means.assignment_group = 'holdout' then group_means.converters else 0 end) as holdout_converters,
        max(case when group_means.assignment_group = 'treatment' then group_means.revenue end) as treatment_revenue,
        max(case when group_means.assignment_group = 'holdout' then group_means.revenue end) as holdout_revenue,
        max(case when group_means.assignment_group = 'treatment' then group_variances.revenue_variance end) as treatment_revenue_variance,
        max(case when group_means.assignment_group = 'holdout' then group_variances.revenue_variance end) as holdout_revenue_variance
    from group_means
    inner join group_variances
        on
            group_means.campaign_id = group_variances.campaign_id
            and group_means.assignment_group = group_variances.assignment_group
    group by group_means.campaign_id
),

measured as (
    select
        campaigns.campaign_id,
        run_context.as_of,
        campaigns.campaign_name,
        campaigns.segment_dimension,
        campaigns.segment_values,
        campaigns.holdout_share,
        campaigns.send_date,
        campaigns.conversion_window_days,
        cast({{ dbt.dateadd('day', 'campaigns.conversion_window_days', 'campaigns.send_date') }} as date) as window_end_date,
        cast(coalesce(by_campaign.treatment_users, 0) as {{ dbt.type_bigint() }}) as treatment_users,
        cast(coalesce(by_campaign.holdout_users, 0) as {{ dbt.type_bigint() }}) as holdout_users,
        cast(coalesce(by_campaign.treatment_converters, 0) as {{ dbt.type_bigint() }}) as treatment_converters,
        cast(coalesce(by_campaign.holdout_converters, 0) as {{ dbt.type_bigint() }}) as holdout_converters,
        coalesce(by_campaign.treatment_revenue, 0) as treatment_revenue,
        coalesce(by_campaign.holdout_revenue, 0) as holdout_revenue,
        by_campaign.treatment_revenue_variance,
        by_campaign.holdout_revenue_variance,
        {{ days_between('campaigns.send_date', 'run_context.as_of') }} as days_since_send
    from campaigns
    cross join run_context
    left join by_campaign on campaigns.campaign_id = by_campaign.campaign_id
),

rates as (
    select
        *,
        treatment_converters / cast(nullif(treatment_users, 0) as {{ type_double() }}) as treatment_conversion,
        holdout_converters / cast(nullif(holdout_users, 0) as {{ type_double() }}) as holdout_conversion,
        treatment_revenue / cast(nullif(treatment_users, 0) as {{ type_double() }}) as treatment_revenue_per_user,
        holdout_revenue / cast(nullif(holdout_users, 0) as {{ type_double() }}) as holdout_revenue_per_user
    from measured
),

differences as (
    select
        *,
        treatment_conversion - holdout_conversion as conversion_lift,
        {{ wald_difference_se('treatment_conversion', 'treatment_users', 'holdout_conversion', 'holdout_users') }} as conversion_lift_se,
        treatment_revenue_per_user - holdout_revenue_per_user as revenue_per_user_lift,
        {{ welch_difference_se('treatment_revenue_variance', 'treatment_users', 'holdout_revenue_variance', 'holdout_users') }}
            as revenue_per_user_lift_se
    from rates
),

final as (
    select
        campaign_id,
        as_of,
        campaign_name,
        segment_dimension,
        segment_values,
        holdout_share,
        send_date,
        conversion_window_days,
        window_end_date,
        coalesce(as_of >= window_end_date, false) as is_window_complete,
        greatest(0, least(conversion_window_days, days_since_send)) as days_observed,
        ---------- conversion
        treatment_users,
        holdout_users,
        treatment_converters,
        holdout_converters,
        treatment_conversion,
        holdout_conversion,
        conversion_lift,
        conversion_lift / nullif(holdout_conversion, 0) as conversion_lift_relative,
        conversion_lift - {{ z }} * conversion_lift_se as conversion_lift_ci_lower,
        conversion_lift + {{ z }} * conversion_lift_se as conversion_lift_ci_upper,
        ---------- revenue
        treatment_revenue,
        holdout_revenue,
        treatment_revenue_per_user,
        holdout_revenue_per_user,
        revenue_per_user_lift,
        revenue_per_user_lift / nullif(holdout_revenue_per_user, 0) as revenue_per_user_lift_relative,
        revenue_per_user_lift - {{ z }} * revenue_per_user_lift_se as revenue_per_user_lift_ci_lower,
        revenue_per_user_lift + {{ z }} * revenue_per_user_lift_se as revenue_per_user_lift_ci_upper
    from differences
)

select * from final
