{#- Apache Spark (dbt-spark) versions of the project's dispatch macros.

    Spark 4 runs with ANSI mode on: a plain cast of a bad value raises and would stop the run,
    so every conversion of raw input here goes through try_cast / try_to_timestamp and is
    gated by a regular expression where Spark accepts more than DuckDB does (Spark reads
    'yesterday', '2024' and '1.5d' as a timestamp / number; DuckDB does not). Values that do
    not convert become null and are quarantined by staging, as on DuckDB.

    Already defined elsewhere (one macro name may exist once per project):
    spark__type_double, spark__trim_whitespace (macros/utils/casts.sql),
    spark__normalize_event_name (macros/utils/normalize_event_name.sql),
    spark__hash_pii (macros/privacy/pii.sql: it should call spark_salted_sha256 below, so the
    salt never appears in SQL text). -#}


{#- ---------- numbers -#}

{#- Text a DuckDB try_cast(... as double) accepts: decimal and scientific notation, digits
    grouped by single underscores, inf / infinity / nan with an optional sign. -#}
{% macro spark__try_to_double(expr) -%}
    {%- set text = trim_whitespace('cast(' ~ expr ~ ' as string)') -%}
    case
        when {{ text }} rlike '^[+-]?([0-9]+(_[0-9]+)*([.]([0-9]+(_[0-9]+)*)?)?|[.][0-9]+(_[0-9]+)*)([eE][+-]?[0-9]+)?$'
            then try_cast(replace({{ text }}, '_', '') as double)
        when lower({{ text }}) rlike '^[+-]?(inf|infinity|nan)$'
            then try_cast({{ text }} as double)
    end
{%- endmacro %}

{% macro spark__is_finite(expr) -%}
    (not isnan({{ expr }}) and abs({{ expr }}) != double('Infinity'))
{%- endmacro %}


{#- ---------- timestamps -#}

{#- A strptime format (DuckDB / Python) as a Spark datetime pattern. Literal text is quoted;
    directives without a Spark equivalent stop the run with a clear message. -#}
{% macro spark_datetime_pattern(ts_format) -%}
    {%- set directives = {
        'Y': 'yyyy', 'y': 'yy', 'm': 'MM', 'd': 'dd', '-m': 'M', '-d': 'd', 'H': 'HH', '-H': 'H',
        'I': 'hh', 'M': 'mm', 'S': 'ss', 'f': 'SSSSSS', 'p': 'a', 'b': 'MMM', 'h': 'MMM',
        'B': 'MMMM', 'a': 'EEE', 'A': 'EEEE', 'j': 'DDD', 'z': 'XX', 'Z': 'zzz',
        'T': 'HH:mm:ss', 'F': 'yyyy-MM-dd', 'D': 'MM/dd/yy', 'R': 'HH:mm',
    } -%}
    {%- set out = [] -%}
    {%- set literal = [] -%}
    {%- set ns = namespace(i=0) -%}
    {%- set n = ts_format | length -%}
    {%- for _ in range(n) -%}
        {%- if ns.i < n -%}
            {%- set c = ts_format[ns.i] -%}
            {%- if c == '%' and ns.i + 1 < n -%}
                {%- set key = ts_format[ns.i + 1] -%}
                {%- set width = 2 -%}
                {%- if key == '-' and ns.i + 2 < n -%}
                    {%- set key = '-' ~ ts_format[ns.i + 2] -%}
                    {%- set width = 3 -%}
                {%- endif -%}
                {%- if key == '%' -%}
                    {%- do literal.append('%') -%}
                {%- elif key in directives -%}
                    {%- if literal -%}
                        {%- do out.append("''" ~ (literal | join('') | replace("'", "''''")) ~ "''") -%}
                        {%- do literal.clear() -%}
                    {%- endif -%}
                    {%- do out.append(directives[key]) -%}
                {%- else -%}
                    {{ exceptions.raise_compiler_error("event_ts_format: the directive %" ~ key ~ " has no Spark equivalent; use %Y %m %d %H %M %S %f %z and literal text") }}
                {%- endif -%}
                {%- set ns.i = ns.i + width -%}
            {%- else -%}
                {%- if c.isalpha() or c == "'" -%}
                    {%- do literal.append(c) -%}
                {%- else -%}
                    {%- if literal -%}
                        {%- do out.append("''" ~ (literal | join('') | replace("'", "''''")) ~ "''") -%}
                        {%- do literal.clear() -%}
                    {%- endif -%}
                    {%- do out.append(c) -%}
                {%- endif -%}
                {%- set ns.i = ns.i + 1 -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if literal -%}
        {%- do out.append("''" ~ (literal | join('') | replace("'", "''''")) ~ "''") -%}
    {%- endif -%}
    {{ return(out | join('')) }}
{%- endmacro %}

{#- A Spark string literal: Spark escapes with a backslash, not by doubling quotes. -#}
{% macro spark_string_literal(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#- UTC timestamp (Spark TIMESTAMP, read in the session time zone the profile pins to UTC).
    Spark types: TIMESTAMP is an instant (like DuckDB's TIMESTAMPTZ) and keeps it;
    TIMESTAMP_NTZ and DATE are naive, local time in source_timezone; text with an offset or
    zone keeps its instant, naive text is local time in source_timezone. -#}
{% macro spark__to_utc_timestamp(expr, source_type) -%}
    {%- set t = (source_type or 'STRING') | upper -%}
    {%- set tz = var('source_timezone') or 'UTC' -%}
    {%- set local = tz | upper not in ('UTC', 'Z', 'ETC/UTC', 'GMT') -%}
    {%- set tz_literal = spark_string_literal(tz) -%}
    {%- set epoch_unit = var('event_ts_epoch_unit') -%}
    {%- set ts_format = var('event_ts_format') -%}
    {%- set text = trim_whitespace('cast(' ~ expr ~ ' as string)') -%}
    {%- if epoch_unit -%}
        {#- epoch numbers are instants: no time zone applies. Out-of-range numbers would raise
            in timestamp_seconds and friends, so they become null first (years 0001-9999). -#}
        {%- set number = spark__try_to_double(expr) -%}
        {%- set per_second = {'s': 1, 'ms': 1000, 'us': 1000000}.get(epoch_unit) -%}
        {%- if per_second is none -%}
            {{ exceptions.raise_compiler_error("event_ts_epoch_unit must be s, ms or us, got '" ~ epoch_unit ~ "'") }}
        {%- endif -%}
        {#- microseconds, rounded like DuckDB's cast to bigint; outside years 0001-9999 -> null -#}
        {%- set micros = '(' ~ number ~ ') * ' ~ (1000000 // per_second) -%}
        case
            when {{ micros }} between -62135596800000000 and 253402300799999999
                then timestamp_micros(cast(round({{ micros }}) as bigint))
        end
    {%- elif ts_format -%}
        {%- set parsed = 'try_to_timestamp(' ~ text ~ ', ' ~ spark_string_literal(spark_datetime_pattern(ts_format)) ~ ')' -%}
        {%- if local and '%z' not in ts_format and '%Z' not in ts_format -%}
            to_utc_timestamp({{ parsed }}, {{ tz_literal }})
        {%- else -%}
            {{ parsed }}
        {%- endif -%}
    {%- elif t == 'TIMESTAMP' or t == 'TIMESTAMP_LTZ' -%}
        cast({{ expr }} as timestamp)
    {%- elif t.startswith('TIMESTAMP') or t == 'DATE' -%}
        {%- if local -%}
            to_utc_timestamp(cast({{ expr }} as timestamp), {{ tz_literal }})
        {%- else -%}
            cast({{ expr }} as timestamp)
        {%- endif -%}
    {%- else -%}
        {#- only the shapes DuckDB reads: a yyyy-m-d date (or y/m/d), optionally a time of at
            least hours and minutes, then optionally a zone right after it -#}
        {%- set shaped = "regexp_replace(" ~ text ~ ", '^([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})', '$1-$2-$3')" -%}
        {%- set date_shape = '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]*)?)?)?' -%}
        {%- set zone_shape = '(Z|[+-][0-9]{2}(:?[0-9]{2})?| [A-Za-z][A-Za-z0-9_/+-]*)$' -%}
        case
            when {{ shaped }} rlike '{{ date_shape }}$'
                {%- if local %}
                then to_utc_timestamp(try_cast({{ shaped }} as timestamp_ntz), {{ tz_literal }})
                {%- else %}
                then try_cast({{ shaped }} as timestamp)
                {%- endif %}
            when {{ shaped }} rlike '{{ date_shape }}{{ zone_shape }}'
                then try_cast({{ shaped }} as timestamp)
        end
    {%- endif -%}
{%- endmacro %}


{#- ---------- JSON -#}

{#- Spark has no JSON column type; a VARIANT (parse_json) is the nearest. -#}
{% macro spark__json_scalar_text(expr) -%}
    try_variant_get({{ expr }}, '$', 'string')
{%- endmacro %}

{#- Nested columns (STRUCT, MAP, ARRAY) as JSON text; null fields are kept, as DuckDB does. -#}
{% macro spark__to_json_text(expr) -%}
    to_json({{ expr }}, map('ignoreNullFields', 'false'))
{%- endmacro %}


{#- ---------- personal data -#}

{#- The salt reaches Spark only as the session configuration
    spark.behavioral_segments.pii_salt_hex (hex of its UTF-8 bytes, set from the environment by
    profiles.yml's server_side_parameters) and is read with Spark's ${...} substitution when the
    statement is parsed: compiled SQL, manifest.json and run_results.json only hold the
    placeholder. Hex keeps quotes and backslashes in a salt from breaking the SQL. When the
    configuration is not set the placeholder stays as it is and unhex() gives null. -#}
{% macro spark_pii_salt_expr() -%}
    decode(unhex('${spark.behavioral_segments.pii_salt_hex}'), 'UTF-8')
{%- endmacro %}

{% macro spark_salted_sha256(expr) -%}
    sha2(concat({{ spark_pii_salt_expr() }}, cast({{ expr }} as string)), 256)
{%- endmacro %}

{% macro spark__pii_salt_available() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set result = run_query("select coalesce(" ~ trim_whitespace(spark_pii_salt_expr()) ~ " != '', false)") -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#- Top-level keys named in pii_properties hashed or removed; other keys keep their values
    (nested objects included), the object is written out again as compact JSON, like DuckDB's
    json_merge_patch. Null, text that is not JSON and JSON that is not an object pass
    unchanged, and so does an object holding none of the keys. from_json (not try_parse_json)
    decides what an object is: it also reads objects with a repeated key, which must not
    slip through unscrubbed. The value hashed is the key's text: a string's characters, the
    JSON text of anything else. -#}
{% macro spark__scrub_properties(expr) -%}
    {%- set keys = pii_property_keys() -%}
    {%- if keys | length == 0 -%}
        {{ expr }}
    {%- else -%}
        {%- set mode = pii_effective_mode() -%}
        {%- set key_literals = [] -%}
        {%- for k in keys -%}
            {%- do key_literals.append(spark_string_literal(k)) -%}
        {%- endfor -%}
        {%- set key_list = '(' ~ (key_literals | join(', ')) ~ ')' -%}
        {%- set as_map = "from_json(" ~ expr ~ ", 'map<string, variant>')" -%}
        case
            when {{ as_map }} is null then {{ expr }}
            when not exists(map_keys({{ as_map }}), k -> k in {{ key_list }}) then {{ expr }}
            {%- if mode == 'hash' %}
            {#- as json_merge_patch does: the other keys in their order, then each hashed key in
                the order of pii_properties #}
            else to_json(map_concat(
                map_filter({{ as_map }}, (k, v) -> not k in {{ key_list }}),
                map_from_entries(filter(
                    array(
                        {%- for k in key_literals %}
                        struct({{ k }} as key, case
                            when not is_variant_null(try_element_at({{ as_map }}, {{ k }}))
                                then parse_json(concat('"', {{ spark_salted_sha256("coalesce(try_variant_get(try_element_at(" ~ as_map ~ ", " ~ k ~ "), '$', 'string'), to_json(try_element_at(" ~ as_map ~ ", " ~ k ~ ")))") }}, '"'))
                        end as value){% if not loop.last %},{% endif %}
                        {%- endfor %}
                    ),
                    e -> e.value is not null
                ))
            ))
            {%- else %}
            else to_json(map_filter({{ as_map }}, (k, v) -> not k in {{ key_list }}))
            {%- endif %}
        end
    {%- endif -%}
{%- endmacro %}


{#- ---------- reading the input -#}

{#- Spark needs an order for row_number(): reading order, i.e. file by file in path order
    (as a DuckDB glob reads them), and inside a file its partitions and rows in order
    (monotonically_increasing_id grows with the partition, whose splits keep file order). -#}
{% macro spark__input_row_number() -%}
    row_number() over (order by input_file_name(), monotonically_increasing_id())
{%- endmacro %}

{% macro spark__query_column_types(sql) -%}
    {%- set out = [] -%}
    {%- for row in run_query('describe query ' ~ sql).rows -%}
        {%- if row[0] and not row[0].startswith('#') -%}
            {%- do out.append({'name': row[0], 'type': row[1] | upper}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- events_path on Spark: Parquet and NDJSON files (globs too) are read in place with
    parquet.`path` / json.`path`; CSV / TSV and JSON array files need reader options, so a
    temporary view of the file is created in the session first. Every CSV field is text. -#}
{% macro spark__events_file_relation(file_positions=false) -%}
    {%- set path = var('events_path') -%}
    {%- if path is none or (path | trim) == '' -%}
        {{ exceptions.raise_compiler_error("Set the var `events_path` to your event log, e.g. --vars '{\"events_path\": \"/data/events.parquet\"}'") }}
    {%- endif -%}
    {%- set fmt = events_format(path) -%}
    {%- if fmt == 'parquet' -%}
        parquet.`{{ path | replace('`', '``') }}`
    {%- elif fmt == 'ndjson' -%}
        json.`{{ path | replace('`', '``') }}`
    {%- elif fmt in ('csv', 'json') -%}
        {%- set view = 'behavioral_segments_events_' ~ local_md5(path ~ '|' ~ fmt ~ '|' ~ (var('csv_delimiter') or '') ~ '|' ~ var('csv_header')) -%}
        {%- if execute -%}
            {%- set options = {'path': path} -%}
            {%- if fmt == 'csv' -%}
                {%- set delimiter = var('csv_delimiter') or ('\t' if modules.re.search('\\.tsv(\\.(gz|gzip|zst))?$', path | lower) else ',') -%}
                {%- do options.update({'header': 'true' if var('csv_header') else 'false', 'sep': delimiter,
                                       'multiLine': 'true', 'quote': '"', 'escape': '"', 'inferSchema': 'false',
                                       'mode': 'PERMISSIVE', 'enforceSchema': 'false', 'ignoreLeadingWhiteSpace': 'false',
                                       'ignoreTrailingWhiteSpace': 'false'}) -%}
            {%- else -%}
                {%- do options.update({'multiLine': 'true'}) -%}
            {%- endif -%}
            {%- set option_sql = [] -%}
            {%- for k, v in options.items() -%}
                {%- do option_sql.append(k ~ ' ' ~ spark_string_literal(v)) -%}
            {%- endfor -%}
            {%- do run_query('create or replace temporary view ' ~ view ~ ' using ' ~ ('csv' if fmt == 'csv' else 'json')
                             ~ ' options (' ~ (option_sql | join(', ')) ~ ')') -%}
        {%- endif -%}
        {{ view }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("events_format must be parquet, csv, ndjson or json, got '" ~ fmt ~ "'") }}
    {%- endif -%}
{%- endmacro %}


{#- ---------- seeds -#}

{#- dbt-spark's seed loader (session method) pastes each value into the SQL as '<value>'
    without escaping, so a seed value holding a quote ("Can't Lose Them" in rfm_segment_map)
    breaks the insert. Same statement, each value written as an escaped Spark literal. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    {%- set value = row[loop.index0] -%}
                    cast({{ 'null' if value is none else spark_string_literal(value) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
