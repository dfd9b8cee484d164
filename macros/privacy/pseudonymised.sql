{#- A user id as it may pass staging: itself, or sha256(salt || id) with the var hash_user_id
    (docs/definitions.md, section 9). Erasure matches the clear id before this runs. -#}
{% macro pseudonymised(expr) -%}
    {%- if var('hash_user_id') -%}
        {{ hash_pii(expr) }}
    {%- else -%}
        {{ expr }}
    {%- endif -%}
{%- endmacro %}
