{#- Churn risk per user (docs/segments/churn.md): a rule-based band from declining
    engagement, and for purchasers the BG/NBD probability of being alive and expected
    purchases in the next bgnbd_horizon_days days. -#}
{%- set horizon = bgnbd_horizon_days() -%}
{%- set min_gaps = var('churn_min_gaps', 2) -%}
{%- set max_error = var('bgnbd_max_truncation_error', 1e-9) -%}
{#- the truncation error of 2F1 carried through the factors of E[Y] -#}
{%- set error_bound -%}
    (p_alive * abs((a + b + x - 1) / nullif(a - 1, 0))
        * {{ churn_safe_exp('hyp_a * (ln(alpha + big_t) - ln(alpha + big_t + ' ~ horizon ~ '))') }}
        * hyp2f1_tail_bound)
{%- endset -%}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

activity as (
    -- the user's gaps between active days, summed up by int_user_activity
    select
        user_id,
        gap_count,
        median_gap_days
    from {{ ref('int_user_activity') }}
),

parameters as (
    select * from {{ ref('bgnbd_parameters') }}
),

engagement as (
    select
        users.user_id,
        users.as_of,
        users.days_since_first_seen,
        users.days_since_last_seen,
        users.active_days_total,
        users.active_days_28d,
        users.active_days_prev_28d,
        users.btyd_frequency,
        users.btyd_recency_days,
        users.btyd_t_days,
        coalesce(activity.gap_count, 0) as gap_count,
        -- median gap: the middle gap, or the mean of the two middle ones when their number is even
        case
            when activity.gap_count >= {{ min_gaps }} then activity.median_gap_days
        end as typical_gap_days
    from users
    left join activity on users.user_id = activity.user_id
),

banded as (
    select
        user_id,
        typical_gap_days,
        coalesce(
            typical_gap_days,
            cast({{ var('churn_default_gap_days', 7) }} as {{ type_double() }})
        ) as reference_gap_days,
        {{ churn_risk_band(reference_gap_days='coalesce(typical_gap_days, ' ~ var('churn_default_gap_days', 7) ~ ')') }}
            as churn_risk_band
    from engagement
),

purchasers as (
    -- the distinct (x, t_x, T) of this run, with the parameters and the 2F1 arguments
    select distinct
        users.btyd_frequency as x,
        users.btyd_recency_days as t_x,
        users.btyd_t_days as big_t,
        parameters.r,
        parameters.alpha,
        parameters.a,
        parameters.b,
        parameters.r + users.btyd_frequency as hyp_a,
        parameters.b + users.btyd_frequency as hyp_b,
        parameters.a + parameters.b + users.btyd_frequency - 1 as hyp_c,
        {{ horizon }} / (parameters.alpha + users.btyd_t_days + {{ horizon }}) as hyp_z
    from users
    cross join parameters
    where
        users.btyd_frequency is not null
        and parameters.r is not null
),

series_inputs as (
    -- 2F1's arguments depend on x and T only, not on t_x: one series per distinct (x, T)
    -- (7,981 instead of 138,321 at 100M events, about 10 s less)
    select distinct
        x,
        big_t,
        hyp_a,
        hyp_b,
        hyp_c,
        hyp_z
    from purchasers
),

hypergeometric as (
    {{ bgnbd_hyp2f1_series('series_inputs', ['x', 'big_t'], var('bgnbd_hyp2f1_terms', 200)) }}
),

scored as (
    select
        purchasers.x,
        purchasers.t_x,
        purchasers.big_t,
        {{ bgnbd_p_alive('purchasers.x', 'purchasers.t_x', 'purchasers.big_t',
                         'purchasers.r', 'purchasers.alpha', 'purchasers.a', 'purchasers.b') }} as p_alive,
        purchasers.r,
        purchasers.alpha,
        purchasers.a,
        purchasers.b,
        purchasers.hyp_a,
        hypergeometric.hyp2f1,
        hypergeometric.hyp2f1_tail_bound
    from purchasers
    inner join hypergeometric
        on
            purchasers.x = hypergeometric.x
            and purchasers.big_t = hypergeometric.big_t
),

forecast as (
    select
        x,
        t_x,
        big_t,
        p_alive,
        -- never a number less accurate than bgnbd_max_truncation_error
        case
            when {{ error_bound }} <= {{ max_error }}
                then {{ bgnbd_expected_purchases('x', 'big_t', horizon, 'r', 'alpha', 'a', 'b', 'p_alive', 'hyp2f1') }}
        end as expected_purchases_next_n_days,
        {{ error_bound }} as expected_purchases_error_bound
    from scored
),

final as (
    select
        engagement.user_id,
        engagement.as_of,
        ---------- rule-based band
        engagement.days_since_first_seen,
        engagement.days_since_last_seen,
        engagement.active_days_total,
        engagement.active_days_28d,
        engagement.active_days_prev_28d,
        engagement.gap_count,
        banded.typical_gap_days,
        banded.reference_gap_days,
        banded.churn_risk_band,
        ---------- BG/NBD (purchasers only)
        engagement.btyd_frequency,
        engagement.btyd_recency_days,
        engagement.btyd_t_days,
        forecast.p_alive,
        {{ horizon }} as bgnbd_horizon_days,
        forecast.expected_purchases_next_n_days,
        forecast.expected_purchases_error_bound
    from engagement
    inner join banded on engagement.user_id = banded.user_id
    left join forecast
        on
            engagement.btyd_frequency = forecast.x
            and engagement.btyd_recency_days = forecast.t_x
            and engagement.btyd_t_days = forecast.big_t
)

select * from final
