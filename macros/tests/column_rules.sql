{#- Checks the null and range rules of many columns of one model in a single scan.

    `columns` maps a column name to its rules:
      not_null: true          the column holds no null;
      min_value / max_value   every non-null value is >= min_value / <= max_value (SQL
                              expressions, either one optional; as in the test in_range);
      where                   a SQL condition: the column's rules apply to the rows where it
                              holds (e.g. `recency_days is not null`).
    One row is returned per broken rule: the column, the rule and how many rows break it. The
    test fails when any rule is broken, and its stored failures (`--store-failures`) name the
    columns. One test per model rather than one per column and rule: each dbt test node costs
    about 80 ms of dbt overhead besides its query, and a model's rules share one table scan.
    The test's `where` config (e.g. `__in_latest_load__`) narrows the rows as for any test.
-#}
{% test column_rules(model, columns) %}
    {%- if columns is not mapping or not columns -%}
        {{ exceptions.raise_compiler_error("column_rules: `columns` must map column names to rules") }}
    {%- endif -%}
    {%- set checks = [] -%}
    {%- for column_name, rules in columns.items() -%}
        {%- set unknown = rules.keys() | reject('in', ['not_null', 'min_value', 'max_value', 'where']) | list -%}
        {%- if unknown or not (rules.get('not_null') or rules.get('min_value') is not none or rules.get('max_value') is not none) -%}
            {{ exceptions.raise_compiler_error(
                "column_rules: column `" ~ column_name ~ "` needs not_null: true, min_value or"
                ~ " max_value (and optionally where); got " ~ (rules | tojson)) }}
        {%- endif -%}
        {%- set scope = '(' ~ rules.where ~ ') and ' if rules.get('where') else '' -%}
        {%- set condition = ' where ' ~ rules.where if rules.get('where') else '' -%}
        {%- if rules.get('not_null') -%}
            {%- do checks.append({'column': column_name, 'rule': 'not null' ~ condition,
                'broken': scope ~ column_name ~ ' is null'}) -%}
        {%- endif -%}
        {%- set bounds = [] -%}
        {%- if rules.get('min_value') is not none -%}
            {%- do bounds.append(column_name ~ ' < ' ~ rules.min_value) -%}
        {%- endif -%}
        {%- if rules.get('max_value') is not none -%}
            {%- do bounds.append(column_name ~ ' > ' ~ rules.max_value) -%}
        {%- endif -%}
        {%- if bounds -%}
            {%- do checks.append({'column': column_name,
                'rule': ('>= ' ~ rules.min_value if rules.get('max_value') is none
                    else '<= ' ~ rules.max_value if rules.get('min_value') is none
                    else 'in [' ~ rules.min_value ~ ', ' ~ rules.max_value ~ ']') ~ condition,
                'broken': scope ~ '(' ~ bounds | join(' or ') ~ ')'}) -%}
        {%- endif -%}
    {%- endfor %}
    with broken_counts as (
        select
        {%- for check in checks %}
            sum(case when {{ check.broken }} then 1 else 0 end) as broken_{{ loop.index }}
            {{- ',' if not loop.last }}
        {%- endfor %}
        from {{ model }}
    ),

    rule_list as (
        {%- for check in checks %}
        select
            {{ loop.index }} as rule_number,
            '{{ check.column }}' as column_name,
            '{{ check.rule | replace("'", "''") }}' as rule
        {{ 'union all' if not loop.last }}
        {%- endfor %}
    ),

    rule_results as (
        select
            rule_list.column_name,
            rule_list.rule,
            case rule_list.rule_number
            {%- for check in checks %}
                when {{ loop.index }} then broken_counts.broken_{{ loop.index }}
            {%- endfor %}
            end as failing_rows
        from rule_list
        cross join broken_counts
    )

    select
        column_name,
        rule,
        failing_rows
    from rule_results
    where failing_rows > 0
{% endtest %}
