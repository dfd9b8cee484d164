"""Occasion, benefits-sought and loyalty segments (docs/segments/occasion_benefits_loyalty.md).

- A hand-made log with planted, hand-worked answers (one dbt build for the module): weekend,
  weekday and mixed buyers at the exact share thresholds, holiday orders on both edges of the
  window, ties between dayparts and between seasons, a single-order user, non-buyers, a
  discount through each property key, orders without a price, month streaks broken and
  unbroken at as_of. Checked against literals and against the pandas reference.
- The whole of the three marts on the 3000-user demo build against the pandas reference.
- The holiday calendar seed against the rules that define the moving holidays.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.integration.conftest import DbtBuild, run_dbt_build
from tests.integration.reference import frame_mismatches, stage
from tests.integration.reference_occasion import (
    OccasionVars,
    compute_occasion_reference,
    read_holiday_calendar,
)
from tests.integration.support import COLUMN_CHECKS

MARTS = ("user_occasion_segments", "user_benefit_segments", "user_loyalty_segments")
AS_OF = date(2024, 6, 30)
DBT_VARS = {"as_of": AS_OF.isoformat(), "max_event_date": "2030-01-01"}
COLUMNS = ["user_id", "event_name", "event_ts", "event_id", "session_id", "revenue", "order_id", "properties"]

_rows: list[tuple] = []


def purchase(user: str, ts: str, order_id: str | None = None, **props: Any) -> None:
    _rows.append((user, "purchase", ts, None, None, "10", order_id, json.dumps(props) if props else None))


def event(user: str, ts: str, name: str = "page_view", properties: str | None = None) -> None:
    _rows.append((user, name, ts, None, None, None, None, properties))


# ---- weekend / weekday (2024-06-29 Sat, 06-30 Sun, 06-22 Sat, 06-23 Sun; 06-24..28 Mon-Fri)
# we_60: 3 of 5 orders on a weekend = 0.6 exactly -> weekend_buyer
for ts in ("2024-06-29 10:00:00", "2024-06-30 10:00:00", "2024-06-23 10:00:00", "2024-06-24 10:00:00",
           "2024-06-25 10:00:00"):
    purchase("we_60", ts)
# wd_10: 1 of 10 = 0.1 exactly -> weekday_buyer (Mon 2024-06-03 .. Fri 06-07, Mon 06-10 .. Thu 06-13, Sat 06-15)
for ts in ("2024-06-03", "2024-06-04", "2024-06-05", "2024-06-06", "2024-06-07", "2024-06-10", "2024-06-11",
           "2024-06-12", "2024-06-13", "2024-06-15"):
    purchase("wd_10", ts + " 13:00:00")
# mixed_50: 1 of 2 -> mixed; one night order (05:59:59) and one morning order (06:00:00): tie -> night;
# 2024-02-29 (Thu, winter) and 2024-03-02 (Sat, spring): seasons tie -> winter
purchase("mixed_50", "2024-02-29 05:59:59")
purchase("mixed_50", "2024-03-02 06:00:00")
# one_order: a single order (on July 4th 2023, a holiday) -> too_few_orders, not a holiday buyer
purchase("one_order", "2023-07-04 23:59:59")
# non_buyer: browses only
event("non_buyer", "2024-06-30 08:00:00")
# ---- holidays (US, window 3): Memorial Day 2024-05-27 covers 05-24 .. 05-27
# hol_edges: 05-24 (first day of the window) and 05-27 (the holiday) count, 05-23 and 05-28 do not
# -> 2 / 4 = 0.5 exactly -> holiday buyer; evening 18:00:00 x2 and afternoon 17:59:59 x2 tie -> afternoon
purchase("hol_edges", "2024-05-23 18:00:00", order_id="h1")
purchase("hol_edges", "2024-05-24 17:59:59", order_id="h2")
purchase("hol_edges", "2024-05-27 18:00:00", order_id="h3")
purchase("hol_edges", "2024-05-28 17:59:59", order_id="h4")
# hol_low: 1 of 3 in a window (Christmas 2023-12-25 - 3 = 12-22) -> not a holiday buyer
purchase("hol_low", "2023-12-22 00:00:00")
purchase("hol_low", "2023-12-18 00:00:00")
purchase("hol_low", "2023-12-19 00:00:00")
# ---- discounts, one order per key, plus an order whose second event holds the code
purchase("disc_keys", "2024-06-03 09:00:00", order_id="k1", price=30, discount_code="SPRING10")
purchase("disc_keys", "2024-06-04 09:00:00", order_id="k2", price=30, coupon="C")
purchase("disc_keys", "2024-06-05 09:00:00", order_id="k3", price=30, coupon_code="CC")
purchase("disc_keys", "2024-06-06 09:00:00", order_id="k4", price=30, promo_code=7)
purchase("disc_keys", "2024-06-07 09:00:00", order_id="k5", price=30)
purchase("disc_keys", "2024-06-07 09:05:00", order_id="k5", price=30, coupon="LATE")
# disc_half: 1 of 2 -> 0.5 exactly -> discount_driven; blank and null codes do not count
purchase("disc_half", "2024-06-10 09:00:00", price=80, quantity=1, coupon="X")
purchase("disc_half", "2024-06-11 09:00:00", price=80, quantity=3, coupon="  ", discount_code=None)
# full_no_price: two orders without price or codes -> full_price, price_band null
purchase("full_no_price", "2024-06-12 09:00:00", product_id="p1")
purchase("full_no_price", "2024-06-13 09:00:00")
# budget_edge: (24 * 2 + 26 * "x" -> 1) / 3 = 24.67 -> budget; qty_edge: 25 x 4 -> 25 -> mid
purchase("budget_edge", "2024-06-14 09:00:00", price=24, quantity=2)
purchase("budget_edge", "2024-06-15 09:00:00", price="26", quantity="x")
purchase("qty_edge", "2024-06-14 09:00:00", price=25, quantity=4)
_rows.append(("qty_edge", "purchase", "2024-06-16 09:00:00", None, None, "5", None, "not json {"))
# ---- loyalty: month streaks (as_of month June 2024)
for d in ("2024-04-30", "2024-05-01", "2024-06-30"):  # unbroken April-June -> 3
    event("streak3", d + " 12:00:00")
for d in ("2024-04-02", "2024-05-03", "2024-06-04", "2024-06-05"):
    purchase("streak3", d + " 12:00:00")
for d in ("2023-11-15", "2023-12-15", "2024-01-15", "2024-03-15", "2024-05-15"):  # broken, no June -> 0
    event("streak_broken", d + " 12:00:00")
for d in ("2024-03-15", "2024-05-15"):
    purchase("streak_broken", d + " 13:00:00")
# advocate: 2 orders and 10 advocacy events (4 refer_friend, 3 write_review, 3 share_product)
purchase("advocate", "2024-06-01 12:00:00")
purchase("advocate", "2024-06-02 12:00:00")
for i, name in enumerate(["refer_friend"] * 4 + ["write_review"] * 3 + ["Share Product"] * 3):
    event("advocate", f"2024-06-{10 + i:02d} 12:00:00", name)
# almost: 9 advocacy events and 3 orders -> not an advocate
for i in range(9):
    event("almost", f"2024-06-{10 + i:02d} 12:00:00", "write_review")
for d in ("2024-06-01", "2024-06-02", "2024-06-03"):
    purchase("almost", d + " 12:00:00")

ROWS = list(_rows)

# hand-worked answers (columns not named are checked against the reference only)
EXPECTED = {
    "user_occasion_segments": [
        {"user_id": "we_60", "orders": 5, "weekend_orders": 3, "weekend_order_share": 0.6, "weekday_segment": "weekend_buyer",
         "dominant_daypart": "morning", "dominant_season": "summer", "is_holiday_buyer": False},
        {"user_id": "wd_10", "orders": 10, "weekend_orders": 1, "weekday_segment": "weekday_buyer",
         "dominant_daypart": "afternoon"},
        {"user_id": "mixed_50", "orders": 2, "weekend_orders": 1, "weekday_segment": "mixed", "night_orders": 1,
         "morning_orders": 1, "dominant_daypart": "night", "winter_orders": 1, "spring_orders": 1, "dominant_season": "winter"},
        {"user_id": "one_order", "orders": 1, "weekday_segment": "too_few_orders", "holiday_orders": 1,
         "holiday_order_share": 1.0, "is_holiday_buyer": False, "dominant_daypart": "evening"},
        {"user_id": "non_buyer", "orders": 0, "weekend_order_share": None, "weekday_segment": "non_buyer",
         "holiday_order_share": None, "is_holiday_buyer": False, "dominant_daypart": None, "dominant_season": None},
        {"user_id": "hol_edges", "orders": 4, "holiday_orders": 2, "holiday_order_share": 0.5, "is_holiday_buyer": True,
         "afternoon_orders": 2, "evening_orders": 2, "dominant_daypart": "afternoon", "dominant_season": "spring",
         "weekday_segment": "weekday_buyer"},
        {"user_id": "hol_low", "orders": 3, "holiday_orders": 1, "is_holiday_buyer": False, "dominant_daypart": "night",
         "dominant_season": "winter"},
    ],
    "user_benefit_segments": [
        {"user_id": "disc_keys", "orders": 5, "discounted_orders": 5, "benefit_segment": "discount_driven",
         "avg_item_price": 30.0, "price_band": "mid", "priced_item_quantity": 6.0},
        {"user_id": "disc_half", "orders": 2, "discounted_orders": 1, "discount_order_share": 0.5,
         "benefit_segment": "discount_driven", "avg_item_price": 80.0, "price_band": "premium"},
        {"user_id": "full_no_price", "orders": 2, "discounted_orders": 0, "benefit_segment": "full_price",
         "avg_item_price": None, "priced_item_value": None, "price_band": None},
        {"user_id": "budget_edge", "orders": 2, "priced_item_quantity": 3.0, "priced_item_value": 74.0,
         "avg_item_price": 74 / 3, "price_band": "budget"},
        {"user_id": "qty_edge", "orders": 2, "avg_item_price": 25.0, "price_band": "mid", "benefit_segment": "full_price"},
        {"user_id": "one_order", "orders": 1, "benefit_segment": "too_few_orders", "price_band": None},
        {"user_id": "non_buyer", "orders": 0, "discount_order_share": None, "benefit_segment": "non_buyer"},
        {"user_id": "wd_10", "benefit_segment": "full_price"},
    ],
    "user_loyalty_segments": [
        {"user_id": "streak3", "orders": 4, "repeat_purchase_share": 0.75, "consecutive_active_months": 3,
         "longest_active_month_streak": 3, "tenure_days": 89, "loyalty_segment": "loyal"},
        {"user_id": "streak_broken", "orders": 2, "consecutive_active_months": 0, "longest_active_month_streak": 3,
         "loyalty_segment": "repeat", "first_seen_date": date(2023, 11, 15), "tenure_days": 228},
        {"user_id": "advocate", "orders": 2, "referral_events": 4, "review_events": 3, "advocacy_events": 10,
         "is_advocate": True, "loyalty_segment": "advocate", "consecutive_active_months": 1},
        {"user_id": "almost", "orders": 3, "advocacy_events": 9, "is_advocate": False, "loyalty_segment": "repeat"},
        {"user_id": "one_order", "orders": 1, "repeat_purchase_share": 0.0, "loyalty_segment": "one_time",
         "consecutive_active_months": 0, "longest_active_month_streak": 1, "tenure_days": 362},
        {"user_id": "non_buyer", "orders": 0, "repeat_purchase_share": None, "loyalty_segment": "non_buyer",
         "tenure_days": 0, "consecutive_active_months": 1},
        {"user_id": "we_60", "orders": 5, "consecutive_active_months": 1, "loyalty_segment": "repeat"},
    ],
}


def write_log(path: Path) -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=COLUMNS, dtype=object)
    frame.to_csv(path, index=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[DbtBuild, dict[str, pd.DataFrame]]:
    work = tmp_path_factory.mktemp("catalog_occasion")
    raw = write_log(work / "events.csv")
    build = run_dbt_build(work / "events.csv", work, DBT_VARS,
                          command=("build", "--select", "+user_occasion_segments", "+user_benefit_segments",
                                   "+user_loyalty_segments", "--indirect-selection", "cautious",
                                   "--exclude", "test_type:unit", *COLUMN_CHECKS))
    _, stg, as_of = stage(raw, as_of=AS_OF, purchase_events=("purchase",), max_event_date="2030-01-01")
    return build, compute_occasion_reference(stg, as_of)


@pytest.mark.parametrize("mart", MARTS)
def test_planted_answers(planted, mart):
    build, _ = planted
    actual = build.table(mart)
    problems = []
    for rec in EXPECTED[mart]:
        row = actual[actual["user_id"] == rec["user_id"]]
        assert len(row) == 1, rec["user_id"]
        problems += frame_mismatches(row, pd.DataFrame([rec]), ["user_id"], [c for c in rec if c != "user_id"])
    assert not problems, f"{mart} != hand-worked answers\n" + "\n".join(problems)


@pytest.mark.parametrize("mart", MARTS)
def test_planted_log_matches_reference(planted, mart):
    build, ref = planted
    actual = build.table(mart)
    assert len(actual) == len(ref[mart]) == len({r[0] for r in ROWS})
    problems = frame_mismatches(actual, ref[mart], ["user_id"])
    assert not problems, f"{mart} != reference\n" + "\n".join(problems)


def test_planted_users_cover_every_label(planted):
    build, _ = planted
    labels = {
        ("user_occasion_segments", "weekday_segment"): {"weekend_buyer", "weekday_buyer", "mixed", "too_few_orders",
                                                        "non_buyer"},
        ("user_benefit_segments", "benefit_segment"): {"discount_driven", "full_price", "too_few_orders", "non_buyer"},
        ("user_benefit_segments", "price_band"): {"premium", "mid", "budget"},
        ("user_loyalty_segments", "loyalty_segment"): {"advocate", "loyal", "repeat", "one_time", "non_buyer"},
    }
    for (mart, col), expected in labels.items():
        got = set(build.table(mart)[col].dropna())
        assert expected <= got, (mart, col, expected - got)


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo_reference(demo_build) -> dict[str, pd.DataFrame]:
    stg = demo_build.query(
        "select event_row_id, user_id, event_name, event_ts, event_date, order_id, properties, is_purchase "
        "from main.stg_events"
    )
    as_of = demo_build.query("select as_of from main.stg_run_context")["as_of"][0]
    return compute_occasion_reference(stg, pd.Timestamp(as_of).date())


@pytest.mark.parametrize("mart", MARTS)
def test_demo_matches_reference(demo_build, demo_reference, mart):
    actual = demo_build.table(mart)
    users = demo_build.query("select count(*) as n from main.fct_user_behavior")["n"][0]
    assert len(actual) == users
    problems = frame_mismatches(actual, demo_reference[mart], ["user_id"])
    assert not problems, f"{mart} != reference on the demo\n" + "\n".join(problems)


def test_demo_segments_are_not_degenerate(demo_build):
    """Defaults fit the demo: each label of each family is used by some users."""
    occ = demo_build.table("user_occasion_segments")
    ben = demo_build.table("user_benefit_segments")
    loy = demo_build.table("user_loyalty_segments")
    assert set(occ["weekday_segment"]) == {"weekend_buyer", "weekday_buyer", "mixed", "too_few_orders", "non_buyer"}
    assert set(occ["dominant_daypart"].dropna()) == {"night", "morning", "afternoon", "evening"}
    assert occ["is_holiday_buyer"].any()
    assert set(ben["benefit_segment"]) == {"discount_driven", "mixed", "full_price", "too_few_orders", "non_buyer"}
    bands = ben["price_band"].value_counts(normalize=True)
    assert set(bands.index) == {"premium", "mid", "budget"} and bands.min() > 0.05
    assert set(loy["loyalty_segment"]) == {"advocate", "loyal", "repeat", "one_time", "non_buyer"}


# --------------------------------------------------------------------------- holiday calendar


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """n-th (1-based; -1 = last) given weekday (0 = Monday) of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


