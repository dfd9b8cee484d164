"""The segment marts recover the secondary traits planted by ``scripts/generate_events.py``.

``demo_data`` writes ``traits.parquet`` (user_id, trait; a user may carry several traits on top
of the one planted behaviour of ``planted_labels.parquet``); ``demo_build`` runs ``dbt build``
with default vars. Each check names the mart column a planted trait must land in, using the
agreed output names, and how often. The generator plants every trait with a wide margin over
any sensible threshold (docs/segments/demo_traits.md), so when a check fails, first read the
mart's definition, then tune the generator, not the threshold. A failure prints the whole
recovery table and the worst misses, so one run shows every trait at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd
import pytest

# the `feature` names of the two use_* events (generator properties and the event taxonomy)
USE_FEATURES = frozenset({"wishlist", "compare"})

PER_USER_MARTS = (
    "user_occasion_segments", "user_benefit_segments", "user_loyalty_segments", "user_feature_segments",
    "user_first_n_days", "user_journey_stages", "user_cart_abandonment", "user_churn_risk",
)


@dataclass(frozen=True)
class Check:
    trait: str  # a trait of traits.parquet, or "label:<planted_behavior>" for a main behaviour
    mart: str  # per-user mart the expectation reads
    name: str  # what is expected, readable in the table
    hit: Callable[[pd.DataFrame], pd.Series]  # True where a user is recovered
    threshold: float  # minimum share of the trait's users
    show: tuple[str, ...]  # columns to print for misses


def _is_true(col: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda d: d[col].fillna(False).astype(bool)


CHECKS: tuple[Check, ...] = (
    Check("weekend_buyer", "user_occasion_segments", "weekday_segment = weekend_buyer",
          lambda d: d.weekday_segment == "weekend_buyer", 0.95, ("weekday_segment",)),
    Check("weekday_buyer", "user_occasion_segments", "weekday_segment = weekday_buyer",
          lambda d: d.weekday_segment == "weekday_buyer", 0.95, ("weekday_segment",)),
    Check("holiday_buyer", "user_occasion_segments", "is_holiday_buyer", _is_true("is_holiday_buyer"), 0.95,
          ("is_holiday_buyer", "weekday_segment")),
    Check("night_owl", "user_occasion_segments", "dominant_daypart = night",
          lambda d: d.dominant_daypart == "night", 0.95, ("dominant_daypart",)),
    Check("morning_buyer", "user_occasion_segments", "dominant_daypart = morning",
          lambda d: d.dominant_daypart == "morning", 0.95, ("dominant_daypart",)),
    Check("summer_buyer", "user_occasion_segments", "dominant_season = summer",
          lambda d: d.dominant_season == "summer", 0.95, ("dominant_season",)),
    Check("winter_buyer", "user_occasion_segments", "dominant_season = winter",
          lambda d: d.dominant_season == "winter", 0.95, ("dominant_season",)),
    Check("discount_driven", "user_benefit_segments", "benefit_segment = discount_driven",
          lambda d: d.benefit_segment == "discount_driven", 0.95, ("benefit_segment",)),
    Check("full_price", "user_benefit_segments", "benefit_segment = full_price",
          lambda d: d.benefit_segment == "full_price", 0.95, ("benefit_segment",)),
    Check("premium", "user_benefit_segments", "price_band = premium",
          lambda d: d.price_band == "premium", 0.95, ("price_band",)),
    Check("budget", "user_benefit_segments", "price_band = budget",
          lambda d: d.price_band == "budget", 0.95, ("price_band",)),
    Check("multi_feature_adopter", "user_feature_segments", "features_adopted >= 4",
          lambda d: d.features_adopted >= 4, 0.95, ("features_adopted", "feature_breadth", "adoption_segment")),
    Check("fast_starter", "user_first_n_days", "first_n_days_label = reached",
          lambda d: d.first_n_days_label == "reached", 0.95, ("first_n_days_label",)),
    Check("slow_starter", "user_first_n_days", "first_n_days_label = not_reached",
          lambda d: d.first_n_days_label == "not_reached", 0.95, ("first_n_days_label",)),
    Check("visitor", "user_journey_stages", "journey_stage = visitor",
          lambda d: d.journey_stage == "visitor", 0.95, ("journey_stage",)),
    Check("signed_up_only", "user_journey_stages", "journey_stage = signed_up",
          lambda d: d.journey_stage == "signed_up", 0.95, ("journey_stage",)),
    Check("advocate", "user_loyalty_segments", "is_advocate", _is_true("is_advocate"), 0.95,
          ("is_advocate", "loyalty_segment")),
    # the main cart_abandoner behaviour (planted before the catalogue) guarantees an unconverted
    # cart within 24 h in the last 30 days, not the mart's stricter rule (no purchase at all
    # after the last abandoned cart): 92.8 % on the demo
    Check("label:cart_abandoner", "user_cart_abandonment", "is_cart_abandoner", _is_true("is_cart_abandoner"), 0.9,
          ("is_cart_abandoner", "abandoned_cart_value", "days_since_cart_abandoned")),
    # churn risk comes from a fitted model; the planted pattern (busy and buying, then silent
    # for 4+ weeks) must still read as high risk for nearly everyone
    Check("declining_engagement", "user_churn_risk", "churn_risk_band = high",
          lambda d: d.churn_risk_band == "high", 0.90, ("churn_risk_band", "p_alive")),
)


@pytest.fixture(scope="module")
def traits(demo_data) -> pd.DataFrame:
    return pd.read_parquet(demo_data.traits_path)


@pytest.fixture(scope="module")
def labels(demo_data) -> pd.DataFrame:
    return pd.read_parquet(demo_data.labels_path)


@pytest.fixture(scope="module")
def marts(demo_build) -> dict[str, pd.DataFrame]:
    return {name: demo_build.table(name) for name in PER_USER_MARTS}


def _users_of(check: Check, traits: pd.DataFrame, labels: pd.DataFrame) -> pd.Index:
    if check.trait.startswith("label:"):
        return pd.Index(labels.loc[labels.planted_behavior == check.trait.removeprefix("label:"), "user_id"])
    return pd.Index(traits.loc[traits.trait == check.trait, "user_id"])


def _rows(check: Check, marts: dict[str, pd.DataFrame], users: pd.Index) -> pd.DataFrame:
    """The check's mart rows of ``users``, one per user (missing users give all-null rows)."""
    mart = marts[check.mart].set_index("user_id")
    return mart.reindex(users).rename_axis("user_id").reset_index()


