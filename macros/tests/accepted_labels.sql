{#- Like accepted_values, but quotes each value safely (segment names such as
    "Can't Lose Them" contain quotes). Fails per unexpected label with its row count. -#}
{% test accepted_labels(model, column_name, values) %}
    select
        {{ column_name }} as unexpected_label,
        count(*) as occurrences
    from {{ model }}
    where {{ column_name }} is not null
        and {{ column_name }} not in (
            {%- for v in values %}
            '{{ v | replace("'", "''") }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
    group by {{ column_name }}
{% endtest %}
