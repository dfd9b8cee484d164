{#- The sum of a column equals the sum of an expression over another relation, within a
    relative tolerance (float sums depend on addition order). Used to reconcile revenue from
    the clean events to every mart. -#}
{% test sums_match(model, column_name, to, expression, where_clause='1 = 1', tolerance=0.000001) %}
    with
    this_side as (
        select coalesce(sum({{ column_name }}), 0) as total from {{ model }}
    ),
    other_side as (
        select coalesce(sum({{ expression }}), 0) as total from {{ to }} where {{ where_clause }}
    )
    select this_side.total as model_total, other_side.total as compared_total
    from this_side
    cross join other_side
    where abs(this_side.total - other_side.total)
        > {{ tolerance }} * greatest(1, abs(other_side.total))
{% endtest %}
