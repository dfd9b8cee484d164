"""Product-usage segments (docs/segments/product.md): a hand-made log with planted answers,
and the whole marts against the pandas reference (reference_product.py) on that log, on the
same log under non-default vars, and on the 3000-user demo build."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.conftest import DbtBuild, run_dbt_build
from tests.integration.reference import frame_mismatches
from tests.integration.reference_product import PRODUCT_MODEL_KEYS, compute_product_reference
from tests.integration.support import COLUMN_CHECKS

AS_OF = date(2024, 6, 30)
COLUMNS = ["user_id", "event_name", "event_ts", "event_id", "session_id", "revenue", "order_id", "properties"]
PRODUCT_MODELS = ["user_feature_adoption", "user_feature_segments", "feature_retention", "user_first_n_days",
                  "user_journey_stages", "user_cart_abandonment"]
# stg_events too: the reference reads the clean events (the marts read the intermediate histories)
BUILD_COMMAND = ("build", "--select", *[f"+{m}" for m in PRODUCT_MODELS], "+stg_events", "--indirect-selection",
                 "cautious", "--exclude", "test_type:unit", *COLUMN_CHECKS)
BASE_VARS = {"as_of": AS_OF.isoformat(), "max_event_date": "2030-01-01"}
NON_DEFAULT_VARS = {
    "feature_adoption_min_uses": 2,
    "adoption_power_min_breadth": 0.2,
    "feature_retention_windows": [7, 30],
    "first_n_days": 7,
    "first_n_days_metric": "key_events",
    "first_n_days_threshold": 2,
    "key_events": ["search", "purchase"],
    "journey_loyal_window_days": None,
    "journey_loyal_min_orders": 2,
    "cart_abandonment_window_hours": 48,
    "cart_abandoner_recency_days": 60,
}


def cart(price=None, quantity=None, raw: str | None = None) -> str | None:
    if raw is not None:
        return raw
    props = {"product_id": "p1"}
    if price is not None:
        props["price"] = price
    if quantity is not None:
        props["quantity"] = quantity
    return json.dumps(props)


# (user, event, ts, revenue, order_id, properties). Ages below are as_of - date.
EVENTS = [
    # solo: one event, on as_of itself -> visitor, first-N-days pending, nothing adopted
    ("solo", "app_open", "2024-06-30 08:00:00", None, None, None),
    # ann: first seen 2024-01-01. search and use_wishlist first used at the same instant ->
    # first_feature 'search' (name tie-break); an unknown event name is ignored. Orders on day
    # 13 (150, in the 14-day window) and day 14 (100, out) -> revenue 150 -> not_reached.
    ("ann", "signup", "2024-01-01 10:00:00", None, None, None),
    ("ann", "use_wishlist", "2024-01-01 10:05:00", None, None, '{"feature": "wishlist"}'),
    ("ann", "search", "2024-01-01 10:05:00", None, None, None),
    ("ann", "mystery_event", "2024-01-03 09:00:00", None, None, None),
    ("ann", "purchase", "2024-01-14 12:00:00", "150", "a1", None),
    ("ann", "purchase", "2024-01-15 12:00:00", "100", "a2", None),
    # bob: first seen 2024-06-20 (age 10: window open) and bought 250 on day 1 -> reached
    # while pending. His cart is followed by a purchase exactly 24 h later -> converted.
    ("bob", "add_to_cart", "2024-06-20 10:00:00", None, None, cart(50, 2)),
    ("bob", "purchase", "2024-06-21 10:00:00", "250", "b1", None),
    # cat: first seen 2024-06-17 (age 13: the window ends on as_of) -> not_reached. 'Sign Up'
    # normalises to sign_up; add_to_cart is a key event -> activated. Cart at 06-17 12:00 is
    # abandoned (20 x 1); cart at 06-30 23:00 is pending; an abandoner (age 13 < 30).
    ("cat", "Sign Up", "2024-06-17 11:00:00", None, None, None),
    ("cat", "add_to_cart", "2024-06-17 12:00:00", None, None, cart(20)),
    ("cat", "add_to_cart", "2024-06-30 23:00:00", None, None, cart(5, 3)),
    # dan: cart with a non-numeric price; the purchase comes 24 h + 1 us later -> abandoned
    # (value 0). A second cart with no properties on 05-10 -> abandoned, open (after the last
    # purchase), value 0, age 51 -> not an abandoner.
    ("dan", "add_to_cart", "2024-05-01 10:00:00", None, None, cart(raw='{"price": "abc"}')),
    ("dan", "purchase", "2024-05-02 10:00:00.000001", "30", "d1", None),
    ("dan", "add_to_cart", "2024-05-10 10:00:00", None, None, None),
    # eve: 5 orders, the oldest 364 days before as_of -> loyal
    *[("eve", "purchase", ts, "10", f"e{i}", None) for i, ts in enumerate(
        ["2023-07-02 09:00:00", "2024-01-01 09:00:00", "2024-02-01 09:00:00", "2024-03-01 09:00:00",
         "2024-06-30 09:00:00"])],
    # fay: 5 orders, the oldest 365 days before as_of (outside) -> repeat_buyer; she used
    # compare 3 times on 2 days.
    *[("fay", "purchase", ts, "10", f"f{i}", None) for i, ts in enumerate(
        ["2023-07-01 09:00:00", "2024-01-01 09:00:00", "2024-02-01 09:00:00", "2024-03-01 09:00:00",
         "2024-06-30 09:00:00"])],
    ("fay", "use_compare", "2023-07-01 10:00:00", None, None, None),
    ("fay", "use_compare", "2023-07-01 11:00:00", None, None, None),
    ("fay", "use_compare", "2023-07-05 11:00:00", None, None, None),
]


def write_events(path: Path) -> None:
    with path.open("w", newline="") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        for i, (user, name, ts, revenue, order_id, props) in enumerate(EVENTS):
            row = [user, name, ts, f"ev{i}", f"s{i}", revenue, order_id, props]
            fh.write(",".join("" if v is None else '"' + str(v).replace('"', '""') + '"' for v in row) + "\n")


def warehouse_stg(build: DbtBuild) -> pd.DataFrame:
    return build.query("select user_id, event_row_id, event_name, event_ts, event_date, revenue, order_id, "
                       "properties, is_purchase from main.stg_events")


def mismatches(build: DbtBuild, ref: dict[str, pd.DataFrame]) -> list[str]:
    problems = []
    for model, keys in PRODUCT_MODEL_KEYS.items():
        actual = build.table(model)
        expected = ref[model]
        if set(actual.columns) != set(expected.columns):
            problems.append(f"[{model}] columns differ: {sorted(set(actual.columns) ^ set(expected.columns))}")
        problems += [f"[{model}] {p}" for p in frame_mismatches(actual, expected, keys)]
    return problems


@pytest.fixture(scope="module")
def hand_log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("product_log") / "events.csv"
    write_events(path)
    return path


@pytest.fixture(scope="module")
def hand_build(hand_log, tmp_path_factory) -> DbtBuild:
    return run_dbt_build(hand_log, tmp_path_factory.mktemp("product_hand"), BASE_VARS, command=BUILD_COMMAND)


def by_user(build: DbtBuild, model: str) -> dict[str, dict]:
    return {r["user_id"]: r for r in build.table(model).to_dict("records")}


def test_hand_log_planted_answers(hand_build):
    first = by_user(hand_build, "user_first_n_days")
    assert {u: r["first_n_days_label"] for u, r in first.items()} == {
        "solo": "pending", "ann": "not_reached", "bob": "reached", "cat": "not_reached",
        "dan": "not_reached", "eve": "not_reached", "fay": "not_reached"}
    assert first["ann"]["revenue_first_n_days"] == pytest.approx(150)
    assert first["ann"]["first_seen_date"] == pd.Timestamp("2024-01-01")
    assert first["ann"]["active_days_first_n_days"] == 3  # the unknown event is still activity
    assert bool(first["cat"]["is_window_complete"]) and not bool(first["bob"]["is_window_complete"])

    journey = by_user(hand_build, "user_journey_stages")
    assert {u: r["journey_stage"] for u, r in journey.items()} == {
        "solo": "visitor", "ann": "repeat_buyer", "bob": "first_time_buyer", "cat": "activated",
        "dan": "first_time_buyer", "eve": "loyal", "fay": "repeat_buyer"}
    assert journey["cat"]["signed_up_at"] == pd.Timestamp("2024-06-17 11:00:00")
    assert journey["fay"]["loyal_window_orders"] == 4

    carts = by_user(hand_build, "user_cart_abandonment")
    assert (carts["bob"]["converted_carts"], carts["bob"]["abandoned_carts"]) == (1, 0)
    assert (carts["cat"]["abandoned_carts"], carts["cat"]["pending_carts"]) == (1, 1)
    assert carts["cat"]["abandoned_cart_value"] == pytest.approx(20)
    assert carts["cat"]["days_since_cart_abandoned"] == 13 and bool(carts["cat"]["is_cart_abandoner"])
    assert (carts["dan"]["abandoned_carts"], carts["dan"]["open_abandoned_carts"]) == (2, 1)
    assert carts["dan"]["abandoned_cart_value"] == 0 and not bool(carts["dan"]["is_cart_abandoner"])
    assert sum(bool(r["is_cart_abandoner"]) for r in carts.values()) == 1

    seg = by_user(hand_build, "user_feature_segments")
    # ann: search and wishlist at the same instant (tie -> 'search'), purchases -> checkout
    assert seg["ann"]["first_feature"] == "search" and seg["ann"]["features_adopted"] == 3
    assert seg["solo"]["adoption_segment"] == "none" and pd.isna(seg["solo"]["first_feature"])
    assert seg["bob"]["features_adopted"] == 2 and seg["bob"]["adoption_segment"] == "explorer"  # cart, checkout
    assert seg["cat"]["adoption_segment"] == "single_feature"  # cart only; 'Sign Up' is no feature
    adoption = hand_build.table("user_feature_adoption")
    fay = adoption[(adoption["user_id"] == "fay") & (adoption["feature"] == "compare")].iloc[0]
    assert (fay["uses"], fay["active_days_using"], fay["days_to_adopt"]) == (3, 2, 0)
    assert "mystery_event" not in set(adoption["feature"])


def test_hand_log_matches_reference(hand_build):
    ref = compute_product_reference(warehouse_stg(hand_build), AS_OF)
    problems = mismatches(hand_build, ref)
    assert not problems, "\n".join(problems)


def test_hand_log_non_default_vars_match_reference(hand_log, tmp_path_factory):
    build = run_dbt_build(hand_log, tmp_path_factory.mktemp("product_hand_vars"), {**BASE_VARS, **NON_DEFAULT_VARS},
                          command=BUILD_COMMAND)
    ref = compute_product_reference(warehouse_stg(build), AS_OF, **NON_DEFAULT_VARS)
    problems = mismatches(build, ref)
    assert not problems, "\n".join(problems)
    # planted: with a 48 h window dan's 24 h + 1 us purchase converts his first cart
    carts = by_user(build, "user_cart_abandonment")
    assert (carts["dan"]["converted_carts"], carts["dan"]["abandoned_carts"]) == (1, 1)
    assert by_user(build, "user_journey_stages")["fay"]["journey_stage"] == "loyal"


def test_demo_matches_reference(demo_build):
    as_of = pd.Timestamp(demo_build.query("select as_of from main.stg_run_context")["as_of"].iloc[0]).date()
    ref = compute_product_reference(warehouse_stg(demo_build), as_of)
    problems = mismatches(demo_build, ref)
    assert not problems, "\n".join(problems)
    # the demo is not degenerate: every label occurs
    seg = demo_build.table("user_feature_segments")
    assert set(seg["adoption_segment"]) == {"none", "single_feature", "explorer", "power_adopter"}
    assert set(demo_build.table("user_first_n_days")["first_n_days_label"]) == {"reached", "not_reached", "pending"}
    assert demo_build.table("user_cart_abandonment")["is_cart_abandoner"].sum() > 0
