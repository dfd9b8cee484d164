"""An independent pandas implementation of docs/segments/occasion_benefits_loyalty.md.

Written from that text, not from the SQL. Input: the clean events (the columns of
``stg_events``: user_id, event_name, event_ts, event_date, event_row_id, order_id, properties,
is_purchase), the run's ``as_of`` and the holiday calendar. Shares and thresholds are compared
exactly (``Fraction``), money is summed as ``Decimal``.

Entry point: :func:`compute_occasion_reference` -> {"user_occasion_segments": ...,
"user_benefit_segments": ..., "user_loyalty_segments": ...}.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
DAY_NUMBERS = {"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7}
DAYPARTS = ("night", "morning", "afternoon", "evening")
SEASONS = ("winter", "spring", "summer", "autumn")
NORTH_SEASON = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
                6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}
SOUTH_SWAP = {"winter": "summer", "summer": "winter", "spring": "autumn", "autumn": "spring"}
# what a double cast of text accepts (decimal / scientific notation, '_' between digits, inf, nan)
_NUMBER_RE = re.compile(r"^[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+)?$")
_SPECIAL_RE = re.compile(r"^[+-]?(inf|infinity|nan)$", re.IGNORECASE)
SEED_PATH = Path(__file__).resolve().parents[2] / "seeds" / "holiday_calendar.csv"


@dataclass
class OccasionVars:
    occasion_min_orders: int = 2
    occasion_weekend_min_share: Any = "0.6"
    occasion_weekday_max_share: Any = "0.1"
    occasion_weekend_days: tuple[str, ...] = ("saturday", "sunday")
    holiday_country: str = "US"
    holiday_window_days: int = 3
    holiday_buyer_min_share: Any = "0.5"
    occasion_daypart_start_hours: dict = field(default_factory=lambda: {"morning": 6, "afternoon": 12, "evening": 18})
    season_hemisphere: str = "north"
    discount_properties: tuple[str, ...] = ("discount_code", "coupon", "coupon_code", "promo_code")
    benefits_min_orders: int = 2
    benefits_discount_driven_min_share: Any = "0.5"
    price_band_premium_min: Any = "80"
    price_band_budget_max: Any = "25"
    price_max_item_quantity: Any = "10000"
    max_revenue: Any = "1000000000"
    advocacy_events: tuple[str, ...] = ("refer_friend", "write_review", "share_product")
    referral_events: tuple[str, ...] = ("refer_friend",)
    review_events: tuple[str, ...] = ("write_review",)
    advocate_min_events: int = 10
    loyal_min_orders: int = 4
    loyal_min_active_months: int = 3


def frac(x: Any) -> Fraction:
    return Fraction(str(x))


def read_holiday_calendar(path: Path = SEED_PATH) -> list[tuple[str, date, str]]:
    with path.open(newline="") as fh:
        return [(r["country"], date.fromisoformat(r["holiday_date"]), r["holiday_name"]) for r in csv.DictReader(fh)]


# --------------------------------------------------------------------------- properties


def _properties(text: Any) -> dict | None:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    try:
        obj = json.loads(text)
    except (TypeError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def _has_value(props: dict | None, key: str) -> bool:
    """The key exists, is not JSON null and is not blank text."""
    if props is None or key not in props or props[key] is None:
        return False
    v = props[key]
    if isinstance(v, str):
        return v.strip(ASCII_WHITESPACE) != ""
    return True


def _number(props: dict | None, key: str) -> float | None:
    """The property as a double the way a double cast of its text reads it, else None."""
    if props is None or key not in props:
        return None
    v = props[key]
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        s = v.strip(ASCII_WHITESPACE)
        if _NUMBER_RE.match(s):
            return float(s.replace("_", ""))
        if _SPECIAL_RE.match(s):
            return float(s)
    return None


def _price(props: dict | None, v: OccasionVars) -> float | None:
    p = _number(props, "price")
    if p is None or not math.isfinite(p) or p < 0 or frac(p) > frac(v.max_revenue):
        return None
    return p


def _quantity(props: dict | None, v: OccasionVars) -> float:
    q = _number(props, "quantity")
    if q is None or not math.isfinite(q) or q <= 0 or frac(q) > frac(v.price_max_item_quantity):
        return 1.0
    return q


# --------------------------------------------------------------------------- helpers


def _orders(stg: pd.DataFrame) -> pd.DataFrame:
    """One row per order: user_id, order_key, ordered_at, order_date (int_orders' rule)."""
    p = stg[stg["is_purchase"]].copy()
    p["order_key"] = [
        f"order:{o}" if o is not None and not (isinstance(o, float) and math.isnan(o)) else f"event:{r}"
        for o, r in zip(p["order_id"], p["event_row_id"])
    ]
    return p


def _dominant(counts: dict[str, int], order: tuple[str, ...]) -> str | None:
    top = max(counts.values())
    if top == 0:
        return None
    return next(label for label in order if counts[label] == top)


def _daypart(hour: int, starts: dict) -> str:
    if hour < int(starts["morning"]):
        return "night"
    if hour < int(starts["afternoon"]):
        return "morning"
    if hour < int(starts["evening"]):
        return "afternoon"
    return "evening"


def _season(month: int, hemisphere: str) -> str:
    s = NORTH_SEASON[month]
    return SOUTH_SWAP[s] if hemisphere == "south" else s


def _month_runs(months: list[int]) -> list[tuple[int, int]]:
    """(last month, length) of each run of consecutive month numbers."""
    runs: list[tuple[int, int]] = []
    for m in sorted(set(months)):
        if runs and runs[-1][0] == m - 1:
            runs[-1] = (m, runs[-1][1] + 1)
        else:
            runs.append((m, 1))
    return runs


# --------------------------------------------------------------------------- the three marts


def compute_occasion_reference(
    stg: pd.DataFrame,
    as_of: date,
    holidays: list[tuple[str, date, str]] | None = None,
    v: OccasionVars | None = None,
) -> dict[str, pd.DataFrame]:
    v = v or OccasionVars()
    holidays = read_holiday_calendar() if holidays is None else holidays
    stg = stg.copy()
    stg["event_ts"] = pd.to_datetime(stg["event_ts"])
    stg["event_date"] = stg["event_ts"].dt.date
    users = sorted(stg["user_id"].unique())

    weekend_days = {DAY_NUMBERS[d.strip().lower()] for d in v.occasion_weekend_days}
    holiday_days: set[date] = set()
    for country, day, _ in holidays:
        if country == v.holiday_country:
            for k in range(v.holiday_window_days + 1):
                holiday_days.add(day - timedelta(days=k))

    purchases = _orders(stg)
    events_of_order: dict[tuple[str, str], list[tuple[pd.Timestamp, dict | None]]] = {}
    for uid, key, ts, text in zip(purchases["user_id"], purchases["order_key"], purchases["event_ts"],
                                  purchases["properties"]):
        events_of_order.setdefault((uid, key), []).append((ts, _properties(text)))
    per_user_orders: dict[str, list[dict]] = {u: [] for u in users}
    for (uid, _key), events in events_of_order.items():
        ordered_at = min(ts for ts, _ in events)
        items = []
        for _, props in events:
            price = _price(props, v)
            if price is not None:
                q = _quantity(props, v)
                items.append((Decimal(repr(price * q)).quantize(Decimal("1e-9")), Decimal(repr(q))))
        per_user_orders[uid].append({
            "ordered_at": ordered_at,
            "order_date": ordered_at.date(),
            "discounted": any(_has_value(p, k) for _, p in events for k in v.discount_properties),
            "items": items,
        })

    occ_rows, ben_rows, loy_rows = [], [], []
    for uid in users:
        orders = per_user_orders[uid]
        n = len(orders)
        # ---- occasion
        weekend = sum(1 for o in orders if o["order_date"].isoweekday() in weekend_days)
        holiday = sum(1 for o in orders if o["order_date"] in holiday_days)
        parts = {p: 0 for p in DAYPARTS}
        seasons = {s: 0 for s in SEASONS}
        for o in orders:
            parts[_daypart(o["ordered_at"].hour, v.occasion_daypart_start_hours)] += 1
            seasons[_season(o["order_date"].month, v.season_hemisphere)] += 1
        wshare = Fraction(weekend, n) if n else None
        hshare = Fraction(holiday, n) if n else None
        if n == 0:
            wseg = "non_buyer"
        elif n < v.occasion_min_orders:
            wseg = "too_few_orders"
        elif wshare >= frac(v.occasion_weekend_min_share):
            wseg = "weekend_buyer"
        elif wshare <= frac(v.occasion_weekday_max_share):
            wseg = "weekday_buyer"
        else:
            wseg = "mixed"
        occ_rows.append({
            "user_id": uid, "as_of": as_of, "orders": n,
            "weekend_orders": weekend, "weekend_order_share": None if wshare is None else float(wshare),
            "weekday_segment": wseg,
            "holiday_orders": holiday, "holiday_order_share": None if hshare is None else float(hshare),
            "is_holiday_buyer": bool(n >= v.occasion_min_orders and hshare >= frac(v.holiday_buyer_min_share)),
            **{f"{p}_orders": c for p, c in parts.items()},
            "dominant_daypart": _dominant(parts, DAYPARTS),
            **{f"{s}_orders": c for s, c in seasons.items()},
            "dominant_season": _dominant(seasons, SEASONS),
        })
        # ---- benefits
        disc = sum(1 for o in orders if o["discounted"])
        dshare = Fraction(disc, n) if n else None
        items = [it for o in orders for it in o["items"]]
        value = sum((i[0] for i in items), Decimal(0)) if items else None
        qty = sum((i[1] for i in items), Decimal(0)) if items else None
        avg = Fraction(value) / Fraction(qty) if items else None
        if n == 0:
            bseg = "non_buyer"
        elif n < v.benefits_min_orders:
            bseg = "too_few_orders"
        elif dshare >= frac(v.benefits_discount_driven_min_share):
            bseg = "discount_driven"
        elif disc == 0:
            bseg = "full_price"
        else:
            bseg = "mixed"
        if avg is None:
            band = None
        elif avg >= frac(v.price_band_premium_min):
            band = "premium"
        elif avg < frac(v.price_band_budget_max):
            band = "budget"
        else:
            band = "mid"
        ben_rows.append({
            "user_id": uid, "as_of": as_of, "orders": n, "discounted_orders": disc,
            "discount_order_share": None if dshare is None else float(dshare), "benefit_segment": bseg,
            "priced_item_quantity": None if qty is None else float(qty),
            "priced_item_value": None if value is None else float(value),
            "avg_item_price": None if avg is None else float(avg), "price_band": band,
        })

    # ---- loyalty
    ev = stg
    first_seen = ev.groupby("user_id")["event_date"].min()
    months = {uid: [d.year * 12 + d.month for d in g] for uid, g in ev.groupby("user_id")["event_date"]}
    as_of_month = as_of.year * 12 + as_of.month
    names = ev.groupby("user_id")["event_name"].apply(list)
    for uid in users:
        n = len(per_user_orders[uid])
        runs = _month_runs(months[uid])
        current = next((length for last, length in runs if last == as_of_month), 0)
        ev_names = names[uid]
        adv = sum(1 for e in ev_names if e in v.advocacy_events)
        is_adv = adv >= v.advocate_min_events
        if n == 0:
            seg = "non_buyer"
        elif n >= 2 and is_adv:
            seg = "advocate"
        elif n >= v.loyal_min_orders and current >= v.loyal_min_active_months:
            seg = "loyal"
        elif n >= 2:
            seg = "repeat"
        else:
            seg = "one_time"
        loy_rows.append({
            "user_id": uid, "as_of": as_of, "orders": n,
            "repeat_purchase_share": float(Fraction(n - 1, n)) if n else None,
            "first_seen_date": first_seen[uid], "tenure_days": (as_of - first_seen[uid]).days,
            "consecutive_active_months": current,
            "longest_active_month_streak": max(length for _, length in runs),
            "referral_events": sum(1 for e in ev_names if e in v.referral_events),
            "review_events": sum(1 for e in ev_names if e in v.review_events),
            "advocacy_events": adv, "is_advocate": is_adv, "loyalty_segment": seg,
        })
    return {
        "user_occasion_segments": pd.DataFrame(occ_rows),
        "user_benefit_segments": pd.DataFrame(ben_rows),
        "user_loyalty_segments": pd.DataFrame(loy_rows),
    }
