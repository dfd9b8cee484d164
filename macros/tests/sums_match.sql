{#- The sum of a column equals the sum of an expression over another relation, within a
    relative tolerance (float sums depend on addition order). Used to reconcile revenue from
    the clean events to every mart.

    With per_key (a key column both relations have, e.g. user_id), the sums must also agree
    key by key: both sides are also summed weighted by a 60- to 64-bit number of each row's
    key (key_number), exactly. For a whole-number column this checks, but for a chance of
    about 2^-60, that every key has the same total on both sides, and so that the model holds
    the same keys as the other relation's rows with a non-zero total, without grouping
    either side (int_user_activity's active days against int_user_days_history's 17M
    user-days at 100M events). A key total of 0 on both sides, or a null key, is not seen;
    the model's own tests check its key. -#}
{% test sums_match(model, column_name, to, expression, where_clause='1 = 1', tolerance=0.000001, per_key=none) %}
    with
    this_side as (
        {{ sums_match_side(column_name, model, '1 = 1', per_key) }}
    ),
    other_side as (
        {{ sums_match_side(expression, to, where_clause, per_key) }}
    )
    select this_side.total as model_total, other_side.total as compared_total
    from this_side
    cross join other_side
    where abs(this_side.total - other_side.total)
        > {{ tolerance }} * greatest(1, abs(other_side.total))
        {%- if per_key %}
        or this_side.keyed_total != other_side.keyed_total
        {%- endif %}
{% endtest %}

{#- One side of sums_match: the sum of `expression` over `relation`'s rows matching
    where_clause, and with per_key the sum weighted by key_number(per_key). -#}
{% macro sums_match_side(expression, relation, where_clause, per_key) -%}
    select
        coalesce(sum({{ expression }}), 0) as total
        {%- if per_key %},
        coalesce(sum(cast({{ key_number(per_key) }} as decimal(38, 0)) * ({{ expression }})), 0) as keyed_total
        {%- endif %}
    from {{ relation }}
    where {{ where_clause }}
{%- endmacro %}
