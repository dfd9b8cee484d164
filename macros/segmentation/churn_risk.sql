{#- Churn risk: a rule-based band from declining engagement, and the BG/NBD model's
    P(alive) and expected purchases (docs/segments/churn.md). -#}


{#- Rule-based churn-risk band; first match wins (vars, defaults):
      churned  days_since_last_seen >= churn_days (90), as lifecycle_stage 'churned'
      new      days_since_first_seen < new_user_days (14): too little history to judge
      high     days_since_last_seen >= greatest(churn_high_gap_multiple (3) * reference_gap,
                                                churn_min_silence_days (7))
               or active_days_prev_28d > 0 and
                  active_days_28d < churn_high_decline_ratio (0.25) * active_days_prev_28d
      medium   the same with churn_medium_gap_multiple (1.5) and churn_medium_decline_ratio (0.5)
      low      otherwise
    reference_gap is the user's median gap between consecutive active days, or
    churn_default_gap_days (7) when the user has fewer than churn_min_gaps (2) gaps.
    Arguments are column names (or expressions) of the calling query. -#}
{% macro churn_risk_band(
    days_since_first_seen='days_since_first_seen',
    days_since_last_seen='days_since_last_seen',
    active_days_28d='active_days_28d',
    active_days_prev_28d='active_days_prev_28d',
    reference_gap_days='reference_gap_days'
) -%}
    {%- set min_silence = var('churn_min_silence_days', 7) -%}
    case
        when {{ days_since_last_seen }} >= {{ var('churn_days', 90) }} then 'churned'
        when {{ days_since_first_seen }} < {{ var('new_user_days', 14) }} then 'new'
        when {{ days_since_last_seen }} >= greatest(
                {{ var('churn_high_gap_multiple', 3) }} * {{ reference_gap_days }}, {{ min_silence }}
            )
            or (
                {{ active_days_prev_28d }} > 0
                and {{ active_days_28d }} < {{ var('churn_high_decline_ratio', 0.25) }} * {{ active_days_prev_28d }}
            )
            then 'high'
        when {{ days_since_last_seen }} >= greatest(
                {{ var('churn_medium_gap_multiple', 1.5) }} * {{ reference_gap_days }}, {{ min_silence }}
            )
            or (
                {{ active_days_prev_28d }} > 0
                and {{ active_days_28d }} < {{ var('churn_medium_decline_ratio', 0.5) }} * {{ active_days_prev_28d }}
            )
            then 'medium'
        else 'low'
    end
{%- endmacro %}

{#- Every label churn_risk_band() can give. -#}
{% macro churn_risk_band_labels() -%}
    {{ return(['churned', 'new', 'high', 'medium', 'low']) }}
{%- endmacro %}


{#- exp(expr) that never fails: 0 below -700 (Postgres raises an underflow error where the
    other engines return 0), null above 700 (an overflow). -#}
{% macro churn_safe_exp(expr) -%}
    case
        when ({{ expr }}) < -700 then 0.0
        when ({{ expr }}) > 700 then null
        else exp({{ expr }})
    end
{%- endmacro %}


{#- The whole numbers 0 .. 10^digits - 1 as a query with one column k (portable: a cross
    join of digit lists). -#}
{% macro churn_integer_range(digits) -%}
    {%- set digit_values -%}
        select 0 as d{% for i in range(1, 10) %} union all select {{ i }} as d{% endfor %}
    {%- endset -%}
    select
        {% for i in range(digits) -%}
            d{{ i }}.d * {{ 10 ** i }}{% if not loop.last %} + {% endif %}
        {%- endfor %} as k
    from ({{ digit_values }}) as d0
    {%- for i in range(1, digits) %}
    cross join ({{ digit_values }}) as d{{ i }}
    {%- endfor %}
{%- endmacro %}


{#- A user's buy-till-you-die inputs in daily periods (docs/definitions.md, section 4), from
    the columns purchase_days, first_purchase_date and last_purchase_date (fct_user_behavior,
    int_user_activity) and the as_of date: three select-list columns. bgnbd_fit.py writes the
    same three in its own SQL (a Python model cannot call a macro); keep them in step. -#}
{% macro btyd_input_columns(as_of) -%}
    case when purchase_days > 0 then purchase_days - 1 end as btyd_frequency,
    {{ days_between('first_purchase_date', 'last_purchase_date') }} as btyd_recency_days,
    {{ days_between('first_purchase_date', as_of) }} as btyd_t_days
{%- endmacro %}


{#- The var bgnbd_params ({r, alpha, a, b}, all > 0) checked, or none when unset. -#}
{% macro bgnbd_params_from_var() -%}
    {%- set params = var('bgnbd_params', none) -%}
    {%- if params is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if params is not mapping -%}
        {{ exceptions.raise_compiler_error("bgnbd_params must be a mapping {r, alpha, a, b}, got " ~ params) }}
    {%- endif -%}
    {%- for key in ['r', 'alpha', 'a', 'b'] -%}
        {%- if key not in params or params[key] is none or params[key] is string or params[key] <= 0 -%}
            {{ exceptions.raise_compiler_error("bgnbd_params." ~ key ~ " must be a number > 0, got " ~ params) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(params) }}
{%- endmacro %}


{#- True when bgnbd_parameters comes from the Python model bgnbd_fit: DuckDB (the only
    engine here that runs dbt Python models) and the var bgnbd_params unset. Keep in step
    with the `enabled` config of bgnbd_fit in _churn__models.yml. -#}
{% macro bgnbd_fit_in_dbt() -%}
    {{ return(target.type == 'duckdb' and var('bgnbd_params', none) is none) }}
{%- endmacro %}


{#- The forecast horizon t in days (var bgnbd_horizon_days, default 30), checked. -#}
{% macro bgnbd_horizon_days() -%}
    {%- set horizon = var('bgnbd_horizon_days', 30) -%}
    {%- if horizon is string or horizon <= 0 -%}
        {{ exceptions.raise_compiler_error("bgnbd_horizon_days must be a number > 0, got " ~ horizon) }}
    {%- endif -%}
    {{ return(horizon) }}
{%- endmacro %}


{#- P(alive | x, t_x, T) of the BG/NBD model (Fader, Hardie & Lee 2005):
        1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))
    computed as 1 / (1 + exp(L)) with L in logs, so large x never overflows; 1 when x = 0;
    null when x or a parameter is null. -#}
{% macro bgnbd_p_alive(x, t_x, big_t, r, alpha, a, b) -%}
    {%- set log_odds -%}
        (ln({{ a }}) - ln({{ b }} + {{ x }} - 1)
            + ({{ r }} + {{ x }}) * (ln({{ alpha }} + {{ big_t }}) - ln({{ alpha }} + {{ t_x }})))
    {%- endset -%}
    case
        when {{ x }} is null or {{ r }} is null or {{ alpha }} is null or {{ a }} is null or {{ b }} is null
            then null
        when {{ x }} = 0 then 1.0
        when {{ log_odds }} > 700 then 0.0
        when {{ log_odds }} < -700 then 1.0
        else 1.0 / (1.0 + exp({{ log_odds }}))
    end
{%- endmacro %}


{#- E[Y(t) | x, t_x, T] of the BG/NBD model, expected purchase periods in (T, T + t]:
        p_alive * (a + b + x - 1) / (a - 1)
                * (1 - ((alpha + T) / (alpha + T + t))^(r + x)
                       * 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t)))
    with p_alive and hyp2f1 (the Gaussian hypergeometric function at those arguments)
    computed by the caller; null when a = 1 (the formula's removable singularity). -#}
{% macro bgnbd_expected_purchases(x, big_t, horizon, r, alpha, a, b, p_alive, hyp2f1) -%}
    {{ p_alive }}
    * ({{ a }} + {{ b }} + {{ x }} - 1) / nullif({{ a }} - 1, 0)
    * (
        1 - {{ churn_safe_exp(
            '(' ~ r ~ ' + ' ~ x ~ ') * (ln(' ~ alpha ~ ' + ' ~ big_t ~ ') - ln(' ~ alpha ~ ' + ' ~ big_t ~ ' + ' ~ horizon ~ '))'
        ) }} * {{ hyp2f1 }}
    )
{%- endmacro %}


{#- A query giving the Gaussian hypergeometric function 2F1(hyp_a, hyp_b; hyp_c; hyp_z)
    truncated to its first n_terms + 1 terms, for every row of the relation `inputs`
    (columns: the key columns, hyp_a > 0, hyp_b > 0, hyp_c, 0 < hyp_z < 1):

        2F1 ~= sum_{n = 0..N} t_n,  t_0 = 1,
        t_{n+1} = t_n * rho_n,  rho_n = (hyp_a + n) (hyp_b + n) / ((hyp_c + n) (n + 1)) * hyp_z

    Each term is exp(sum of ln|rho_k|) with its sign from the number of negative ratios
    (rho_k < 0 only while hyp_c + k < 0), an ordered running sum per key, so the query is
    plain SQL on every engine. Also returns hyp2f1_tail_bound, a bound on what the left-out
    terms add up to: |t_N| * q / (1 - q) with q = max(|rho_N|, hyp_z), valid once the ratios
    are monotone in n (they tend to hyp_z), null when q >= 1. hyp2f1 is null when some
    hyp_c + k = 0 (a pole) or a term overflows.
    Output columns: the keys, hyp2f1, hyp2f1_tail_bound. -#}
{% macro bgnbd_hyp2f1_series(inputs, keys, n_terms) -%}
    {%- set n_terms = n_terms | int -%}
    {%- if n_terms < 1 or n_terms > 9999 -%}
        {{ exceptions.raise_compiler_error("bgnbd_hyp2f1_terms must be between 1 and 9999, got " ~ n_terms) }}
    {%- endif -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set digits = (n_terms | string) | length -%}
    {%- set ratio -%}
        (series_inputs.hyp_a + term_index.k) * (series_inputs.hyp_b + term_index.k)
        / nullif((series_inputs.hyp_c + term_index.k) * (term_index.k + 1), 0)
        * series_inputs.hyp_z
    {%- endset -%}
    {%- set next_ratio -%}
        abs((hyp_a + {{ n_terms }}) * (hyp_b + {{ n_terms }})
            / nullif((hyp_c + {{ n_terms }}) * ({{ n_terms }} + 1), 0) * hyp_z)
    {%- endset -%}
    select
        {{ key_list }},
        case
            when count(log_abs_term) < {{ n_terms }} then null
            when max(log_abs_term) > 700 then null
            else 1.0 + sum(term_sign * {{ churn_safe_exp('log_abs_term') }})
        end as hyp2f1,
        case
            when max(case when k = {{ n_terms - 1 }} then q end) >= 1 then null
            else max(case when k = {{ n_terms - 1 }} then {{ churn_safe_exp('log_abs_term') }} * q / (1 - q) end)
        end as hyp2f1_tail_bound
    from (
        select
            {{ key_list }},
            k,
            q,
            sum(ln(abs(ratio))) over (
                partition by {{ key_list }} order by k rows between unbounded preceding and current row
            ) as log_abs_term,
            case
                when mod(sum(case when ratio < 0 then 1 else 0 end) over (
                        partition by {{ key_list }} order by k rows between unbounded preceding and current row
                    ), 2) = 1
                    then -1.0
                else 1.0
            end as term_sign
        from (
            select
                {% for key in keys -%}
                    series_inputs.{{ key }},
                {% endfor -%}
                term_index.k,
                case when {{ next_ratio }} > hyp_z then {{ next_ratio }} else hyp_z end as q,
                case when {{ ratio }} <> 0 then {{ ratio }} end as ratio
            from {{ inputs }} as series_inputs
            cross join ({{ churn_integer_range(digits) }}) as term_index
            where term_index.k < {{ n_terms }}
        ) as ratios
    ) as terms
    group by {{ key_list }}
{%- endmacro %}
