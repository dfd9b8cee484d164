-- Within each segment dimension the segments partition the users: users add up to all users,
-- shares to 1, and revenue to all revenue.
with

summary as (
    select
        segment_dimension,
        sum(users) as users,
        sum(share_of_users) as share_of_users,
        sum(revenue) as revenue
    from {{ ref('segment_summary') }}
    group by segment_dimension
),

totals as (
    select
        count(*) as users,
        coalesce(sum(revenue), 0) as revenue
    from {{ ref('user_segments') }}
)

select summary.*
from summary
cross join totals
where
    summary.users != totals.users
    or abs(summary.share_of_users - 1) > 0.000001
    or abs(summary.revenue - totals.revenue) > 0.000001 * greatest(1, totals.revenue)
