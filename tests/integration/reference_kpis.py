"""Independent pandas implementation of docs/segments/measure_act.md (no SQL).

Inputs are upstream relations of a build (``user_segments``, ``int_orders``) and the seed
``campaigns``; outputs have the columns of ``segment_kpi_history`` / ``campaign_audiences`` /
``campaign_lift``.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tests.integration.reference import project_segment_dimensions

# the label columns the project is configured with (dbt_project.yml, var segment_dimensions)
DEFAULT_DIMENSIONS = project_segment_dimensions()
DEFAULT_SALT = "behavioral_segments-audiences"
Z95 = 1.959963984540054
HASH_DIGITS = 13


def segment_kpis(users: pd.DataFrame, dimensions=DEFAULT_DIMENSIONS, retention_days: int = 30,
                 gross_margin: float = 1.0, null_label: str = "(none)") -> pd.DataFrame:
    """One row per dimension x value, the KPI columns of segment_kpi_history (no as_of)."""
    u = users.copy()
    u["eligible"] = u["days_since_first_seen"] >= retention_days
    u["retained"] = u["eligible"] & (u["days_since_last_seen"] <= retention_days - 1)
    rows = []
    for dim in dimensions:
        labels = u[dim].map(lambda v: null_label if v is None or (isinstance(v, float) and math.isnan(v))
                            else (str(v).lower() if isinstance(v, (bool, np.bool_)) else str(v)))
        for value, g in u.groupby(labels, sort=True):
            n = len(g)
            eligible = int(g["eligible"].sum())
            retained = int(g["retained"].sum())
            revenue = float(sum(g["revenue"].astype(float)))
            rows.append({
                "segment_dimension": dim,
                "segment_value": value,
                "users": n,
                "purchasers": int(g["is_purchaser"].astype(bool).sum()),
                "orders": int(g["orders"].sum()),
                "revenue": revenue,
                "revenue_per_user": revenue / n,
                "orders_per_user": int(g["orders"].sum()) / n,
                "purchase_conversion": int(g["is_purchaser"].astype(bool).sum()) / n,
                "retention_eligible_users": eligible,
                "retained_users": retained,
                "retention_30d": retained / eligible if eligible else None,
                "ltv_to_date": gross_margin * revenue / n,
                "engagement": float(g["active_days_28d"].mean()) / 28,
            })
    return pd.DataFrame(rows)


def bucket(campaign_id: str, user_id: str, salt: str = DEFAULT_SALT) -> float:
    digest = hashlib.sha256(f"{salt}:{campaign_id}:{user_id}".encode("utf-8")).hexdigest()
    return int(digest[:HASH_DIGITS], 16) / 16 ** HASH_DIGITS


def audiences(users: pd.DataFrame, campaigns: pd.DataFrame, salt: str = DEFAULT_SALT,
              null_label: str = "(none)") -> pd.DataFrame:
    rows = []
    consenting = users[users["has_marketing_consent"].astype(bool)]
    for c in campaigns.itertuples(index=False):
        wanted = set(str(c.segment_values).split("|"))
        labels = consenting[c.segment_dimension].map(lambda v: null_label if v is None else str(v))
        members = consenting[labels.isin(wanted)]
        for uid, label in zip(members["user_id"], labels[labels.isin(wanted)]):
            b = bucket(c.campaign_id, uid, salt)
            rows.append({"campaign_id": c.campaign_id, "user_id": uid, "segment_value": label,
                         "assignment_bucket": b,
                         "assignment_group": "holdout" if b < float(c.holdout_share) else "treatment"})
    return pd.DataFrame(rows, columns=["campaign_id", "user_id", "segment_value", "assignment_bucket",
                                       "assignment_group"])


def _as_date(v) -> date:
    return pd.Timestamp(v).date()


def lift(audience: pd.DataFrame, campaigns: pd.DataFrame, orders: pd.DataFrame, as_of: date,
         z: float = Z95) -> pd.DataFrame:
    rows = []
    orders = orders.assign(order_date=orders["order_date"].map(_as_date))
    for c in campaigns.itertuples(index=False):
        send = _as_date(c.send_date)
        w = int(c.conversion_window_days)
        first, last = send + timedelta(days=1), send + timedelta(days=w)
        win = orders[(orders["order_date"] >= first) & (orders["order_date"] <= last)
                     & (orders["order_date"] <= as_of)]
        per_user_rev = win.groupby("user_id")["revenue"].sum()
        a = audience[audience["campaign_id"] == c.campaign_id]
        stats = {}
        for grp in ("treatment", "holdout"):
            ids = a.loc[a["assignment_group"] == grp, "user_id"]
            values = np.array([float(per_user_rev.get(u, 0.0)) for u in ids])
            conv = int(sum(1 for u in ids if u in per_user_rev.index))
            n = len(values)
            stats[grp] = {"n": n, "conv": conv, "rev": float(values.sum()) if n else 0.0,
                          "p": conv / n if n else None, "mean": float(values.mean()) if n else None,
                          "var": float(values.var(ddof=1)) if n > 1 else None}
        t, h = stats["treatment"], stats["holdout"]
        d = t["p"] - h["p"] if t["n"] and h["n"] else None
        se = math.sqrt(t["p"] * (1 - t["p"]) / t["n"] + h["p"] * (1 - h["p"]) / h["n"]) if d is not None else None
        dr = t["mean"] - h["mean"] if t["n"] and h["n"] else None
        ser = math.sqrt(t["var"] / t["n"] + h["var"] / h["n"]) if t["n"] > 1 and h["n"] > 1 else None
        rows.append({
            "campaign_id": c.campaign_id,
            "window_end_date": last,
            "is_window_complete": as_of >= last,
            "days_observed": max(0, min(w, (as_of - send).days)),
            "treatment_users": t["n"], "holdout_users": h["n"],
            "treatment_converters": t["conv"], "holdout_converters": h["conv"],
            "treatment_conversion": t["p"], "holdout_conversion": h["p"],
            "conversion_lift": d,
            "conversion_lift_relative": d / h["p"] if d is not None and h["p"] else None,
            "conversion_lift_ci_lower": d - z * se if se is not None else None,
            "conversion_lift_ci_upper": d + z * se if se is not None else None,
            "treatment_revenue": t["rev"], "holdout_revenue": h["rev"],
            "treatment_revenue_per_user": t["mean"], "holdout_revenue_per_user": h["mean"],
            "revenue_per_user_lift": dr,
            "revenue_per_user_lift_relative": dr / h["mean"] if dr is not None and h["mean"] else None,
            "revenue_per_user_lift_ci_lower": dr - z * ser if ser is not None else None,
            "revenue_per_user_lift_ci_upper": dr + z * ser if ser is not None else None,
        })
    return pd.DataFrame(rows)


def _missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _same(a, b, rel_tol: float) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(b, (bool, np.bool_)) or isinstance(a, (bool, np.bool_)):
        return bool(a) == bool(b)
    if isinstance(b, (float, np.floating, int, np.integer)) and isinstance(a, (float, np.floating, int, np.integer)):
        return math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=1e-9)
    if isinstance(b, (date, pd.Timestamp)) or isinstance(a, (date, pd.Timestamp)):
        return _as_date(a) == _as_date(b)
    return a == b


def mismatches(got: pd.DataFrame, expected: pd.DataFrame, keys: list[str], rel_tol: float = 1e-9) -> list[str]:
    """Differences between two frames on expected's columns, rows matched on keys."""
    g = got[[c for c in got.columns if c in expected.columns]].astype({k: str for k in keys})
    e = expected.astype({k: str for k in keys})
    merged = g.merge(e, on=keys, how="outer", suffixes=("__got", "__exp"), indicator=True)
    out = [f"row only in {side}: {dict(zip(keys, r))}"
           for side, name in (("got", "left_only"), ("expected", "right_only"))
           for r in merged.loc[merged["_merge"] == name, keys].itertuples(index=False)]
    both = merged[merged["_merge"] == "both"]
    for col in (c for c in expected.columns if c not in keys):
        for key, a, b in zip(both[keys].itertuples(index=False), both[f"{col}__got"], both[f"{col}__exp"]):
            if not _same(a, b, rel_tol):
                out.append(f"{tuple(key)} {col}: got {a!r}, expected {b!r}")
    return out[:50]
