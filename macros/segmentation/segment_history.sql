{#- Helpers of the segment history (user_segment_history, user_segments_snapshot);
    docs/segments/time.md, section 6. -#}

{#- A hook statement that removes erased users (seed erasure_requests / erasure_list_path)
    from an accumulating relation, so an erasure also reaches rows of earlier as_of dates.
    Spark's plain Parquet tables cannot delete rows: there the statement is a no-op and the
    rows of earlier as_of dates go only with a full refresh (documented). -#}
{% macro delete_erased_users_sql(relation) -%}
    {%- if target.type == 'spark' -%}
        select 1
    {%- else -%}
        delete from {{ relation }} where user_id in ({{ erased_user_ids() }})
    {%- endif -%}
{%- endmacro %}

{#- Pre-hooks of user_segments_snapshot: rewind the snapshot to the run's as_of, so that a
    rerun of an as_of already recorded (or of an earlier one) gives the same rows as a first
    run in date order. step 'delete': versions that start on or after as_of are deleted;
    step 'reopen': versions that end on or after as_of are reopened (dbt_valid_to = null).
    Then dbt's check strategy records this run's labels with dbt_valid_from = as_of.
    A no-op when the snapshot does not exist yet. -#}
{% macro rewind_segment_snapshot(relation, step) -%}
    {%- set existing = load_relation(relation) if execute else none -%}
    {%- set as_of_ts = 'cast(' ~ as_of_date() ~ ' as ' ~ dbt.type_timestamp() ~ ')' -%}
    {%- if existing is none -%}
        select 1
    {%- elif step == 'delete' -%}
        delete from {{ relation }} where dbt_valid_from >= {{ as_of_ts }}
    {%- elif step == 'reopen' -%}
        update {{ relation }} set dbt_valid_to = null where dbt_valid_to >= {{ as_of_ts }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("rewind_segment_snapshot: step must be 'delete' or 'reopen'") }}
    {%- endif -%}
{%- endmacro %}
