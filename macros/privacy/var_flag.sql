{#- A true/false var as a Jinja boolean: `--vars` may pass it as text, and the text 'false'
    would otherwise count as true. -#}
{% macro var_flag(var_name, default) -%}
    {%- set value = var(var_name, default) -%}
    {%- if value is string -%}
        {{ return((value | trim | lower) in ['true', 't', 'yes', 'y', '1']) }}
    {%- endif -%}
    {{ return(true if value else false) }}
{%- endmacro %}
