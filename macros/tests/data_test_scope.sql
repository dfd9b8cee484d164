{#- Data tests of the incremental event-grain models test the rows the latest run wrote.

    dbt wraps the model a generic test reads in get_where_subquery, which applies the test's
    `where` config. This project's version knows two placeholders, used in the `where` of the
    tests in models/staging and models/intermediate:

    - `__in_latest_load__`: the row was written by the latest run, i.e. its load_batch is the
      highest of stg_events__classified, whose rows every incremental model takes its batch
      from (`load_batch = (select max(load_batch) from stg_events__classified)`). DuckDB reads
      that maximum from the table's statistics and skips the row groups of older batches, so a
      test of the view stg_events no longer scans it (0.55 s to 0.003 s at 100M events);
    - `__same_<column>_as_latest_load__`: the row shares <column> with a row the latest run
      wrote. A uniqueness test filtered so compares every new key with every loaded row:
      a new event id that repeats one loaded a year ago still fails. Several columns are
      joined by `__and__` (`__same_user_id__and__activity_date_as_latest_load__`): the row
      shares all of them with one such row. When stg_events__classified holds a single load
      (a full build), this filter is left out.

    On a full build every row carries the same load_batch, so the filters keep every row. On an
    incremental run they keep the new and rewritten rows: a daily run tests what it wrote, not
    the 100M rows earlier runs wrote and tested. The var data_tests_scope: all turns both
    placeholders into `1 = 1` and every row is tested (docs/definitions.md, section 10).
    A separate `dbt test` tests the rows of the latest `dbt run`, as the filter reads the table.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = scope_data_test(where, relation) -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- `where` with the placeholders above replaced (unchanged when it has none). -#}
{% macro scope_data_test(where, relation) -%}
    {%- set scope = var('data_tests_scope', 'latest_load') -%}
    {%- if scope not in ['latest_load', 'all'] -%}
        {{ exceptions.raise_compiler_error(
            "var data_tests_scope must be 'latest_load' or 'all', not '" ~ scope ~ "'") }}
    {%- endif -%}
    {%- set loads_table = loads_relation(relation) -%}
    {%- set latest = '(select max(latest_load.load_batch) from ' ~ loads_table ~ ' as latest_load)' -%}
    {%- set in_latest = '1 = 1' if scope == 'all' else 'load_batch = ' ~ latest -%}
    {#- a namespace: a plain set inside the loop would not outlive it -#}
    {%- set state = namespace(where=where | replace('__in_latest_load__', in_latest), one_load=scope == 'all') -%}
    {%- set key_columns = modules.re.findall('__same_([A-Za-z0-9_]+?)_as_latest_load__', where) -%}
    {%- if key_columns and not state.one_load and execute -%}
        {#- after a full build (one load) the table is read as it is: the key filter would only
            join the table with itself -#}
        {%- set loads = run_query('select min(load_batch) = max(load_batch) from ' ~ loads_table) -%}
        {%- set state.one_load = loads.rows[0][0] in [true, none] -%}
    {%- endif -%}
    {%- for key in key_columns -%}
        {%- set columns = key.split('__and__') -%}
        {%- if state.one_load -%}
            {%- set condition = '1 = 1' -%}
        {%- else -%}
            {%- set condition -%}
                ({{ columns | join(', ') }}) in (
                    select
                        {%- for column in columns %} new_rows.{{ column }}{{ ',' if not loop.last }}{% endfor %}
                    from {{ relation }} as new_rows
                    where new_rows.load_batch = {{ latest }}
                )
            {%- endset -%}
        {%- endif -%}
        {%- set state.where = state.where | replace('__same_' ~ key ~ '_as_latest_load__', condition) -%}
    {%- endfor -%}
    {{ return(state.where) }}
{%- endmacro %}

{#- stg_events__classified, where this project builds it (its node in the graph: a ref() here
    would be a dependency dbt cannot see at parse time); `fallback` before execution. -#}
{% macro loads_relation(fallback) -%}
    {%- set node = graph.nodes.get('model.behavioral_segments.stg_events__classified') if execute else none -%}
    {%- if node is none -%}
        {{ return(fallback) }}
    {%- endif -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}
