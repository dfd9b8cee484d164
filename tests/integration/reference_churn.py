"""Independent pandas / numpy implementation of docs/segments/churn.md (no SQL, no 2F1 series
shared with the models):

- ``churn_bands``: the rule-based band from the per-user facts and the clean events;
- ``p_alive``: from the two terms of the BG/NBD likelihood, computed with ``math.lgamma``;
- ``expected_purchases``: E[Y(t) | x, t_x, T] as P(alive) times the posterior mean of
  (1 - exp(-lambda p t)) / p over lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x),
  integrated over p numerically (tanh-sinh quadrature), i.e. without the hypergeometric
  function the SQL uses;
- ``hyp2f1_series``: the hypergeometric series summed in Python until it converges, a second
  opinion on the SQL's truncated one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

BANDS = ("churned", "new", "high", "medium", "low")


@dataclass(frozen=True)
class BandVars:
    churn_days: int = 90
    new_user_days: int = 14
    churn_min_gaps: int = 2
    churn_default_gap_days: float = 7
    churn_min_silence_days: float = 7
    churn_high_gap_multiple: float = 3
    churn_medium_gap_multiple: float = 1.5
    churn_high_decline_ratio: float = 0.25
    churn_medium_decline_ratio: float = 0.5


def median_gaps(stg: pd.DataFrame) -> pd.DataFrame:
    """Per user with at least one gap: gap_count and the median gap between active dates."""
    rows = []
    for user_id, dates in stg.groupby("user_id")["event_date"]:
        days = sorted({pd.Timestamp(d).date() for d in dates})
        gaps = [(b - a).days for a, b in zip(days, days[1:])]
        if gaps:
            rows.append({"user_id": user_id, "gap_count": len(gaps), "median_gap_days": float(np.median(gaps))})
    return pd.DataFrame(rows, columns=["user_id", "gap_count", "median_gap_days"])


def band_of(days_since_first_seen, days_since_last_seen, active_days_28d, active_days_prev_28d,
            reference_gap_days, v: BandVars = BandVars()) -> str:
    if days_since_last_seen >= v.churn_days:
        return "churned"
    if days_since_first_seen < v.new_user_days:
        return "new"
    for label, multiple, ratio in (("high", v.churn_high_gap_multiple, v.churn_high_decline_ratio),
                                   ("medium", v.churn_medium_gap_multiple, v.churn_medium_decline_ratio)):
        overdue = days_since_last_seen >= max(multiple * reference_gap_days, v.churn_min_silence_days)
        declining = active_days_prev_28d > 0 and active_days_28d < ratio * active_days_prev_28d
        if overdue or declining:
            return label
    return "low"


def churn_bands(fct: pd.DataFrame, stg: pd.DataFrame, v: BandVars = BandVars()) -> pd.DataFrame:
    """user_id, gap_count, typical_gap_days, reference_gap_days, churn_risk_band."""
    out = fct[["user_id", "days_since_first_seen", "days_since_last_seen", "active_days_28d",
               "active_days_prev_28d"]].merge(median_gaps(stg), on="user_id", how="left")
    out["gap_count"] = out["gap_count"].fillna(0).astype(int)
    out["typical_gap_days"] = [m if c >= v.churn_min_gaps else None
                               for c, m in zip(out["gap_count"], out["median_gap_days"])]
    out["reference_gap_days"] = [float(v.churn_default_gap_days) if t is None or pd.isna(t) else t
                                 for t in out["typical_gap_days"]]
    out["churn_risk_band"] = [
        band_of(f, s, a, p, g, v)
        for f, s, a, p, g in zip(out["days_since_first_seen"], out["days_since_last_seen"],
                                 out["active_days_28d"], out["active_days_prev_28d"], out["reference_gap_days"])
    ]
    return out[["user_id", "gap_count", "typical_gap_days", "reference_gap_days", "churn_risk_band"]]


# --------------------------------------------------------------------------- BG/NBD


def log_likelihood_terms(x: int, t_x: float, big_t: float, r: float, alpha: float, a: float, b: float):
    """ln of the two terms A1, A2 of the individual BG/NBD likelihood (A2 = -inf when x = 0)."""
    common = (math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
              + math.lgamma(a + b) + math.lgamma(b + x) - math.lgamma(b) - math.lgamma(a + b + x))
    log_a1 = common - (r + x) * math.log(alpha + big_t)
    if x == 0:
        return log_a1, -math.inf
    log_a2 = (common + math.log(a) + math.lgamma(b + x - 1) - math.lgamma(b + x)
              - (r + x) * math.log(alpha + t_x))
    return log_a1, log_a2


def log_likelihood(x: int, t_x: float, big_t: float, r: float, alpha: float, a: float, b: float) -> float:
    l1, l2 = log_likelihood_terms(x, t_x, big_t, r, alpha, a, b)
    return float(np.logaddexp(l1, l2))


def p_alive(x: int, t_x: float, big_t: float, r: float, alpha: float, a: float, b: float) -> float:
    """P(alive | data) = A1 / (A1 + A2): the share of the likelihood where the customer is alive."""
    l1, l2 = log_likelihood_terms(x, t_x, big_t, r, alpha, a, b)
    return float(math.exp(l1 - np.logaddexp(l1, l2)))


def _tanh_sinh_nodes(step: float = 1 / 128, limit: float = 7.0):
    tau = np.arange(-limit, limit + step / 2, step)
    s = math.pi * np.sinh(tau)
    log_p = -np.logaddexp(0.0, -s)  # p = 1 / (1 + exp(-s)), in (0, 1) without rounding to 0 or 1
    log_q = -np.logaddexp(0.0, s)   # 1 - p
    log_jacobian = log_p + log_q + np.log(math.pi * np.cosh(tau))
    return np.exp(log_p), log_p, log_q, log_jacobian, step


_NODES = _tanh_sinh_nodes()


def expected_purchases(x: int, t_x: float, big_t: float, horizon: float,
                       r: float, alpha: float, a: float, b: float) -> float:
    """E[Y(horizon) | x, t_x, T] = P(alive) * E[(1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p],
    p ~ Beta(a, b + x), integrated numerically."""
    p, log_p, log_q, log_jac, step = _NODES
    m, beta = r + x, b + x
    s = horizon / (alpha + big_t)
    # (1 - (1 + p s)^-m) / p, accurate for small p
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(p > 0, -np.expm1(-m * np.log1p(p * s)) / p, m * s)
    log_beta = math.lgamma(a) + math.lgamma(beta) - math.lgamma(a + beta)
    log_w = (a - 1) * log_p + (beta - 1) * log_q + log_jac - log_beta
    integral = float(np.sum(f * np.exp(log_w)) * step)
    return p_alive(x, t_x, big_t, r, alpha, a, b) * integral


def hyp2f1_series(ha: float, hb: float, hc: float, z: float, tol: float = 1e-17, max_terms: int = 100000) -> float:
    """2F1(ha, hb; hc; z), 0 <= z < 1, summed until the terms are negligible."""
    total, term = 1.0, 1.0
    for n in range(max_terms):
        term *= (ha + n) * (hb + n) / ((hc + n) * (n + 1)) * z
        total += term
        if abs(term) < tol * abs(total) and n > 10:
            return total
    raise ArithmeticError("2F1 series did not converge")


def bgnbd_scores(users: pd.DataFrame, params: dict, horizon: float) -> pd.DataFrame:
    """user_id, p_alive, expected_purchases_next_n_days (null for non-purchasers)."""
    r, alpha, a, b = (float(params[k]) for k in ("r", "alpha", "a", "b"))
    rows = []
    for user_id, x, t_x, big_t in zip(users["user_id"], users["btyd_frequency"], users["btyd_recency_days"],
                                      users["btyd_t_days"]):
        if pd.isna(x):
            rows.append({"user_id": user_id, "p_alive": None, "expected_purchases_next_n_days": None})
            continue
        x, t_x, big_t = int(x), float(t_x), float(big_t)
        rows.append({
            "user_id": user_id,
            "p_alive": p_alive(x, t_x, big_t, r, alpha, a, b),
            "expected_purchases_next_n_days": expected_purchases(x, t_x, big_t, horizon, r, alpha, a, b),
        })
    return pd.DataFrame(rows, columns=["user_id", "p_alive", "expected_purchases_next_n_days"])
