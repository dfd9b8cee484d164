{#- Spark versions of the period helpers: date_add / add_months return dates directly
    (dbt-spark's dateadd goes through unix timestamps). -#}

{% macro spark__add_days(date_expr, days) -%}
    date_add({{ date_expr }}, cast({{ days }} as int))
{%- endmacro %}

{% macro spark__add_months(date_expr, months) -%}
    add_months({{ date_expr }}, cast({{ months }} as int))
{%- endmacro %}
