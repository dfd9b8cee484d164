"""BG/NBD parameters (r, alpha, a, b) by maximum likelihood, fitted in the dbt run.

DuckDB only: dbt-duckdb runs this file in-process (``def model(dbt, session)``). Other
engines cannot run Python models; there ``bgnbd_parameters`` reads the var ``bgnbd_params``
instead (docs/segments/churn.md). The model is enabled in ``_churn__models.yml`` only on
DuckDB and only when that var is not set.

The model: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative
to the Pareto/NBD model", Marketing Science 24(2). Per purchaser, x = repeat purchase
periods, t_x = period of the last purchase, T = periods since the first purchase (daily
periods here: fct_user_behavior.btyd_frequency / btyd_recency_days / btyd_t_days).

    LL(r, alpha, a, b) = sum_i [ ln G(r + x) - ln G(r) + r ln alpha
                                 + ln G(a + b) + ln G(b + x) - ln G(b) - ln G(a + b + x)
                                 + ln( (alpha + T)^-(r + x)
                                       + [x > 0] a / (b + x - 1) (alpha + t_x)^-(r + x) ) ]

x is a whole number, so every ln-Gamma difference is a finite sum,
ln G(y + x) - ln G(y) = sum_{k < x} ln(y + k), and no special function is needed.

It is maximised over (ln r, ln alpha, ln a, ln b) on the distinct (x, t_x, T) triples
weighted by their customer counts (numpy only): a coarse Nelder-Mead simplex search, then
Newton's method (analytic gradient, Hessian by central differences of it) to where the
gradient vanishes, so the result does not depend on where the search stopped. Without a
maximum Newton's method can find (a Hessian that is not negative definite), the simplex
alone, restarted from the best point until a restart no longer improves the
log-likelihood. At 100M events (139K triples): 2.2 s to 0.9 s, 753 to about 270
evaluations of the log-likelihood plus 9 gradients per Newton step.
"""

from __future__ import annotations

import math

import numpy as np

MIN_CUSTOMERS = 20  # default of the var bgnbd_min_purchasers: fewer purchasers, no fit
# a parameter beyond e^+-MAX_LOG_PARAM means the likelihood has no interior maximum on this data
# (e.g. nobody bought twice, or two customers): no parameters rather than absurd ones
MAX_LOG_PARAM = 20.0
START = (1.0, 1.0, 1.0, 1.0)  # r, alpha, a, b; alpha is rescaled to the data (below)
MAX_ITERATIONS = 20000  # per Nelder-Mead run
MAX_RESTARTS = 20
X_TOLERANCE = 1e-10  # simplex size in ln-parameters
# spread of the simplex's log-likelihoods, relative to the best one: an absolute 1e-10 on a
# log-likelihood of -6e5 (40k purchasers) is below double precision, so the search ran to
# MAX_ITERATIONS (20,000 iterations, 61 s at 10M events) for the point it had at iteration 376
F_TOLERANCE = 1e-10
# the coarse search before Newton's method: near enough for Newton to converge from. Newton
# ends at the same maximum from a coarser start (at 100M events the parameters agree to 1e-15
# relative) in as many steps: 3e-2 / 1e-5 instead of 1e-3 / 1e-7 took the fit from 142 to 59
# iterations, 1.4 s to 1.0 s
SEARCH_X_TOLERANCE = 3e-2
SEARCH_F_TOLERANCE = 1e-5
NEWTON_ITERATIONS = 50
NEWTON_TOLERANCE = 1e-11  # largest Newton step in ln-parameters at the maximum
HESSIAN_STEP = 1e-5  # central differences of the gradient, in ln-parameters
SEARCH_BOUND = 30.0  # neither search goes beyond |ln parameter| = this


def _dot(left: np.ndarray, right: np.ndarray) -> float:
    """Sum of the products, without BLAS. numpy's dot hands long vectors to OpenBLAS, which
    splits them over as many threads as there are cores: the sum then depends on the machine
    (the fit's last digit did), and its threads kept spinning for the rest of the dbt run (at
    100M events 1.0 s of CPU in a 1.0 s fit, taken from the queries running beside it)."""
    return float(np.sum(np.multiply(left, right)))


