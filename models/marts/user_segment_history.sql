{#- One row per (as_of, user): the segment labels of user_segments at each as_of this
    project was built for (docs/segments/time.md, section 6). Incremental: a run replaces
    the rows of its own as_of and keeps every other as_of, so building for several past
    as_of dates, in any order and any number of times, gives the same table.
    The label columns are the var segment_dimensions (new ones are added as columns). -#}

{%- set dimensions = var('segment_dimensions', ['rfm_segment', 'usage_tier', 'lifecycle_stage']) %}

{{ config(
    materialized='incremental',
    unique_key='as_of',
    incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
    partition_by=(['as_of'] if target.type == 'spark' else none),
    on_schema_change='append_new_columns',
    post_hook=["{{ delete_erased_users_sql(this) }}"]
) }}

with

segments as (
    select * from {{ ref('user_segments') }}
),

final as (
    select
        as_of,
        user_id,
        {%- for dimension in dimensions %}
            cast({{ dimension }} as {{ dbt.type_string() }}) as {{ dimension }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from segments
)

select * from final
