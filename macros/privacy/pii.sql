{#- Personal data in the event log (docs/definitions.md, section 9).

    hash_pii(expr): sha256(salt || value) as lower-case hex text; null stays null. The salt is
        the environment variable BEHAVIORAL_SEGMENTS_PII_SALT ('' when unset), so the same
        value hashes the same in every run with the same salt, and cannot be looked up in a
        table of hashed e-mail addresses without it.
    pii_salt_available(): true when that variable is set to something other than blanks.
    scrub_properties(expr): the JSON text `expr` with every top-level key named in the var
        `pii_properties` hashed (var `pii_mode: hash`, the default, and a salt is set) or
        removed (`pii_mode: drop`, or no salt). Absent keys stay absent, a key holding JSON
        null is removed, text that is not a JSON object passes through unchanged, null stays
        null. Objects without any of the keys are returned exactly as they came. -#}

{% macro pii_salt() -%}
    {{ return(env_var('BEHAVIORAL_SEGMENTS_PII_SALT', '')) }}
{%- endmacro %}

{% macro pii_salt_available() -%}
    {{ return(adapter.dispatch('pii_salt_available', 'behavioral_segments')()) }}
{%- endmacro %}

{% macro default__pii_salt_available() -%}
    {{ return((pii_salt() | trim) != '') }}
{%- endmacro %}

{#- On DuckDB the salt lives only in the session variable the plugin sets: reading it with
    env_var() here would make dbt store its value in target/partial_parse.msgpack. -#}
{% macro duckdb__pii_salt_available() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set result = run_query("select trim(coalesce(getvariable('pii_salt'), '')) != ''") -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#- The salt as an SQL string literal: quotes doubled (standard SQL). -#}
{% macro pii_salt_literal() -%}
    {{ return(adapter.dispatch('pii_salt_literal', 'behavioral_segments')()) }}
{%- endmacro %}

{% macro default__pii_salt_literal() -%}
    '{{ pii_salt() | replace("'", "''") }}'
{%- endmacro %}

{% macro hash_pii(expr) -%}
    {{ return(adapter.dispatch('hash_pii', 'behavioral_segments')(expr)) }}
{%- endmacro %}

{% macro default__hash_pii(expr) -%}
    encode(sha256(convert_to({{ pii_salt_literal() }} || cast({{ expr }} as {{ dbt.type_string() }}), 'UTF8')), 'hex')
{%- endmacro %}

{% macro duckdb__hash_pii(expr) -%}
    {#- the salt is a session variable set by scripts/duckdb_pii_salt.py: it never appears in
        compiled SQL or dbt's artifacts -#}
    sha256(getvariable('pii_salt') || cast({{ expr }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro spark__hash_pii(expr) -%}
    {#- the salt is a session configuration set from the environment by profiles.yml and read
        with ${...} substitution: it never appears in compiled SQL or dbt's artifacts
        (macros/engines/spark.sql) -#}
    {{ spark_salted_sha256(expr) }}
{%- endmacro %}

{#- The var pii_properties as a list of key names (a single name may be given as text). -#}
{% macro pii_property_keys() -%}
    {%- set keys = var('pii_properties', ['email', 'phone', 'name', 'first_name', 'last_name', 'address', 'ip']) -%}
    {%- if keys is none -%}{%- set keys = [] -%}{%- endif -%}
    {%- if keys is string -%}{%- set keys = [keys] -%}{%- endif -%}
    {%- for k in keys -%}
        {%- if k is not string or (k | trim) == '' or '"' in k or '\\' in k -%}
            {{ exceptions.raise_compiler_error(
                "pii_properties: each entry must be a JSON key name without double quotes or backslashes; got " ~ (k | string)) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#- 'hash' or 'drop': what scrub_properties does with the keys in this run. -#}
{% macro pii_effective_mode() -%}
    {%- set mode = (var('pii_mode', 'hash') or 'hash') | string | trim | lower -%}
    {%- if mode not in ['hash', 'drop'] -%}
        {{ exceptions.raise_compiler_error("The var `pii_mode` must be 'hash' or 'drop'; got '" ~ mode ~ "'.") }}
    {%- endif -%}
    {%- if mode == 'hash' and not pii_salt_available() -%}
        {#- an unsalted hash of an e-mail address is found again by hashing a list of addresses -#}
        {%- set mode = 'drop' -%}
    {%- endif -%}
    {{ return(mode) }}
{%- endmacro %}

{% macro scrub_properties(expr) -%}
    {{ return(adapter.dispatch('scrub_properties', 'behavioral_segments')(expr)) }}
{%- endmacro %}

{% macro default__scrub_properties(expr) -%}
    {{ exceptions.raise_compiler_error(
        "scrub_properties (the var `pii_properties`) is not supported on " ~ target.type ~
        " yet; it runs on DuckDB.") }}
{%- endmacro %}

{% macro duckdb__scrub_properties(expr) -%}
    {%- set keys = pii_property_keys() -%}
    {%- if keys | length == 0 -%}
        {{ expr }}
    {%- else -%}
        {%- set mode = pii_effective_mode() -%}
        {%- set paths = [] -%}
        {%- for k in keys -%}
            {%- do paths.append("'$.\"" ~ (k | replace("'", "''")) ~ "\"'") -%}
        {%- endfor -%}
        {#- RFC 7396 merge patch: a key set to null is removed, others are replaced; keys the
            patch does not name keep their values (nested objects included). -#}
        {%- set patch_entries = [] -%}
        {%- for k in keys -%}
            {%- set value -%}
                {%- if mode == 'hash' -%}
                    {{ hash_pii('json_extract_string(' ~ expr ~ ', ' ~ paths[loop.index0] ~ ')') }}
                {%- else -%}
                    cast(null as varchar)
                {%- endif -%}
            {%- endset -%}
            {%- do patch_entries.append("'" ~ (k | replace("'", "''")) ~ "', " ~ value) -%}
        {%- endfor -%}
        {#- fast path: a text holding none of the keys as "key" and no \u escape (a key could be
            spelt with escapes) cannot have them, and needs no JSON parsing -#}
        {%- set mentions = [] -%}
        {%- for k in keys -%}
            {%- do mentions.append("contains(" ~ expr ~ ", '\"" ~ (k | replace("'", "''")) ~ "\"')") -%}
        {%- endfor -%}
        case
            when {{ expr }} is null then {{ expr }}
            when not ({{ mentions | join(' or ') }} or contains({{ expr }}, '\u')) then {{ expr }}
            when not coalesce(json_valid({{ expr }}), false) then {{ expr }}
            when json_type({{ expr }}) != 'OBJECT' then {{ expr }}
            when
                {% for p in paths -%}
                    json_exists({{ expr }}, {{ p }}){% if not loop.last %} or {% endif %}
                {%- endfor %}
                then cast(json_merge_patch({{ expr }}, json_object({{ patch_entries | join(', ') }})) as varchar)
            else {{ expr }}
        end
    {%- endif -%}
{%- endmacro %}
