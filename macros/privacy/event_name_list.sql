{#- A var holding event names (a list, or one name as text), normalised like the event log's
    event_name (trimmed, lower case, runs of space / '-' / '.' -> '_'), as an SQL list literal
    for `event_name in {{ event_name_list('consent_granted_events', ['subscribe']) }}`.
    `default` is used when the var is not defined. An empty list matches nothing. -#}
{% macro event_name_list(var_name, default=[]) -%}
    {%- set names = var(var_name, default) -%}
    {%- if names is none -%}{%- set names = [] -%}{%- endif -%}
    {%- if names is string -%}{%- set names = [names] -%}{%- endif -%}
    {%- set out = [] -%}
    {%- for n in names -%}
        {%- set normalised = modules.re.sub('[\\s.\\-]+', '_', n | string | trim | lower) -%}
        {%- if normalised != '' -%}
            {%- do out.append("'" ~ (normalised | replace("'", "''")) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if out | length == 0 -%}
        (cast(null as {{ dbt.type_string() }}))
    {%- else -%}
        ({{ out | join(', ') }})
    {%- endif -%}
{%- endmacro %}
