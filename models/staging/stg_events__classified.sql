{{ config(materialized='table') }}

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
{%- set tolerance = modules.datetime.timedelta(days=var('future_tolerance_days') | int) %}
{%- set max_event_date = var('max_event_date') or (run_started_at + tolerance).strftime('%Y-%m-%d') %}

with

raw_events as (
    select
        {{ input_row_number() }} as event_row_id,
        cast({{ contract_column(resolved, 'user_id') }} as {{ dbt.type_string() }}) as user_id_raw,
        cast({{ contract_column(resolved, 'event_name') }} as {{ dbt.type_string() }}) as event_name_raw,
        {{ contract_column(resolved, 'event_ts') }} as event_ts_value,
        cast({{ contract_column(resolved, 'event_id') }} as {{ dbt.type_string() }}) as event_id_raw,
        cast({{ contract_column(resolved, 'session_id') }} as {{ dbt.type_string() }}) as session_id_raw,
        {{ contract_column(resolved, 'revenue') }} as revenue_value,
        cast({{ contract_column(resolved, 'order_id') }} as {{ dbt.type_string() }}) as order_id_raw,
        cast({{ contract_column(resolved, 'properties') }} as {{ dbt.type_string() }}) as properties_raw
    from {{ events_relation() }}
),

erasure_requests as (
    {{ erased_user_ids() }}
),

trimmed as (
    select
        *,
        {{ trim_to_null('user_id_raw') }} as user_id_clear
    from raw_events
),

identified as (
    select
        trimmed.*,
        erasure_requests.user_id is not null as is_erased
    from trimmed
    left join erasure_requests on trimmed.user_id_clear = erasure_requests.user_id
),

typed as (
    select
        event_row_id,
        is_erased,
        {{ pseudonymised('user_id_raw') }} as user_id_raw,
        {{ pseudonymised('user_id_clear') }} as user_id,
        event_name_raw,
        event_ts_value,
        revenue_value,
        properties_raw,
        -- personal keys never pass staging in clear (docs/definitions.md, section 9)
        {{ scrub_properties('properties_raw') }} as properties,
        {{ normalize_event_name('event_name_raw') }} as event_name,
        {{ to_utc_timestamp('event_ts_value', resolved['columns'].get('event_ts', {}).get('type')) }} as event_ts,
        {{ trim_to_null('event_id_raw') }} as event_id,
        {{ trim_to_null('session_id_raw') }} as session_id,
        {{ revenue_number }} as revenue,
        {{ trim_to_null('order_id_raw') }} as order_id,
        {{ trim_to_null('cast(event_ts_value as ' ~ dbt.type_string() ~ ')') }} as event_ts_text,
        {{ trim_to_null('cast(revenue_value as ' ~ dbt.type_string() ~ ')') }} as revenue_text
    from identified
),

validated as (
    select
        *,
        event_name in {{ purchase_event_list() }} as is_purchase
    from typed
),

reasoned as (
    select
        *,
        case
            when is_erased then null
            when user_id is null then 'missing_user_id'
            when event_name is null then 'missing_event_name'
            when event_ts_text is null then 'missing_event_ts'
            when event_ts is null then 'unparseable_event_ts'
            when event_ts < cast('{{ var("min_event_ts") }}' as {{ dbt.type_timestamp() }}) then 'event_ts_too_early'
            when cast(event_ts as date) > cast('{{ max_event_date }}' as date) then 'event_ts_in_future'
            when
                is_purchase and revenue_text is not null
                and (revenue is null or not {{ is_finite('revenue') }}) then 'revenue_not_numeric'
            when is_purchase and revenue < 0 then 'revenue_negative'
            when is_purchase and revenue > {{ var('max_revenue') }} then 'revenue_too_large'
        end as quarantine_reason
    from validated
),

ranked as (
    select
        *,
        not is_erased and quarantine_reason is null as is_usable,
        row_number() over (
            partition by
                not is_erased and quarantine_reason is null,
                -- raw properties: whether a row repeats another must not depend on pii_mode
                user_id, event_name, event_ts, event_id, session_id, revenue, order_id, properties_raw
            order by event_row_id
        ) as exact_copy_number,
        row_number() over (
            partition by not is_erased and quarantine_reason is null, event_id
            order by event_ts, event_row_id
        ) as event_id_copy_number
    from reasoned
),

final as (
    -- an erased row keeps its position and status only
    select
        event_row_id,
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
        quarantine_reason,
        case
            when not is_usable then null
            when exact_copy_number > 1 then 'exact_duplicate'
            when event_id is not null and event_id_copy_number > 1 then 'repeated_event_id'
        end as duplicate_reason,
        -- raw text is kept only where a person needs it: on quarantined rows
        case when quarantine_reason is not null then user_id_raw end as user_id_raw,
        case when quarantine_reason is not null then event_name_raw end as event_name_raw,
        case when quarantine_reason is not null then event_ts_text end as event_ts_raw,
        case when quarantine_reason is not null then revenue_text end as revenue_raw
    from ranked
)

select * from final
