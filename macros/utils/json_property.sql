{#- One top-level key of a JSON object held as text (stg_events.properties), as text:
    strings without their quotes, numbers and booleans as written. Text that is not JSON,
    JSON that is not an object, and a missing key give null; the run never fails on a bad
    row. `key` is a literal key name (letters, digits, '_' and '-'). -#}
{% macro json_property(expr, key) -%}
    {%- if not modules.re.match('^[A-Za-z0-9_-]+$', key) -%}
        {{ exceptions.raise_compiler_error("json_property: unsupported key name '" ~ key ~ "'") }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_property', 'behavioral_segments')(expr, key)) }}
{%- endmacro %}

{% macro default__json_property(expr, key) -%}
    (cast({{ expr }} as jsonb) ->> '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_property(expr, key) -%}
    (case when coalesce(json_valid({{ expr }}), false) then json_extract_string({{ expr }}, '$."{{ key }}"') end)
{%- endmacro %}

{% macro postgres__json_property(expr, key) -%}
    ({{ postgres__helper_function('try_jsonb') }}(cast({{ expr }} as text)) ->> '{{ key }}')
{%- endmacro %}

{% macro spark__json_property(expr, key) -%}
    get_json_object({{ expr }}, '$.{{ key }}')
{%- endmacro %}
