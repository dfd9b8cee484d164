{#- What each user's purchases say about the benefit sought: discounts, and the price level
    of the items bought (docs/segments/occasion_benefits_loyalty.md, section 2). One row per
    user. stg_events is read once, purchases only. -#}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

purchase_events as (
    select
        user_id,
        -- the order rule of int_orders: (user_id, order_id), or the event alone without one
        coalesce(
            'order:' || order_id,
            'event:' || cast(event_row_id as {{ dbt.type_string() }})
        ) as order_key,
        properties
    from {{ ref('stg_events') }}
    where is_purchase
),

purchase_items as (
    select
        user_id,
        order_key,
        {{ has_discount_flag('properties') }} as has_discount,
        {{ item_price('properties') }} as item_price,
        {{ item_quantity('properties') }} as item_quantity
    from purchase_events
),

order_benefits as (
    -- money as exact decimals so the average does not depend on the order rows are added in
    select
        user_id,
        order_key,
        max(has_discount) as is_discounted,
        sum(
            case
                when item_price is not null
                    then cast(item_price * item_quantity as decimal(38, 9))
            end
        ) as priced_value,
        sum(
            case
                when item_price is not null
                    then cast(item_quantity as decimal(38, 9))
            end
        ) as priced_quantity
    from purchase_items
    group by user_id, order_key
),

user_benefits as (
    select
        user_id,
        count(*) as orders,
        count(case when is_discounted = 1 then 1 end) as discounted_orders,
        cast(sum(priced_value) as {{ type_double() }}) as priced_item_value,
        cast(sum(priced_quantity) as {{ type_double() }}) as priced_item_quantity
    from order_benefits
    group by user_id
),

joined as (
    select
        users.user_id,
        users.as_of,
        coalesce(user_benefits.orders, 0) as orders,
        coalesce(user_benefits.discounted_orders, 0) as discounted_orders,
        user_benefits.priced_item_value,
        user_benefits.priced_item_quantity
    from users
    left join user_benefits on users.user_id = user_benefits.user_id
),

shares as (
    select
        *,
        case
            when orders > 0 then discounted_orders / cast(orders as {{ type_double() }})
        end as discount_order_share,
        case
            when priced_item_quantity > 0 then priced_item_value / priced_item_quantity
        end as avg_item_price
    from joined
),

final as (
    select
        user_id,
        as_of,
        orders,
        ---------- discounts
        discounted_orders,
        discount_order_share,
        {{ benefit_segment() }} as benefit_segment,
        ---------- price level
        priced_item_quantity,
        priced_item_value,
        avg_item_price,
        {{ price_band() }} as price_band
    from shares
)

select * from final
