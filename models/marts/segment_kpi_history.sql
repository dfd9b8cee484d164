{#- One row per as_of x segment dimension x segment value: the KPIs of each segment at every
    as_of this warehouse was built for (docs/segments/measure_act.md, section 1).
    Incremental: each run replaces the rows of its own as_of and keeps the others, so a rerun
    of the same as_of is idempotent. DuckDB and Postgres delete the as_of's rows and insert
    them again; Spark (parquet, no delete) overwrites the as_of partition. -#}

{%- set on_spark = target.type == 'spark' %}
{{ config(
    materialized='incremental',
    incremental_strategy=('insert_overwrite' if on_spark else 'delete+insert'),
    unique_key=(none if on_spark else 'as_of'),
    partition_by=(['as_of'] if on_spark else none),
    on_schema_change='append_new_columns'
) }}

{%- set dimensions = segment_kpi_dimensions() %}
{%- set retention_days = var('kpi_retention_days', 30) %}
{%- set gross_margin = var('ltv_gross_margin', 1.0) %}

with

users as (
    select * from {{ ref('user_segments') }}
),

user_flags as (
    select
        *,
        case
            when days_since_first_seen >= {{ retention_days }} then 1 else 0
        end as is_retention_eligible,
        case
            when
                days_since_first_seen >= {{ retention_days }}
                and days_since_last_seen < {{ retention_days }}
                then 1
            else 0
        end as is_retained
    from users
),

by_segment as (
    {%- for dimension in dimensions %}
        select
            '{{ dimension }}' as segment_dimension,
            {{ segment_label_text(dimension) }} as segment_value,
            count(*) as users,
            count(case when is_purchaser then 1 end) as purchasers,
            cast(sum(orders) as {{ dbt.type_bigint() }}) as orders,
            {{ exact_sum('revenue') }} as revenue,
            cast(sum(is_retention_eligible) as {{ dbt.type_bigint() }}) as retention_eligible_users,
            cast(sum(is_retained) as {{ dbt.type_bigint() }}) as retained_users,
            cast(sum(active_days_28d) as {{ dbt.type_bigint() }}) as active_days_28d
        from user_flags
        group by {{ segment_label_text(dimension) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        {{ as_of_date() }} as as_of,
        segment_dimension,
        segment_value,
        users,
        purchasers,
        orders,
        revenue,
        revenue / cast(users as {{ type_double() }}) as revenue_per_user,
        orders / cast(users as {{ type_double() }}) as orders_per_user,
        purchasers / cast(users as {{ type_double() }}) as purchase_conversion,
        retention_eligible_users,
        retained_users,
        retained_users / cast(nullif(retention_eligible_users, 0) as {{ type_double() }}) as retention_30d,
        {{ gross_margin }} * revenue / cast(users as {{ type_double() }}) as ltv_to_date,
        active_days_28d / cast(users as {{ type_double() }}) / 28.0 as engagement
    from by_segment
)

select * from final
