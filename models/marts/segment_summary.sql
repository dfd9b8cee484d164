{{ config(materialized=bi_materialization()) }}

{#- Per segment dimension and value: size, revenue and conversion (docs/definitions.md, section 8).
    The dimensions are the label columns of user_segments named in the var segment_dimensions. -#}

{%- set dimensions = var('segment_dimensions', ['rfm_segment', 'usage_tier', 'lifecycle_stage']) %}
{#- a null label (e.g. no dominant daypart without orders) is its own segment -#}
{%- set null_label = var('segment_null_label', '(none)') | replace("'", "''") %}

with

users as (
    select * from {{ ref('user_segments') }}
),

totals as (
    select
        count(*) as all_users,
        {{ exact_sum('revenue') }} as all_revenue
    from users
),

by_segment as (
    {%- for dimension in dimensions %}
        select
            '{{ dimension }}' as segment_dimension,
            coalesce(cast({{ dimension }} as {{ dbt.type_string() }}), '{{ null_label }}') as segment_value,
            count(*) as users,
            count(case when is_purchaser then 1 end) as purchasers,
            {{ exact_sum('revenue') }} as revenue
        from users
        group by {{ dimension }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        by_segment.segment_dimension,
        by_segment.segment_value,
        by_segment.users,
        by_segment.users / cast(totals.all_users as {{ type_double() }}) as share_of_users,
        by_segment.purchasers,
        by_segment.purchasers / cast(by_segment.users as {{ type_double() }}) as purchase_conversion,
        by_segment.revenue,
        by_segment.revenue / nullif(totals.all_revenue, 0) as revenue_share,
        by_segment.revenue / cast(by_segment.users as {{ type_double() }}) as revenue_per_user
    from by_segment
    cross join totals
)

select * from final
