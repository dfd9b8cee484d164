"""An independent pandas implementation of ``docs/definitions.md``.

Written from the text of the definitions only (not from the SQL), so that the pytest suite can
compare the dbt models with it. Everything that decides a category (scores, windows, tiers,
stages) is computed in exact arithmetic: day numbers are integers, revenue is summed as
``Decimal`` and ratios are compared as ``Fraction``.

Entry point: :func:`compute_reference`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import yaml

EPOCH = date(1970, 1, 1)

DEFAULT_USAGE_TIERS = (
    {"name": "power", "min_active_days": 20},
    {"name": "heavy", "min_active_days": 12},
    {"name": "medium", "min_active_days": 6},
    {"name": "light", "min_active_days": 1},
)
DEFAULT_USAGE_TIER_QUANTILES = (
    {"name": "power", "min_percentile": 0.9},
    {"name": "heavy", "min_percentile": 0.7},
    {"name": "medium", "min_percentile": 0.4},
    {"name": "light", "min_percentile": 0},
)
INACTIVE_TIER = "inactive"
NON_PURCHASER_SEGMENT = "Never Purchased"

# The shipped map, r = rows, f = columns, bins = 5 (definitions.md section 5).
_MAP_ROWS = {
    5: ["New Customers", "Potential Loyalists", "Potential Loyalists", "Champions", "Champions"],
    4: ["Promising", "Potential Loyalists", "Potential Loyalists", "Loyal", "Loyal"],
    3: ["About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"],
    2: ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    1: ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
}
DEFAULT_RFM_SEGMENT_MAP: dict[tuple[int, int], str] = {
    (r, f + 1): name for r, names in _MAP_ROWS.items() for f, name in enumerate(names)
}

OPTIONAL_COLUMNS = ("event_id", "session_id", "revenue", "order_id", "properties")
REQUIRED_COLUMNS = ("user_id", "event_name", "event_ts")

_NUMERIC_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NAME_SEP_RE = re.compile(r"[\s.\-]+")


# --------------------------------------------------------------------------- scalar helpers


def _is_null(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        return bool(pd.isna(v)) if np.isscalar(v) else False
    except (TypeError, ValueError):
        return False


ASCII_WHITESPACE = " \t\n\r\x0b\x0c"


def _text(v: Any) -> str | None:
    """Text trimmed of ASCII white space only (section 1.4: NBSP and other Unicode spaces are
    kept); null or blank -> None."""
    if _is_null(v):
        return None
    if isinstance(v, bytes):
        v = v.decode("utf-8")
    s = str(v).strip(ASCII_WHITESPACE)
    return s or None


def normalise_event_name(v: Any) -> str | None:
    s = _text(v)
    if s is None:
        return None
    return _NAME_SEP_RE.sub("_", s.lower())


def _to_date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def _day_number(d: date) -> int:
    return (d - EPOCH).days


def _parse_ts_scalar(v: Any) -> tuple[str, pd.Timestamp | None]:
    """-> (state, UTC-naive timestamp); state in {'ok', 'missing', 'unparseable'}."""
    if _is_null(v):
        return "missing", None
    if isinstance(v, pd.Timestamp) or isinstance(v, datetime):
        ts = pd.Timestamp(v)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return "ok", ts
    if isinstance(v, date):
        return "ok", pd.Timestamp(v)
    if isinstance(v, np.datetime64):
        return "ok", pd.Timestamp(v)
    if isinstance(v, bytes):
        v = v.decode("utf-8")
    if not isinstance(v, str):
        return "unparseable", None
    s = v.strip()
    if not s:
        return "missing", None
    try:
        parsed = pd.to_datetime([s], format="ISO8601", utc=True)
        ts = parsed[0]
    except (ValueError, OverflowError, TypeError):
        return "unparseable", None
    if _is_null(ts):
        return "unparseable", None
    return "ok", ts.tz_convert("UTC").tz_localize(None)


def _parse_revenue(v: Any) -> tuple[str, Decimal | None]:
    """-> (state, value); state in {'null', 'ok', 'not_numeric'}."""
    if _is_null(v):
        return "null", None
    if isinstance(v, bool):
        return "not_numeric", None
    if isinstance(v, (int, np.integer)):
        return "ok", Decimal(int(v))
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            return "not_numeric", None
        return "ok", Decimal(repr(float(v)))
    if isinstance(v, Decimal):
        return ("ok", v) if v.is_finite() else ("not_numeric", None)
    if isinstance(v, bytes):
        v = v.decode("utf-8")
    s = str(v).strip()
    if not s:
        return "null", None
    if not _NUMERIC_RE.match(s):
        return "not_numeric", None
    try:
        d = Decimal(s)
    except InvalidOperation:
        return "not_numeric", None
    return ("ok", d) if d.is_finite() else ("not_numeric", None)


def _as_fraction(x: Any) -> Fraction:
    if isinstance(x, Fraction):
        return x
    if isinstance(x, Decimal):
        return Fraction(x)
    if isinstance(x, float):
        return Fraction(repr(x))
    return Fraction(str(x))


def _as_decimal(x: Any) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, float):
        return Decimal(repr(x))
    return Decimal(str(x))


# --------------------------------------------------------------------------- staging


def _column(raw: pd.DataFrame, name: str) -> list[Any]:
    lower = {str(c).lower(): c for c in raw.columns}
    if name in lower:
        return list(raw[lower[name]].astype(object))
    return [None] * len(raw)


def _parse_ts_column(values: list[Any]) -> list[tuple[str, pd.Timestamp | None]]:
    cache: dict[Any, tuple[str, pd.Timestamp | None]] = {}
    out = []
    for v in values:
        try:
            key = (type(v), v)
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in cache and not _is_null(v):
            out.append(cache[key])
            continue
        res = _parse_ts_scalar(v)
        if key is not None and not _is_null(v):
            cache[key] = res
        out.append(res)
    return out


def stage(
    raw: pd.DataFrame,
    *,
    as_of: date | str | None,
    purchase_events: Iterable[str],
    max_event_date: date | str,
    min_event_ts: str | datetime = "1971-01-01",
    max_revenue: Any = 1_000_000_000,
    erased_user_ids: Iterable[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame, date]:
    """Section 2: (row_status frame, clean events frame, as_of)."""
    erased = {e for e in (_text(v) for v in erased_user_ids) if e is not None}
    max_rev = Decimal(str(max_revenue))
    purchase_set = {normalise_event_name(p) for p in purchase_events}
    max_day = _day_number(_to_date(max_event_date))
    min_ts = pd.Timestamp(min_event_ts)
    if min_ts.tzinfo is not None:
        min_ts = min_ts.tz_convert("UTC").tz_localize(None)

    n = len(raw)
    user_id = [_text(v) for v in _column(raw, "user_id")]
    event_name = [normalise_event_name(v) for v in _column(raw, "event_name")]
    ts_parsed = _parse_ts_column(_column(raw, "event_ts"))
    event_id = [_text(v) for v in _column(raw, "event_id")]
    session_id = [_text(v) for v in _column(raw, "session_id")]
    order_id = [_text(v) for v in _column(raw, "order_id")]
    properties = [None if _is_null(v) else v for v in _column(raw, "properties")]
    raw_revenue = _column(raw, "revenue")

    status: list[str | None] = [None] * n
    qreason: list[str | None] = [None] * n
    dreason: list[str | None] = [None] * n
    ts_list: list[pd.Timestamp | None] = [None] * n
    revenue: list[Decimal | None] = [None] * n
    is_purchase = [False] * n

    for i in range(n):
        state, ts = ts_parsed[i]
        purchase = event_name[i] is not None and event_name[i] in purchase_set
        is_purchase[i] = purchase
        reason = None
        rev_state, rev = ("null", None)
        if purchase:
            rev_state, rev = _parse_revenue(raw_revenue[i])
        if user_id[i] is not None and user_id[i] in erased:
            status[i] = "erased"
            continue
        if user_id[i] is None:
            reason = "missing_user_id"
        elif event_name[i] is None:
            reason = "missing_event_name"
        elif state == "missing":
            reason = "missing_event_ts"
        elif state == "unparseable":
            reason = "unparseable_event_ts"
        elif ts < min_ts:
            reason = "event_ts_too_early"
        elif _day_number(ts.date()) > max_day:
            reason = "event_ts_in_future"
        elif purchase and rev_state == "not_numeric":
            reason = "revenue_not_numeric"
        elif purchase and rev is not None and rev < 0:
            reason = "revenue_negative"
        elif purchase and rev is not None and rev > max_rev:
            reason = "revenue_too_large"
        if reason is not None:
            status[i] = "quarantined"
            qreason[i] = reason
        else:
            ts_list[i] = ts
            revenue[i] = rev

    # ---- duplicates, among the rows not quarantined; "earlier" = (event_ts, position)
    kept = [i for i in range(n) if status[i] is None]
    kept.sort(key=lambda i: (ts_list[i].value, i))
    seen_exact: set[tuple] = set()
    seen_event_id: set[str] = set()
    for i in kept:
        key = (
            user_id[i],
            event_name[i],
            ts_list[i].value,
            event_id[i],
            session_id[i],
            revenue[i],
            order_id[i],
            None if properties[i] is None else str(properties[i]),
        )
        if key in seen_exact:
            status[i], dreason[i] = "duplicate", "exact_duplicate"
        elif event_id[i] is not None and event_id[i] in seen_event_id:
            status[i], dreason[i] = "duplicate", "repeated_event_id"
        seen_exact.add(key)
        if event_id[i] is not None:
            seen_event_id.add(event_id[i])

    # ---- as_of and after_as_of
    remaining = [i for i in range(n) if status[i] is None]
    if as_of is None:
        as_of_date = max(ts_list[i].date() for i in remaining) if remaining else None
    else:
        as_of_date = _to_date(as_of)
    for i in remaining:
        if ts_list[i].date() > as_of_date:
            status[i] = "after_as_of"
        else:
            status[i] = "clean"

    row_status = pd.DataFrame(
        {
            "event_row_id": np.arange(1, n + 1, dtype="int64"),
            "row_status": status,
            "quarantine_reason": qreason,
            "duplicate_reason": dreason,
        }
    )
    clean_idx = [i for i in range(n) if status[i] == "clean"]
    ts_clean = [ts_list[i] for i in clean_idx]
    stg = pd.DataFrame(
        {
            "event_row_id": np.array([i + 1 for i in clean_idx], dtype="int64"),
            "user_id": pd.Series([user_id[i] for i in clean_idx], dtype=object),
            "event_name": pd.Series([event_name[i] for i in clean_idx], dtype=object),
            "event_ts": pd.to_datetime(pd.Series(ts_clean, dtype=object)) if clean_idx else pd.Series([], dtype="datetime64[us]"),
            "event_date": pd.Series([t.date() for t in ts_clean], dtype=object),
            "event_id": pd.Series([event_id[i] for i in clean_idx], dtype=object),
            "session_id": pd.Series([session_id[i] for i in clean_idx], dtype=object),
            # revenue is only read on purchase events (null on the others)
            "revenue_dec": pd.Series([revenue[i] for i in clean_idx], dtype=object),
            "order_id": pd.Series([order_id[i] for i in clean_idx], dtype=object),
            "properties": pd.Series([properties[i] for i in clean_idx], dtype=object),
            "is_purchase": pd.Series([is_purchase[i] for i in clean_idx], dtype=bool),
            "day": np.array([_day_number(t.date()) for t in ts_clean], dtype="int64"),
        }
    )
    stg["revenue"] = [None if r is None else float(r) for r in stg["revenue_dec"]]
    return row_status, stg, as_of_date


# --------------------------------------------------------------------------- fct_user_behavior


def _user_behavior(stg: pd.DataFrame, as_of: date) -> pd.DataFrame:
    as_of_day = _day_number(as_of)
    rows = []
    for uid, g in stg.groupby("user_id", sort=True):
        days = sorted(set(g["day"].tolist()))
        ages = [as_of_day - d for d in days]
        ev_ages = (as_of_day - g["day"]).tolist()
        first_at = g["event_ts"].min()
        last_at = g["event_ts"].max()
        p = g[g["is_purchase"]]
        rec: dict[str, Any] = {
            "user_id": uid,
            "as_of": as_of,
            "first_seen_at": first_at,
            "last_seen_at": last_at,
            "first_seen_date": first_at.date(),
            "last_seen_date": last_at.date(),
            "days_since_first_seen": as_of_day - min(days),
            "days_since_last_seen": as_of_day - max(days),
            "active_days_total": len(days),
            "active_days_7d": sum(0 <= a <= 6 for a in ages),
            "active_days_28d": sum(0 <= a <= 27 for a in ages),
            "active_days_90d": sum(0 <= a <= 89 for a in ages),
            "active_days_prev_28d": sum(28 <= a <= 55 for a in ages),
            "events_total": len(g),
            "events_28d": sum(0 <= a <= 27 for a in ev_ages),
            "active_day_list": days,
        }
        if len(p):
            order_keys = set()
            for row_id, oid in zip(p["event_row_id"], p["order_id"]):
                order_keys.add(("o", oid) if oid is not None else ("r", row_id))
            revs = [Decimal(0) if r is None else r for r in p["revenue_dec"]]
            total = sum(revs, Decimal(0))
            orders = len(order_keys)
            pdays = sorted(set(p["day"].tolist()))
            daily: dict[int, Decimal] = {}
            for d, r in zip(p["day"].tolist(), revs):
                daily[d] = daily.get(d, Decimal(0)) + r
            later = [daily[d] for d in pdays[1:]]
            monetary = (sum(later, Decimal(0)) / len(later)) if later else Decimal(0)
            rec.update(
                orders=orders,
                revenue_dec=total,
                avg_order_value_dec=total / orders,
                first_purchase_at=p["event_ts"].min(),
                last_purchase_at=p["event_ts"].max(),
                days_since_last_purchase=as_of_day - max(pdays),
                purchase_days=len(pdays),
                is_purchaser=orders > 0,
                btyd_frequency=len(pdays) - 1,
                btyd_recency_days=max(pdays) - min(pdays),
                btyd_t_days=as_of_day - min(pdays),
                btyd_monetary_value_dec=monetary,
            )
        else:
            rec.update(
                orders=0,
                revenue_dec=Decimal(0),
                avg_order_value_dec=None,
                first_purchase_at=pd.NaT,
                last_purchase_at=pd.NaT,
                days_since_last_purchase=None,
                purchase_days=0,
                is_purchaser=False,
                btyd_frequency=None,
                btyd_recency_days=None,
                btyd_t_days=None,
                btyd_monetary_value_dec=None,
            )
        rows.append(rec)
    fct = pd.DataFrame(rows)
    for name in ("revenue", "avg_order_value", "btyd_monetary_value"):
        fct[name] = [None if v is None else float(v) for v in fct[name + "_dec"]]
    for name in ("days_since_last_purchase", "btyd_frequency", "btyd_recency_days", "btyd_t_days"):
        fct[name] = pd.array(fct[name].tolist(), dtype="Int64")
    for name in ("first_purchase_at", "last_purchase_at"):
        fct[name] = pd.to_datetime(fct[name])
    return fct


FCT_COLUMNS = [
    "user_id", "as_of", "first_seen_at", "last_seen_at", "first_seen_date", "last_seen_date",
    "days_since_first_seen", "days_since_last_seen", "active_days_total", "active_days_7d",
    "active_days_28d", "active_days_90d", "active_days_prev_28d", "events_total", "events_28d",
    "orders", "revenue", "avg_order_value", "first_purchase_at", "last_purchase_at",
    "days_since_last_purchase", "purchase_days", "is_purchaser", "btyd_frequency",
    "btyd_recency_days", "btyd_t_days", "btyd_monetary_value",
]


# --------------------------------------------------------------------------- RFM


def quantile_scores(values: Sequence[Any], bins: int, higher_is_better: bool) -> list[int]:
    """``least(bins, 1 + floor(bins * (rank - 1) / (n - 1)))``, rank = 1 + #strictly worse."""
    n = len(values)
    if n == 0:
        return []
    if n == 1:
        return [1]
    ordered = sorted(values)
    import bisect

    out = []
    for v in values:
        if higher_is_better:
            worse = bisect.bisect_left(ordered, v)  # strictly smaller
        else:
            worse = n - bisect.bisect_right(ordered, v)  # strictly larger
        rank = 1 + worse
        out.append(min(bins, 1 + (bins * (rank - 1)) // (n - 1)))
    return out


def threshold_scores(values: Sequence[Any], cuts: Sequence[Any], bins: int, recency: bool) -> list[int]:
    cuts_f = [_as_fraction(t) for t in cuts]
    out = []
    for v in values:
        fv = _as_fraction(v)
        if recency:
            out.append(bins - sum(1 for t in cuts_f if fv > t))
        else:
            out.append(1 + sum(1 for t in cuts_f if fv >= t))
    return out


def _rfm(
    fct: pd.DataFrame,
    as_of: date,
    bins: int,
    thresholds: Mapping[str, Sequence[Any]] | None,
    segment_map: Mapping[tuple[int, int], str],
    non_purchaser_segment: str,
) -> pd.DataFrame:
    buyers = fct[fct["orders"] > 0]
    rec_vals = [int(v) for v in buyers["days_since_last_purchase"]]
    freq_vals = [int(v) for v in buyers["orders"]]
    mon_vals = list(buyers["revenue_dec"])
    thresholds = thresholds or {}

    def score(name: str, vals: list, higher_is_better: bool) -> list[int]:
        cuts = thresholds.get(name)
        if cuts is not None:
            return threshold_scores(vals, cuts, bins, recency=not higher_is_better)
        return quantile_scores(vals, bins, higher_is_better)

    r = score("recency", rec_vals, False)
    f = score("frequency", freq_vals, True)
    m = score("monetary", mon_vals, True)
    scores = {
        uid: (rv, fv, mv)
        for uid, rv, fv, mv in zip(buyers["user_id"], r, f, m)
    }
    rows = []
    for rec in fct.itertuples(index=False):
        uid = rec.user_id
        if uid in scores:
            rs, fs, ms = scores[uid]
            rows.append(
                {
                    "user_id": uid,
                    "as_of": as_of,
                    "recency_days": int(rec.days_since_last_purchase),
                    "frequency": int(rec.orders),
                    "monetary": float(rec.revenue_dec),
                    "r_score": rs,
                    "f_score": fs,
                    "m_score": ms,
                    "rfm_cell": f"{rs}{fs}{ms}",
                    "rfm_segment": segment_map.get((rs, fs)),
                }
            )
        else:
            rows.append(
                {
                    "user_id": uid,
                    "as_of": as_of,
                    "recency_days": None,
                    "frequency": None,
                    "monetary": None,
                    "r_score": None,
                    "f_score": None,
                    "m_score": None,
                    "rfm_cell": None,
                    "rfm_segment": non_purchaser_segment,
                }
            )
    out = pd.DataFrame(rows)
    for c in ("recency_days", "frequency", "r_score", "f_score", "m_score"):
        out[c] = pd.array(out[c].tolist(), dtype="Int64")
    out["monetary"] = pd.array(out["monetary"].tolist(), dtype="Float64")
    return out


# --------------------------------------------------------------------------- usage tiers


def _usage_tiers(
    fct: pd.DataFrame,
    as_of: date,
    mode: str,
    tiers: Sequence[Mapping[str, Any]],
    quantiles: Sequence[Mapping[str, Any]],
) -> pd.DataFrame:
    ad = [int(v) for v in fct["active_days_28d"]]
    out_tier: list[str] = []
    if mode == "threshold":
        for v in ad:
            tier = INACTIVE_TIER
            for t in tiers:
                if v >= _as_fraction(t["min_active_days"]):
                    tier = t["name"]
                    break
            out_tier.append(tier)
    elif mode == "quantile":
        import bisect

        active = sorted(v for v in ad if v > 0)
        n = len(active)
        for v in ad:
            if v <= 0:
                out_tier.append(INACTIVE_TIER)
                continue
            rank = 1 + bisect.bisect_left(active, v)
            p = Fraction(0) if n == 1 else Fraction(rank - 1, n - 1)
            tier = INACTIVE_TIER
            for q in quantiles:
                if p >= _as_fraction(q["min_percentile"]):
                    tier = q["name"]
                    break
            out_tier.append(tier)
    else:
        raise ValueError(f"unknown usage_tier_mode {mode!r}")
    return pd.DataFrame(
        {
            "user_id": fct["user_id"].tolist(),
            "as_of": [as_of] * len(fct),
            "active_days_28d": ad,
            "usage_tier": out_tier,
        }
    )


# --------------------------------------------------------------------------- lifecycle


def _lifecycle(
    fct: pd.DataFrame,
    as_of: date,
    new_user_days: int,
    active_days_window: int,
    churn_days: int,
    reactivation_gap_days: int,
    at_risk_ratio: Any,
) -> pd.DataFrame:
    as_of_day = _day_number(as_of)
    ratio = _as_fraction(at_risk_ratio)
    stages = []
    for rec in fct.itertuples(index=False):
        days = rec.active_day_list  # sorted distinct active day numbers
        dsfs = rec.days_since_first_seen
        dsls = rec.days_since_last_seen
        ad28 = rec.active_days_28d
        prev28 = rec.active_days_prev_28d
        reactivated = any(
            as_of_day - d < active_days_window and d - p >= reactivation_gap_days
            for p, d in zip(days[:-1], days[1:])
        )
        if dsfs < new_user_days:
            stage_ = "new"
        elif reactivated:
            stage_ = "reactivated"
        elif dsls < active_days_window and prev28 > 0 and ad28 < ratio * prev28:
            stage_ = "at_risk"
        elif dsls < active_days_window:
            stage_ = "active"
        elif dsls < churn_days:
            stage_ = "dormant"
        else:
            stage_ = "churned"
        stages.append(stage_)
    return pd.DataFrame(
        {
            "user_id": fct["user_id"].tolist(),
            "as_of": [as_of] * len(fct),
            "days_since_first_seen": fct["days_since_first_seen"].astype("int64").tolist(),
            "days_since_last_seen": fct["days_since_last_seen"].astype("int64").tolist(),
            "active_days_28d": fct["active_days_28d"].astype("int64").tolist(),
            "active_days_prev_28d": fct["active_days_prev_28d"].astype("int64").tolist(),
            "lifecycle_stage": stages,
        }
    )


# --------------------------------------------------------------------------- summary


def _summary(fct: pd.DataFrame, dims: Mapping[str, pd.Series]) -> pd.DataFrame:
    total_users = len(fct)
    total_rev = sum(fct["revenue_dec"], Decimal(0))
    rows = []
    for dim, values in dims.items():
        frame = pd.DataFrame(
            {
                "value": list(values),
                "rev": list(fct["revenue_dec"]),
                "buyer": [o > 0 for o in fct["orders"]],
            }
        )
        for value, g in frame.groupby("value", sort=True):
            users = len(g)
            purchasers = int(sum(g["buyer"]))
            rev = sum(g["rev"], Decimal(0))
            rows.append(
                {
                    "segment_dimension": dim,
                    "segment_value": value,
                    "users": users,
                    "share_of_users": users / total_users,
                    "purchasers": purchasers,
                    "purchase_conversion": purchasers / users,
                    "revenue": float(rev),
                    "revenue_share": None if total_rev == 0 else float(rev / total_rev),
                    "revenue_per_user": float(rev / users),
                }
            )
    out = pd.DataFrame(rows)
    out["revenue_share"] = pd.array(out["revenue_share"].tolist(), dtype="Float64")
    return out


# --------------------------------------------------------------------------- entry point


def compute_reference(
    raw: pd.DataFrame,
    *,
    as_of: date | str | None = None,
    purchase_events: Iterable[str] = ("purchase",),
    max_event_date: date | str,
    min_event_ts: str | datetime = "1971-01-01",
    max_revenue: Any = 1_000_000_000,
    erased_user_ids: Iterable[str] = (),
    rfm_bins: int = 5,
    rfm_thresholds: Mapping[str, Sequence[Any]] | None = None,
    rfm_segment_map: Mapping[tuple[int, int], str] | None = None,
    rfm_non_purchaser_segment: str = NON_PURCHASER_SEGMENT,
    usage_tier_mode: str = "threshold",
    usage_tiers: Sequence[Mapping[str, Any]] = DEFAULT_USAGE_TIERS,
    usage_tier_quantiles: Sequence[Mapping[str, Any]] = DEFAULT_USAGE_TIER_QUANTILES,
    new_user_days: int = 14,
    active_days_window: int = 28,
    churn_days: int = 90,
    reactivation_gap_days: int = 28,
    at_risk_ratio: Any = 0.5,
) -> dict[str, pd.DataFrame]:
    """All models of docs/definitions.md for the raw event log ``raw``."""
    row_status, stg, as_of_date = stage(
        raw,
        as_of=as_of,
        purchase_events=purchase_events,
        max_event_date=max_event_date,
        min_event_ts=min_event_ts,
        max_revenue=max_revenue,
        erased_user_ids=erased_user_ids,
    )
    if rfm_segment_map is None:
        if rfm_bins != 5:
            raise ValueError("pass rfm_segment_map for rfm_bins != 5")
        segment_map = DEFAULT_RFM_SEGMENT_MAP
    else:
        segment_map = dict(rfm_segment_map)

    fct = _user_behavior(stg, as_of_date)
    rfm = _rfm(fct, as_of_date, rfm_bins, rfm_thresholds, segment_map, rfm_non_purchaser_segment)
    tiers = _usage_tiers(fct, as_of_date, usage_tier_mode, usage_tiers, usage_tier_quantiles)
    life = _lifecycle(
        fct, as_of_date, new_user_days, active_days_window, churn_days,
        reactivation_gap_days, at_risk_ratio,
    )
    summary = _summary(
        fct,
        {
            "rfm_segment": rfm["rfm_segment"],
            "usage_tier": tiers["usage_tier"],
            "lifecycle_stage": life["lifecycle_stage"],
        },
    )
    stg_out = stg[
        ["event_row_id", "user_id", "event_name", "event_ts", "event_date", "event_id",
         "session_id", "revenue", "order_id", "properties", "is_purchase"]
    ].reset_index(drop=True)
    counts = row_status.groupby("row_status").size()
    accounting = pd.DataFrame(
        {"row_status": list(counts.index), "rows": [int(v) for v in counts.values]}
    )
    return {
        "row_status": row_status,
        "event_row_accounting": accounting,
        "stg_events": stg_out,
        "fct_user_behavior": fct[FCT_COLUMNS].reset_index(drop=True),
        "user_rfm_segments": rfm,
        "user_usage_tiers": tiers,
        "user_lifecycle_stages": life,
        "segment_summary": summary,
    }


# --------------------------------------------------------------------------- comparison helpers
# Used by the tests to compare a warehouse table with a reference frame, column by column.


def _norm_value(v: Any) -> tuple[str, Any] | None:
    if _is_null(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return ("n", float(bool(v)))
    if isinstance(v, (pd.Timestamp, datetime, np.datetime64)):
        ts = pd.Timestamp(v)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ("t", ts.as_unit("us").value)
    if isinstance(v, date):
        return ("t", pd.Timestamp(v).as_unit("us").value)
    if isinstance(v, (int, float, np.integer, np.floating, Decimal)):
        return ("n", float(v))
    return ("s", str(v))


def _values_equal(a: tuple[str, Any] | None, b: tuple[str, Any] | None, rtol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if a[0] != b[0]:
        return False
    if a[0] == "n":
        return math.isclose(a[1], b[1], rel_tol=rtol, abs_tol=1e-12)
    return a[1] == b[1]


def frame_mismatches(
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    keys: Sequence[str],
    columns: Sequence[str] | None = None,
    rtol: float = 1e-9,
) -> list[str]:
    """Human-readable differences between two frames joined on ``keys`` (empty = equal)."""
    problems: list[str] = []
    columns = [c for c in (columns or expected.columns) if c not in keys]
    missing_cols = [c for c in list(keys) + columns if c not in actual.columns]
    if missing_cols:
        return [f"columns missing from actual: {missing_cols}"]

    def keyed(df: pd.DataFrame) -> dict[tuple, dict[str, Any]]:
        out: dict[tuple, dict[str, Any]] = {}
        recs = df[list(keys) + columns].to_dict("records")
        for rec in recs:
            k = tuple(_norm_value(rec[c]) for c in keys)
            if k in out:
                problems.append(f"duplicate key {k}")
            out[k] = rec
        return out

    a, e = keyed(actual), keyed(expected)
    only_a = [k for k in a if k not in e]
    only_e = [k for k in e if k not in a]
    if only_a:
        problems.append(f"{len(only_a)} keys only in actual, e.g. {[a[k] for k in only_a[:5]]}")
    if only_e:
        problems.append(f"{len(only_e)} keys only in expected, e.g. {[e[k] for k in only_e[:5]]}")
    for col in columns:
        bad = []
        for k, erec in e.items():
            if k not in a:
                continue
            av, ev = a[k][col], erec[col]
            if not _values_equal(_norm_value(av), _norm_value(ev), rtol):
                bad.append(f"    {dict(zip(keys, (erec[c] for c in keys)))}: actual={av!r} expected={ev!r}")
        if bad:
            problems.append(f"column {col!r}: {len(bad)} mismatching rows, first ones:\n" + "\n".join(bad[:8]))
    return problems


def assert_frames_match(
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    keys: Sequence[str],
    columns: Sequence[str] | None = None,
    rtol: float = 1e-9,
    label: str = "",
) -> None:
    problems = frame_mismatches(actual, expected, keys, columns, rtol)
    assert not problems, f"{label}: actual (SQL) != expected\n" + "\n".join(problems)


def query(build: Any, sql: str) -> pd.DataFrame:
    """``build.query(sql)`` (a read-only connection to the finished build)."""
    return build.query(sql)


def table(build: Any, name: str) -> pd.DataFrame:
    return build.table(name)


def warehouse_row_status(build: Any) -> pd.DataFrame:
    """Per-row status from the staging models of a finished build (same shape as row_status)."""
    return query(
        build,
        """
        select event_row_id, 'clean' as row_status, null::varchar as quarantine_reason,
               null::varchar as duplicate_reason from main.stg_events
        union all
        select event_row_id, 'quarantined', quarantine_reason, null from main.stg_events_quarantine
        union all
        select event_row_id, 'duplicate', null, duplicate_reason from main.stg_events_duplicates
        union all
        select event_row_id, 'after_as_of', null, null from main.stg_events_after_as_of
        union all
        select event_row_id, 'erased', null, null from main.stg_events_erased
        """
    )


MODEL_KEYS = {
    "fct_user_behavior": ["user_id"],
    "user_rfm_segments": ["user_id"],
    "user_usage_tiers": ["user_id"],
    "user_lifecycle_stages": ["user_id"],
    "segment_summary": ["segment_dimension", "segment_value"],
}


def project_segment_dimensions() -> list[str]:
    """The label columns the project summarises and tracks: dbt_project.yml's var
    segment_dimensions (configuration, not SQL)."""
    from pathlib import Path

    project = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())
    return list(project["vars"]["segment_dimensions"])


CORE_SEGMENT_DIMENSIONS = ("rfm_segment", "usage_tier", "lifecycle_stage")


def comparable(model: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A built relation cut to what this reference computes: segment_summary also summarises
    the catalogue's label columns (reference_*.py check those labels), this reference the
    core dimensions."""
    if model == "segment_summary" and "segment_dimension" in frame.columns:
        return frame[frame["segment_dimension"].isin(CORE_SEGMENT_DIMENSIONS)].reset_index(drop=True)
    return frame
