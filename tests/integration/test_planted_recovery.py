"""The dbt models recover the behaviours planted by ``scripts/generate_events.py``.

``demo_data`` plants one behaviour per user (``planted_labels.parquet``); ``demo_build`` runs
``dbt build`` with default vars. Each check below states which segment a planted behaviour
must land in and how often. The thresholds are fixed by the brief; when a check fails, tune
the generator, not the threshold. A failure prints the whole recovery table plus the worst
misses, so one run shows every label at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd
import pytest

TOP_RFM = {"Champions", "Loyal", "Potential Loyalists"}


@dataclass(frozen=True)
class Check:
    label: str  # planted_behavior
    name: str  # what is expected, readable in the table
    hit: Callable[[pd.DataFrame], pd.Series]  # True where a user is recovered
    threshold: float  # minimum share of the label's users
    show: tuple[str, ...]  # columns to print for misses


CHECKS: tuple[Check, ...] = (
    Check("champion", "rfm_segment = Champions", lambda d: d.rfm_segment == "Champions", 0.80,
          ("rfm_segment", "r_score", "f_score", "orders", "days_since_last_purchase")),
    Check("champion", "rfm_segment in top 3", lambda d: d.rfm_segment.isin(TOP_RFM), 0.95,
          ("rfm_segment", "r_score", "f_score", "orders", "days_since_last_purchase")),
    Check("loyal", "rfm_segment in top 3", lambda d: d.rfm_segment.isin(TOP_RFM), 0.85,
          ("rfm_segment", "r_score", "f_score", "orders", "days_since_last_purchase")),
    Check("one_time_buyer", "orders = 1", lambda d: d.orders == 1, 1.0,
          ("orders", "is_purchaser", "days_since_last_purchase")),
    Check("bargain_hunter", "orders in 3..8", lambda d: d.orders.between(3, 8), 1.0, ("orders",)),
    Check("weekend_shopper", "orders in 3..8", lambda d: d.orders.between(3, 8), 1.0, ("orders",)),
    Check("churned", "lifecycle = churned", lambda d: d.lifecycle_stage == "churned", 1.0,
          ("lifecycle_stage", "days_since_first_seen", "days_since_last_seen")),
    Check("new_user", "lifecycle = new", lambda d: d.lifecycle_stage == "new", 1.0,
          ("lifecycle_stage", "days_since_first_seen", "days_since_last_seen")),
    Check("reactivated", "lifecycle = reactivated", lambda d: d.lifecycle_stage == "reactivated", 0.95,
          ("lifecycle_stage", "days_since_first_seen", "days_since_last_seen", "active_days_28d")),
    Check("declining", "lifecycle = at_risk", lambda d: d.lifecycle_stage == "at_risk", 0.90,
          ("lifecycle_stage", "days_since_last_seen", "active_days_28d", "active_days_prev_28d")),
    Check("power_user", "usage_tier = power", lambda d: d.usage_tier == "power", 0.95,
          ("usage_tier", "active_days_28d", "days_since_first_seen")),
    Check("light_user", "usage_tier = light", lambda d: d.usage_tier == "light", 0.95,
          ("usage_tier", "active_days_28d")),
    Check("light_user", "lifecycle in {active, at_risk}",
          lambda d: d.lifecycle_stage.isin({"active", "at_risk"}), 0.90,
          ("lifecycle_stage", "days_since_last_seen", "active_days_28d", "active_days_prev_28d")),
)


@pytest.fixture(scope="module")
def labels(demo_data) -> pd.DataFrame:
    return pd.read_parquet(demo_data.labels_path)


@pytest.fixture(scope="module")
def segments(demo_build) -> pd.DataFrame:
    return demo_build.table("user_segments")


@pytest.fixture(scope="module")
def joined(labels: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    return labels.merge(segments, on="user_id", how="left", validate="one_to_one")


@pytest.fixture(scope="module")
def recovery(joined: pd.DataFrame) -> pd.DataFrame:
    """One row per check: users, recovered, rate, threshold."""
    rows = []
    for check in CHECKS:
        users = joined[joined.planted_behavior == check.label]
        hits = int(check.hit(users).fillna(False).sum()) if len(users) else 0
        rows.append({
            "label": check.label, "check": check.name, "users": len(users), "recovered": hits,
            "rate": hits / len(users) if len(users) else float("nan"), "threshold": check.threshold,
        })
    table = pd.DataFrame(rows)
    table["ok"] = table.rate >= table.threshold
    return table


def _render(recovery: pd.DataFrame) -> str:
    shown = recovery.assign(rate=recovery.rate.map("{:.1%}".format),
                            threshold=recovery.threshold.map("{:.0%}".format))
    return shown.to_string(index=False)


def test_every_planted_user_appears_exactly_once(labels: pd.DataFrame, segments: pd.DataFrame) -> None:
    assert segments.user_id.is_unique, "user_segments repeats users"
    missing = set(labels.user_id) - set(segments.user_id)
    extra = set(segments.user_id) - set(labels.user_id)
    assert not missing, f"{len(missing)} planted users missing from user_segments, e.g. {sorted(missing)[:5]}"
    assert not extra, f"{len(extra)} users in user_segments without a planted label, e.g. {sorted(extra)[:5]}"


def test_as_of_is_the_last_generated_day(demo_data, segments: pd.DataFrame) -> None:
    as_of = pd.to_datetime(segments.as_of).dt.date.unique()
    assert list(as_of) == [demo_data.end_date]


def test_all_labels_are_planted_in_the_demo(labels: pd.DataFrame) -> None:
    checked = {c.label for c in CHECKS}
    assert checked <= set(labels.planted_behavior)
    assert (labels.planted_behavior.value_counts() >= 30).all(), labels.planted_behavior.value_counts()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: f"{c.label}:{c.name}")
def test_planted_behavior_is_recovered(check: Check, joined: pd.DataFrame, recovery: pd.DataFrame) -> None:
    row = recovery[(recovery.label == check.label) & (recovery.check == check.name)].iloc[0]
    users = joined[joined.planted_behavior == check.label]
    misses = users[~check.hit(users).fillna(False)]
    detail = misses[["user_id", *check.show]].head(10).to_string(index=False) if len(misses) else "-"
    distribution = users[check.show[0]].value_counts(dropna=False).to_string()
    assert row.ok, (
        f"{check.label}: '{check.name}' recovered for {row.rate:.1%} of {row.users} users "
        f"(need >= {row.threshold:.0%})\n\nrecovery of every label:\n{_render(recovery)}\n\n"
        f"{check.show[0]} of planted {check.label} users:\n{distribution}\n\nfirst misses:\n{detail}"
    )
