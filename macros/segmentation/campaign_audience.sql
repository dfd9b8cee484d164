{#- Deterministic, salted treatment / holdout split of campaign audiences
    (docs/segments/measure_act.md, section 3).

    audience_hash_hex(campaign_id, user_id): sha256 of the UTF-8 text
        salt || ':' || campaign_id || ':' || user_id as 64 lower-case hex digits; the salt is
        the var audience_salt (not a secret: it only decorrelates splits between projects).
    hex_prefix_fraction(hex_expr): the first audience_hash_digits() hex digits of hex_expr
        read as an integer and divided by 16 ^ digits, a number in [0, 1). 13 digits = 52
        bits, so the integer and the division are exact in a 64-bit float on every engine.
        Read digit by digit with position() in '0123456789abcdef', the same SQL everywhere.
    audience_group(bucket, holdout_share): 'holdout' when bucket < holdout_share, else
        'treatment'. -#}

{% macro audience_hash_digits() -%}
    {{ return(13) }}
{%- endmacro %}

{% macro audience_salt() -%}
    {{ return(var('audience_salt', 'behavioral_segments-audiences')) }}
{%- endmacro %}

{% macro audience_hash_hex(campaign_id, user_id) -%}
    {%- set salt_literal = "'" ~ (audience_salt() | replace("'", "''")) ~ ":'" -%}
    {{ return(adapter.dispatch('sha256_hex', 'behavioral_segments')(
        salt_literal ~ " || cast(" ~ campaign_id ~ " as " ~ dbt.type_string() ~ ") || ':' || cast("
        ~ user_id ~ " as " ~ dbt.type_string() ~ ")")) }}
{%- endmacro %}

{#- sha256 of the UTF-8 bytes of a text as 64 lower-case hex digits. -#}
{% macro default__sha256_hex(expr) -%}
    encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro duckdb__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}

{% macro postgres__sha256_hex(expr) -%}
    encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro spark__sha256_hex(expr) -%}
    sha2({{ expr }}, 256)
{%- endmacro %}

{% macro hex_prefix_fraction(hex_expr) -%}
    {%- set digits = audience_hash_digits() -%}
    (
        cast(
            {%- for i in range(digits) %}
            ({{ dbt.position('substr(' ~ hex_expr ~ ', ' ~ (i + 1) ~ ', 1)', "'0123456789abcdef'") }} - 1)
            * cast({{ 16 ** (digits - 1 - i) }} as {{ dbt.type_bigint() }})
            {%- if not loop.last %} +{% endif %}
            {%- endfor %}
            as {{ type_double() }}
        ) / cast({{ 16 ** digits }} as {{ type_double() }})
    )
{%- endmacro %}

{% macro audience_group(bucket, holdout_share) -%}
    case when {{ bucket }} < {{ holdout_share }} then 'holdout' else 'treatment' end
{%- endmacro %}

{% macro audience_group_labels() -%}
    {{ return(['treatment', 'holdout']) }}
{%- endmacro %}
