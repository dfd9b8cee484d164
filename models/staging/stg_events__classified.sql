-- sqlfluff:indentation:template_blocks_indent:False
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='event_row_id',
    on_schema_change='fail',
) }}

{#- Every raw row once, typed, with the first quarantine reason that applies and, for the
    rows that pass, whether they repeat an earlier row. The status models downstream
    (stg_events, stg_events_quarantine, stg_events_duplicates, stg_events_after_as_of)
    are filters of this one table, so a row can never land in two of them or in none. -#}

{%- set resolved = event_input_columns() %}
{#- revenue_multiplier scales e.g. cents to units; rounding keeps 1999 * 0.01 at 19.99 -#}
{%- set revenue_number = try_to_double('revenue_value') %}
{%- if var('revenue_multiplier') | float != 1 %}
    {%- set revenue_number = round_double(revenue_number ~ ' * ' ~ var('revenue_multiplier'), 9) %}
{%- endif %}
{#- Raw values as text are kept on quarantined rows only, so only those rows pay for the
    conversion; whether a value is present needs no text when the input column is already a
    timestamp or a number. -#}
{%- set event_ts_text = trim_to_null('cast(event_ts_value as ' ~ dbt.type_string() ~ ')') %}
{%- set revenue_text = trim_to_null('cast(revenue_value as ' ~ dbt.type_string() ~ ')') %}
{%- set event_ts_type = (resolved['columns'].get('event_ts', {}).get('type') or '') | upper %}
{%- set revenue_type = (resolved['columns'].get('revenue', {}).get('type') or '') | upper %}
{%- set typed_kinds = [
    'TIMESTAMP', 'TIMESTAMPTZ', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMP_NTZ', 'TIMESTAMP_LTZ', 'DATE',
    'DOUBLE', 'FLOAT', 'REAL', 'DECIMAL', 'NUMERIC', 'INT', 'INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'HUGEINT',
] %}
{%- set event_ts_present = 'event_ts_value is not null' if event_ts_type.split('(')[0].split(' ')[0] in typed_kinds
    else event_ts_text ~ ' is not null' %}
{%- set revenue_present = 'revenue_value is not null' if revenue_type.split('(')[0].split(' ')[0] in typed_kinds
    else revenue_text ~ ' is not null' %}
{%- set event_ts_typed = to_utc_timestamp('event_ts_value', resolved['columns'].get('event_ts', {}).get('type')) %}
{%- set tolerance = modules.datetime.timedelta(days=var('future_tolerance_days') | int) %}
{%- set max_event_date = var('max_event_date') or (run_started_at + tolerance).strftime('%Y-%m-%d') %}
{#- Parquet files on DuckDB: the files to read and their row offsets (none: number every raw
    row with row_number(); macros/utils/read_events.sql) -#}
{%- set file_plan = input_file_plan(resolved['found']) %}
{%- set row_position = 'input_files.row_offset + raw_input.file_row_number + 1' if file_plan is not none
    else input_row_number() %}
{%- set row_file = 'input_files.file_name' if file_plan is not none else 'cast(null as ' ~ dbt.type_string() ~ ')' %}
{#- a usable row repeating all of these of an earlier usable row is an exact copy; properties_hash
    is of the raw text, so whether a row repeats another does not depend on pii_mode -#}
{%- set copy_columns = ['user_id', 'event_name', 'event_ts', 'event_id', 'session_id', 'revenue', 'order_id', 'properties_hash'] %}

with
{% if is_incremental() %}
loaded as (
    select
        coalesce(max(event_row_id), 0) as max_event_row_id
    from {{ this }}
),
{% endif %}
{#- numbered once where the numbers come from row_number(): each reader of an inlined CTE
    would number the rows again -#}
numbered_events as {{ materialized_cte() if file_plan is none else inlined_cte() }} (
    select
        {{ row_position }} as event_row_id,
        {{ row_file }} as source_file,
        cast({{ contract_column(resolved, 'user_id') }} as {{ dbt.type_string() }}) as user_id_raw,
        cast({{ contract_column(resolved, 'event_name') }} as {{ dbt.type_string() }}) as event_name_raw,
        {{ contract_column(resolved, 'event_ts') }} as event_ts_value,
        cast({{ contract_column(resolved, 'event_id') }} as {{ dbt.type_string() }}) as event_id_raw,
        cast({{ contract_column(resolved, 'session_id') }} as {{ dbt.type_string() }}) as session_id_raw,
        {{ contract_column(resolved, 'revenue') }} as revenue_value,
        cast({{ contract_column(resolved, 'order_id') }} as {{ dbt.type_string() }}) as order_id_raw,
        cast({{ contract_column(resolved, 'properties') }} as {{ dbt.type_string() }}) as properties_raw
    {{ input_file_rows(file_plan) }}
),

raw_events as {{ inlined_cte() }} (
    select * from numbered_events
    {%- if is_incremental() and file_plan is none %}
    where event_row_id > (select loaded.max_event_row_id from loaded)
    {%- endif %}
),

erasure_requests as (
    {{ erased_user_ids() }}
),

keyed as {{ inlined_cte() }} (
    -- copy_key: equal for usable rows that repeat each other exactly or share an event id
    -- (same event id, or without one the same user and time); rows with different values may
    -- share one too, as it is a hash
    select
        *,
        {{ trim_to_null('user_id_raw') }} as user_id_clear,
        case
            when {{ trim_to_null('event_id_raw') }} is not null
                then {{ row_fingerprint([trim_to_null('event_id_raw')]) }}
            else {{ row_fingerprint([trim_to_null('user_id_raw'), event_ts_typed]) }}
        end as copy_key
    from raw_events
),

repeated_copy_keys as (
    select copy_key
    from keyed
    group by copy_key
    having count(*) > 1
),
{#- The rows are typed and checked twice: all of them, streamed into the table, and the few
    whose copy_key repeats, which are ranked. Ranking only these gives every row its exact
    rank, as every row sharing its values or its event id with another is among them; and no
    engine has to hold every typed row until the repeats are known. Held, they spilled 12 GB
    to disk at 100M events: this query alone took 286 s and 16.3 GB there, now 162 s and 6.2 GB
    (at 10M both take about 15 s). -#}
{%- for rows in ['candidate', 'every'] %}

{{ rows }}_identified as {{ inlined_cte() }} (
    select
        keyed.*,
        erasure_requests.user_id is not null as is_erased
    from keyed
    left join erasure_requests on keyed.user_id_clear = erasure_requests.user_id
    {%- if rows == 'candidate' %}
    where keyed.copy_key in (select repeated_copy_keys.copy_key from repeated_copy_keys)
    {%- endif %}
),

{{ rows }}_typed as {{ inlined_cte() }} (
    select
        event_row_id,
        source_file,
        is_erased,
        {{ pseudonymised('user_id_raw') }} as user_id_raw,
        {{ pseudonymised('user_id_clear') }} as user_id,
        event_name_raw,
        event_ts_value,
        revenue_value,
        -- the raw properties end here: nothing below reads them
        -- personal keys never pass staging in clear (docs/definitions.md, section 9)
        {{ scrub_properties('properties_raw') }} as properties,
        -- the raw text's fingerprint: later runs compare new rows with loaded ones on it
        {{ dbt.hash('properties_raw') }} as properties_hash,
        {{ normalize_event_name('event_name_raw') }} as event_name,
        {{ event_ts_typed }} as event_ts,
        {{ trim_to_null('event_id_raw') }} as event_id,
        {{ trim_to_null('session_id_raw') }} as session_id,
        {{ revenue_number }} as revenue,
        {{ trim_to_null('order_id_raw') }} as order_id,
        {{ event_ts_present }} as has_event_ts,
        {{ revenue_present }} as has_revenue
    from {{ rows }}_identified
),

{{ rows }}_validated as {{ inlined_cte() }} (
    select
        *,
        event_name in {{ purchase_event_list() }} as is_purchase
    from {{ rows }}_typed
),

{{ rows }}_reasoned as {{ inlined_cte() }} (
    select
        *,
        case
            when is_erased then null
            when user_id is null then 'missing_user_id'
            when event_name is null then 'missing_event_name'
            when not has_event_ts then 'missing_event_ts'
            when event_ts is null then 'unparseable_event_ts'
            when event_ts < cast('{{ var("min_event_ts") }}' as {{ dbt.type_timestamp() }}) then 'event_ts_too_early'
            when cast(event_ts as date) > cast('{{ max_event_date }}' as date) then 'event_ts_in_future'
            when
                is_purchase and has_revenue
                and (revenue is null or not {{ is_finite('revenue') }}) then 'revenue_not_numeric'
            when is_purchase and revenue < 0 then 'revenue_negative'
            when is_purchase and revenue > {{ var('max_revenue') }} then 'revenue_too_large'
        end as quarantine_reason
    from {{ rows }}_validated
),
{%- endfor %}

candidate_ranks as (
    select
        event_row_id,
        row_number() over (partition by {{ copy_columns | join(', ') }} order by event_row_id) as exact_copy_number,
        row_number() over (partition by event_id order by event_ts, event_row_id) as event_id_copy_number
    from candidate_reasoned
    where not is_erased and quarantine_reason is null
),

ranked as (
    select
        every_reasoned.*,
        not every_reasoned.is_erased and every_reasoned.quarantine_reason is null as is_usable,
        coalesce(candidate_ranks.exact_copy_number, 1) as exact_copy_number,
        coalesce(candidate_ranks.event_id_copy_number, 1) as event_id_copy_number
    from every_reasoned
    left join candidate_ranks on every_reasoned.event_row_id = candidate_ranks.event_row_id
),

new_rows as (
    -- an erased row keeps its position and status only
    select
        event_row_id,
        source_file,
        is_erased,
        case when not is_erased then user_id end as user_id,
        case when not is_erased then event_name end as event_name,
        case when not is_erased then event_ts end as event_ts,
        case when not is_erased then cast(event_ts as date) end as event_date,
        case when not is_erased then event_id end as event_id,
        case when not is_erased then session_id end as session_id,
        case when not is_erased then revenue end as revenue,
        case when not is_erased then order_id end as order_id,
        case when not is_erased then properties end as properties,
        coalesce(is_purchase and not is_erased, false) as is_purchase,
        case when not is_erased then properties_hash end as properties_hash,
        quarantine_reason,
        case
            when not is_usable then null
            when exact_copy_number > 1 then 'exact_duplicate'
            when event_id is not null and event_id_copy_number > 1 then 'repeated_event_id'
        end as duplicate_reason,
        -- raw text is kept only where a person needs it: on quarantined rows
        case when quarantine_reason is not null then user_id_raw end as user_id_raw,
        case when quarantine_reason is not null then event_name_raw end as event_name_raw,
        case when quarantine_reason is not null then {{ event_ts_text }} end as event_ts_raw,
        case when quarantine_reason is not null then {{ revenue_text }} end as revenue_raw
    from ranked
),
{% if is_incremental() %}
newly_erased as (
    -- loaded rows of users whose erasure request came after they were loaded
    select
        loaded_rows.event_row_id,
        loaded_rows.source_file,
        loaded_rows.event_id,
        loaded_rows.quarantine_reason
    from {{ this }} as loaded_rows
    inner join erasure_requests on loaded_rows.user_id = {{ pseudonymised('erasure_requests.user_id') }}
    where not loaded_rows.is_erased
),

contested_event_ids as (
    -- event ids whose keeper may change: taken by a new usable row, or freed by an erased one
    select event_id from new_rows
    where quarantine_reason is null and not is_erased and event_id is not null
    union
    select event_id from newly_erased
    where quarantine_reason is null and event_id is not null
),

contested_loaded_rows as {{ materialized_cte() }} (
    -- loaded usable rows whose stored event id hash is a contested id's, found on the number
    -- alone. Each step is held so that no engine reorders them: a lookup that read the rows'
    -- other columns too decoded them for every block holding a near match of its filter (at
    -- 100M events 830K rows, 9.3 s of scan, for no actual match; now 1.3 s)
    select loaded_rows.event_row_id
    from {{ this }} as loaded_rows
    where
        not loaded_rows.is_erased
        and loaded_rows.quarantine_reason is null
        and loaded_rows.event_id_hash in (
            select {{ row_fingerprint(['contested_event_ids.event_id']) }} from contested_event_ids
        )
),

contested_loaded as {{ materialized_cte() }} (
    select loaded_rows.*
    from {{ this }} as loaded_rows
    where loaded_rows.event_row_id in (select contested_loaded_rows.event_row_id from contested_loaded_rows)
),

usable_loaded as (
    -- loaded usable rows holding a contested event id (the only loaded rows a run rewrites,
    -- besides the newly erased): the rows found above, with the id compared as text
    select contested_loaded.*
    from contested_loaded
    where
        contested_loaded.event_id in (select contested_event_ids.event_id from contested_event_ids)
        and not exists (select 1 from newly_erased where newly_erased.event_row_id = contested_loaded.event_row_id)
),

contenders as (
    -- every usable row, loaded or new, holding a contested event id
    select
        event_row_id,
        event_ts,
        event_id,
        duplicate_reason = 'exact_duplicate' as is_exact_copy,
        false as is_new
    from usable_loaded
    union all
    select
        event_row_id,
        event_ts,
        event_id,
        duplicate_reason = 'exact_duplicate' as is_exact_copy,
        true as is_new
    from new_rows
    where
        quarantine_reason is null and not is_erased
        and event_id in (select contested_event_ids.event_id from contested_event_ids)
),

new_usable_rows as (
    select *
    from new_rows
    where quarantine_reason is null and not is_erased
),

exact_copies_of_loaded as (
    -- new rows repeating a loaded usable row exactly (the loaded one always comes first); a
    -- loaded row of a newly erased user cannot match, as that user's new rows are erased too.
    -- Only loaded rows within the new rows' time span can match: bounding event_ts keeps the
    -- join's hash table to those (at 10M events, on a history in time order: 5.9 s to 2.3 s)
    select distinct new_usable_rows.event_row_id
    from new_usable_rows
    inner join {{ this }} as loaded_rows
        on
            new_usable_rows.user_id = loaded_rows.user_id
            and new_usable_rows.event_ts = loaded_rows.event_ts
            and new_usable_rows.event_name = loaded_rows.event_name
            and {{ null_safe_equal('new_usable_rows.event_id', 'loaded_rows.event_id') }}
            and {{ null_safe_equal('new_usable_rows.session_id', 'loaded_rows.session_id') }}
            and {{ null_safe_equal('new_usable_rows.revenue', 'loaded_rows.revenue') }}
            and {{ null_safe_equal('new_usable_rows.order_id', 'loaded_rows.order_id') }}
            and {{ null_safe_equal('new_usable_rows.properties_hash', 'loaded_rows.properties_hash') }}
    where
        not loaded_rows.is_erased
        and loaded_rows.quarantine_reason is null
        and loaded_rows.event_ts >= (select min(new_usable_rows.event_ts) from new_usable_rows)
        and loaded_rows.event_ts <= (select max(new_usable_rows.event_ts) from new_usable_rows)
),

event_id_ranks as (
    select
        event_row_id,
        is_new,
        is_exact_copy,
        row_number() over (partition by event_id order by event_ts, event_row_id) as event_id_copy_number
    from contenders
),

redecided as (
    -- loaded rows holding a contested event id: keeper or repeat, decided again
    select
        usable_loaded.event_row_id,
        usable_loaded.source_file,
        usable_loaded.is_erased,
        usable_loaded.user_id,
        usable_loaded.event_name,
        usable_loaded.event_ts,
        usable_loaded.event_date,
        usable_loaded.event_id,
        usable_loaded.session_id,
        usable_loaded.revenue,
        usable_loaded.order_id,
        usable_loaded.properties,
        usable_loaded.is_purchase,
        usable_loaded.properties_hash,
        usable_loaded.quarantine_reason,
        case
            when event_id_ranks.is_exact_copy then 'exact_duplicate'
            when event_id_ranks.event_id_copy_number > 1 then 'repeated_event_id'
        end as duplicate_reason,
        usable_loaded.user_id_raw,
        usable_loaded.event_name_raw,
        usable_loaded.event_ts_raw,
        usable_loaded.revenue_raw
    from usable_loaded
    inner join event_id_ranks
        on usable_loaded.event_row_id = event_id_ranks.event_row_id and not event_id_ranks.is_new
),

blanked as (
    select
        event_row_id,
        source_file,
        true as is_erased,
        {%- for column in ['user_id', 'event_name'] %}
        cast(null as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        cast(null as {{ dbt.type_timestamp() }}) as event_ts,
        cast(null as date) as event_date,
        {%- for column in ['event_id', 'session_id'] %}
        cast(null as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        cast(null as {{ type_double() }}) as revenue,
        {%- for column in ['order_id', 'properties'] %}
        cast(null as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        false as is_purchase,
        {%- for column in ['properties_hash', 'quarantine_reason', 'duplicate_reason', 'user_id_raw', 'event_name_raw', 'event_ts_raw'] %}
        cast(null as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as revenue_raw
    from newly_erased
),

decided_new as (
    select
        new_rows.event_row_id,
        new_rows.source_file,
        new_rows.is_erased,
        new_rows.user_id,
        new_rows.event_name,
        new_rows.event_ts,
        new_rows.event_date,
        new_rows.event_id,
        new_rows.session_id,
        new_rows.revenue,
        new_rows.order_id,
        new_rows.properties,
        new_rows.is_purchase,
        new_rows.properties_hash,
        new_rows.quarantine_reason,
        case
            when exact_copies_of_loaded.event_row_id is not null then 'exact_duplicate'
            when new_rows.duplicate_reason = 'exact_duplicate' then 'exact_duplicate'
            when event_id_ranks.event_id_copy_number > 1 then 'repeated_event_id'
            when event_id_ranks.event_row_id is null then new_rows.duplicate_reason
        end as duplicate_reason,
        new_rows.user_id_raw,
        new_rows.event_name_raw,
        new_rows.event_ts_raw,
        new_rows.revenue_raw
    from new_rows
    left join exact_copies_of_loaded on new_rows.event_row_id = exact_copies_of_loaded.event_row_id
    left join event_id_ranks on new_rows.event_row_id = event_id_ranks.event_row_id and event_id_ranks.is_new
),

decided as (
    select * from decided_new
    union all
    select * from redecided
    union all
    select * from blanked
),
{% endif %}
final as (
    select
        *,
        -- a number per event id: a new id is looked up among every loaded one on this column,
        -- not on the text (the latest-load uniqueness test at 100M events: 10 s to about 1 s)
        case when event_id is not null then {{ row_fingerprint(['event_id']) }} end as event_id_hash,
        cast({{ load_batch_id() }} as {{ dbt.type_bigint() }}) as load_batch
    from {{ 'decided' if is_incremental() else 'new_rows' }}
)

select * from final
