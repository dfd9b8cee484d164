{#- Reading the raw event log (docs/definitions.md, sections 1.1 to 1.3).

    events_relation():        a FROM-able relation over every raw row of the input
    events_input_label():     how the input is named in messages (path or source table)
    event_input_columns():    {contract column: {"expr", "type", "origin"}} resolved through
                              the var column_map against the input's own columns; read from the
                              input at run time (empty while dbt only parses)
    validate_event_input():   on-run-start: one clear error before any model is built -#}


{% macro contract_columns() -%}
    {{ return(['user_id', 'event_name', 'event_ts', 'event_id', 'session_id', 'revenue', 'order_id', 'properties']) }}
{%- endmacro %}

{#- file_positions: also DuckDB's file_row_number column, for Parquet input. -#}
{% macro events_relation(file_positions=false) -%}
    {%- if var('events_from_source') -%}
        {{ source('raw_events', 'events') }}
    {%- else -%}
        {{ return(adapter.dispatch('events_file_relation', 'behavioral_segments')(file_positions)) }}
    {%- endif -%}
{%- endmacro %}

{% macro events_input_label() -%}
    {%- if var('events_from_source') -%}
        {{ return('the source table ' ~ var('events_source_schema') ~ '.' ~ var('events_source_table')) }}
    {%- else -%}
        {{ return(var('events_path')) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__events_file_relation(file_positions=false) -%}
    {{ exceptions.raise_compiler_error(
        "behavioral_segments reads `events_path` files only on DuckDB; on " ~ target.type ~
        " load the events into a table and set events_from_source: true.") }}
{%- endmacro %}

{#- The input format: the var events_format, else the extension (compression suffix ignored). -#}
{% macro events_format(path) -%}
    {%- if var('events_format') -%}
        {{ return(var('events_format') | lower) }}
    {%- endif -%}
    {%- set name = modules.re.sub('\\.(gz|gzip|zst)$', '', path | lower) -%}
    {%- for fmt, extensions in [('parquet', ['.parquet']), ('csv', ['.csv', '.tsv', '.txt']),
                                ('ndjson', ['.ndjson', '.jsonl']), ('json', ['.json'])] -%}
        {%- for ext in extensions -%}
            {%- if name.endswith(ext) -%}{{ return(fmt) }}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "Cannot tell the format of events_path '" ~ path ~ "': name a .parquet, .csv, .tsv, .txt, " ~
        ".json, .ndjson or .jsonl file (optionally .gz), a glob of them, or set the var events_format.") }}
{%- endmacro %}

{% macro duckdb__events_file_relation(file_positions=false) -%}
    {%- set path = var('events_path') -%}
    {%- if path is none or (path | trim) == '' -%}
        {{ exceptions.raise_compiler_error("Set the var `events_path` to your event log, e.g. --vars '{\"events_path\": \"/data/events.parquet\"}'") }}
    {%- endif -%}
    {%- set quoted = "'" ~ (path | replace("'", "''")) ~ "'" -%}
    {%- set fmt = events_format(path) -%}
    {%- if fmt == 'parquet' -%}
        read_parquet({{ quoted }}, union_by_name = true{% if file_positions %}, file_row_number = true{% endif %})
    {%- elif fmt == 'csv' -%}
        {%- set delimiter = var('csv_delimiter') or ('\t' if modules.re.search('\\.tsv(\\.(gz|gzip|zst))?$', path | lower) else none) -%}
        {#- every field as text: values that do not parse are quarantined, never lost to the sniffer -#}
        read_csv(
            {{ quoted }},
            header = {{ 'true' if var('csv_header') else 'false' }},
            all_varchar = true,
            union_by_name = true
            {%- if delimiter %}, delim = '{{ delimiter | replace("'", "''") }}'{% endif %}
        )
    {%- elif fmt in ('ndjson', 'json') -%}
        read_json({{ quoted }}, format = '{{ "newline_delimited" if fmt == "ndjson" else "auto" }}', union_by_name = true)
    {%- else -%}
        {{ exceptions.raise_compiler_error("events_format must be parquet, csv, ndjson or json, got '" ~ fmt ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- Names and upper-cased types of a query's result columns, without running it in full. -#}
{% macro query_column_types(sql) -%}
    {{ return(adapter.dispatch('query_column_types', 'behavioral_segments')(sql)) }}
{%- endmacro %}

{% macro default__query_column_types(sql) -%}
    {%- set out = [] -%}
    {%- for col in adapter.get_column_schema_from_query(sql) -%}
        {%- do out.append({'name': col.name, 'type': col.dtype | upper}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{% macro duckdb__query_column_types(sql) -%}
    {%- set out = [] -%}
    {%- for row in run_query('describe ' ~ sql).rows -%}
        {%- do out.append({'name': row[0], 'type': row[1] | upper}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- 1-based position of each raw row in the input, in reading order. -#}
{% macro input_row_number() -%}
    {{ return(adapter.dispatch('input_row_number', 'behavioral_segments')()) }}
{%- endmacro %}

{% macro default__input_row_number() -%}
    row_number() over ()
{%- endmacro %}

{#- The input's own columns: {lower-cased name: {"name", "type"}}. -#}
{% macro events_source_columns() -%}
    {%- set cols = {} -%}
    {%- if execute -%}
        {%- if var('events_from_source') -%}
            {%- for col in adapter.get_columns_in_relation(source('raw_events', 'events')) -%}
                {%- do cols.update({(col.name | lower): {'name': col.name, 'type': col.dtype | upper}}) -%}
            {%- endfor -%}
        {%- else -%}
            {%- for col in query_column_types('select * from ' ~ events_relation()) -%}
                {%- do cols.update({(col['name'] | lower): col}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(cols) }}
{%- endmacro %}

{#- Each contract column as an expression over the input: a mapped or same-named column, a
    mapped SQL expression, or none. Types of expressions are asked of the engine. -#}
{% macro event_input_columns() -%}
    {%- set source_cols = events_source_columns() -%}
    {%- set mapping = var('column_map') or {} -%}
    {%- set resolved = {} -%}
    {%- set expressions = [] -%}
    {%- for contract in contract_columns() -%}
        {%- set wanted = mapping.get(contract, contract) | string -%}
        {%- if (wanted | lower) in source_cols -%}
            {%- set col = source_cols[wanted | lower] -%}
            {%- do resolved.update({contract: {'expr': adapter.quote(col['name']), 'type': col['type'],
                                               'origin': 'column `' ~ col['name'] ~ '`'}}) -%}
        {%- elif contract in mapping -%}
            {%- do resolved.update({contract: {'expr': '(' ~ wanted ~ ')', 'type': none,
                                               'origin': 'expression `' ~ wanted ~ '`'}}) -%}
            {%- do expressions.append(contract) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if execute and expressions -%}
        {%- set probe -%}
            select
            {%- for contract in expressions %}
                {{ resolved[contract]['expr'] }} as {{ contract }}{% if not loop.last %},{% endif %}
            {%- endfor %}
            from {{ events_relation() }}
        {%- endset -%}
        {%- for col in query_column_types(probe) -%}
            {%- do resolved[col['name'] | lower].update({'type': col['type']}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return({'columns': resolved, 'found': source_cols}) }}
{%- endmacro %}

{#- The select expression of one contract column (null when the input lacks it). -#}
{% macro contract_column(resolved, name) -%}
    {%- set col = resolved['columns'].get(name) -%}
    {%- if col is none -%}
        null
    {%- elif name == 'properties' and is_nested_type(col['type']) -%}
        {{ to_json_text(col['expr']) }}
    {%- elif name != 'properties' and (col['type'] or '') | upper in ('JSON', 'JSONB') -%}
        {#- a JSON reader column of mixed types: "a" and 123 must both become plain text -#}
        {{ json_scalar_text(col['expr']) }}
    {%- else -%}
        {{ col['expr'] }}
    {%- endif -%}
{%- endmacro %}

{% macro is_nested_type(data_type) -%}
    {%- set t = (data_type or '') | upper -%}
    {#- DuckDB: STRUCT(...), MAP(...), UNION(...), X[]; Spark: STRUCT<...>, MAP<...>, ARRAY<...> -#}
    {{ return(t.startswith('STRUCT') or t.startswith('MAP') or t.startswith('UNION') or t.endswith('[]')
              or t.startswith('LIST') or t.startswith('ARRAY')) }}
{%- endmacro %}

{% macro json_scalar_text(expr) -%}
    {{ return(adapter.dispatch('json_scalar_text', 'behavioral_segments')(expr)) }}
{%- endmacro %}

{% macro default__json_scalar_text(expr) -%}
    ({{ expr }} #>> '{}')
{%- endmacro %}

{% macro duckdb__json_scalar_text(expr) -%}
    ({{ expr }} ->> '$')
{%- endmacro %}

{% macro to_json_text(expr) -%}
    {{ return(adapter.dispatch('to_json_text', 'behavioral_segments')(expr)) }}
{%- endmacro %}

{% macro default__to_json_text(expr) -%}
    cast({{ expr }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__to_json_text(expr) -%}
    cast(to_json({{ expr }}) as varchar)
{%- endmacro %}

{#- Why a column's type cannot become its contract type, or none when it can. -#}
{% macro event_column_type_problem(name, data_type) -%}
    {%- set t = (data_type or '') | upper -%}
    {%- set numeric = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER',
                       'UBIGINT', 'UHUGEINT', 'FLOAT', 'DOUBLE', 'REAL', 'INT', 'INT4', 'INT8', 'NUMERIC',
                       'DOUBLE PRECISION', 'FLOAT4', 'FLOAT8', 'INT2'] -%}
    {%- set is_numeric = t in numeric or t.startswith('DECIMAL') or t.startswith('NUMERIC') -%}
    {%- set is_temporal = t.startswith('TIMESTAMP') or t == 'DATE' or t.startswith('TIME') -%}
    {%- if name != 'properties' and is_nested_type(t) -%}
        {{ return('is ' ~ t ~ ', a nested type that cannot be cast') }}
    {%- elif name == 'event_ts' and t in ('BOOLEAN', 'BLOB', 'BINARY', 'BYTEA') -%}
        {{ return('is ' ~ t ~ ', not a timestamp') }}
    {%- elif name == 'event_ts' and is_numeric and not (var('event_ts_epoch_unit') or var('event_ts_format')) -%}
        {{ return('is ' ~ t ~ ', a number, not a timestamp; set the var event_ts_epoch_unit (s, ms or us) for epoch '
                  ~ 'numbers or event_ts_format (e.g. \'%Y%m%d\') for date-like numbers') }}
    {%- elif name == 'revenue' and (t in ('BOOLEAN', 'BLOB', 'BINARY', 'BYTEA') or is_temporal) -%}
        {{ return('is ' ~ t ~ ', not a number') }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- on-run-start: stop `dbt build` / `dbt run` before anything is built when the input cannot
    work, with one message naming the input, the column, what was found and the var to set. -#}
{% macro validate_event_input() -%}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set label = events_input_label() -%}
        {%- if var_flag('hash_user_id', false) and not pii_salt_available() -%}
            {{ exceptions.raise_compiler_error(
                "hash_user_id is true but the environment variable BEHAVIORAL_SEGMENTS_PII_SALT is not set: "
                ~ "unsalted hashes of user ids can be reversed. Set a secret salt.") }}
        {%- endif -%}
        {%- set resolved = event_input_columns() -%}
        {%- set found = resolved['found'].values() | map(attribute='name') | list -%}
        {%- if found | length == 0 or (found == ['column0'] and var('csv_header')) -%}
            {{ exceptions.raise_compiler_error(
                "The event log " ~ label ~ " is empty: it has no header row. Point events_path at a file with at least "
                ~ "the header user_id,event_name,event_ts.") }}
        {%- endif -%}
        {%- for name in ['user_id', 'event_name', 'event_ts'] -%}
            {%- if name not in resolved['columns'] -%}
                {{ exceptions.raise_compiler_error(
                    "The event log " ~ label ~ " has no column `" ~ name ~ "` (required). Found: " ~ (found | join(', '))
                    ~ ". Map it with the var column_map, e.g. --vars '{\"column_map\": {\"" ~ name ~ "\": \"your_column\"}}'.") }}
            {%- endif -%}
        {%- endfor -%}
        {%- for name, col in resolved['columns'].items() -%}
            {%- set problem = event_column_type_problem(name, col['type']) -%}
            {%- if problem -%}
                {{ exceptions.raise_compiler_error(
                    "The event log " ~ label ~ ": `" ~ name ~ "` (from " ~ col['origin'] ~ ") " ~ problem
                    ~ ". Set the var column_map (or the conversion vars in docs/definitions.md, section 1.2) to fix it.") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- Whether the input is Parquet files read by path on DuckDB: then each raw row's position
    is its file's offset plus its row number in the file, and incremental runs read only the
    files they have not read yet (docs/definitions.md, section 10). -#}
{% macro reads_parquet_files(found) -%}
    {%- set path = var('events_path') or '' -%}
    {{ return(target.type == 'duckdb' and not var('events_from_source') and path | trim != ''
              and events_format(path) == 'parquet'
              and 'filename' not in found and 'file_row_number' not in found) }}
{%- endmacro %}

{#- The Parquet files stg_events__classified reads this run, as [{"file", "offset"}]: a row's
    event_row_id is its file's offset + its 1-based row number in the file. A full build reads
    every file (offsets: the rows of the files before it, in name order). An incremental run
    reads only files it has not loaded (offsets from the highest loaded event_row_id). None
    means: number every raw row with row_number() and take the rows past the highest loaded
    position, which is what a non-Parquet input, a table loaded from one, or a loaded file
    that grew gets. A loaded file that lost rows or is gone stops the run (--full-refresh). -#}
{% macro input_file_plan(found) -%}
    {%- if not (execute and reads_parquet_files(found)) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set quoted = "'" ~ (var('events_path') | replace("'", "''")) ~ "'" -%}
    {%- set incremental = is_incremental() -%}
    {%- set plan_sql -%}
        with
        present as (
            select file_name, sum(num_rows) as file_rows
            from parquet_file_metadata({{ quoted }})
            group by file_name
        ),
        loaded as (
            {%- if incremental %}
            select source_file, count(*) as loaded_rows
            from {{ this }}
            group by source_file
            {%- else %}
            select cast(null as varchar) as source_file, cast(null as bigint) as loaded_rows
            where false
            {%- endif %}
        ),
        max_loaded as (
            {%- if incremental %}
            select coalesce(max(event_row_id), 0) as max_event_row_id from {{ this }}
            {%- else %}
            select 0 as max_event_row_id
            {%- endif %}
        )
        select
            present.file_name,
            present.file_rows,
            loaded.source_file,
            loaded.loaded_rows,
            (select max_loaded.max_event_row_id from max_loaded) as max_event_row_id
        from present
        full outer join loaded on present.file_name = loaded.source_file
        order by present.file_name
    {%- endset -%}
    {%- set plan = [] -%}
    {%- set offset = namespace(value=none) -%}
    {%- for row in run_query(plan_sql).rows -%}
        {%- if offset.value is none -%}
            {%- set offset.value = row[4] | int -%}
        {%- endif -%}
        {%- if row[2] is not none and (row[0] is none or row[1] < row[3]) -%}
            {#- loaded rows are gone: their positions cannot be kept -#}
            {{ exceptions.raise_compiler_error(
                "The event file " ~ row[2] ~ " held " ~ row[3] ~ " rows when it was loaded and now "
                ~ ("is gone" if row[0] is none else "holds " ~ row[1]) ~ ". Loaded files must stay as they were "
                ~ "(add new files for new events); rebuild with `dbt build --full-refresh` to load the input as it is now.") }}
        {%- elif row[2] is none and row[3] is not none -%}
            {#- rows loaded from an input that was not Parquet files -#}
            {{ return(none) }}
        {%- elif row[2] is not none and row[1] != row[3] -%}
            {#- a loaded file grew: number every row again, the rows past the loaded ones are new -#}
            {{ return(none) }}
        {%- elif row[2] is none -%}
            {%- do plan.append({'file': row[0], 'offset': offset.value}) -%}
            {%- set offset.value = offset.value + (row[1] | int) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(plan) }}
{%- endmacro %}

{#- The FROM clause of stg_events__classified's raw rows: the whole input (file_plan none), or
    the files of the plan joined to their row offsets (raw_input, input_files). -#}
{% macro input_file_rows(file_plan) -%}
    {%- if file_plan is none %}
    from {{ events_relation() }}
    {%- elif file_plan %}
    from {{ events_relation(file_positions=true) }} as raw_input
    inner join (
        values
        {%- for item in file_plan %}
            ('{{ item.file | replace("'", "''") }}', {{ item.offset }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as input_files (file_name, row_offset)
        on raw_input.filename = input_files.file_name
    {%- if is_incremental() %}
    -- only the files not loaded yet are read
    where raw_input.filename in (
        {%- for item in file_plan %}
        '{{ item.file | replace("'", "''") }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
    {%- endif %}
    {%- else %}
    -- no file to read
    from {{ events_relation(file_positions=true) }} as raw_input
    cross join (select '' as file_name, 0 as row_offset) as input_files
    where false
    {%- endif %}
{%- endmacro %}
