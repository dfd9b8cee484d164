{#- Type-2 history of each user's segment labels (docs/segments/time.md, section 6).
    Check strategy on the var segment_dimensions; the timestamp of a change is the run's
    as_of (updated_at = snapshot_as_of), never the wall clock, so a backfill over past as_of
    dates in date order gives the same rows on every run. Reruns rewind first (pre-hooks).
    Not built on Spark: dbt-spark snapshots need Delta / Iceberg / Hudi tables. -#}

{% snapshot user_segments_snapshot %}

{%- set dimensions = var('segment_dimensions', ['rfm_segment', 'usage_tier', 'lifecycle_stage']) %}

{{ config(
    unique_key='user_id',
    strategy='check',
    check_cols=dimensions,
    updated_at='snapshot_as_of',
    enabled=(target.type != 'spark'),
    pre_hook=[
        "{{ rewind_segment_snapshot(this, 'delete') }}",
        "{{ rewind_segment_snapshot(this, 'reopen') }}",
    ],
    post_hook=["{{ delete_erased_users_sql(this) }}"],
) }}

{%- set recorded = load_relation(this) if execute else none %}

with

labels as (
    select
        user_id,
        cast(as_of as {{ dbt.type_timestamp() }}) as snapshot_as_of,
        {%- for dimension in dimensions %}
            cast({{ dimension }} as {{ dbt.type_string() }}) as {{ dimension }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('user_segments') }}
)

select labels.*
from labels
{%- if recorded is not none %}
-- only the users whose labels differ from their open version, or who have none: the rows
-- the check strategy records. dbt then compares, hashes and joins those alone, not every
-- user twice over (at 100M events a day changes the labels of a few percent of 600K
-- users). Users without a row here are not closed: hard deletes are not tracked (the
-- post-hook removes erased users). The pre-hooks' rewind runs before this select.
where not exists (
    select 1
    from {{ this }} as open_versions
    where
        open_versions.dbt_valid_to is null
        and open_versions.user_id = labels.user_id
        {%- for dimension in dimensions %}
        and {{ null_safe_equal('open_versions.' ~ dimension, 'labels.' ~ dimension) }}
        {%- endfor %}
)
{%- endif %}

{% endsnapshot %}
