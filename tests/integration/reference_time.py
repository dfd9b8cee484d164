"""Independent pandas implementation of docs/segments/time.md (no tests here).

Input: the active days ``(user_id, activity_date)`` (one row per user and active UTC day, as
``int_user_days``) and ``as_of``. Written from the document, not from the SQL: plain Python
date arithmetic per user, then counting.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from tests.integration.reference import project_segment_dimensions

EPOCH_MONDAY = date(1970, 1, 5)


def to_date(value) -> date:
    return pd.Timestamp(value).date()


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())  # weekday(): Monday = 0


def week_index(d: date) -> int:
    return (week_start(d) - EPOCH_MONDAY).days // 7


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    i = month_index(d) + n
    return date(i // 12, i % 12 + 1, 1)


GRAIN = {
    "month": (month_start, month_index, lambda start, n: add_months(start, n)),
    "week": (week_start, week_index, lambda start, n: start + timedelta(days=7 * n)),
}


def _days_by_user(user_days: pd.DataFrame) -> dict[str, list[date]]:
    out: dict[str, list[date]] = {}
    for user, d in zip(user_days["user_id"], user_days["activity_date"]):
        out.setdefault(user, []).append(to_date(d))
    return {u: sorted(set(ds)) for u, ds in out.items()}


def cohort_retention(user_days: pd.DataFrame, as_of: date, grains=("month", "week")) -> pd.DataFrame:
    days = _days_by_user(user_days)
    rows = []
    for grain in grains:
        start_of, index_of, add = GRAIN[grain]
        cohorts: dict[date, list[set[int]]] = {}
        for user, ds in days.items():
            first = ds[0]
            periods = {index_of(d) - index_of(first) for d in ds}
            cohorts.setdefault(start_of(first), []).append(periods)
        for cohort_start, members in cohorts.items():
            n_users = len(members)
            for n in range(index_of(as_of) - index_of(cohort_start) + 1):
                active = sum(1 for p in members if n in p)
                later = sum(1 for p in members if max(p) >= n)
                next_start = add(cohort_start, n + 1)
                rows.append({
                    "cohort_grain": grain,
                    "cohort_start": cohort_start,
                    "period_number": n,
                    "period_start": add(cohort_start, n),
                    "period_end": next_start - timedelta(days=1),
                    "is_period_complete": next_start - timedelta(days=1) <= as_of,
                    "cohort_users": n_users,
                    "active_users": active,
                    "returned_share": active / n_users,
                    "returned_or_later_users": later,
                    "returned_or_later_share": later / n_users,
                    "as_of": as_of,
                })
    return pd.DataFrame(rows)


def growth_accounting(user_days: pd.DataFrame, as_of: date) -> pd.DataFrame:
    days = _days_by_user(user_days)
    months = {u: {month_index(d) for d in ds} for u, ds in days.items()}
    if not months:
        return pd.DataFrame()
    first_overall = min(min(m) for m in months.values())
    rows = []
    for m in range(first_overall, month_index(as_of) + 1):
        active = {u for u, ms in months.items() if m in ms}
        prev = {u for u, ms in months.items() if m - 1 in ms}
        new = {u for u in active if min(months[u]) == m}
        retained = active & prev
        resurrected = active - prev - new
        churned = prev - active
        start = date(m // 12, m % 12 + 1, 1)
        end = add_months(start, 1) - timedelta(days=1)
        rows.append({
            "month_start": start,
            "month_end": end,
            "is_month_complete": end <= as_of,
            "active_users": len(active),
            "active_users_prev": len(prev),
            "new_users": len(new),
            "retained_users": len(retained),
            "resurrected_users": len(resurrected),
            "churned_users": len(churned),
            "quick_ratio": (len(new) + len(resurrected)) / len(churned) if churned else None,
            "as_of": as_of,
        })
    return pd.DataFrame(rows)


def power_user_curve(user_days: pd.DataFrame, as_of: date, windows=(7, 28)) -> pd.DataFrame:
    days = _days_by_user(user_days)
    rows = []
    for w in windows:
        counts = [sum(1 for d in ds if 0 <= (as_of - d).days <= w - 1) for ds in days.values()]
        counts = [c for c in counts if c > 0]
        total = len(counts)
        for k in range(1, w + 1):
            users = sum(1 for c in counts if c == k)
            rows.append({
                "window_days": w,
                "active_days": k,
                "users": users,
                "share_of_active_users": users / total if total else None,
                "users_at_least": sum(1 for c in counts if c >= k),
                "window_active_users": total,
                "as_of": as_of,
            })
    return pd.DataFrame(rows)


def daily_stickiness(user_days: pd.DataFrame, as_of: date, days: int = 90, mau_days: int = 28) -> pd.DataFrame:
    by_user = _days_by_user(user_days)
    first_day = as_of - timedelta(days=days - 1)
    covered: dict[str, tuple[int, dict[date, set[str]]]] = {"dau": (1, {}), "wau": (7, {}), "mau": (mau_days, {})}
    for user, ds in by_user.items():
        for e in ds:
            for width, per_day in covered.values():
                # e counts for the days d with 0 <= d - e <= width - 1
                for k in range(width):
                    d = e + timedelta(days=k)
                    if first_day <= d <= as_of:
                        per_day.setdefault(d, set()).add(user)
    rows = []
    for back in range(days):
        d = as_of - timedelta(days=back)
        dau, wau, mau = (len(covered[name][1].get(d, ())) for name in ("dau", "wau", "mau"))
        rows.append({
            "activity_date": d,
            "dau": dau,
            "wau": wau,
            "mau": mau,
            "dau_mau": dau / mau if mau else None,
            "dau_wau": dau / wau if wau else None,
            "wau_mau": wau / mau if mau else None,
            "mau_window_days": mau_days,
            "as_of": as_of,
        })
    return pd.DataFrame(rows)


def segment_transitions(history: pd.DataFrame, from_as_of: date, to_as_of: date,
                        dimensions: tuple[str, ...] | None = None,
                        missing: str = "(none)") -> pd.DataFrame:
    """From a user_segment_history frame (as_of, user_id, <dimensions>); the dimensions default
    to the project's var segment_dimensions."""
    dimensions = tuple(dimensions or project_segment_dimensions())
    as_of = history["as_of"].map(to_date)
    before = history[as_of == from_as_of].set_index("user_id")
    after = history[as_of == to_as_of].set_index("user_id")
    users = sorted(set(before.index) | set(after.index))
    rows = []
    for dim in dimensions:
        pairs: dict[tuple[str, str], int] = {}
        for u in users:
            f = before[dim].get(u) if u in before.index else None
            t = after[dim].get(u) if u in after.index else None
            key = (missing if f is None or pd.isna(f) else f, missing if t is None or pd.isna(t) else t)
            pairs[key] = pairs.get(key, 0) + 1
        from_totals: dict[str, int] = {}
        for (f, _), n in pairs.items():
            from_totals[f] = from_totals.get(f, 0) + n
        for (f, t), n in pairs.items():
            rows.append({
                "from_as_of": from_as_of,
                "to_as_of": to_as_of,
                "segment_dimension": dim,
                "from_value": f,
                "to_value": t,
                "is_change": f != t,
                "users": n,
                "share_of_from_users": n / from_totals[f],
            })
    return pd.DataFrame(rows)
