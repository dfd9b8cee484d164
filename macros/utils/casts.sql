{#- Typed views of raw values that never fail: null when the value is not of the type. -#}

{% macro try_to_double(expr) -%}
    {{ return(adapter.dispatch('try_to_double', 'behavioral_segments')(expr)) }}
{%- endmacro %}

{% macro default__try_to_double(expr) -%}
    {{ dbt.safe_cast(expr, type_double()) }}
{%- endmacro %}

{% macro duckdb__try_to_double(expr) -%}
    try_cast({{ expr }} as double)
{%- endmacro %}

{% macro is_finite(expr) -%}
    {{ return(adapter.dispatch('is_finite', 'behavioral_segments')(expr)) }}
{%- endmacro %}

{% macro default__is_finite(expr) -%}
    ({{ expr }} not in (cast('NaN' as double precision), cast('Infinity' as double precision), cast('-Infinity' as double precision)))
{%- endmacro %}

{% macro duckdb__is_finite(expr) -%}
    isfinite({{ expr }})
{%- endmacro %}

{#- A timestamp in UTC without zone from a column of the given source type.
    Naive values are UTC; text with an offset is converted to UTC; anything that is not
    a timestamp becomes null (and is quarantined by the caller). -#}
{% macro to_utc_timestamp(expr, source_type) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'behavioral_segments')(expr, source_type)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(expr, source_type) -%}
    {{ dbt.safe_cast(expr, dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(expr, source_type) -%}
    {%- set t = (source_type or 'varchar') | upper -%}
    {%- if t.startswith('TIMESTAMP WITH TIME ZONE') or t == 'TIMESTAMPTZ' -%}
        cast({{ expr }} as timestamp)
    {%- elif t.startswith('TIMESTAMP') or t == 'DATE' -%}
        cast({{ expr }} as timestamp)
    {%- else -%}
        {#- the profile pins the session TimeZone to UTC, so naive text is read as UTC -#}
        cast(try_cast(trim(cast({{ expr }} as varchar)) as timestamptz) as timestamp)
    {%- endif -%}
{%- endmacro %}

{#- A 64-bit float. dbt.type_float() is a 32-bit FLOAT on DuckDB, too coarse for shares and
    percentiles (1/3 would come back as 0.3333333433). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'behavioral_segments')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#- Text without surrounding white space (spaces, tabs, line breaks). Plain trim() strips
    only spaces on DuckDB and Postgres. -#}
{% macro trim_whitespace(expr) -%}
    {{ return(adapter.dispatch('trim_whitespace', 'behavioral_segments')(expr)) }}
{%- endmacro %}

{% macro default__trim_whitespace(expr) -%}
    regexp_replace({{ expr }}, '^[[:space:]]+|[[:space:]]+$', '', 'g')
{%- endmacro %}

{% macro duckdb__trim_whitespace(expr) -%}
    trim({{ expr }}, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))
{%- endmacro %}

{% macro spark__trim_whitespace(expr) -%}
    regexp_replace({{ expr }}, '^\\s+|\\s+$', '')
{%- endmacro %}

{#- Trimmed text, null when nothing is left. -#}
{% macro trim_to_null(expr) -%}
    nullif({{ trim_whitespace(expr) }}, '')
{%- endmacro %}
