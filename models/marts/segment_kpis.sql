{{ config(materialized=bi_materialization()) }}

{#- One row per segment dimension x value at the run's as_of: the KPIs of segment_kpi_history
    next to their values at the previous as_of of the history (the latest one before this
    run's) and the change (docs/segments/measure_act.md, section 1). -#}

{%- set compared_columns = [] %}
{%- for kpi in segment_kpi_compared() %}
    {%- do compared_columns.append('current_rows.' ~ kpi) %}
    {%- do compared_columns.append('previous_rows.' ~ kpi ~ ' as previous_' ~ kpi) %}
    {%- do compared_columns.append('current_rows.' ~ kpi ~ ' - previous_rows.' ~ kpi ~ ' as ' ~ kpi ~ '_change') %}
{%- endfor %}

with

history as (
    select * from {{ ref('segment_kpi_history') }}
),

current_rows as (
    select *
    from history
    where as_of = {{ as_of_date() }}
),

previous_run as (
    select max(as_of) as previous_as_of
    from history
    where as_of < {{ as_of_date() }}
),

previous_rows as (
    select history.*
    from history
    inner join previous_run on history.as_of = previous_run.previous_as_of
),

final as (
    select
        current_rows.as_of,
        current_rows.segment_dimension,
        current_rows.segment_value,
        previous_run.previous_as_of,
        current_rows.purchasers,
        current_rows.orders,
        current_rows.retention_eligible_users,
        current_rows.retained_users,
        {{ compared_columns | join(',\n        ') }}
    from current_rows
    cross join previous_run
    left join previous_rows
        on
            current_rows.segment_dimension = previous_rows.segment_dimension
            and current_rows.segment_value = previous_rows.segment_value
)

select * from final