def _log_rising(y: float, x_max: int) -> np.ndarray:
    """[sum_{k<x} ln(y + k) for x = 0 .. x_max] = ln G(y + x) - ln G(y)."""
    return _sums_up_to(np.log(y + np.arange(x_max)))


def _rising_reciprocal(y: float, x_max: int) -> np.ndarray:
    """[sum_{k<x} 1 / (y + k) for x = 0 .. x_max]: the derivative of _log_rising in y."""
    return _sums_up_to(1.0 / (y + np.arange(x_max)))


def _sums_up_to(terms: np.ndarray) -> np.ndarray:
    """[sum of the first x terms for x = 0 .. len(terms)]."""
    out = np.zeros(len(terms) + 1)
    out[1:] = np.cumsum(terms)
    return out


def bgnbd_log_likelihood(params, x, t_x, big_t, weights) -> float:
    """Total log-likelihood of the BG/NBD model; x whole numbers, weights customer counts."""
    r, alpha, a, b = (float(p) for p in params)
    if min(r, alpha, a, b) <= 0:
        return -math.inf
    x = np.asarray(x, dtype=np.int64)
    x_max = int(x.max())
    gamma_part = (
        _log_rising(r, x_max)[x]
        + _log_rising(b, x_max)[x]
        - _log_rising(a + b, x_max)[x]
    )
    log_a1 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_a2 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    top = np.maximum(log_a1, log_a2)
    log_sum = top + np.log(np.exp(log_a1 - top) + np.exp(log_a2 - top))
    ll = gamma_part + r * math.log(alpha) + log_sum
    total = float(np.sum(np.asarray(weights, dtype=float) * ll))
    return total if math.isfinite(total) else -math.inf


