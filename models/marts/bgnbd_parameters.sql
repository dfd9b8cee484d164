{#- The BG/NBD parameters every churn score uses, one row (docs/segments/churn.md):
    from the var bgnbd_params when it is set (method 'var'); else, on DuckDB, the maximum
    likelihood fit of the Python model bgnbd_fit; else (Postgres, Spark without the var)
    null parameters (method 'not_fitted'), so P(alive) and expected purchases are null.
    The log-likelihood of the parameters over this run's purchasers is computed here, in SQL,
    whatever their origin. -#}
{%- set var_params = bgnbd_params_from_var() -%}
{%- set fit_in_dbt = bgnbd_fit_in_dbt() -%}
{%- if fit_in_dbt -%}
    {#- a ref in a branch that is false at parse time creates no dependency -#}
    {%- set fitted_relation = ref('bgnbd_fit') -%}
{%- endif -%}

with

users as (
    -- each user's buy-till-you-die inputs from int_user_activity (the values fct_user_behavior
    -- copies), as bgnbd_fit reads them: the fit, this model and user_churn_risk then run
    -- beside the per-user marts, not after them and their tests
    select
        user_id,
        {{ btyd_input_columns(as_of_date()) }}
    from {{ ref('int_user_activity') }}
),

chosen_parameters as (
    {% if var_params is not none -%}
        select
            cast({{ var_params['r'] }} as {{ type_double() }}) as r,
            cast({{ var_params['alpha'] }} as {{ type_double() }}) as alpha,
            cast({{ var_params['a'] }} as {{ type_double() }}) as a,
            cast({{ var_params['b'] }} as {{ type_double() }}) as b,
            cast(null as boolean) as converged,
            'var' as method
    {%- elif fit_in_dbt -%}
        select
            r,
            alpha,
            a,
            b,
            converged,
            method
        from {{ fitted_relation }}
    {%- else -%}
        select
            cast(null as {{ type_double() }}) as r,
            cast(null as {{ type_double() }}) as alpha,
            cast(null as {{ type_double() }}) as a,
            cast(null as {{ type_double() }}) as b,
            cast(null as boolean) as converged,
            'not_fitted' as method
    {%- endif %}
),

customers as (
    -- one row per distinct (x, t_x, T) with its number of purchasers
    select
        btyd_frequency as x,
        btyd_recency_days as t_x,
        btyd_t_days as big_t,
        count(*) as customers
    from users
    where btyd_frequency is not null
    group by
        btyd_frequency,
        btyd_recency_days,
        btyd_t_days
),

log_rising as (
    -- for x = k + 1: sum_{j <= k} ln(y + j) = ln Gamma(y + x) - ln Gamma(y), y = r, b, a + b
    select
        whole_numbers.k + 1 as x,
        sum(ln(chosen_parameters.r + whole_numbers.k)) over (
            order by whole_numbers.k rows between unbounded preceding and current row
        ) as log_rising_r,
        sum(ln(chosen_parameters.b + whole_numbers.k)) over (
            order by whole_numbers.k rows between unbounded preceding and current row
        ) as log_rising_b,
        sum(ln(chosen_parameters.a + chosen_parameters.b + whole_numbers.k)) over (
            order by whole_numbers.k rows between unbounded preceding and current row
        ) as log_rising_ab
    from ({{ churn_integer_range(5) }}) as whole_numbers
    cross join chosen_parameters
    where
        chosen_parameters.r is not null
        and whole_numbers.k < (select max(customers.x) from customers)
),

customer_terms as (
    select
        customers.customers,
        customers.x,
        coalesce(log_rising.log_rising_r, 0)
        + coalesce(log_rising.log_rising_b, 0)
        - coalesce(log_rising.log_rising_ab, 0)
        + chosen_parameters.r * ln(chosen_parameters.alpha) as log_gamma_part,
        -(chosen_parameters.r + customers.x) * ln(chosen_parameters.alpha + customers.big_t) as log_a1,
        case
            when customers.x > 0
                then
                    ln(chosen_parameters.a) - ln(chosen_parameters.b + customers.x - 1)
                    - (chosen_parameters.r + customers.x) * ln(chosen_parameters.alpha + customers.t_x)
        end as log_a2
    from customers
    cross join chosen_parameters
    left join log_rising on customers.x = log_rising.x
    where chosen_parameters.r is not null
),

customer_log_likelihood as (
    -- ln(A1 + A2) = max + ln(1 + exp(min - max)); A2 = 0 when x = 0
    select
        customers,
        log_gamma_part
        + case
            when log_a2 is null then log_a1
            else
                greatest(log_a1, log_a2)
                + ln(1.0 + {{ churn_safe_exp('least(log_a1, log_a2) - greatest(log_a1, log_a2)') }})
        end as log_likelihood
    from customer_terms
),

weighted_log_likelihood as (
    select customers * log_likelihood as term
    from customer_log_likelihood
),

totals as (
    -- exact, so that two runs agree to the last bit (a sum of doubles in the order a parallel
    -- join delivers them varies); a plain sum for terms beyond the decimal's range (absurd
    -- bgnbd_params)
    select
        case
            when max(abs(term)) < 1e18 then {{ exact_sum('case when abs(term) < 1e18 then term end', 18) }}
            else sum(term)
        end as log_likelihood
    from weighted_log_likelihood
),

customer_count as (
    select cast(sum(customers) as {{ dbt.type_bigint() }}) as n_customers
    from customers
),

final as (
    select
        {{ as_of_date() }} as as_of,
        chosen_parameters.r,
        chosen_parameters.alpha,
        chosen_parameters.a,
        chosen_parameters.b,
        totals.log_likelihood,
        coalesce(customer_count.n_customers, 0) as n_customers,
        chosen_parameters.method,
        chosen_parameters.converged
    from chosen_parameters
    cross join totals
    cross join customer_count
    -- nothing is valid (as_of is null): no parameters to report
    where {{ as_of_date() }} is not null
)

select * from final
