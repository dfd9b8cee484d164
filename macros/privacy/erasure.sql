{#- Users whose data must be erased (docs/definitions.md, section 9).

    erased_user_ids(): SQL text of a subquery with one column, `user_id`: the trimmed ids of
    the seed `erasure_requests` and, when the var `erasure_list_path` names a CSV file (or a
    glob of them), of that file's `user_id` column. Blank ids are left out, so the list never
    holds a null and `not in ({{ erased_user_ids() }})` is safe. Use it as
        where {{ trim_whitespace('user_id_raw') }} in ({{ erased_user_ids() }})
    Ids are case-sensitive, like user ids everywhere in the project. -#}

{% macro erased_user_ids() -%}
    {%- set path = var('erasure_list_path', none) -%}
    {%- set has_file = path is not none and (path | string | trim) != '' -%}
    select distinct erased.user_id
    from (
        select {{ trim_whitespace('cast(user_id as ' ~ dbt.type_string() ~ ')') }} as user_id
        from {{ ref('erasure_requests') }}
        {%- if has_file %}
        union all
        select {{ trim_whitespace('cast(user_id as ' ~ dbt.type_string() ~ ')') }} as user_id
        from {{ erasure_list_relation(path | string | trim) }}
        {%- endif %}
    ) as erased
    where erased.user_id is not null and erased.user_id != ''
{%- endmacro %}

{#- A FROM-able relation over the erasure list file, every field as text. -#}
{% macro erasure_list_relation(path) -%}
    {{ return(adapter.dispatch('erasure_list_relation', 'behavioral_segments')(path)) }}
{%- endmacro %}

{% macro default__erasure_list_relation(path) -%}
    {{ exceptions.raise_compiler_error(
        "The var `erasure_list_path` (an erasure list read from a file) needs DuckDB; on " ~
        target.type ~ " leave it unset and put the user ids in the seed `erasure_requests` " ~
        "(seeds/erasure_requests.csv), which works on every engine.") }}
{%- endmacro %}

{% macro duckdb__erasure_list_relation(path) -%}
    {%- set relation = "read_csv('" ~ (path | replace("'", "''")) ~ "', header = true, all_varchar = true)" -%}
    {%- if execute -%}
        {#- a list without a user_id column would erase nobody: stop instead -#}
        {%- set described = run_query('describe select * from ' ~ relation) -%}
        {%- set found = described.rows | map(attribute=0) | list -%}
        {%- if 'user_id' not in (found | map('lower') | list) -%}
            {{ exceptions.raise_compiler_error(
                "The erasure list " ~ path ~ " (var `erasure_list_path`) has no column `user_id`. " ~
                "Found: " ~ (found | join(', ')) ~ ". Give it a header line with a user_id column.") }}
        {%- endif -%}
    {%- endif -%}
    {{ relation }}
{%- endmacro %}