class LogLikelihood:
    """bgnbd_log_likelihood on fixed data, with what does not depend on the parameters done once.

    Evaluated about 600 times per fit. The ln-Gamma part depends on x only, so it is summed over
    the customers' weights per x; ln(alpha + T) and ln(alpha + t_x) are taken over the distinct
    T and t_x (a few hundred) instead of per triple; customers without a repeat purchase
    (x = 0) add -r ln(alpha + T) only. At 100M events (139K triples): 20 ms to 3 ms an evaluation.
    """

    def __init__(self, x, t_x, big_t, weights):
        x = np.asarray(x, dtype=np.int64)
        t_x = np.asarray(t_x, dtype=float)
        big_t = np.asarray(big_t, dtype=float)
        weights = np.asarray(weights, dtype=float)
        self.x_max = int(x.max())
        self.weight_by_x = np.bincount(x, weights=weights, minlength=self.x_max + 1)
        self.total_weight = float(weights.sum())
        self.t_values, t_index = np.unique(big_t, return_inverse=True)
        self.tx_values, tx_index = np.unique(t_x, return_inverse=True)
        once = x == 0
        # x = 0: the weights summed per T
        self.once_weight_by_t = np.bincount(t_index[once], weights=weights[once], minlength=len(self.t_values))
        repeat = ~once
        self.x = x[repeat]
        self.x_float = self.x.astype(float)
        self.t_index = t_index[repeat]
        self.tx_index = tx_index[repeat]
        self.weights = weights[repeat]

    def __call__(self, params) -> float:
        r, alpha, a, b = (float(p) for p in params)
        if min(r, alpha, a, b) <= 0:
            return -math.inf
        gamma_part = float(_dot(
            _log_rising(r, self.x_max) + _log_rising(b, self.x_max) - _log_rising(a + b, self.x_max),
            self.weight_by_x,
        ))
        log_alpha_t = np.log(alpha + self.t_values)
        total = gamma_part + r * math.log(alpha) * self.total_weight - r * float(_dot(self.once_weight_by_t, log_alpha_t))
        if len(self.x):
            *_, log_a1, log_a2 = self._repeat_terms(r, a, b, log_alpha_t, np.log(alpha + self.tx_values))
            total += float(_dot(self.weights, np.logaddexp(log_a1, log_a2)))
        return total if math.isfinite(total) else -math.inf

    def _repeat_terms(self, r: float, a: float, b: float, log_alpha_t: np.ndarray, log_alpha_tx: np.ndarray):
        """Per (x, t_x, T) triple with x > 0, from ln(alpha + T) and ln(alpha + t_x) over the
        distinct T and t_x: r + x, ln(alpha + T), ln(alpha + t_x), and A1, A2 of the
        likelihood's last term ln(e^A1 + e^A2)."""
        r_x = r + self.x_float
        log_alpha_big_t = log_alpha_t[self.t_index]
        log_alpha_t_x = log_alpha_tx[self.tx_index]
        log_a1 = -r_x * log_alpha_big_t
        log_a2 = (math.log(a) - np.log(b + np.arange(self.x_max, dtype=float)))[self.x - 1] - r_x * log_alpha_t_x
        return r_x, log_alpha_big_t, log_alpha_t_x, log_a1, log_a2

    def gradient(self, params) -> np.ndarray:
        """d LL / d (r, alpha, a, b), term by term from __call__ (ln G(y + x) - ln G(y) has
        derivative sum_{k<x} 1/(y + k); ln(e^A1 + e^A2) has s1 dA1 + s2 dA2 with s = the softmax
        of (A1, A2))."""
        r, alpha, a, b = (float(p) for p in params)
        rec_r, rec_b, rec_ab = (_rising_reciprocal(y, self.x_max) for y in (r, b, a + b))
        log_alpha_t, inv_alpha_t = np.log(alpha + self.t_values), 1.0 / (alpha + self.t_values)
        d_r = float(_dot(rec_r, self.weight_by_x)) + math.log(alpha) * self.total_weight \
            - float(_dot(self.once_weight_by_t, log_alpha_t))
        d_alpha = r * self.total_weight / alpha - r * float(_dot(self.once_weight_by_t, inv_alpha_t))
        d_a = -float(_dot(rec_ab, self.weight_by_x))
        d_b = float(_dot(rec_b - rec_ab, self.weight_by_x))
        if len(self.x):
            r_x, log_alpha_big_t, log_alpha_t_x, log_a1, log_a2 = self._repeat_terms(
                r, a, b, log_alpha_t, np.log(alpha + self.tx_values))
            share_2 = np.exp(log_a2 - np.logaddexp(log_a1, log_a2))  # s2; s1 = 1 - s2
            w1, w2 = self.weights * (1.0 - share_2), self.weights * share_2
            d_r -= float(_dot(w1, log_alpha_big_t) + _dot(w2, log_alpha_t_x))
            d_alpha -= float(_dot(w1 * r_x, inv_alpha_t[self.t_index])
                             + _dot(w2 * r_x, (1.0 / (alpha + self.tx_values))[self.tx_index]))
            d_a += float(w2.sum()) / a
            d_b -= float(_dot(w2, 1.0 / (b + self.x_float - 1.0)))
        return np.array([d_r, d_alpha, d_a, d_b])


def nelder_mead(func, start, max_iterations=MAX_ITERATIONS, x_tol=X_TOLERANCE, f_tol=F_TOLERANCE):
    """Minimise func from start (standard coefficients 1, 2, 0.5, 0.5). Returns (point, value, iterations).

    Stops when the simplex is within x_tol and its values within f_tol relative to the best."""
    n = len(start)
    simplex = [np.asarray(start, dtype=float)]
    for i in range(n):
        p = np.array(start, dtype=float)
        p[i] = p[i] + (0.05 * p[i] if p[i] != 0 else 0.00025) + 0.1
        simplex.append(p)
    values = [func(p) for p in simplex]
    iterations = 0
    while iterations < max_iterations:
        order = np.argsort(values, kind="stable")
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        spread_x = max(float(np.max(np.abs(p - simplex[0]))) for p in simplex[1:])
        spread_f = max(abs(v - values[0]) for v in values[1:])
        if spread_x <= x_tol and spread_f <= f_tol * max(1.0, abs(values[0])):
            break
        iterations += 1
        centroid = np.mean(simplex[:-1], axis=0)
        worst = simplex[-1]
        reflected = centroid + (centroid - worst)
        f_r = func(reflected)
        if f_r < values[0]:
            expanded = centroid + 2.0 * (centroid - worst)
            f_e = func(expanded)
            if f_e < f_r:
                simplex[-1], values[-1] = expanded, f_e
            else:
                simplex[-1], values[-1] = reflected, f_r
        elif f_r < values[-2]:
            simplex[-1], values[-1] = reflected, f_r
        else:
            if f_r < values[-1]:
                contracted = centroid + 0.5 * (reflected - centroid)
            else:
                contracted = centroid + 0.5 * (worst - centroid)
            f_c = func(contracted)
            if f_c < min(f_r, values[-1]):
                simplex[-1], values[-1] = contracted, f_c
            else:
                best = simplex[0]
                simplex = [best] + [best + 0.5 * (p - best) for p in simplex[1:]]
                values = [values[0]] + [func(p) for p in simplex[1:]]
    best = int(np.argmin(values))
    return simplex[best], float(values[best]), iterations


