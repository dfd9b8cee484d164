{#- Feature adoption (docs/segments/product.md, section 1).

    taxonomy_events():        select over the seed event_taxonomy with event names normalised
                              like the event log (the body of an import CTE)
    taxonomy_fingerprint():   md5 of the taxonomy's distinct (event name, feature) pairs, read
                              when the model runs (int_user_feature_days_history stores it)
    key_event_condition(col): SQL condition "col is a key event": col in the var key_events
                              when it is set, else in the seed rows with is_key_event
    adoption_segment(...):    the adoption label, first match wins:
                                none           features_adopted = 0
                                power_adopter  feature_breadth >= adoption_power_min_breadth
                                explorer       features_adopted >= adoption_explorer_min_features
                                single_feature otherwise -#}

{% macro taxonomy_events() -%}
    select
        {{ normalize_event_name('event_name') }} as event_name,
        feature,
        category,
        is_key_event
    from {{ ref('event_taxonomy') }}
{%- endmacro %}

{% macro taxonomy_fingerprint() -%}
    {%- set seed = ref('event_taxonomy') -%}
    {#- '' when nothing runs: at parse time, and when linting against an empty warehouse -#}
    {%- if not execute or adapter.get_relation(seed.database, seed.schema, seed.identifier) is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set pairs = [] -%}
    {%- for row in run_query('select distinct event_name, feature from (' ~ taxonomy_events() ~ ') as taxonomy').rows -%}
        {%- do pairs.append(row[0] ~ '=' ~ row[1]) -%}
    {%- endfor -%}
    {{ return(local_md5(pairs | sort | join('\n'))) }}
{%- endmacro %}

{% macro key_event_condition(column) -%}
    {%- if product_var('key_events') is not none -%}
        {{ column }} in {{ product_event_list('key_events') }}
    {%- else -%}
        {{ column }} in (
            select {{ normalize_event_name('event_name') }}
            from {{ ref('event_taxonomy') }}
            where is_key_event
        )
    {%- endif -%}
{%- endmacro %}

{#- What a key event is, as text that changes when the definition does and not otherwise:
    the var key_events' list when it is set, else the md5 of the seed's key events
    (normalised names, sorted) read when the model runs ('' before execution). Not the SQL of
    key_event_condition: that names the seed's relation, which differs between copies of a
    warehouse. int_user_days_history stores it in its definition fingerprint. -#}
{% macro key_event_fingerprint() -%}
    {%- if product_var('key_events') is not none -%}
        {{ return('key_events ' ~ product_event_list('key_events')) }}
    {%- endif -%}
    {%- set seed = ref('event_taxonomy') -%}
    {#- a unit test's ref() is a CTE name, not a relation -#}
    {%- if not execute
        or seed.identifier is not defined or seed.identifier is none or seed.schema is none
        or adapter.get_relation(seed.database, seed.schema, seed.identifier) is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for row in run_query('select distinct ' ~ normalize_event_name('event_name') ~ ' from ' ~ seed ~ ' where is_key_event').rows -%}
        {%- do names.append(row[0] | string) -%}
    {%- endfor -%}
    {{ return('event_taxonomy ' ~ local_md5(names | sort | join('\n'))) }}
{%- endmacro %}

{% macro adoption_segment(features_adopted='features_adopted', feature_breadth='feature_breadth') -%}
    case
        when {{ features_adopted }} = 0 then 'none'
        when {{ feature_breadth }} >= {{ product_number_var('adoption_power_min_breadth') }} then 'power_adopter'
        when {{ features_adopted }} >= {{ product_int_var('adoption_explorer_min_features', 1) }} then 'explorer'
        else 'single_feature'
    end
{%- endmacro %}

{% macro adoption_segment_labels() -%}
    {{ return(['none', 'single_feature', 'explorer', 'power_adopter']) }}
{%- endmacro %}

{#- The var feature_retention_windows as a list of whole numbers of days (>= 1). -#}
{% macro feature_retention_windows() -%}
    {%- set windows = product_var('feature_retention_windows') -%}
    {%- if windows is string or windows is number -%}{%- set windows = [windows] -%}{%- endif -%}
    {%- set out = [] -%}
    {%- for w in windows -%}
        {%- set n = w | int(0) -%}
        {%- if n < 1 or (w | string | trim) != (n | string) -%}
            {{ exceptions.raise_compiler_error("feature_retention_windows must be whole numbers of days >= 1, got '" ~ w ~ "'") }}
        {%- endif -%}
        {%- if n not in out -%}{%- do out.append(n) -%}{%- endif -%}
    {%- endfor -%}
    {%- if out | length == 0 -%}
        {{ exceptions.raise_compiler_error("feature_retention_windows must hold at least one window") }}
    {%- endif -%}
    {{ return(out | sort) }}
{%- endmacro %}
