{#- Like one_row_per_key_of, against only the rows of `to` that satisfy `where_clause`: the
    model has exactly one row per such key and no other key. E.g. the marketing export holds
    every user with consent and nobody else. Fails per key that is missing, extra or repeated. -#}
{% test one_row_per_key_of_filtered(model, column_name, to, field, where_clause) %}
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