EASTER = {2022: date(2022, 4, 17), 2023: date(2023, 4, 9), 2024: date(2024, 3, 31), 2025: date(2025, 4, 20),
          2026: date(2026, 4, 5)}


def test_holiday_calendar_moving_holidays():
    cal = read_holiday_calendar()
    by = {(c, n, d.year): d for c, d, n in cal}
    for y in range(2022, 2027):
        assert by[("US", "Thanksgiving Day", y)] == _nth_weekday(y, 11, 3, 4)
        assert by[("US", "Memorial Day", y)] == _nth_weekday(y, 5, 0, -1)
        assert by[("US", "Labor Day", y)] == _nth_weekday(y, 9, 0, 1)
        assert by[("US", "Birthday of Martin Luther King, Jr.", y)] == _nth_weekday(y, 1, 0, 3)
        assert by[("GB", "Easter Monday", y)] == EASTER[y] + timedelta(days=1)
        assert by[("GB", "Good Friday", y)] == EASTER[y] - timedelta(days=2)
        assert by[("GB", "Summer bank holiday", y)] == _nth_weekday(y, 8, 0, -1)
        assert by[("DE", "Ostermontag", y)] == EASTER[y] + timedelta(days=1)
        assert by[("DE", "Christi Himmelfahrt", y)] == EASTER[y] + timedelta(days=39)
        assert by[("DE", "Pfingstmontag", y)] == EASTER[y] + timedelta(days=50)
    # well-known dates, written out
    assert by[("US", "Thanksgiving Day", 2024)] == date(2024, 11, 28)
    assert by[("US", "Memorial Day", 2025)] == date(2025, 5, 26)
    assert by[("GB", "Easter Monday", 2025)] == date(2025, 4, 21)
    assert by[("GB", "Spring bank holiday", 2022)] == date(2022, 6, 2)
    counts = pd.Series([(c, d.year) for c, d, _ in cal]).value_counts()
    assert all(counts[("DE", y)] == 9 for y in range(2022, 2027))
    assert all(counts[("US", y)] >= 11 for y in range(2022, 2027))
    assert all(counts[("GB", y)] >= 8 for y in range(2022, 2027))
    assert {c for c, _, _ in cal} == {"US", "GB", "DE"}


def test_seed_loaded_as_dates(demo_build):
    cal = demo_build.table("holiday_calendar")
    assert len(cal) == len(read_holiday_calendar())
    assert str(cal["holiday_date"].dtype).startswith("datetime64")
    assert OccasionVars().holiday_country in set(cal["country"])
