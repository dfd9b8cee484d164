{#- How the event-grain and user-day models are materialised (docs/definitions.md, section 10).
    Incremental where the engine can delete rows of a table: DuckDB and Postgres. Spark's
    default Parquet tables cannot delete, so there these models are rebuilt in full each run
    (set the var spark_incremental to true on a Delta / Iceberg catalogue to make them
    incremental there too). The var full_rebuild forces full rebuilds everywhere. -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'behavioral_segments')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('table' if var_flag('full_rebuild', false) else 'incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('incremental' if var_flag('spark_incremental', false) and not var_flag('full_rebuild', false) else 'table') }}
{%- endmacro %}

{#- a = b, where two nulls are equal too. -#}
{% macro null_safe_equal(a, b) -%}
    {{ return(adapter.dispatch('null_safe_equal', 'behavioral_segments')(a, b)) }}
{%- endmacro %}

{% macro default__null_safe_equal(a, b) -%}
    ({{ a }} is not distinct from {{ b }})
{%- endmacro %}

{% macro spark__null_safe_equal(a, b) -%}
    ({{ a }} <=> {{ b }})
{%- endmacro %}

{#- The highest load_batch of stg_events__classified an intermediate model has taken in, read
    from the model itself (0 before its first run). -#}
{% macro processed_load_batch() -%}
    (select coalesce(max(load_batch), 0) from {{ this }})
{%- endmacro %}

{#- post-hook of the incremental intermediate models: a key whose every event went away (an
    erased user, or events that turned out to repeat others) is written as an empty row by the
    incremental run, which replaces the old one; this removes those empty rows. -#}
{% macro delete_empty_rows(count_column) -%}
    {{ delete_rows_where(count_column ~ ' = 0') }}
{%- endmacro %}

{#- The same for a model whose empty rows are told by a condition. -#}
{% macro delete_rows_where(condition) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ condition }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- This run's load batch: its start time as a number (yyyymmddhhmmss), so batches only grow,
    across full refreshes too. Rows stg_events__classified writes in a run carry it. -#}
{% macro load_batch_id() -%}
    {{ run_started_at.strftime('%Y%m%d%H%M%S') }}
{%- endmacro %}

{#- The key of the order a purchase event belongs to: `order:<order_id>`, or
    `event:<event_row_id>` for a purchase without an order id. -#}
{% macro order_key(order_id, event_row_id) -%}
    coalesce('order:' || {{ order_id }}, 'event:' || cast({{ event_row_id }} as {{ dbt.type_string() }}))
{%- endmacro %}

{#- How a relation BI tools read is materialised: a table, or with the var bi_parquet_exports
    on DuckDB a Parquet file under the profile's external_root (env
    BEHAVIORAL_SEGMENTS_EXPORT_DIR, default ./exports) plus a view over it, so BI tools read
    files and never hold a lock on the DuckDB file while dbt runs. -#}
{% macro bi_materialization() -%}
    {{ return('external' if var_flag('bi_parquet_exports', false) and target.type == 'duckdb' else 'table') }}
{%- endmacro %}

{#- A hash of some columns, equal for rows whose columns are equal (nulls included). Rows
    with different values may share one (a collision): it is used only to find the few rows
    that may repeat another before ranking them exactly. -#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'behavioral_segments')(columns)) }}
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    md5(concat_ws('|'
    {%- for column in columns -%}
        , coalesce(cast({{ column }} as {{ dbt.type_string() }}), '~')
    {%- endfor -%}
    ))
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__row_fingerprint(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}

{#- `materialized` before a CTE read by several parts of a query, where the engine supports it
    (DuckDB, Postgres): the CTE is computed once instead of once per reader. -#}
{% macro materialized_cte() -%}
    {{ cte_hint('materialized') }}
{%- endmacro %}

{#- `not materialized` before a CTE read by several parts of a query, where the engine would
    otherwise compute it once and hold every row (DuckDB, Postgres): each reader streams it. -#}
{% macro inlined_cte() -%}
    {{ cte_hint('not materialized') }}
{%- endmacro %}

{#- A CTE's materialisation keyword where the engine has one (DuckDB, Postgres), else nothing. -#}
{% macro cte_hint(hint) -%}
    {{ return(adapter.dispatch('cte_hint', 'behavioral_segments')(hint)) }}
{%- endmacro %}

{% macro default__cte_hint(hint) -%}
{%- endmacro %}

{% macro duckdb__cte_hint(hint) -%}
    {{ hint }}
{%- endmacro %}

{% macro postgres__cte_hint(hint) -%}
    {{ hint }}
{%- endmacro %}

{#- The user-days an incremental user-day model computes again (a CTE body, named
    touched_days by the model): the days of rows the CTE `classified` (over
    stg_events__classified) wrote since the model's last run, or every user-day when
    `every_day`, and the days of users erased since then, read from the model itself. -#}
{% macro touched_user_days(classified, every_day=false) -%}
    select distinct
        user_id,
        event_date as activity_date
    from {{ classified }}
    where
        {%- if not every_day %}
        load_batch > {{ processed_load_batch() }} and
        {%- endif %}
        user_id is not null and event_date is not null
    union
    {{ stored_keys_of_erased_users(['user_id', 'activity_date']) }}
{%- endmacro %}

{#- The given key columns of the model's own rows (`this`) of the users erased since its last
    run (a select): the keys an incremental model writes again, emptied, so that its
    delete+insert and post-hook remove them. -#}
{% macro stored_keys_of_erased_users(columns) -%}
    select
        {%- for column in columns %}
        this_model.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ this }} as this_model
    inner join ({{ erased_user_ids() }}) as erased
        on this_model.user_id = {{ pseudonymised('erased.user_id') }}
{%- endmacro %}

{#- The distinct values of a fingerprint column an upstream model stores, joined by ','
    (read when the model runs; '' before execution, before that model exists, and in a unit
    test, whose ref() is a CTE name). A per-user model puts them in its own fingerprint, so
    that it sums every user again when the upstream model recomputed every row. -#}
{% macro stored_fingerprints(relation, column='definition_fingerprint') -%}
    {%- if not execute
        or relation.identifier is not defined or relation.identifier is none or relation.schema is none
        or adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set values = [] -%}
    {%- for row in run_query('select distinct ' ~ column ~ ' from ' ~ relation).rows -%}
        {%- do values.append(row[0] | string) -%}
    {%- endfor -%}
    {{ return(values | sort | join(',')) }}
{%- endmacro %}

{#- The users an incremental per-user model computes again: those with rows
    stg_events__classified wrote since the model's last run (new events, events found to
    repeat others) and those erased since then; with every_user, each user of `all_users`
    (a CTE or relation with user_id) and of the model. -#}
{% macro touched_users(every_user=false, all_users=none) -%}
    {%- if every_user %}
        select distinct user_id
        from {{ all_users }}
        union
        select user_id
        from {{ this }}
    {%- else %}
        select distinct user_id
        from {{ ref('stg_events__classified') }}
        where load_batch > {{ processed_load_batch() }} and user_id is not null
        union
        {{ stored_keys_of_erased_users(['user_id']) }}
    {%- endif %}
{%- endmacro %}

{#- Per user with rows stg_events__classified wrote since the model's last run, the earliest
    event date of those rows (a CTE body). A per-user model whose stored last active day comes
    before it only gains days after that day: it adds them to what it holds. -#}
{% macro first_changed_dates() -%}
    select
        user_id,
        min(event_date) as first_changed_date
    from {{ ref('stg_events__classified') }}
    where load_batch > {{ processed_load_batch() }} and user_id is not null
    group by user_id
{%- endmacro %}

{#- Whether a user of the CTE changed_from (first_changed_dates) only gains days after the last
    active day the model holds for them (`stored_last_date`, null for a new user): the
    condition on the CTE appending_users of a per-user model; never when every user is
    computed again. -#}
{% macro appends_after(stored_last_date, every_user=false) -%}
    {%- if every_user -%}
        1 = 0
    {%- else -%}
        {{ stored_last_date }} is null or changed_from.first_changed_date > {{ stored_last_date }}
    {%- endif -%}
{%- endmacro %}

{#- The smaller / larger of two values, either of which may be null (then the other): the
    stored and the new first signup of an appending user, say. Spelled out, as least() and
    greatest() return null for a null argument on some engines. -#}
{% macro null_safe_least(a, b) -%}
    case when {{ b }} is null or {{ a }} <= {{ b }} then coalesce({{ a }}, {{ b }}) else {{ b }} end
{%- endmacro %}

{% macro null_safe_greatest(a, b) -%}
    case when {{ b }} is null or {{ a }} >= {{ b }} then coalesce({{ a }}, {{ b }}) else {{ b }} end
{%- endmacro %}

{#- The touched users (CTE touched_users) that are not in the CTE appending_users: a CTE body.
    The model computes them again from all their rows. -#}
{% macro recounted_users() -%}
    select touched_users.user_id
    from touched_users
    left join appending_users on touched_users.user_id = appending_users.user_id
    where appending_users.user_id is null
{%- endmacro %}

{#- The valid, unique events of the CTE `classified` (not erased, not quarantined, not a
    repeat); in an incremental run only those of the user-days of the CTE touched_days. -#}
{% macro valid_classified_events(classified) -%}
    select {{ classified }}.*
    from {{ classified }}
    {%- if is_incremental() %}
    inner join touched_days
        on
            {{ classified }}.user_id = touched_days.user_id
            and {{ classified }}.event_date = touched_days.activity_date
    {%- endif %}
    where
        not {{ classified }}.is_erased
        and {{ classified }}.quarantine_reason is null
        and {{ classified }}.duplicate_reason is null
{%- endmacro %}

{#- The fingerprint of the SQL that derives an incremental model's var-driven columns: md5 of
    their compiled text, which holds the vars' values (event lists, property keys, limits).
    Each row stores it; definition_changed(fingerprint) is true in an incremental run when a
    stored row was derived otherwise, and the model then computes every key again, so that a
    changed var never leaves old rows derived the old way. -#}
{% macro definition_fingerprint(definitions) -%}
    {{ return(local_md5(definitions | join('\n'))) }}
{%- endmacro %}

{% macro definition_changed(fingerprint, column='definition_fingerprint') -%}
    {{ return(any_stored_row(column ~ " <> '" ~ fingerprint ~ "'")) }}
{%- endmacro %}

{#- In an incremental run: true when a stored row was computed at a later as_of than this
    run's (the var as_of set back, or the latest valid event erased), so that a model whose
    rows depend on where as_of fell (pending carts) computes every key again. -#}
{% macro as_of_moved_back(column) -%}
    {{ return(any_stored_row(column ~ ' > (select as_of from ' ~ ref('stg_run_context') ~ ')')) }}
{%- endmacro %}

{#- In an incremental run: whether any row the model already holds meets `condition` (false
    in a full build, and while parsing). -#}
{% macro any_stored_row(condition) -%}
    {%- if not (is_incremental() and execute) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query('select count(*) from ' ~ this ~ ' where ' ~ condition) -%}
    {{ return(found.rows[0][0] > 0) }}
{%- endmacro %}

{#- The two lineage columns an incremental model writes last: the fingerprint of what defined
    its rows (definition_fingerprint), and the run's load batch: the highest of
    stg_events__classified, read from `batches` (a CTE of it) or from the model itself. -#}
{% macro lineage_columns(fingerprint, batches=none) -%}
    '{{ fingerprint }}' as definition_fingerprint,
    (select max(classified.load_batch) from {{ batches or ref('stg_events__classified') }} as classified) as load_batch
{%- endmacro %}

{#- Post-hook of every model (dbt_project.yml): fresh planner statistics for a table the run
    just wrote. Postgres plans with none until autovacuum gets to a new table, and then
    reads a table of 80K rows as a few pages: a data test's `in (subquery)` ran as a nested
    loop for over 15 minutes. DuckDB and Spark keep their statistics as they write: nothing. -#}
{% macro analyze_relation() -%}
    {{ return(adapter.dispatch('analyze_relation', 'behavioral_segments')()) }}
{%- endmacro %}

{% macro default__analyze_relation() -%}
{%- endmacro %}

{% macro postgres__analyze_relation() -%}
    {%- if config.get('materialized') in ['table', 'incremental'] -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