def newton_maximum(log_likelihood: LogLikelihood, start, max_iterations: int = NEWTON_ITERATIONS):
    """Newton's method on the log-likelihood in ln-parameters from start. Returns (point,
    iterations); point is None when it meets a Hessian that is not negative definite, leaves
    e^+-SEARCH_BOUND, or does not settle within max_iterations.

    The gradient is analytic (LogLikelihood.gradient), the Hessian central differences of it;
    a step that lowers the log-likelihood is halved. It stops when a full step moves no
    ln-parameter by more than NEWTON_TOLERANCE.
    """
    def gradient(theta):
        params = np.exp(theta)
        return params * log_likelihood.gradient(params)  # chain rule: d/d ln p = p d/dp

    theta = np.asarray(start, dtype=float)
    value = log_likelihood(np.exp(theta))
    for iteration in range(1, max_iterations + 1):
        if not math.isfinite(value) or np.any(np.abs(theta) > SEARCH_BOUND):
            return None, iteration
        grad = gradient(theta)
        hessian = np.empty((4, 4))
        for j in range(4):
            h = np.zeros(4)
            h[j] = HESSIAN_STEP
            hessian[:, j] = (gradient(theta + h) - gradient(theta - h)) / (2 * HESSIAN_STEP)
        hessian = (hessian + hessian.T) / 2
        if not np.all(np.isfinite(hessian)) or np.max(np.linalg.eigvalsh(hessian)) >= 0:
            return None, iteration
        step = -np.linalg.solve(hessian, grad)
        if np.max(np.abs(step)) <= NEWTON_TOLERANCE:
            return theta + step, iteration
        for _ in range(40):
            new_value = log_likelihood(np.exp(theta + step))
            # at the maximum a full step changes the log-likelihood by less than its rounding
            if new_value >= value - 1e-13 * abs(value):
                break
            step = step / 2
        else:
            return None, iteration
        theta, value = theta + step, new_value
    return None, max_iterations


