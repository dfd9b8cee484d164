"""An independent pandas implementation of ``docs/segments/product.md``.

Written from that page, not from the SQL. Input: the clean events (``stg_events``: user_id,
event_row_id, event_name, event_ts, event_date, revenue, order_id, properties, is_purchase),
``as_of`` and the taxonomy seed; orders and first/last seen are derived here from the
definitions (docs/definitions.md, sections 3 and 4). Day arithmetic is on integers; revenue is
summed as ``Decimal``; breadth and shares use ``Fraction`` before turning into floats.

Entry point: :func:`compute_product_reference`.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

SEED_PATH = Path(__file__).resolve().parents[2] / "seeds" / "event_taxonomy.csv"

DEFAULTS: dict[str, Any] = {
    "key_events": None,
    "feature_adoption_min_uses": 1,
    "adoption_explorer_min_features": 2,
    "adoption_power_min_breadth": 0.7,
    "feature_retention_windows": [30, 60, 90],
    "first_n_days": 14,
    "first_n_days_metric": "revenue",
    "first_n_days_threshold": 200,
    "signup_events": ["signup", "sign_up", "register"],
    "journey_loyal_min_orders": 5,
    "journey_loyal_window_days": 365,
    "cart_events": ["add_to_cart"],
    "cart_abandonment_window_hours": 24,
    "cart_abandoner_recency_days": 30,
}

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SEP = re.compile(r"[\s.\-]+")


def norm_name(name: str) -> str:
    return _SEP.sub("_", str(name).strip().lower())


def _day(d: Any) -> int:
    if isinstance(d, pd.Timestamp):
        d = d.date()
    if isinstance(d, datetime):
        d = d.date()
    return d.toordinal()


def _null(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _json_number(text: Any, key: str) -> float | None:
    """A top-level key of a JSON object text read as a number; None when absent/not numeric."""
    if _null(text):
        return None
    try:
        obj = json.loads(text)
    except (ValueError, TypeError):
        return None
    if not isinstance(obj, dict) or key not in obj or obj[key] is None:
        return None
    v = obj[key]
    if isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def load_taxonomy(path: Path = SEED_PATH) -> pd.DataFrame:
    tax = pd.read_csv(path, dtype=str)
    tax["event_name"] = tax["event_name"].map(norm_name)
    tax["is_key_event"] = tax["is_key_event"].str.lower().eq("true")
    return tax


def compute_product_reference(stg: pd.DataFrame, as_of: date, taxonomy: pd.DataFrame | None = None,
                              **overrides: Any) -> dict[str, pd.DataFrame]:
    v = {**DEFAULTS, **overrides}
    tax = load_taxonomy() if taxonomy is None else taxonomy
    ev = stg.copy()
    ev["event_ts"] = pd.to_datetime(ev["event_ts"])
    # proleptic Gregorian ordinal of the event date (date.toordinal), vectorised
    ev["day"] = (pd.to_datetime(ev["event_date"]) - pd.Timestamp("1970-01-01")).dt.days.astype(int) + EPOCH_ORDINAL
    asof = as_of.toordinal()

    # ---- users and orders (definitions sections 3, 4)
    users = ev.groupby("user_id").agg(first_day=("day", "min"), last_day=("day", "max")).reset_index()
    purchases = ev[ev["is_purchase"].astype(bool)].copy()
    purchases["order_key"] = [
        f"order:{o}" if not _null(o) else f"event:{r}" for o, r in zip(purchases["order_id"], purchases["event_row_id"])
    ]
    orders = purchases.groupby(["user_id", "order_key"]).agg(
        ordered_at=("event_ts", "min"), order_day=("day", "min")).reset_index()
    rev = {}
    for (u, k), r in zip(zip(purchases["user_id"], purchases["order_key"]), purchases["revenue"]):
        rev[(u, k)] = rev.get((u, k), Decimal(0)) + (Decimal(0) if _null(r) else Decimal(str(r)))
    orders["revenue"] = [rev[(u, k)] for u, k in zip(orders["user_id"], orders["order_key"])]
    n_orders = orders.groupby("user_id").size().to_dict()
    first_order_at = orders.groupby("user_id")["ordered_at"].min().to_dict()
    last_purchase_at = purchases.groupby("user_id")["event_ts"].max().to_dict()
    first_day = dict(zip(users["user_id"], users["first_day"]))
    last_day = dict(zip(users["user_id"], users["last_day"]))
    all_users = list(users["user_id"])

    # ---- key events
    if v["key_events"] is not None:
        key_names = {norm_name(n) for n in v["key_events"]}
    else:
        key_names = set(tax.loc[tax["is_key_event"], "event_name"])
    is_key = ev["event_name"].isin(key_names)

    out: dict[str, pd.DataFrame] = {}

    # ---- 1.1 adoption
    feat_of = tax[["event_name", "feature"]].drop_duplicates()
    fe = ev.merge(feat_of, on="event_name", how="inner")
    cat = tax.groupby("feature")["category"].min().to_dict()
    agg = fe.groupby(["user_id", "feature"]).agg(
        uses=("day", "size"), first_used_at=("event_ts", "min"), fd=("day", "min"), ld=("day", "max"),
        active_days_using=("day", "nunique")).reset_index()
    rows = []
    for r in agg.itertuples(index=False):
        if r.uses < v["feature_adoption_min_uses"]:
            continue
        rows.append({
            "user_id": r.user_id, "feature": r.feature, "as_of": as_of, "category": cat[r.feature],
            "first_used_at": r.first_used_at, "first_used_date": date.fromordinal(int(r.fd)),
            "days_to_adopt": int(r.fd) - first_day[r.user_id], "uses": int(r.uses),
            "active_days_using": int(r.active_days_using), "last_used_date": date.fromordinal(int(r.ld)),
            "days_since_last_used": asof - int(r.ld),
        })
    adoption = pd.DataFrame(rows, columns=["user_id", "feature", "as_of", "category", "first_used_at", "first_used_date",
                                           "days_to_adopt", "uses", "active_days_using", "last_used_date",
                                           "days_since_last_used"])
    out["user_feature_adoption"] = adoption

    # ---- 1.2 segments
    n_features = tax["feature"].nunique()
    by_user: dict[str, list] = {}
    for rec in adoption.itertuples(index=False):
        by_user.setdefault(rec.user_id, []).append((rec.first_used_at, rec.feature))
    power = Fraction(str(v["adoption_power_min_breadth"]))
    rows = []
    for u in all_users:
        feats = sorted(by_user.get(u, []))
        k = len(feats)
        breadth = Fraction(k, n_features) if n_features else None
        if k == 0:
            seg = "none"
        elif breadth is not None and breadth >= power:
            seg = "power_adopter"
        elif k >= v["adoption_explorer_min_features"]:
            seg = "explorer"
        else:
            seg = "single_feature"
        rows.append({
            "user_id": u, "as_of": as_of, "features_adopted": k, "features_in_taxonomy": n_features,
            "feature_breadth": None if breadth is None else float(breadth),
            "first_feature": feats[0][1] if feats else None, "first_feature_at": feats[0][0] if feats else None,
            "adoption_segment": seg,
        })
    out["user_feature_segments"] = pd.DataFrame(rows)

    # ---- 1.3 retention
    adopt_day = {(r.user_id, r.feature): r.days_to_adopt for r in adoption.itertuples(index=False)}
    rows = []
    for f in sorted(tax["feature"].unique()):
        for n in sorted(set(int(w) for w in v["feature_retention_windows"])):
            eligible = [u for u in all_users if asof - first_day[u] >= n]
            retained = {u for u in eligible if last_day[u] - first_day[u] >= n}
            adopters = [u for u in eligible if (u, f) in adopt_day and adopt_day[(u, f)] <= n - 1]
            a_set = set(adopters)
            non = [u for u in eligible if u not in a_set]
            a_ret = sum(1 for u in adopters if u in retained)
            n_ret = sum(1 for u in non if u in retained)
            a_share = Fraction(a_ret, len(adopters)) if adopters else None
            n_share = Fraction(n_ret, len(non)) if non else None
            rows.append({
                "feature": f, "window_days": n, "as_of": as_of, "eligible_users": len(eligible),
                "adopters": len(adopters), "adopters_retained": a_ret,
                "adopters_retained_share": None if a_share is None else float(a_share),
                "non_adopters": len(non), "non_adopters_retained": n_ret,
                "non_adopters_retained_share": None if n_share is None else float(n_share),
                "retained_share_difference": None if a_share is None or n_share is None else float(a_share - n_share),
            })
    out["feature_retention"] = pd.DataFrame(rows)

    # ---- 2. first N days
    n = int(v["first_n_days"])
    metric = v["first_n_days_metric"]
    threshold = Decimal(str(v["first_n_days_threshold"]))
    in_win_orders: dict[str, list] = {}
    for rec in orders.itertuples(index=False):
        if rec.order_day - first_day[rec.user_id] <= n - 1:
            in_win_orders.setdefault(rec.user_id, []).append(rec.revenue)
    active = ev.groupby("user_id")["day"].apply(lambda s: set(s)).to_dict()
    key_days = ev[is_key].groupby("user_id")["day"].apply(list).to_dict()
    rows = []
    for u in all_users:
        fd = first_day[u]
        values = {
            "revenue": sum(in_win_orders.get(u, []), Decimal(0)),
            "orders": len(in_win_orders.get(u, [])),
            "active_days": sum(1 for d in active[u] if d - fd <= n - 1),
            "key_events": sum(1 for d in key_days.get(u, []) if d - fd <= n - 1),
        }
        end = fd + n - 1
        if Decimal(str(values[metric])) >= threshold:
            label = "reached"
        elif end > asof:
            label = "pending"
        else:
            label = "not_reached"
        rows.append({
            "user_id": u, "as_of": as_of, "first_seen_date": date.fromordinal(fd), "window_end_date": date.fromordinal(end),
            "days_since_first_seen": asof - fd, "is_window_complete": end <= asof,
            "revenue_first_n_days": float(values["revenue"]), "orders_first_n_days": values["orders"],
            "active_days_first_n_days": values["active_days"], "key_events_first_n_days": values["key_events"],
            "first_n_days": n, "first_n_days_metric": metric, "first_n_days_threshold": float(threshold),
            "first_n_days_label": label,
        })
    out["user_first_n_days"] = pd.DataFrame(rows)

    # ---- 3. journey
    signup_names = {norm_name(x) for x in v["signup_events"]}
    signed = ev[ev["event_name"].isin(signup_names)].groupby("user_id")["event_ts"].min().to_dict()
    activated = ev[is_key].groupby("user_id")["event_ts"].min().to_dict()
    w = v["journey_loyal_window_days"]
    loyal_counts: dict[str, int] = {}
    for rec in orders.itertuples(index=False):
        if w is None or asof - rec.order_day <= int(w) - 1:
            loyal_counts[rec.user_id] = loyal_counts.get(rec.user_id, 0) + 1
    rows = []
    for u in all_users:
        o = n_orders.get(u, 0)
        lo = loyal_counts.get(u, 0)
        if lo >= v["journey_loyal_min_orders"]:
            stage = "loyal"
        elif o >= 2:
            stage = "repeat_buyer"
        elif o == 1:
            stage = "first_time_buyer"
        elif u in activated:
            stage = "activated"
        elif u in signed:
            stage = "signed_up"
        else:
            stage = "visitor"
        rows.append({"user_id": u, "as_of": as_of, "signed_up_at": signed.get(u), "activated_at": activated.get(u),
                     "first_order_at": first_order_at.get(u), "orders": o, "loyal_window_orders": lo,
                     "journey_stage": stage})
    out["user_journey_stages"] = pd.DataFrame(rows)

    # ---- 4. carts
    cart_names = {norm_name(x) for x in v["cart_events"]}
    window = timedelta(hours=int(v["cart_abandonment_window_hours"]))
    end_of_as_of = pd.Timestamp(as_of + timedelta(days=1))
    ptimes = {u: sorted(g) for u, g in purchases.groupby("user_id")["event_ts"]}
    per_user: dict[str, dict] = {}
    for rec in ev[ev["event_name"].isin(cart_names)].itertuples(index=False):
        u, at = rec.user_id, rec.event_ts
        times = ptimes.get(u, [])
        i = bisect_left(times, at)
        nxt = times[i] if i < len(times) else None
        if nxt is not None and nxt <= at + window:
            status = "converted"
        elif at + window >= end_of_as_of:
            status = "pending"
        else:
            status = "abandoned"
        price = _json_number(rec.properties, "price")
        qty = _json_number(rec.properties, "quantity")
        value = None if price is None else price * (1.0 if qty is None else qty)
        s = per_user.setdefault(u, {"cart_events": 0, "converted": 0, "pending": 0, "abandoned": 0, "open": 0,
                                    "value": Decimal(0), "last_at": None, "last_day": None})
        s["cart_events"] += 1
        s[status] += 1
        if status == "abandoned":
            lp = last_purchase_at.get(u)
            if lp is None or at > lp:
                s["open"] += 1
                s["value"] += Decimal(0) if value is None else Decimal(repr(value)).quantize(Decimal("1e-9"))
            if s["last_at"] is None or at > s["last_at"]:
                s["last_at"], s["last_day"] = at, rec.day
    rows = []
    for u in all_users:
        s = per_user.get(u)
        lp = last_purchase_at.get(u)
        last_at = s["last_at"] if s else None
        days_since = None if last_at is None else asof - s["last_day"]
        rows.append({
            "user_id": u, "as_of": as_of, "cart_events": s["cart_events"] if s else 0,
            "converted_carts": s["converted"] if s else 0, "pending_carts": s["pending"] if s else 0,
            "abandoned_carts": s["abandoned"] if s else 0, "open_abandoned_carts": s["open"] if s else 0,
            "abandoned_cart_value": float(s["value"]) if s else 0.0, "last_abandoned_at": last_at,
            "days_since_cart_abandoned": days_since, "last_purchase_at": lp,
            "is_cart_abandoner": bool(days_since is not None and days_since <= v["cart_abandoner_recency_days"] - 1
                                      and (lp is None or lp < last_at)),
        })
    out["user_cart_abandonment"] = pd.DataFrame(rows)
    return out


PRODUCT_MODEL_KEYS = {
    "user_feature_adoption": ["user_id", "feature"],
    "user_feature_segments": ["user_id"],
    "feature_retention": ["feature", "window_days"],
    "user_first_n_days": ["user_id"],
    "user_journey_stages": ["user_id"],
    "user_cart_abandonment": ["user_id"],
}
