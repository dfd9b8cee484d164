{{ config(materialized=bi_materialization()) }}

{#- Users moving between segment labels (docs/segments/time.md, section 7): for each
    segment dimension, from-label x to-label, between the as_of var transition_from_as_of
    (default: the latest as_of in user_segment_history before this run's) and this run's
    as_of. No rows when there is no such earlier as_of in the history. -#}

{%- set dimensions = var('segment_dimensions', ['rfm_segment', 'usage_tier', 'lifecycle_stage']) %}
{%- set from_as_of = var('transition_from_as_of', none) %}
{%- set missing = var('transition_missing_label', '(none)') | replace("'", "''") %}

with

history as (
    select * from {{ ref('user_segment_history') }}
),

run_context as (
    select {{ as_of_date() }} as as_of
),

points as (
    select
        max(history.as_of) as from_as_of,
        max(run_context.as_of) as to_as_of
    from history
    cross join run_context
    where
        {%- if from_as_of %}
            history.as_of = cast('{{ from_as_of }}' as date)
        {%- else %}
            history.as_of < run_context.as_of
        {%- endif %}
),

from_rows as (
    select history.*
    from history
    inner join points on history.as_of = points.from_as_of
),

to_rows as (
    select history.*
    from history
    inner join points on history.as_of = points.to_as_of
),

paired as (
    -- each user's labels at both points, side by side: a user missing at one point gets
    -- the missing label there
    select
        {%- for dimension in dimensions %}
            coalesce(cast(from_rows.{{ dimension }} as {{ dbt.type_string() }}), '{{ missing }}') as from_{{ loop.index }},
            coalesce(cast(to_rows.{{ dimension }} as {{ dbt.type_string() }}), '{{ missing }}') as to_{{ loop.index }},
        {%- endfor %}
        coalesce(from_rows.user_id, to_rows.user_id) as user_id
    from from_rows
    full outer join to_rows on from_rows.user_id = to_rows.user_id
),

counted as (
    {%- for dimension in dimensions %}
        select
            '{{ dimension }}' as segment_dimension,
            from_{{ loop.index }} as from_value,
            to_{{ loop.index }} as to_value,
            count(*) as users
        from paired
        group by from_{{ loop.index }}, to_{{ loop.index }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

from_totals as (
    select
        segment_dimension,
        from_value,
        sum(users) as from_users
    from counted
    group by segment_dimension, from_value
),

final as (
    select
        points.from_as_of,
        points.to_as_of,
        counted.segment_dimension,
        counted.from_value,
        counted.to_value,
        counted.from_value != counted.to_value as is_change,
        counted.users,
        counted.users / cast(from_totals.from_users as {{ type_double() }}) as share_of_from_users
    from counted
    inner join from_totals
        on
            counted.segment_dimension = from_totals.segment_dimension
            and counted.from_value = from_totals.from_value
    cross join points
    where points.from_as_of is not null
)

select * from final
