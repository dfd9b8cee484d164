{#- Reading the raw event log named by the var `events_path`.

    events_relation(): a FROM-able relation over every raw row, all columns as in the file.
    events_columns(): {lower-cased name: {"name": actual name, "type": data type}} of that
    relation, read from the file at compile time (empty while dbt only parses).
    contract_column(...): the select expression for one contract column, null when the
    file does not have it; a missing required column stops the run with one clear message. -#}

{% macro events_relation() -%}
    {{ return(adapter.dispatch('events_relation', 'behavioral_segments')()) }}
{%- endmacro %}

{% macro default__events_relation() -%}
    {{ exceptions.raise_compiler_error(
        "behavioral_segments reads `events_path` files only on DuckDB; on " ~ target.type ~
        " load the events into a table first.") }}
{%- endmacro %}

{% macro duckdb__events_relation() -%}
    {%- set path = var('events_path') -%}
    {%- if path is none or (path | trim) == '' -%}
        {{ exceptions.raise_compiler_error("Set the var `events_path` to your event log, e.g. --vars '{\"events_path\": \"/data/events.parquet\"}'") }}
    {%- endif -%}
    {%- set quoted = "'" ~ (path | replace("'", "''")) ~ "'" -%}
    {%- set lower_path = path | lower -%}
    {%- if lower_path.endswith('.parquet') -%}
        read_parquet({{ quoted }}, union_by_name = true)
    {%- elif lower_path.endswith('.csv') or lower_path.endswith('.csv.gz') or lower_path.endswith('.tsv') -%}
        {#- every field as text: values that do not parse are quarantined, never lost to the sniffer -#}
        read_csv({{ quoted }}, header = true, all_varchar = true, union_by_name = true)
    {%- elif lower_path.endswith('.json') or lower_path.endswith('.ndjson') or lower_path.endswith('.jsonl') -%}
        read_json({{ quoted }}, format = 'newline_delimited', union_by_name = true)
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "Cannot tell the format of events_path '" ~ path ~
            "': name a .parquet, .csv, .tsv, .json, .ndjson or .jsonl file (or a glob of them).") }}
    {%- endif -%}
{%- endmacro %}

{% macro events_columns() -%}
    {%- set cols = {} -%}
    {%- if execute -%}
        {%- set described = run_query('describe select * from ' ~ events_relation()) -%}
        {%- for row in described.rows -%}
            {%- do cols.update({(row[0] | lower): {'name': row[0], 'type': row[1]}}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(cols) }}
{%- endmacro %}

{% macro contract_column(columns, name, required=false) -%}
    {%- if name in columns -%}
        {{ adapter.quote(columns[name]['name']) }}
    {%- elif required and execute -%}
        {{ exceptions.raise_compiler_error(
            "The event log " ~ var('events_path') ~ " has no column `" ~ name ~ "` (required). " ~
            "Found: " ~ (columns.values() | map(attribute='name') | join(', ')) ~ ". " ~
            "Rename the column in the file; required columns are user_id, event_name, event_ts.") }}
    {%- else -%}
        null
    {%- endif -%}
{%- endmacro %}
