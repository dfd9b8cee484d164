{#- PostgreSQL (15+) versions of the project's engine-specific macros.

    dbt's adapter.dispatch('x', 'behavioral_segments') picks `postgres__x` on the postgres
    target; everything here mirrors the DuckDB behaviour (docs/definitions.md) so that both
    engines build identical marts from the same events.

    Converting raw text must never fail the run: a value that is not a number, a timestamp or
    JSON becomes null and its row is quarantined. Postgres 15 has no try_cast, so a few small
    plpgsql functions with an exception handler do the conversions. They live in the target
    schema and are (re)created before any model by the on-run-start hook
    `postgres__create_helper_functions()`; every call names them schema-qualified.

    The PII salt never appears in SQL text: it is the session setting
    `behavioral_segments.pii_salt`, read with current_setting(). Set it outside dbt, either
    through libpq (`PGOPTIONS='-c behavioral_segments.pii_salt=...'`, which
    tests/engines_wip/postgres_engine.py fills in from BEHAVIORAL_SEGMENTS_PII_SALT) or once
    on the server (`alter role behavioral_segments set behavioral_segments.pii_salt = '...'`). -#}


{#- ---------- helper functions ---------------------------------------------------------- -#}

{#- The schema-qualified name of one of our helper functions. -#}
{% macro postgres__helper_function(name) -%}
    {{ adapter.quote(target.schema) }}.{{ adapter.quote('behavioral_segments_' ~ name) }}
{%- endmacro %}

{#- SQL that creates (or replaces) the helper functions; run it as an on-run-start hook.
    Idempotent, and cheap: a few catalog writes per run. -#}
{% macro postgres__create_helper_functions() -%}
    {%- set try_double = postgres__helper_function('try_double') -%}
    {%- set try_timestamp = postgres__helper_function('try_utc_timestamp') -%}
    {%- set try_epoch = postgres__helper_function('try_epoch_timestamp') -%}
    {%- set try_format = postgres__helper_function('try_format_timestamp') -%}
    {%- set try_jsonb = postgres__helper_function('try_jsonb') -%}
    {%- set scrub = postgres__helper_function('scrub_properties') -%}
    {%- set minify = postgres__helper_function('minify_json') -%}
create schema if not exists {{ adapter.quote(target.schema) }};

-- Every plpgsql function here catches errors, which opens a subtransaction, so none may be
-- marked parallel safe (Postgres refuses subtransactions in parallel workers): a query that
-- calls them runs without parallel workers.

-- Text -> double precision, null when the text is not a number. Follows DuckDB's
-- try_cast(x as double): surrounding white space is ignored, 'NaN', 'inf', 'Infinity' (any
-- case, signed) give non-finite values, a literal beyond the double range gives +-Infinity and
-- one below it 0, and '_' may separate digits.
create or replace function {{ try_double }}(txt text)
returns double precision
language plpgsql immutable
as $fn$
declare
    t text := btrim(txt, E' \t\n\r\f\v');
    n numeric;
begin
    if t is null or t = '' then
        return null;
    end if;
    if lower(t) in ('nan', '+nan', '-nan') then
        return 'NaN'::double precision;
    end if;
    if t !~* '^[+-]?(inf|infinity|[0-9][0-9_]*[.]?[0-9_]*([e][+-]?[0-9]+)?|[.][0-9][0-9_]*([e][+-]?[0-9]+)?)$' then
        return null;
    end if;
    -- underscores are digit separators only between digits
    if t ~ '_' then
        if t ~ '(^|[^0-9])_|_($|[^0-9])' then
            return null;
        end if;
        t := replace(t, '_', '');
    end if;
    begin
        return t::double precision;
    exception when others then
        -- out of range: the exact value decides between +-Infinity and (signed) zero
        n := t::numeric;
        if abs(n) >= 1 then
            return case when n < 0 then '-Infinity' else 'Infinity' end::double precision;
        end if;
        return case when t ~ '^-' then -0.0 else 0.0 end::double precision;
    end;
end
$fn$;

-- Text -> timestamp in UTC, null when the text is not an ISO-like timestamp
-- (YYYY-MM-DD, optionally with [T ]HH:MM[:SS[.fraction]] and an offset Z / +HH / +HHMM /
-- +HH:MM or a zone name after a space). Text with an offset or zone keeps its instant; naive
-- text is local time in naive_zone (null or 'UTC': already UTC). An unknown naive_zone is an
-- error (a typo in the var source_timezone must not quarantine every row).
create or replace function {{ try_timestamp }}(txt text, naive_zone text)
returns timestamp
language plpgsql stable
as $fn$
declare
    t text := btrim(txt, E' \t\n\r\f\v');
    r timestamp;
begin
    if t is null or t = '' then
        return null;
    end if;
    -- the special values DuckDB's cast accepts, with DuckDB's results
    case lower(t)
        when 'epoch' then return timestamp '1970-01-01 00:00:00';
        when 'infinity' then return timestamp '9999-12-31 23:59:59.999999';
        when '-infinity' then return timestamp '0001-01-01 00:00:00';
        else null;
    end case;
    if t !~ '^[0-9]{4,}([-/])[0-9]{1,2}\1[0-9]{1,2}([T ]([01]?[0-9]|2[0-4]):[0-5][0-9](:[0-5][0-9]([.][0-9]*)?)?(Z|[+-][0-9]{2}(:?[0-9]{2}(:?[0-9]{2})?)?| [A-Za-z][A-Za-z0-9_/+-]+)?)?$'
        or t ~* ' (bc|ad)$' then
        return null;
    end if;
    -- DuckDB keeps microseconds and drops further digits; Postgres would round them
    t := regexp_replace(t, '([.][0-9]{6})[0-9]+', '\1');
    begin
        if t ~ '(Z|[+-][0-9]{2}(:?[0-9]{2}(:?[0-9]{2})?)?| [A-Za-z][A-Za-z0-9_/+-]+)$' then
            return t::timestamptz at time zone 'UTC';
        end if;
        r := t::timestamp;
    exception when others then
        return null;
    end;
    if naive_zone is null or upper(naive_zone) in ('UTC', 'Z', 'ETC/UTC', 'GMT') then
        return r;
    end if;
    return (r at time zone naive_zone) at time zone 'UTC';
end
$fn$;

-- Epoch number (as text) in seconds, milliseconds or microseconds -> timestamp (UTC);
-- null when it is not a finite number in the timestamp range.
create or replace function {{ try_epoch }}(txt text, unit text)
returns timestamp
language plpgsql immutable
as $fn$
declare
    x double precision := {{ try_double }}(txt);
    n bigint;
begin
    if x is null or x in ('NaN'::double precision, 'Infinity'::double precision, '-Infinity'::double precision) then
        return null;
    end if;
    begin
        if unit = 's' then
            return to_timestamp(x) at time zone 'UTC';
        end if;
        n := x::bigint;
        if unit = 'ms' then
            return timestamp '1970-01-01' + (n / 1000) * interval '1 second' + (n % 1000) * interval '1 millisecond';
        end if;
        return timestamp '1970-01-01' + (n / 1000000) * interval '1 second' + (n % 1000000) * interval '1 microsecond';
    exception when others then
        return null;
    end;
end
$fn$;

-- Text parsed with a Postgres to_timestamp() pattern (translated from the var
-- event_ts_format) -> timestamp, when it matches shape (the same format as an anchored
-- regular expression); fields are read as UTC unless the pattern has an offset. Null when
-- it does not parse.
create or replace function {{ try_format }}(txt text, pattern text, shape text)
returns timestamp
language plpgsql stable
set timezone to 'UTC'
as $fn$
declare
    t text := btrim(txt, E' \t\n\r\f\v');
begin
    if t is null or t !~ shape then
        return null;
    end if;
    if pattern ~ 'TZHTZM' then
        -- an offset written +HH:MM reads as +HHMM
        t := regexp_replace(t, '([+-][0-9]{2}):([0-9]{2})', '\1\2');
    end if;
    return to_timestamp(t, pattern) at time zone 'UTC';
exception when others then
    return null;
end
$fn$;

-- Text -> jsonb, null when it is not JSON.
create or replace function {{ try_jsonb }}(txt text)
returns jsonb
language plpgsql immutable
as $fn$
begin
    return txt::jsonb;
exception when others then
    return null;
end
$fn$;

-- JSON text without the white space outside strings (jsonb's text form puts a space after
-- each ':' and ','): DuckDB writes JSON compactly.
create or replace function {{ minify }}(txt text)
returns text
language sql immutable parallel safe
as $fn$
    select string_agg(token[1], '' order by position)
    from regexp_matches(txt, '("(?:[^"\\]|\\.)*"|[^"[:space:]]+)', 'g') with ordinality as tokens (token, position)
$fn$;

-- The JSON text txt with each top-level key of pii_keys replaced by sha256(salt || value)
-- (hex; do_hash) or removed (not do_hash). A key holding JSON null is removed; text that is
-- not a JSON object, or an object without any of the keys, is returned exactly as it came.
-- The result is written as DuckDB's json_merge_patch writes it: compact, the other keys in
-- their original order, then the hashed keys in the order of pii_keys. The salt is the
-- setting behavioral_segments.pii_salt, never an argument.
create or replace function {{ scrub }}(txt text, pii_keys text[], do_hash boolean)
returns text
language plpgsql stable
as $fn$
declare
    j jsonb := {{ try_jsonb }}(txt);
    parts text[] := '{}';
    seen text[] := '{}';
    k text;
    written text;
    v jsonb;
begin
    if j is null or jsonb_typeof(j) <> 'object' or not (j ?| pii_keys) then
        return txt;
    end if;
    -- json (unlike jsonb) keeps keys, nested ones too, in their written order
    for k, written in select key, value::text from json_each(txt::json) loop
        if k = any(pii_keys) or k = any(seen) then
            continue;
        end if;
        seen := seen || k;
        parts := parts || (to_json(k)::text || ':' || {{ minify }}(written));
    end loop;
    if do_hash then
        foreach k in array pii_keys loop
            v := j -> k;
            if v is not null and jsonb_typeof(v) <> 'null' and not (k = any(seen)) then
                seen := seen || k;
                parts := parts || (to_json(k)::text || ':' || to_json(encode(sha256(convert_to(
                    coalesce(current_setting('behavioral_segments.pii_salt', true), '')
                    || case when jsonb_typeof(v) = 'string' then v #>> '{}' else {{ minify }}(v::text) end,
                    'UTF8')), 'hex'))::text);
            end if;
        end loop;
    end if;
    return '{' || array_to_string(parts, ',') || '}';
end
$fn$;
{%- endmacro %}


{#- ---------- casts (macros/utils/casts.sql) --------------------------------------------- -#}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}

{% macro postgres__try_to_double(expr) -%}
    {{ postgres__helper_function('try_double') }}(cast({{ expr }} as text))
{%- endmacro %}

{#- Postgres has no isfinite() for floats. NaN sorts above every number there (and equals
    itself), so `abs(x) < Infinity` is false exactly for NaN and +-Infinity; null stays null. -#}
{% macro postgres__is_finite(expr) -%}
    (abs({{ expr }}) < cast('Infinity' as double precision))
{%- endmacro %}

{#- ASCII white space only, like DuckDB's trim with these characters: Unicode spaces and
    emoji in ids are data. -#}
{% macro postgres__trim_whitespace(expr) -%}
    btrim({{ expr }}, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))
{%- endmacro %}

{#- strptime directives (the var event_ts_format, DuckDB's syntax) as a Postgres
    to_timestamp() pattern; literal text is double-quoted so letters never act as fields. -#}
{% macro postgres__strptime_to_pattern(ts_format) -%}
    {%- set directives = {
        'Y': 'YYYY', 'y': 'YY', 'm': 'MM', 'd': 'DD', 'e': 'DD', 'H': 'HH24', 'I': 'HH12',
        'M': 'MI', 'S': 'SS', 'f': 'US', 'p': 'AM', 'j': 'DDD', 'b': 'Mon', 'h': 'Mon',
        'B': 'Month', 'a': 'Dy', 'A': 'Day', 'z': 'TZHTZM',
    } -%}
    {%- set out = [] -%}
    {%- set literal = [] -%}
    {%- set ns = namespace(escape=false) -%}
    {%- for ch in ts_format -%}
        {%- if ns.escape -%}
            {%- set ns.escape = false -%}
            {%- if ch == '%' -%}
                {%- do literal.append('%') -%}
            {%- elif ch in directives -%}
                {%- if literal -%}
                    {%- do out.append('"' ~ (literal | join('')) ~ '"') -%}
                    {%- do literal.clear() -%}
                {%- endif -%}
                {%- do out.append(directives[ch]) -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error(
                    "event_ts_format: the directive %" ~ ch ~ " is not supported on Postgres; use %Y %y %m %d %e %H %I %M %S %f %p %j %b %B %a %A %z or %%.") }}
            {%- endif -%}
        {%- elif ch == '%' -%}
            {%- set ns.escape = true -%}
        {%- elif ch == '"' or ch == '\\' -%}
            {{ exceptions.raise_compiler_error("event_ts_format: double quotes and backslashes are not supported on Postgres, got " ~ ts_format) }}
        {%- else -%}
            {%- do literal.append(ch) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if literal -%}
        {%- do out.append('"' ~ (literal | join('')) ~ '"') -%}
    {%- endif -%}
    {{ return(out | join('')) }}
{%- endmacro %}

{#- An anchored regular expression of the text a strptime format accepts (DuckDB's
    try_strptime: numeric fields of 1-2 digits, %Y of 4, %f up to 6, literal text as
    written). Postgres' to_timestamp() is lenient (it would read '2024-03-02' with
    'YYYYMMDD'), so text must match this first. -#}
{% macro postgres__strptime_to_regex(ts_format) -%}
    {%- set directives = {
        'Y': '[0-9]{1,4}', 'y': '[0-9]{2}', 'm': '[0-9]{1,2}', 'd': '[0-9]{1,2}', 'e': ' ?[0-9]{1,2}',
        'H': '[0-9]{1,2}', 'I': '[0-9]{1,2}', 'M': '[0-9]{1,2}', 'S': '[0-9]{1,2}', 'f': '[0-9]{1,6}',
        'p': '[AaPp][Mm]', 'j': '[0-9]{1,3}', 'b': '[A-Za-z]{3}', 'h': '[A-Za-z]{3}', 'B': '[A-Za-z]+',
        'a': '[A-Za-z]{3}', 'A': '[A-Za-z]+', 'z': '[+-][0-9]{2}:?[0-9]{2}',
    } -%}
    {%- set out = ['^'] -%}
    {%- set ns = namespace(escape=false) -%}
    {%- for ch in ts_format -%}
        {%- if ns.escape -%}
            {%- set ns.escape = false -%}
            {%- do out.append('%' if ch == '%' else directives.get(ch, '')) -%}
        {%- elif ch == '%' -%}
            {%- set ns.escape = true -%}
        {%- elif ch.isalnum() or ch == ' ' -%}
            {%- do out.append(ch) -%}
        {%- else -%}
            {%- do out.append('[' ~ ch ~ ']' if ch not in '^]\\' else '\\' ~ ch) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do out.append('$') -%}
    {{ return(out | join('')) }}
{%- endmacro %}

{#- Same contract as duckdb__to_utc_timestamp (macros/utils/casts.sql): naive values are
    local time in the var source_timezone (default UTC), offsets and zone-aware types keep their
    instant, and anything that is not a timestamp becomes null (quarantined by the caller). -#}
{% macro postgres__to_utc_timestamp(expr, source_type) -%}
    {%- set t = (source_type or 'TEXT') | upper -%}
    {%- set tz = var('source_timezone') or 'UTC' -%}
    {%- set local = tz | upper not in ('UTC', 'Z', 'ETC/UTC', 'GMT') -%}
    {%- set tz_literal = "'" ~ (tz | replace("'", "''")) ~ "'" -%}
    {%- set epoch_unit = var('event_ts_epoch_unit') -%}
    {%- set ts_format = var('event_ts_format') -%}
    {%- set text = 'cast(' ~ expr ~ ' as text)' -%}
    {%- if epoch_unit -%}
        {#- epoch numbers are instants: no time zone applies -#}
        {%- if epoch_unit not in ('s', 'ms', 'us') -%}
            {{ exceptions.raise_compiler_error("event_ts_epoch_unit must be s, ms or us, got '" ~ epoch_unit ~ "'") }}
        {%- endif -%}
        {{ postgres__helper_function('try_epoch_timestamp') }}({{ text }}, '{{ epoch_unit }}')
    {%- elif ts_format -%}
        {%- set parsed = postgres__helper_function('try_format_timestamp') ~ "(" ~ text ~ ", '"
            ~ (postgres__strptime_to_pattern(ts_format) | replace("'", "''")) ~ "', '"
            ~ (postgres__strptime_to_regex(ts_format) | replace("'", "''")) ~ "')" -%}
        {%- if local and '%z' not in ts_format -%}
            (({{ parsed }} at time zone {{ tz_literal }}) at time zone 'UTC')
        {%- else -%}
            {{ parsed }}
        {%- endif -%}
    {%- elif t.startswith('TIMESTAMP WITH TIME ZONE') or t == 'TIMESTAMPTZ' -%}
        ({{ expr }} at time zone 'UTC')
    {%- elif t.startswith('TIMESTAMP') or t == 'DATE' -%}
        {%- if local -%}
            ((cast({{ expr }} as timestamp) at time zone {{ tz_literal }}) at time zone 'UTC')
        {%- else -%}
            cast({{ expr }} as timestamp)
        {%- endif -%}
    {%- else -%}
        {{ postgres__helper_function('try_utc_timestamp') }}({{ text }}, {{ tz_literal if local else 'null' }})
    {%- endif -%}
{%- endmacro %}


{#- ---------- event names and JSON (macros/utils) ----------------------------------------- -#}

{#- ASCII white space, '.' and '-' only (DuckDB's [[:space:]] is ASCII; Postgres' follows the
    locale and would also fold Unicode spaces). -#}
{% macro postgres__normalize_event_name(expr) -%}
    nullif(regexp_replace(lower({{ trim_whitespace(expr) }}), '[ \t\n\v\f\r.-]+', '_', 'g'), '')
{%- endmacro %}

{#- A json / jsonb value as plain text: strings without their quotes, others as JSON text. -#}
{% macro postgres__json_scalar_text(expr) -%}
    ({{ expr }} #>> '{}')
{%- endmacro %}

{% macro postgres__to_json_text(expr) -%}
    cast(to_json({{ expr }}) as text)
{%- endmacro %}


{#- ---------- reading the source table (macros/utils/read_events.sql) --------------------- -#}

{#- Column names and upper-cased Postgres type names (as format_type() spells them, e.g.
    'TIMESTAMP WITHOUT TIME ZONE', 'DOUBLE PRECISION', 'TEXT') of a query's result, without
    running it in full: pg_typeof() of a column is its declared type even when the value is
    null, so one left-joined empty row is enough. -#}
{% macro postgres__query_column_types(sql) -%}
    {%- set names = adapter.get_column_schema_from_query(sql) | map(attribute='name') | list -%}
    {%- set out = [] -%}
    {%- if names | length > 0 -%}
        {%- set probe -%}
            select
            {%- for name in names %}
                pg_typeof(probed.{{ adapter.quote(name) }})::text as {{ adapter.quote('t' ~ loop.index) }}{% if not loop.last %},{% endif %}
            {%- endfor %}
            from (select 1) as one_row
            left join (select * from ({{ sql }}) as q limit 0) as probed on true
        {%- endset -%}
        {%- set row = run_query(probe).rows[0] -%}
        {%- for name in names -%}
            {%- do out.append({'name': name, 'type': row[loop.index0] | upper}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(out) }}
{%- endmacro %}

{#- Position of each raw row in reading order. A table freshly loaded with COPY or INSERT keeps
    its rows in physical (ctid) order, which is stable and is the load order, whereas
    row_number() over () may follow a parallel or synchronised scan. Views and other
    relations without ctid fall back to row_number() over (). -#}
{% macro postgres__input_row_number() -%}
    {%- set use_ctid = false -%}
    {%- if execute and var('events_from_source') -%}
        {%- set src = source('raw_events', 'events') -%}
        {%- set rel = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
        {%- set use_ctid = rel is not none and rel.type == 'table' -%}
    {%- endif -%}
    {%- if use_ctid -%}
        row_number() over (order by ctid)
    {%- else -%}
        row_number() over ()
    {%- endif -%}
{%- endmacro %}


{#- ---------- privacy (macros/privacy/pii.sql, erasure.sql) ------------------------------- -#}

{#- True when the session setting behavioral_segments.pii_salt holds more than blanks. -#}
{% macro postgres__pii_salt_available() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set result = run_query(
        "select coalesce(btrim(current_setting('behavioral_segments.pii_salt', true)), '') <> ''") -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#- sha256(salt || value) as lower-case hex; null stays null. The salt is a session setting,
    so it is in no compiled SQL or artifact under target/. -#}
{% macro postgres__hash_pii(expr) -%}
    encode(sha256(convert_to(
        coalesce(current_setting('behavioral_segments.pii_salt', true), '') || cast({{ expr }} as text),
        'UTF8')), 'hex')
{%- endmacro %}

{% macro postgres__scrub_properties(expr) -%}
    {%- set keys = pii_property_keys() -%}
    {%- if keys | length == 0 -%}
        {{ expr }}
    {%- else -%}
        {%- set quoted = [] -%}
        {%- for k in keys -%}
            {%- do quoted.append("'" ~ (k | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {{ postgres__helper_function('scrub_properties') }}(
            cast({{ expr }} as text),
            array[{{ quoted | join(', ') }}]::text[],
            {{ 'true' if pii_effective_mode() == 'hash' else 'false' }}
        )
    {%- endif -%}
{%- endmacro %}

{#- Erasure lists from files need DuckDB; the seed erasure_requests works here. -#}
{% macro postgres__erasure_list_relation(path) -%}
    {{ return(default__erasure_list_relation(path)) }}
{%- endmacro %}

{#- For a proposed round_double(expr, digits) dispatch macro (revenue_multiplier in
    stg_events__classified): Postgres rounds only numeric. numeric keeps NaN and +-Infinity
    (Postgres 14+), so non-finite revenue still reaches the quarantine. -#}
{% macro postgres__round_double(expr, digits) -%}
    cast(round(cast({{ expr }} as numeric), {{ digits }}) as double precision)
{%- endmacro %}
