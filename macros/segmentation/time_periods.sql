{#- Calendar periods for the time marts (docs/segments/time.md, section 1).

    Grains: 'month' (calendar month) and 'week' (ISO week, Monday to Sunday). Every macro
    returns SQL for a date; nothing here reads the wall clock. -#}

{#- The first day of the period holding `date_expr`: the 1st of the month, or the Monday of
    the ISO week. date_trunc('week') starts weeks on Monday on DuckDB, Postgres and Spark
    (checked by building the demo on all three engines and comparing cohort_retention). -#}
{% macro period_start(date_expr, grain) -%}
    {%- do check_period_grain(grain) -%}
    cast({{ dbt.date_trunc(grain, date_expr) }} as date)
{%- endmacro %}

{#- An integer that grows by one from each period to the next, so that the difference of two
    indexes counts calendar periods: month = 12 * year + month - 1; week = whole weeks from
    the Monday 1970-01-05 to the Monday of the date's week. -#}
{% macro period_index(date_expr, grain) -%}
    {%- do check_period_grain(grain) -%}
    {%- if grain == 'month' -%}
        (cast(extract(year from {{ date_expr }}) as {{ dbt.type_int() }}) * 12
        + cast(extract(month from {{ date_expr }}) as {{ dbt.type_int() }}) - 1)
    {%- else -%}
        cast({{ days_between("cast('1970-01-05' as date)", period_start(date_expr, 'week')) }} / 7 as {{ dbt.type_int() }})
    {%- endif -%}
{%- endmacro %}

{#- The date `periods` periods after `date_expr` (months: same day of month, which is the 1st
    for a period start; weeks: 7 days each). `periods` may be an SQL expression. -#}
{% macro add_periods(date_expr, periods, grain) -%}
    {%- do check_period_grain(grain) -%}
    {%- if grain == 'month' -%}
        {{ add_months(date_expr, periods) }}
    {%- else -%}
        {{ add_days(date_expr, '7 * (' ~ periods ~ ')') }}
    {%- endif -%}
{%- endmacro %}

{#- date + n days (n an integer SQL expression, may be negative), as a date. -#}
{% macro add_days(date_expr, days) -%}
    {{ return(adapter.dispatch('add_days', 'behavioral_segments')(date_expr, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{#- date + n calendar months, as a date. -#}
{% macro add_months(date_expr, months) -%}
    {{ return(adapter.dispatch('add_months', 'behavioral_segments')(date_expr, months)) }}
{%- endmacro %}

{% macro default__add_months(date_expr, months) -%}
    cast({{ dbt.dateadd('month', months, date_expr) }} as date)
{%- endmacro %}

{#- A derived table with one integer column `n` = 0 .. 10^digits - 1, portable (no
    generate_series): the cross product of `digits` copies of the digits 0..9. -#}
{% macro number_spine(digits=4) -%}
    select
        {%- for i in range(digits) %}
        digits_{{ i }}.d * {{ 10 ** i }}{% if not loop.last %} +{% endif %}
        {%- endfor %} as n
    from
        {%- for i in range(digits) %}
        (
            {%- for d in range(10) %}
            select {{ d }} as d{% if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as digits_{{ i }}{% if not loop.last %}
        cross join{% endif %}
        {%- endfor %}
{%- endmacro %}

{% macro check_period_grain(grain) -%}
    {%- if grain not in ('month', 'week') -%}
        {{ exceptions.raise_compiler_error("period grain must be 'month' or 'week', got '" ~ grain ~ "'") }}
    {%- endif -%}
{%- endmacro %}