def fit_bgnbd(x, t_x, big_t, weights=None, min_customers: int = MIN_CUSTOMERS) -> dict:
    """Maximum-likelihood BG/NBD parameters for per-customer (x, t_x, T) (optionally weighted).

    Returns {r, alpha, a, b, log_likelihood, n_customers, iterations, converged}; the
    parameters are None when there are fewer than min_customers customers or no repeat
    purchase, when the search
    did not converge, or when a parameter ends beyond e^+-MAX_LOG_PARAM (no interior maximum).
    """
    x = np.asarray(x, dtype=np.int64)
    t_x = np.asarray(t_x, dtype=float)
    big_t = np.asarray(big_t, dtype=float)
    weights = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    n_customers = int(round(float(weights.sum())))
    empty = {"r": None, "alpha": None, "a": None, "b": None, "log_likelihood": None,
             "n_customers": n_customers, "iterations": 0, "converged": False}
    if n_customers < max(int(min_customers), 2) or not np.any(x > 0):
        return empty

    log_likelihood = LogLikelihood(x, t_x, big_t, weights)

    def objective(log_params):
        if np.any(np.abs(log_params) > SEARCH_BOUND):
            return math.inf
        return -log_likelihood(np.exp(log_params))

    # alpha is a time scale: start it at the mean customer age so daily and weekly data
    # start equally far from the optimum
    alpha0 = max(float(np.average(big_t, weights=weights)), 1e-3)
    point = np.log(np.array([START[0], alpha0, START[2], START[3]]))
    # a coarse simplex search, then Newton's method to where the gradient vanishes: the
    # maximum to machine precision, whatever point the search ended at
    point, value, total_iterations = nelder_mead(objective, point, x_tol=SEARCH_X_TOLERANCE, f_tol=SEARCH_F_TOLERANCE)
    newton_point, newton_iterations = newton_maximum(log_likelihood, point)
    total_iterations += newton_iterations
    converged = newton_point is not None
    if converged:
        point, value = newton_point, objective(newton_point)
    else:
        # no maximum with a negative definite Hessian near the search's end (e.g. none in the
        # interior): the simplex alone, restarted from the best point until a restart no
        # longer improves
        for _ in range(MAX_RESTARTS):
            new_point, new_value, iterations = nelder_mead(objective, point)
            total_iterations += iterations
            improved = value - new_value
            point, value = new_point, min(value, new_value)
            if iterations < MAX_ITERATIONS and improved <= F_TOLERANCE * 10 * max(1.0, abs(value)):
                converged = True
                break
    if not math.isfinite(value) or not converged or np.any(np.abs(point) >= MAX_LOG_PARAM):
        return {**empty, "iterations": total_iterations}
    r, alpha, a, b = (float(v) for v in np.exp(point))
    return {"r": r, "alpha": alpha, "a": a, "b": b, "log_likelihood": -value,
            "n_customers": n_customers, "iterations": total_iterations, "converged": converged}


def _sql_date(value) -> str:
    return "null" if value is None else f"date '{value.isoformat()}'"


def _sql_number(value) -> str:
    if value is None:
        return "null"
    return repr(float(value))


def model(dbt, session):
    dbt.config(materialized="table")
    # the var bgnbd_min_purchasers reaches this model through its YAML config
    min_customers = int(float(dbt.config.get("bgnbd_min_purchasers") or MIN_CUSTOMERS))
    # the buy-till-you-die inputs of fct_user_behavior (macro btyd_input_columns), computed
    # from int_user_activity, whose values fct_user_behavior copies: read from there, the fit
    # runs beside fct_user_behavior, and the churn scores after it beside the per-user marts
    # (dbt runs the shallower nodes of the graph first)
    as_of = dbt.ref("stg_run_context").project("as_of").fetchall()[0][0]
    activity = dbt.ref("int_user_activity")
    counts = activity.query(
        "activity",
        f"""
        select
            cast(purchase_days - 1 as bigint) as x,
            cast(date_diff('day', first_purchase_date, last_purchase_date) as double) as t_x,
            cast(date_diff('day', first_purchase_date, {_sql_date(as_of)}) as double) as big_t,
            count(*) as customers
        from activity
        where purchase_days > 0
        group by 1, 2, 3
        order by 1, 2, 3
        """,
    ).fetchall()
    if counts:
        x, t_x, big_t, weights = (np.array(col) for col in zip(*counts))
        fit = fit_bgnbd(x, t_x, big_t, weights, min_customers)
    else:
        fit = fit_bgnbd([], [], [], [], min_customers)
    method = "mle_nelder_mead" if fit["r"] is not None else "not_fitted"
    return session.sql(
        f"""
        select
            cast({_sql_number(fit['r'])} as double) as r,
            cast({_sql_number(fit['alpha'])} as double) as alpha,
            cast({_sql_number(fit['a'])} as double) as a,
            cast({_sql_number(fit['b'])} as double) as b,
            cast({_sql_number(fit['log_likelihood'])} as double) as log_likelihood,
            cast({fit['n_customers']} as bigint) as n_customers,
            cast({fit['iterations']} as bigint) as iterations,
            {str(bool(fit['converged'])).lower()} as converged,
            '{method}' as method
        """
    )
