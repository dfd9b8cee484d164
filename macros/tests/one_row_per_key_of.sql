{#- The model has exactly one row for each distinct key of another relation (optionally only
    its rows matching where_clause), and no other rows: e.g. one row per user that has a clean
    event, or the marketing export holds every user with consent and nobody else. Fails per
    key that is missing, extra or repeated. -#}
{% test one_row_per_key_of(model, column_name, to, field, where_clause='1 = 1') %}
    with
    expected as (
        select distinct {{ field }} as key_value from {{ to }} where {{ where_clause }}
    ),
    actual as (
        select {{ column_name }} as key_value, count(*) as occurrences
        from {{ model }}
        group by {{ column_name }}
    )
    select
        coalesce(expected.key_value, actual.key_value) as key_value,
        coalesce(actual.occurrences, 0) as occurrences,
        expected.key_value is not null as expected_present
    from expected
    full outer join actual on expected.key_value = actual.key_value
    where expected.key_value is null
        or actual.key_value is null
        or actual.occurrences != 1
{% endtest %}
