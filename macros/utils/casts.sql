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
    Naive values are local time in the var source_timezone (default UTC); text with an
    offset and zone-aware types keep their instant; anything that is not a timestamp becomes
    null (and is quarantined by the caller). -#}
{% macro to_utc_timestamp(expr, source_type) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'behavioral_segments')(expr, source_type)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(expr, source_type) -%}
    {{ dbt.safe_cast(expr, dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(expr, source_type) -%}
    {%- set t = (source_type or 'VARCHAR') | upper -%}
    {%- set tz = var('source_timezone') or 'UTC' -%}
    {%- set local = tz | upper not in ('UTC', 'Z', 'ETC/UTC', 'GMT') -%}
    {%- set tz_literal = "'" ~ (tz | replace("'", "''")) ~ "'" -%}
    {%- set epoch_unit = var('event_ts_epoch_unit') -%}
    {%- set ts_format = var('event_ts_format') -%}
    {%- set text = trim_whitespace('cast(' ~ expr ~ ' as varchar)') -%}
    {%- if epoch_unit -%}
        {#- epoch numbers are instants: no time zone applies -#}
        {%- set number = 'try_cast(' ~ text ~ ' as double)' -%}
        {%- if epoch_unit == 's' -%}
            cast(to_timestamp({{ number }}) as timestamp)
        {%- elif epoch_unit == 'ms' -%}
            epoch_ms(cast({{ number }} as bigint))
        {%- elif epoch_unit == 'us' -%}
            make_timestamp(cast({{ number }} as bigint))
        {%- else -%}
            {{ exceptions.raise_compiler_error("event_ts_epoch_unit must be s, ms or us, got '" ~ epoch_unit ~ "'") }}
        {%- endif -%}
    {%- elif ts_format -%}
        {%- set parsed = "try_strptime(" ~ text ~ ", '" ~ (ts_format | replace("'", "''")) ~ "')" -%}
        {%- if local and '%z' not in ts_format -%}
            cast(timezone({{ tz_literal }}, {{ parsed }}) as timestamp)
        {%- else -%}
            cast({{ parsed }} as timestamp)
        {%- endif -%}
    {%- elif t.startswith('TIMESTAMP WITH TIME ZONE') or t == 'TIMESTAMPTZ' -%}
        cast({{ expr }} as timestamp)
    {%- elif t.startswith('TIMESTAMP') or t == 'DATE' -%}
        {%- if local -%}
            cast(timezone({{ tz_literal }}, cast({{ expr }} as timestamp)) as timestamp)
        {%- else -%}
            cast({{ expr }} as timestamp)
        {%- endif -%}
    {%- elif local -%}
        case
            when regexp_matches({{ text }}, '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$')
                then cast(try_cast({{ text }} as timestamptz) as timestamp)
            else cast(timezone({{ tz_literal }}, try_cast({{ text }} as timestamp)) as timestamp)
        end
    {%- else -%}
        {#- the profile pins the session TimeZone to UTC, so naive text is read as UTC -#}
        cast(try_cast({{ text }} as timestamptz) as timestamp)
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

{#- A double rounded to `digits` decimals. Postgres has round(numeric, int) only. -#}
{% macro round_double(expr, digits) -%}
    {{ return(adapter.dispatch('round_double', 'behavioral_segments')(expr, digits)) }}
{%- endmacro %}

{% macro default__round_double(expr, digits) -%}
    round({{ expr }}, {{ digits }})
{%- endmacro %}
