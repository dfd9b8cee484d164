{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='event_row_id',
    on_schema_change='fail',
    post_hook=["{{ delete_rows_where('not is_cart and not is_purchase') }}"],
) }}

{#- One row per valid, unique event that is a cart event (the var cart_events) or a
    purchase, on any date (user_cart_abandonment makes the as_of cut): the timeline in which
    each cart looks for its next purchase, with the cart's value read from its properties
    (price x quantity, quantity 1 when missing). An event in both lists is both.

    Incremental by event: the rows stg_events__classified wrote since this model's last run
    are read again. New cart and purchase events are added; a loaded row that is no longer
    one (its user was erased, or it turned out to repeat another event) is written as an
    empty row, which replaces it, and the post-hook deletes it. Each row stores a
    fingerprint of the cart list and the value's SQL: when they change, the next run reads
    every event again. -#}

{%- set is_cart = 'classified.event_name in ' ~ product_event_list('cart_events') %}
{%- set cart_value = try_to_double(json_property('classified.properties', 'price'))
    ~ ' * coalesce(' ~ try_to_double(json_property('classified.properties', 'quantity')) ~ ', 1)' %}
{%- set fingerprint = definition_fingerprint([is_cart, cart_value]) %}
{%- set every_event = definition_changed(fingerprint) %}

with

classified as {{ inlined_cte() }} (
    select * from {{ ref('stg_events__classified') }}
),
{% if is_incremental() %}
read_again as {{ inlined_cte() }} (
    -- the rows written since this model's last run (new rows are appended, so the scan skips
    -- the row groups of older loads), or every row when the definitions changed
    select * from classified
    {%- if not every_event %}
    where load_batch > {{ processed_load_batch() }}
    {%- endif %}
),
{% endif %}
timeline as (
    select
        classified.event_row_id,
        classified.user_id,
        classified.event_ts,
        classified.event_date,
        coalesce({{ is_cart }}, false) as is_cart,
        classified.is_purchase,
        case when {{ is_cart }} then {{ cart_value }} end as cart_value
    from {{ 'read_again' if is_incremental() else 'classified' }} as classified
    where
        not classified.is_erased
        and classified.quarantine_reason is null
        and classified.duplicate_reason is null
        and ({{ is_cart }} or classified.is_purchase)
),
{% if is_incremental() %}
emptied as (
    -- loaded rows read again that are no cart or purchase event any more
    select
        this_model.event_row_id,
        this_model.user_id,
        this_model.event_ts,
        this_model.event_date,
        false as is_cart,
        false as is_purchase,
        cast(null as {{ type_double() }}) as cart_value
    from {{ this }} as this_model
    inner join read_again on this_model.event_row_id = read_again.event_row_id
    left join timeline on this_model.event_row_id = timeline.event_row_id
    where timeline.event_row_id is null
),

written as (
    select * from timeline
    union all
    select * from emptied
),
{% endif %}
final as (
    select
        event_row_id,
        user_id,
        event_ts,
        event_date,
        is_cart,
        is_purchase,
        cart_value,
        {{ lineage_columns(fingerprint, 'classified') }}
    from {{ 'written' if is_incremental() else 'timeline' }}
)

select * from final
