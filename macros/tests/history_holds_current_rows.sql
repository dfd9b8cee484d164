{#- An as_of-keyed history (e.g. user_segment_history) holds, for the as_of of `to`, exactly
    one row per key of `to` (e.g. user_segments) and no other row. Fails per missing, extra
    or repeated key. -#}
{% test history_holds_current_rows(model, column_name, to) %}
    with
    current_as_of as (
        select max(as_of) as as_of from {{ to }}
    ),
    expected as (
        select distinct {{ column_name }} as key_value from {{ to }}
    ),
    actual as (
        select history.{{ column_name }} as key_value, count(*) as occurrences
        from {{ model }} as history
        inner join current_as_of on history.as_of = current_as_of.as_of
        group by history.{{ column_name }}
    )
    select
        coalesce(expected.key_value, actual.key_value) as key_value,
        coalesce(actual.occurrences, 0) as occurrences
    from expected
    full outer join actual on expected.key_value = actual.key_value
    where expected.key_value is null
        or actual.key_value is null
        or actual.occurrences != 1
{% endtest %}