@pytest.fixture(scope="module")
def recovery(traits: pd.DataFrame, labels: pd.DataFrame, marts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per check: users, recovered, rate, threshold."""
    rows = []
    for check in CHECKS:
        users = _users_of(check, traits, labels)
        hits = int(check.hit(_rows(check, marts, users)).fillna(False).sum()) if len(users) else 0
        rows.append({
            "trait": check.trait, "check": f"{check.mart}.{check.name}", "users": len(users), "recovered": hits,
            "rate": hits / len(users) if len(users) else float("nan"), "threshold": check.threshold,
        })
    table = pd.DataFrame(rows)
    table["ok"] = table.rate >= table.threshold
    return table


def _render(recovery: pd.DataFrame) -> str:
    shown = recovery.assign(rate=recovery.rate.map("{:.1%}".format),
                            threshold=recovery.threshold.map("{:.0%}".format))
    return shown.to_string(index=False)


def test_every_trait_is_planted_in_the_demo(traits: pd.DataFrame) -> None:
    from scripts.generate_events import TRAITS

    counts = traits.trait.value_counts()
    assert set(counts.index) == set(TRAITS)
    assert (counts >= 20).all(), counts
    checked = {c.trait for c in CHECKS} | {"no_feature"}
    assert checked >= set(TRAITS), set(TRAITS) - checked


@pytest.mark.parametrize("mart", PER_USER_MARTS)
def test_per_user_marts_have_every_planted_user_once(mart: str, marts: dict[str, pd.DataFrame],
                                                     labels: pd.DataFrame) -> None:
    table = marts[mart]
    assert table.user_id.is_unique, f"{mart} repeats users"
    assert set(table.user_id) == set(labels.user_id), f"{mart}: users differ from the planted users"


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: f"{c.trait}:{c.name}")
def test_planted_trait_is_recovered(check: Check, traits: pd.DataFrame, labels: pd.DataFrame,
                                    marts: dict[str, pd.DataFrame], recovery: pd.DataFrame) -> None:
    row = recovery[(recovery.trait == check.trait) & (recovery.check == f"{check.mart}.{check.name}")].iloc[0]
    assert row.users > 0, f"no {check.trait} users planted"
    rows = _rows(check, marts, _users_of(check, traits, labels))
    misses = rows[~check.hit(rows).fillna(False)]
    detail = misses[["user_id", *check.show]].head(10).to_string(index=False) if len(misses) else "-"
    distribution = rows[check.show[0]].value_counts(dropna=False).to_string()
    assert row.ok, (
        f"{check.trait}: '{check.mart}.{check.name}' recovered for {row.rate:.1%} of {row.users} users "
        f"(need >= {row.threshold:.0%})\n\nrecovery of every trait:\n{_render(recovery)}\n\n"
        f"{check.show[0]} of planted {check.trait} users:\n{distribution}\n\nfirst misses:\n{detail}"
    )


def test_no_feature_users_never_adopt_a_use_feature(traits: pd.DataFrame, demo_build) -> None:
    """no_feature users never fire a use_* event, so no use_* feature is adopted; the
    multi_feature_adopter users adopt both (a control that the feature names match)."""
    adoption = demo_build.table("user_feature_adoption")
    no_feature = set(traits.loc[traits.trait == "no_feature", "user_id"])
    multi = set(traits.loc[traits.trait == "multi_feature_adopter", "user_id"])
    assert no_feature and multi
    leaked = adoption[adoption.user_id.isin(no_feature) & adoption.feature.isin(USE_FEATURES)]
    assert leaked.empty, leaked.head(10).to_string(index=False)
    multi_use = adoption[adoption.user_id.isin(multi) & adoption.feature.isin(USE_FEATURES)]
    per_user = multi_use.groupby("user_id").feature.nunique().reindex(sorted(multi), fill_value=0)
    assert (per_user == len(USE_FEATURES)).mean() >= 0.95, per_user.value_counts()
