{#- Feature adoption (docs/segments/product.md, section 1).

    taxonomy_events():        select over the seed event_taxonomy with event names normalised
                              like the event log (the body of an import CTE)
    taxonomy_fingerprint():   md5 of the taxonomy's distinct (event name, feature) pairs, read
                              when the model runs (int_user_feature_days_history stores it)
    key_event_condition(col): SQL condition "col is a key event": col in the var key_events
                              when it is set, else in the seed rows with is_key_event
    adopted_features(cols):   select of cols over int_user_features' rows with at least
                              feature_adoption_min_uses uses: the user's adopted features
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
    {{ return(taxonomy_rows_md5('select distinct event_name, feature from (' ~ taxonomy_events() ~ ') as taxonomy')) }}
{%- endmacro %}

{#- md5 of the rows a query over the seed event_taxonomy returns (columns joined by '=',
    rows sorted), read when the model runs; '' before execution, without the seed table, and
    in a unit test, whose ref() is a CTE name, not a relation. -#}
{% macro taxonomy_rows_md5(query) -%}
    {%- set seed = ref('event_taxonomy') -%}
    {%- if not execute
        or seed.identifier is not defined or seed.identifier is none or seed.schema is none
        or adapter.get_relation(seed.database, seed.schema, seed.identifier) is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rows = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do rows.append(row | join('=')) -%}
    {%- endfor -%}
    {{ return(local_md5(rows | sort | join('\n'))) }}
{%- endmacro %}

{% macro adopted_features(columns) -%}
    select {{ columns | join(', ') }}
    from {{ ref('int_user_features') }}
    where uses >= {{ product_int_var('feature_adoption_min_uses', 1) }}
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
    {%- set md5 = taxonomy_rows_md5(
        'select distinct ' ~ normalize_event_name('event_name') ~ ' from ' ~ ref('event_taxonomy') ~ ' where is_key_event'
    ) -%}
    {{ return('event_taxonomy ' ~ md5 if md5 else '') }}
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
