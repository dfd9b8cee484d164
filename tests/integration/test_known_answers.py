"""Hand-made event logs with answers worked out by hand (docs/definitions.md).

Each log is built once (module-scoped fixture) with ``dbt build``; every test then checks the
warehouse against literals written below AND against the pandas reference
(``reference.compute_reference``) for the same input. Ages in comments are ``as_of - date``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.integration.conftest import DbtBuild, run_dbt_build
from tests.integration.reference import (
    MODEL_KEYS,
    comparable,
    compute_reference,
    frame_mismatches,
    table,
    warehouse_row_status,
)
from tests.integration.support import REFERENCE_BUILD

T = pd.Timestamp
# The project's own dbt unit tests assume the default vars (they read e.g. usage_tier_mode and
# rfm_thresholds); under the vars used here they are not meaningful, so these builds leave them
# out. Data tests (reconciliation, uniqueness, ...) still run.
BUILD_COMMAND = REFERENCE_BUILD
COLUMNS = ["user_id", "event_name", "event_ts", "event_id", "session_id", "revenue", "order_id", "properties"]


@dataclass
class Case:
    name: str
    build: DbtBuild
    raw: pd.DataFrame
    ref: dict[str, pd.DataFrame]

    def table(self, name: str) -> pd.DataFrame:
        return table(self.build, name)


# --------------------------------------------------------------------------- helpers


def write_csv(path: Path, rows: list[tuple]) -> None:
    """None -> empty field (null); every other value is written quoted, untouched."""
    with path.open("w", newline="") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        for row in rows:
            fields = []
            for v in row:
                fields.append("" if v is None else '"' + str(v).replace('"', '""') + '"')
            fh.write(",".join(fields) + "\n")


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def build_case(name: str, tmp_path_factory, events_path: Path, raw: pd.DataFrame, dbt_vars: dict, ref_kwargs: dict) -> Case:
    work = tmp_path_factory.mktemp(f"known_{name}")
    build = run_dbt_build(events_path, work, dbt_vars, command=BUILD_COMMAND)
    ref = compute_reference(raw, **ref_kwargs)
    return Case(name, build, raw, ref)


def assert_rows(actual: pd.DataFrame, keys: list[str], expected: list[dict[str, Any]], label: str = "") -> None:
    """For each literal record: the row of ``actual`` with its keys has the given values (only the
    columns named in that record)."""
    problems = []
    for rec in expected:
        exp = pd.DataFrame([rec])
        mask = pd.Series(True, index=actual.index)
        for k in keys:
            mask &= actual[k] == rec[k]
        sub = actual[mask]
        cols = [c for c in rec if c not in keys]
        problems += frame_mismatches(sub, exp, keys, cols)
    assert not problems, f"{label}: warehouse != hand-computed literal\n" + "\n".join(problems)


def assert_matches_reference(case: Case) -> None:
    problems = []
    for model, keys in MODEL_KEYS.items():
        p = frame_mismatches(comparable(model, case.table(model)), case.ref[model], keys)
        problems += [f"[{model}] {x}" for x in p]
    p = frame_mismatches(warehouse_row_status(case.build), case.ref["row_status"], ["event_row_id"])
    problems += [f"[row_status] {x}" for x in p]
    stg = case.table("stg_events")
    ref_stg = case.ref["stg_events"]
    cols = [c for c in ref_stg.columns if c not in ("event_row_id", "revenue")]
    problems += [f"[stg_events] {x}" for x in frame_mismatches(stg, ref_stg, ["event_row_id"], cols)]
    # revenue is only read on purchase events: compare it there only
    purchase_ids = set(ref_stg.loc[ref_stg["is_purchase"], "event_row_id"])
    p = frame_mismatches(
        stg[stg["event_row_id"].isin(purchase_ids)],
        ref_stg[ref_stg["event_row_id"].isin(purchase_ids)],
        ["event_row_id"],
        ["revenue"],
    )
    problems += [f"[stg_events purchases] {x}" for x in p]
    assert not problems, f"{case.name}: warehouse != reference\n" + "\n".join(problems)


def assert_accounting(case: Case, expected: dict[str, int]) -> None:
    acc = case.table("event_row_accounting")
    count_col = "rows" if "rows" in acc.columns else "row_count"
    got = {s: int(n) for s, n in zip(acc["row_status"], acc[count_col]) if int(n) != 0}
    assert got == {k: v for k, v in expected.items() if v}, got
    assert sum(got.values()) == len(case.raw), (sum(got.values()), len(case.raw))
    ref_counts = case.ref["row_status"]["row_status"].value_counts().to_dict()
    assert ref_counts == {k: v for k, v in expected.items() if v}


def statuses(case: Case) -> dict[int, tuple]:
    rs = warehouse_row_status(case.build)
    out = {}
    for r in rs.itertuples(index=False):
        reason = r.quarantine_reason if r.row_status == "quarantined" else r.duplicate_reason
        out[int(r.event_row_id)] = (r.row_status, None if pd.isna(reason) else reason)
    return out


# =========================================================================== case A: staging
# CSV; explicit as_of; purchase_events given un-normalised.

A_AS_OF = "2024-03-31"
A_ROWS: list[tuple] = [
    # user_id, event_name, event_ts, event_id, session_id, revenue, order_id, properties
    ("u1", "page_view", "2024-03-01 10:00:00", "e1", "s1", None, None, '{"a": 1}'),  # 1 clean
    ("u1", "page_view", "2024-03-01 10:00:00", "e1", "s1", None, None, '{"a": 1}'),  # 2 exact dup of 1
    ("u1", "click", "2024-03-02 10:00:00", "e1", "s1", None, None, None),  # 3 repeated e1
    ("   ", "page_view", "2024-03-01 10:00:00", None, None, None, None, None),  # 4 blank user
    (None, "page_view", "2024-03-01 10:00:00", None, None, None, None, None),  # 5 null user
    ("u2", "  ", "2024-03-01 10:00:00", None, None, None, None, None),  # 6 blank event name
    ("u2", "page_view", None, None, None, None, None, None),  # 7 null ts
    ("u2", "page_view", "not a timestamp", None, None, None, None, None),  # 8 unparseable
    ("u2", "page_view", "1970-01-01 00:00:00", None, None, None, None, None),  # 9 epoch 0
    ("u2", "page_view", "1900-01-01 00:00:00", None, None, None, None, None),  # 10 1900
    ("u2", "page_view", "2024-04-11 00:00:00", None, None, None, None, None),  # 11 > max_event_date
    ("u2", "page_view", "2024-04-10 23:59:59", None, None, None, None, None),  # 12 = max date: after_as_of
    ("u2", "purchase", "2024-03-10 10:00:00", None, None, "abc", None, None),  # 13 revenue not numeric
    ("u2", "purchase", "2024-03-10 11:00:00", None, None, "-5", None, None),  # 14 revenue negative
    ("u2", "page_view", "2024-03-10 12:00:00", None, None, "abc", None, None),  # 15 clean (not a purchase)
    ("u2", "page_view", "2024-03-10 13:00:00", None, None, "-5", None, None),  # 16 clean (not a purchase)
    ("u3", " Purchase ", "2024-03-20 10:00:00", None, None, "10", "o1", None),  # 17 purchase
    ("  u3 ", "Order Completed", "2024-03-21 09:00:00", None, None, "7.5", None, None),  # 18 purchase (var)
    ("U3", "Page-View.Test", "2024-03-21 09:00:00", None, None, None, None, None),  # 19 other user
    ("u3", "purchase", "2024-03-22 08:00:00", None, None, None, None, None),  # 20 purchase, null revenue
    ("u4", "page_view", "2024-03-30T23:30:00-02:00", None, None, None, None, None),  # 21 = 03-31 01:30Z
    ("u4", "page_view", "2024-04-01T01:00:00+02:00", None, None, None, None, None),  # 22 = 03-31 23:00Z
    ("u4", "page_view", "2024-03-31T23:00:00-02:00", None, None, None, None, None),  # 23 = 04-01 01:00Z
    ("u4", "click", "2024-03-20T12:00:00+01:00", None, None, None, None, None),  # 24 = 03-20 11:00Z
    ("u4", "click", "2024-03-20 11:00:00", None, None, None, None, None),  # 25 exact dup of 24
    ("u5", "page_view", "2024-03-05 10:00:00", "e9", None, None, None, None),  # 26 e9, later than 27
    ("u5", "click", "2024-03-04 10:00:00", "e9", None, None, None, None),  # 27 e9, earliest
    ("u5", "page_view", "2024-03-06 10:00:00", " e10 ", None, None, None, None),  # 28
    ("u5", "click", "2024-03-07 10:00:00", "e10", None, None, None, None),  # 29 repeated e10
    ("u5", "page_view", "2024-03-08 10:00:00", "", "", None, None, None),  # 30 blank ids
    ("u5", "click", "2024-03-08 11:00:00", "  ", None, None, None, None),  # 31 blank id: not repeated
    ("u5", "page_view", "2024-03-08 10:00:00", None, None, None, None, None),  # 32 exact dup of 30
    ("   ", "page_view", "2024-03-01 10:00:00", "e20", None, None, None, None),  # 33 quarantined e20
    ("u6", "page_view", "2024-03-15T10:00:00Z", "e20", None, None, None, None),  # 34 clean
    ("u7", "page_view", "2024-04-05 10:00:00", "e30", None, None, None, None),  # 35 after_as_of
    ("u7", "click", "2024-04-06 10:00:00", "e30", None, None, None, None),  # 36 repeated e30
    ("u7", "page_view", "2024-03-31 23:59:59", None, None, None, None, None),  # 37 clean, on as_of
    ("u2", "purchase", "2024-03-11 10:00:00", None, None, "NaN", None, None),  # 38 not finite
    ("u2", "purchase", "2024-03-11 11:00:00", None, None, "inf", None, None),  # 39 not finite
    ("u2", "purchase", "2024-03-12 10:00:00", None, None, "0", None, None),  # 40 clean, revenue 0
    ("u8", "ADD  to -- Cart", "2024-03-25 10:00:00", None, None, None, None, None),  # 41 add_to_cart
    ("\tu9 ", "page_view", "2024-03-26 10:00:00", None, None, None, None, None),  # 42 user u9
    ("u1", "PAGE_VIEW", "2024-03-01 10:00:00", "e1", "s1", None, None, '{"a": 1}'),  # 43 exact dup of 1
    ("u1", "page_view", "2024-03-01 10:00:00", "e1", "s1", None, None, '{"a":1}'),  # 44 repeated e1
]

A_STATUS = {
    1: ("clean", None), 2: ("duplicate", "exact_duplicate"), 3: ("duplicate", "repeated_event_id"),
    4: ("quarantined", "missing_user_id"), 5: ("quarantined", "missing_user_id"),
    6: ("quarantined", "missing_event_name"), 7: ("quarantined", "missing_event_ts"),
    8: ("quarantined", "unparseable_event_ts"), 9: ("quarantined", "event_ts_too_early"),
    10: ("quarantined", "event_ts_too_early"), 11: ("quarantined", "event_ts_in_future"),
    12: ("after_as_of", None), 13: ("quarantined", "revenue_not_numeric"),
    14: ("quarantined", "revenue_negative"), 15: ("clean", None), 16: ("clean", None),
    17: ("clean", None), 18: ("clean", None), 19: ("clean", None), 20: ("clean", None),
    21: ("clean", None), 22: ("clean", None), 23: ("after_as_of", None), 24: ("clean", None),
    25: ("duplicate", "exact_duplicate"), 26: ("duplicate", "repeated_event_id"), 27: ("clean", None),
    28: ("clean", None), 29: ("duplicate", "repeated_event_id"), 30: ("clean", None),
    31: ("clean", None), 32: ("duplicate", "exact_duplicate"), 33: ("quarantined", "missing_user_id"),
    34: ("clean", None), 35: ("after_as_of", None), 36: ("duplicate", "repeated_event_id"),
    37: ("clean", None), 38: ("quarantined", "revenue_not_numeric"),
    39: ("quarantined", "revenue_not_numeric"), 40: ("clean", None), 41: ("clean", None),
    42: ("clean", None), 43: ("duplicate", "exact_duplicate"), 44: ("duplicate", "repeated_event_id"),
}


@pytest.fixture(scope="module")
def case_a(tmp_path_factory) -> Case:
    path = tmp_path_factory.mktemp("known_a_data") / "events.csv"
    write_csv(path, A_ROWS)
    purchase_events = ["Purchase", "Order Completed"]
    return build_case(
        "A",
        tmp_path_factory,
        path,
        read_csv(path),
        {"as_of": A_AS_OF, "max_event_date": "2024-04-10", "purchase_events": purchase_events},
        {"as_of": date(2024, 3, 31), "max_event_date": date(2024, 4, 10), "purchase_events": purchase_events},
    )


def test_a_row_statuses(case_a):
    assert statuses(case_a) == A_STATUS
    ref = {
        int(r.event_row_id): (r.row_status, r.quarantine_reason if r.row_status == "quarantined" else r.duplicate_reason)
        for r in case_a.ref["row_status"].itertuples(index=False)
    }
    assert {k: (s, None if pd.isna(x) else x) for k, (s, x) in ref.items()} == A_STATUS


def test_a_accounting(case_a):
    assert_accounting(case_a, {"clean": 19, "quarantined": 13, "duplicate": 9, "after_as_of": 3})


def test_a_stg_events(case_a):
    assert_rows(
        case_a.table("stg_events"),
        ["event_row_id"],
        [
            dict(event_row_id=1, user_id="u1", event_name="page_view", event_ts=T("2024-03-01 10:00"),
                 event_date=date(2024, 3, 1), event_id="e1", session_id="s1", order_id=None,
                 properties='{"a": 1}', is_purchase=False),
            dict(event_row_id=17, user_id="u3", event_name="purchase", revenue=10.0, order_id="o1", is_purchase=True),
            dict(event_row_id=18, user_id="u3", event_name="order_completed", revenue=7.5, order_id=None, is_purchase=True),
            dict(event_row_id=19, user_id="U3", event_name="page_view_test", is_purchase=False),
            dict(event_row_id=20, user_id="u3", event_name="purchase", revenue=None, is_purchase=True),
            dict(event_row_id=21, user_id="u4", event_ts=T("2024-03-31 01:30"), event_date=date(2024, 3, 31)),
            dict(event_row_id=22, user_id="u4", event_ts=T("2024-03-31 23:00"), event_date=date(2024, 3, 31)),
            dict(event_row_id=24, user_id="u4", event_ts=T("2024-03-20 11:00"), event_date=date(2024, 3, 20)),
            dict(event_row_id=28, event_id="e10"),
            dict(event_row_id=30, event_id=None, session_id=None),
            dict(event_row_id=34, user_id="u6", event_ts=T("2024-03-15 10:00"), event_id="e20"),
            dict(event_row_id=37, user_id="u7", event_date=date(2024, 3, 31)),
            dict(event_row_id=40, user_id="u2", event_name="purchase", revenue=0.0, is_purchase=True),
            dict(event_row_id=41, user_id="u8", event_name="add_to_cart"),
            dict(event_row_id=42, user_id="u9"),
        ],
        "stg_events",
    )


def test_a_user_behavior(case_a):
    fct = case_a.table("fct_user_behavior")
    assert sorted(fct["user_id"]) == sorted(["u1", "u2", "u3", "U3", "u4", "u5", "u6", "u7", "u8", "u9"])
    assert_rows(
        fct,
        ["user_id"],
        [
            # u3: purchases on 03-20 (o1, 10), 03-21 (order_completed, 7.5, no order_id), 03-22 (null revenue)
            dict(user_id="u3", as_of=date(2024, 3, 31), first_seen_at=T("2024-03-20 10:00"),
                 last_seen_at=T("2024-03-22 08:00"), days_since_first_seen=11, days_since_last_seen=9,
                 events_total=3, orders=3, revenue=17.5, avg_order_value=17.5 / 3,
                 first_purchase_at=T("2024-03-20 10:00"), last_purchase_at=T("2024-03-22 08:00"),
                 days_since_last_purchase=9, purchase_days=3, is_purchaser=True, btyd_frequency=2,
                 btyd_recency_days=2, btyd_t_days=11, btyd_monetary_value=3.75),
            dict(user_id="U3", events_total=1, orders=0, revenue=0.0, avg_order_value=None,
                 first_purchase_at=None, days_since_last_purchase=None, purchase_days=0,
                 is_purchaser=False, btyd_frequency=None, btyd_recency_days=None, btyd_t_days=None,
                 btyd_monetary_value=None),
            # u2: page views with junk revenue (ignored) + one purchase with revenue 0
            dict(user_id="u2", events_total=3, orders=1, revenue=0.0, avg_order_value=0.0, is_purchaser=True,
                 purchase_days=1, btyd_frequency=0, btyd_t_days=19, btyd_monetary_value=0.0),
            dict(user_id="u4", first_seen_at=T("2024-03-20 11:00"), last_seen_at=T("2024-03-31 23:00"),
                 first_seen_date=date(2024, 3, 20), last_seen_date=date(2024, 3, 31), days_since_last_seen=0,
                 active_days_total=2, events_total=3),
            dict(user_id="u1", events_total=1, active_days_total=1, days_since_first_seen=30),
            dict(user_id="u5", events_total=4, active_days_total=3),
            dict(user_id="u7", events_total=1, days_since_last_seen=0),
        ],
        "fct_user_behavior",
    )


def test_a_matches_reference(case_a):
    assert_matches_reference(case_a)


# =========================================================================== case B: orders, BTYD, RFM quantiles
# Parquet (text timestamps, float revenue); as_of 2024-06-30; usage tiers in quantile mode.

B_AS_OF = date(2024, 6, 30)
B_ROWS = [
    # user, event, ts, revenue, order_id
    ("p1", "purchase", "2024-06-01 09:00:00", 10.0, "A"),
    ("p1", "purchase", "2024-06-01 10:00:00", 5.0, "A"),  # same order as above
    ("p1", "purchase", "2024-06-20 12:00:00", 20.0, None),
    ("p1", "purchase", "2024-06-20 15:00:00", None, None),  # null revenue, own order
    ("p1", "page_view", "2024-06-25 08:00:00", None, None),
    ("p2", "purchase", "2024-06-10 10:00:00", 30.0, "X"),  # two orders on one day
    ("p2", "purchase", "2024-06-10 18:00:00", 12.0, "Y"),
    ("p3", "purchase", "2024-05-01 10:00:00", 15.0, "A"),  # order id "A" of another user
    ("p3", "purchase", "2024-05-15 10:00:00", 10.0, "B"),
    ("p3", "purchase", "2024-06-10 10:00:00", 17.0, "C"),
    ("p4", "purchase", "2024-06-29 10:00:00", 100.0, None),
    ("p5", "purchase", "2024-01-15 10:00:00", 0.0, "Z"),
    ("p6", "purchase", "2024-06-20 10:00:00", 8.0, "Q"),  # one order over two days
    ("p6", "purchase", "2024-06-22 10:00:00", 7.0, "Q"),
    ("p7", "purchase", "2024-06-15 10:00:00", 50.0, "M"),
    ("p7", "purchase", "2024-06-15 11:00:00", 0.0, "N"),
    ("p7", "page_view", "2024-06-16 10:00:00", None, None),
    ("n2", "page_view", "2024-06-30 12:00:00", None, None),  # single event
]
for _user, _first in (("n3", 28), ("n4", 27), ("n1", 26), ("n5", 25)):
    for _d in range(_first, 31):
        B_ROWS.append((_user, "page_view", f"2024-06-{_d:02d} 12:00:00", None, None))


@pytest.fixture(scope="module")
def case_b(tmp_path_factory) -> Case:
    path = tmp_path_factory.mktemp("known_b_data") / "events.parquet"
    raw = pd.DataFrame(B_ROWS, columns=["user_id", "event_name", "event_ts", "revenue", "order_id"])
    raw["revenue"] = raw["revenue"].astype("float64")
    raw.to_parquet(path, index=False)
    return build_case(
        "B",
        tmp_path_factory,
        path,
        pd.read_parquet(path),
        {"as_of": "2024-06-30", "max_event_date": "2024-07-31", "usage_tier_mode": "quantile"},
        {"as_of": B_AS_OF, "max_event_date": date(2024, 7, 31), "usage_tier_mode": "quantile"},
    )


def test_b_accounting(case_b):
    assert_accounting(case_b, {"clean": len(B_ROWS)})


def test_b_orders_and_btyd(case_b):
    assert_rows(
        case_b.table("fct_user_behavior"),
        ["user_id"],
        [
            dict(user_id="p1", first_seen_at=T("2024-06-01 09:00"), last_seen_at=T("2024-06-25 08:00"),
                 days_since_first_seen=29, days_since_last_seen=5, active_days_total=3, active_days_7d=1,
                 active_days_28d=2, active_days_90d=3, active_days_prev_28d=1, events_total=5, events_28d=3,
                 orders=3, revenue=35.0, avg_order_value=35 / 3, first_purchase_at=T("2024-06-01 09:00"),
                 last_purchase_at=T("2024-06-20 15:00"), days_since_last_purchase=10, purchase_days=2,
                 is_purchaser=True, btyd_frequency=1, btyd_recency_days=19, btyd_t_days=29,
                 btyd_monetary_value=20.0),
            dict(user_id="p2", orders=2, revenue=42.0, avg_order_value=21.0, first_purchase_at=T("2024-06-10 10:00"),
                 last_purchase_at=T("2024-06-10 18:00"), days_since_last_purchase=20, purchase_days=1,
                 btyd_frequency=0, btyd_recency_days=0, btyd_t_days=20, btyd_monetary_value=0.0),
            dict(user_id="p3", orders=3, revenue=42.0, avg_order_value=14.0, days_since_last_purchase=20,
                 purchase_days=3, btyd_frequency=2, btyd_recency_days=40, btyd_t_days=60,
                 btyd_monetary_value=13.5),
            dict(user_id="p4", orders=1, revenue=100.0, days_since_last_purchase=1, btyd_frequency=0,
                 btyd_recency_days=0, btyd_t_days=1, btyd_monetary_value=0.0),
            dict(user_id="p5", orders=1, revenue=0.0, avg_order_value=0.0, is_purchaser=True,
                 days_since_last_purchase=167, days_since_last_seen=167, active_days_28d=0, active_days_90d=0,
                 btyd_frequency=0, btyd_recency_days=0, btyd_t_days=167, btyd_monetary_value=0.0),
            dict(user_id="p6", orders=1, revenue=15.0, avg_order_value=15.0, first_purchase_at=T("2024-06-20 10:00"),
                 last_purchase_at=T("2024-06-22 10:00"), days_since_last_purchase=8, purchase_days=2,
                 btyd_frequency=1, btyd_recency_days=2, btyd_t_days=10, btyd_monetary_value=7.0),
            dict(user_id="p7", orders=2, revenue=50.0, avg_order_value=25.0, purchase_days=1, btyd_frequency=0,
                 days_since_last_purchase=15, active_days_28d=2),
            dict(user_id="n1", orders=0, revenue=0.0, avg_order_value=None, is_purchaser=False, purchase_days=0,
                 first_purchase_at=None, last_purchase_at=None, days_since_last_purchase=None,
                 btyd_frequency=None, btyd_recency_days=None, btyd_t_days=None, btyd_monetary_value=None,
                 active_days_28d=5, active_days_7d=5, events_total=5),
            dict(user_id="n2", days_since_first_seen=0, days_since_last_seen=0, events_total=1, active_days_total=1),
        ],
        "fct_user_behavior",
    )


B_RFM = [
    # n = 7 purchasers: score = min(5, 1 + floor(5 * (rank - 1) / 6)); rank 1..7 -> 1,1,2,3,4,5,5
    # recency days: p5 167, p2 20, p3 20, p7 15, p1 10, p6 8, p4 1
    # orders: p4 p5 p6 = 1; p2 p7 = 2; p1 p3 = 3
    # revenue: p5 0, p6 15, p1 35, p2 p3 42, p7 50, p4 100
    dict(user_id="p1", recency_days=10, frequency=3, monetary=35.0, r_score=4, f_score=5, m_score=2, rfm_cell="452", rfm_segment="Loyal"),
    dict(user_id="p2", recency_days=20, frequency=2, monetary=42.0, r_score=1, f_score=3, m_score=3, rfm_cell="133", rfm_segment="At Risk"),
    dict(user_id="p3", recency_days=20, frequency=3, monetary=42.0, r_score=1, f_score=5, m_score=3, rfm_cell="153", rfm_segment="Can't Lose Them"),
    dict(user_id="p4", recency_days=1, frequency=1, monetary=100.0, r_score=5, f_score=1, m_score=5, rfm_cell="515", rfm_segment="New Customers"),
    dict(user_id="p5", recency_days=167, frequency=1, monetary=0.0, r_score=1, f_score=1, m_score=1, rfm_cell="111", rfm_segment="Hibernating"),
    dict(user_id="p6", recency_days=8, frequency=1, monetary=15.0, r_score=5, f_score=1, m_score=1, rfm_cell="511", rfm_segment="New Customers"),
    dict(user_id="p7", recency_days=15, frequency=2, monetary=50.0, r_score=3, f_score=3, m_score=5, rfm_cell="335", rfm_segment="Need Attention"),
] + [
    dict(user_id=u, r_score=None, f_score=None, m_score=None, rfm_cell=None, rfm_segment="Never Purchased")
    for u in ("n1", "n2", "n3", "n4", "n5")
]


def test_b_rfm_quantile_scores_with_ties(case_b):
    rfm = case_b.table("user_rfm_segments")
    assert len(rfm) == 12
    assert_rows(rfm, ["user_id"], B_RFM, "user_rfm_segments")


def test_b_usage_tier_quantiles(case_b):
    # 11 users with active days > 0 -> p = (rank - 1) / 10: 1 day (4 users) rank 1 p 0; 2 days (3 users)
    # rank 5 p 0.4 (exact boundary); 3 days rank 8 p 0.7 (exact); 4 rank 9 p 0.8; 5 rank 10 p 0.9 (exact); 6 p 1
    expected = {
        "p2": "light", "p3": "light", "p4": "light", "n2": "light",
        "p1": "medium", "p6": "medium", "p7": "medium",
        "n3": "heavy", "n4": "heavy", "n1": "power", "n5": "power", "p5": "inactive",
    }
    tiers = case_b.table("user_usage_tiers")
    assert dict(zip(tiers["user_id"], tiers["usage_tier"])) == expected


def test_b_segment_summary(case_b):
    n = 12
    total = 284.0
    rows = [
        ("rfm_segment", "Loyal", 1, 1, 35.0), ("rfm_segment", "At Risk", 1, 1, 42.0),
        ("rfm_segment", "Can't Lose Them", 1, 1, 42.0), ("rfm_segment", "New Customers", 2, 2, 115.0),
        ("rfm_segment", "Hibernating", 1, 1, 0.0), ("rfm_segment", "Need Attention", 1, 1, 50.0),
        ("rfm_segment", "Never Purchased", 5, 0, 0.0),
        ("usage_tier", "light", 4, 3, 184.0), ("usage_tier", "medium", 3, 3, 100.0),
        ("usage_tier", "heavy", 2, 0, 0.0), ("usage_tier", "power", 2, 0, 0.0),
        ("usage_tier", "inactive", 1, 1, 0.0),
    ]
    expected = [
        dict(segment_dimension=d, segment_value=v, users=u, share_of_users=u / n, purchasers=p,
             purchase_conversion=p / u, revenue=r, revenue_share=r / total, revenue_per_user=r / u)
        for d, v, u, p, r in rows
    ]
    summary = case_b.table("segment_summary")
    assert_rows(summary, ["segment_dimension", "segment_value"], expected, "segment_summary")
    got = summary[summary["segment_dimension"].isin(["rfm_segment", "usage_tier"])]
    assert len(got) == len(rows)
    for dim in ("rfm_segment", "usage_tier", "lifecycle_stage"):
        part = summary[summary["segment_dimension"] == dim]
        assert part["users"].sum() == n
        assert part["revenue"].sum() == pytest.approx(total)


def test_b_matches_reference(case_b):
    assert_matches_reference(case_b)


# =========================================================================== case C: lifecycle windows
# CSV; default as_of (must be 2024-06-30: a later duplicate and a later quarantined row are ignored);
# usage tiers in threshold mode; RFM by thresholds.

C_AS_OF = date(2024, 6, 30)
C_THRESHOLDS = {"recency": [7, 30, 60, 90], "frequency": [2, 3, 5, 10], "monetary": [10, 50, 100, 500]}


def _at(age: int, hms: str = "12:00:00") -> str:
    return f"{C_AS_OF - timedelta(days=age)} {hms}"


def _c_rows() -> list[tuple]:
    rows: list[tuple] = []

    def ev(user, ages, name="page_view", event_id=None, revenue=None, order_id=None):
        for a in ages:
            rows.append((user, name, _at(a), event_id, None, revenue, order_id, None))

    ev("L1", [13])
    ev("L2", [14])
    ev("L3", [27])
    ev("L4", [28])
    ev("L5", [89])
    ev("L6", [90])
    ev("L7", [50, 22])
    ev("L8", [49, 22])
    ev("L9", [60, 27])
    ev("L10", [60, 28])
    ev("L11", [33, 32, 31, 30, 10, 5])
    ev("L12", [33, 32, 31, 30, 10])
    ev("L13", [55, 54, 53, 20])
    ev("W", [90, 89, 56, 55, 28, 27, 7, 6])
    rows.append(("W", "page_view", _at(0, "00:00:00"), "w-dup", None, None, None, None))
    rows.append(("W", "click", _at(0, "12:00:00"), None, None, None, None, None))
    rows.append(("W", "page_view", _at(0, "23:59:59"), None, None, None, None, None))
    for n, user in ((20, "U20"), (19, "U19"), (12, "U12"), (11, "U11"), (6, "U6"), (5, "U5")):
        ev(user, range(n))
    ev("T1", [7], "purchase", revenue="10")
    rows.append(("T2", "purchase", _at(8, "09:00:00"), None, None, "4.99", None, None))
    rows.append(("T2", "purchase", _at(8, "10:00:00"), None, None, "5", None, None))
    ev("T3", [91], "purchase", revenue="500")
    for i, a in enumerate(range(99, 89, -1)):
        rows.append(("T4", "purchase", _at(a), None, None, "1", f"t4-{i}", None))
    # after the latest valid date: a duplicate (repeated event_id) and a quarantined row
    rows.append(("W", "page_view", "2024-07-01 12:00:00", "w-dup", None, None, None, None))
    rows.append(("W", " ", "2024-07-01 12:00:00", None, None, None, None, None))
    return rows


C_ROWS = _c_rows()

C_LIFECYCLE = {
    "L1": "new",  # first seen 13 days ago
    "L2": "active",  # first seen 14 days ago
    "L3": "active",  # last seen 27
    "L4": "dormant",  # last seen 28
    "L5": "dormant",  # 89
    "L6": "churned",  # 90
    "L7": "reactivated",  # gap 28, return 22 days ago
    "L8": "active",  # gap 27
    "L9": "reactivated",  # return 27 days ago
    "L10": "dormant",  # return 28 days ago: outside the window
    "L11": "active",  # 2 active days vs 4 before: ratio exactly 0.5 is not at risk
    "L12": "at_risk",  # 1 vs 4
    "L13": "reactivated",  # reactivated wins over at_risk
    "W": "active",
    "U20": "active", "U19": "active", "U12": "new", "U11": "new", "U6": "new", "U5": "new",
    "T1": "new", "T2": "new", "T3": "churned", "T4": "churned",
}


@pytest.fixture(scope="module")
def case_c(tmp_path_factory) -> Case:
    path = tmp_path_factory.mktemp("known_c_data") / "events.csv"
    write_csv(path, C_ROWS)
    return build_case(
        "C",
        tmp_path_factory,
        path,
        read_csv(path),
        {"max_event_date": "2024-07-02", "rfm_thresholds": C_THRESHOLDS},
        {"max_event_date": date(2024, 7, 2), "rfm_thresholds": C_THRESHOLDS},
    )


def test_c_default_as_of_and_accounting(case_c):
    fct = case_c.table("fct_user_behavior")
    assert set(pd.to_datetime(fct["as_of"]).dt.date) == {C_AS_OF}
    assert_accounting(case_c, {"clean": len(C_ROWS) - 2, "quarantined": 1, "duplicate": 1, "after_as_of": 0})
    st = statuses(case_c)
    n = len(C_ROWS)
    assert st[n - 1] == ("duplicate", "repeated_event_id")
    assert st[n] == ("quarantined", "missing_event_name")


def test_c_lifecycle_stages(case_c):
    life = case_c.table("user_lifecycle_stages")
    assert dict(zip(life["user_id"], life["lifecycle_stage"])) == C_LIFECYCLE
    assert_rows(
        life,
        ["user_id"],
        [
            dict(user_id="L1", days_since_first_seen=13, days_since_last_seen=13),
            dict(user_id="L11", days_since_first_seen=33, active_days_28d=2, active_days_prev_28d=4),
            dict(user_id="L12", active_days_28d=1, active_days_prev_28d=4),
            dict(user_id="L13", active_days_28d=1, active_days_prev_28d=3),
            dict(user_id="L6", days_since_last_seen=90, active_days_28d=0, active_days_prev_28d=0),
        ],
        "user_lifecycle_stages",
    )


def test_c_window_boundaries(case_c):
    # W: active ages 90 89 56 55 28 27 7 6 0 (three events at age 0, at 00:00:00, 12:00 and 23:59:59)
    assert_rows(
        case_c.table("fct_user_behavior"),
        ["user_id"],
        [
            dict(user_id="W", days_since_first_seen=90, days_since_last_seen=0, active_days_total=9,
                 active_days_7d=2, active_days_28d=4, active_days_90d=8, active_days_prev_28d=2,
                 events_total=11, events_28d=6, first_seen_date=date(2024, 4, 1), last_seen_date=C_AS_OF,
                 first_seen_at=T("2024-04-01 12:00"), last_seen_at=T("2024-06-30 23:59:59")),
            dict(user_id="L5", days_since_first_seen=89, active_days_90d=1, active_days_28d=0),
            dict(user_id="L6", active_days_90d=0),
            dict(user_id="L3", active_days_28d=1, active_days_prev_28d=0),
            dict(user_id="L4", active_days_28d=0, active_days_prev_28d=1),
        ],
        "fct_user_behavior",
    )


def test_c_usage_tier_thresholds(case_c):
    tiers = case_c.table("user_usage_tiers")
    got = dict(zip(tiers["user_id"], tiers["usage_tier"]))
    assert {u: got[u] for u in ("U20", "U19", "U12", "U11", "U6", "U5", "L1", "L4", "W")} == {
        "U20": "power", "U19": "heavy", "U12": "heavy", "U11": "medium", "U6": "medium",
        "U5": "light", "L1": "light", "L4": "inactive", "W": "light",
    }


def test_c_rfm_thresholds(case_c):
    assert_rows(
        case_c.table("user_rfm_segments"),
        ["user_id"],
        [
            # recency = 5 - #{t < value}; frequency, monetary = 1 + #{t <= value}
            dict(user_id="T1", recency_days=7, frequency=1, monetary=10.0, r_score=5, f_score=1, m_score=2,
                 rfm_cell="512", rfm_segment="New Customers"),
            dict(user_id="T2", recency_days=8, frequency=2, monetary=9.99, r_score=4, f_score=2, m_score=1,
                 rfm_cell="421", rfm_segment="Potential Loyalists"),
            dict(user_id="T3", recency_days=91, frequency=1, monetary=500.0, r_score=1, f_score=1, m_score=5,
                 rfm_cell="115", rfm_segment="Hibernating"),
            dict(user_id="T4", recency_days=90, frequency=10, monetary=10.0, r_score=2, f_score=5, m_score=2,
                 rfm_cell="252", rfm_segment="Can't Lose Them"),
            dict(user_id="W", r_score=None, rfm_cell=None, rfm_segment="Never Purchased"),
        ],
        "user_rfm_segments",
    )


def test_c_matches_reference(case_c):
    assert_matches_reference(case_c)


# =========================================================================== case D: a single purchaser
# Parquet with native (naive = UTC) timestamps, only the required columns + revenue, odd-cased
# column names; default as_of.


@pytest.fixture(scope="module")
def case_d(tmp_path_factory) -> Case:
    path = tmp_path_factory.mktemp("known_d_data") / "events.parquet"
    raw = pd.DataFrame(
        {
            "User_Id": ["s1", "s1", "s2", "s3"],
            "EVENT_NAME": ["Purchase", "page_view", "page_view", "page_view"],
            "Event_Ts": pd.to_datetime(
                ["2024-05-01 10:00:00", "2024-05-02 10:00:00", "2024-05-10 10:00:00", "2024-05-03 10:00:00"]
            ),
            "Revenue": [25.5, None, None, None],
        }
    )
    raw.to_parquet(path, index=False)
    return build_case(
        "D", tmp_path_factory, path, pd.read_parquet(path),
        {"max_event_date": "2024-12-31"}, {"max_event_date": date(2024, 12, 31)},
    )


def test_d_single_purchaser(case_d):
    assert_accounting(case_d, {"clean": 4})
    assert_rows(
        case_d.table("user_rfm_segments"),
        ["user_id"],
        [
            dict(user_id="s1", as_of=date(2024, 5, 10), recency_days=9, frequency=1, monetary=25.5, r_score=1,
                 f_score=1, m_score=1, rfm_cell="111", rfm_segment="Hibernating"),
            dict(user_id="s2", r_score=None, f_score=None, m_score=None, rfm_segment="Never Purchased"),
            dict(user_id="s3", r_score=None, f_score=None, m_score=None, rfm_segment="Never Purchased"),
        ],
        "user_rfm_segments",
    )
    assert_rows(
        case_d.table("fct_user_behavior"),
        ["user_id"],
        [dict(user_id="s1", orders=1, revenue=25.5, first_purchase_at=T("2024-05-01 10:00"), btyd_t_days=9)],
        "fct_user_behavior",
    )
    summary = case_d.table("segment_summary")
    assert_rows(
        summary,
        ["segment_dimension", "segment_value"],
        [
            dict(segment_dimension="rfm_segment", segment_value="Hibernating", users=1, share_of_users=1 / 3,
                 purchasers=1, purchase_conversion=1.0, revenue=25.5, revenue_share=1.0, revenue_per_user=25.5),
            dict(segment_dimension="rfm_segment", segment_value="Never Purchased", users=2,
                 share_of_users=2 / 3, purchasers=0, purchase_conversion=0.0, revenue=0.0,
                 revenue_share=0.0, revenue_per_user=0.0),
        ],
        "segment_summary",
    )
    assert len(summary[summary["segment_dimension"] == "rfm_segment"]) == 2


def test_d_matches_reference(case_d):
    assert_matches_reference(case_d)


# =========================================================================== case E: all purchasers equal
# JSON lines; every purchase has null revenue (so all revenue is 0 -> revenue_share null);
# an event after the explicit as_of; a revenue on a non-purchase event is not counted.


E_RECORDS = [
    {"user_id": "e1", "event_name": "purchase", "event_ts": "2024-08-01 10:00:00", "revenue": None},
    {"user_id": "e2", "event_name": "purchase", "event_ts": "2024-08-01 11:00:00", "revenue": None},
    {"user_id": "e3", "event_name": "purchase", "event_ts": "2024-08-01 12:00:00", "revenue": None},
    {"user_id": "e1", "event_name": "page_view", "event_ts": "2024-08-20 10:00:00", "revenue": 3.0},
    {"user_id": "e2", "event_name": "page_view", "event_ts": "2024-08-20 10:00:00", "revenue": None},
    {"user_id": "e3", "event_name": "page_view", "event_ts": "2024-08-20 10:00:00", "revenue": None},
    {"user_id": "e4", "event_name": "page_view", "event_ts": "2024-08-21 10:00:00", "revenue": None},
    {"user_id": "e1", "event_name": "page_view", "event_ts": "2024-09-05 10:00:00", "revenue": None},  # after as_of
]


@pytest.fixture(scope="module")
def case_e(tmp_path_factory) -> Case:
    path = tmp_path_factory.mktemp("known_e_data") / "events.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in E_RECORDS))
    raw = pd.DataFrame(E_RECORDS)
    raw["revenue"] = raw["revenue"].astype(object)
    return build_case(
        "E", tmp_path_factory, path, raw,
        {"as_of": "2024-08-31", "max_event_date": "2024-09-30"},
        {"as_of": date(2024, 8, 31), "max_event_date": date(2024, 9, 30)},
    )


def test_e_all_purchasers_equal(case_e):
    assert_accounting(case_e, {"clean": 7, "after_as_of": 1})
    rfm = case_e.table("user_rfm_segments")
    assert_rows(
        rfm,
        ["user_id"],
        [
            dict(user_id=u, recency_days=30, frequency=1, monetary=0.0, r_score=1, f_score=1, m_score=1,
                 rfm_cell="111", rfm_segment="Hibernating")
            for u in ("e1", "e2", "e3")
        ]
        + [dict(user_id="e4", r_score=None, rfm_segment="Never Purchased")],
        "user_rfm_segments",
    )
    assert_rows(
        case_e.table("fct_user_behavior"),
        ["user_id"],
        [
            dict(user_id="e1", orders=1, revenue=0.0, avg_order_value=0.0, events_total=2, days_since_last_seen=11),
            dict(user_id="e4", orders=0, revenue=0.0, avg_order_value=None),
        ],
        "fct_user_behavior",
    )
    summary = case_e.table("segment_summary")
    assert summary["revenue_share"].isna().all(), summary
    assert_rows(
        summary,
        ["segment_dimension", "segment_value"],
        [
            dict(segment_dimension="rfm_segment", segment_value="Hibernating", users=3, share_of_users=0.75,
                 purchasers=3, purchase_conversion=1.0, revenue=0.0, revenue_share=None, revenue_per_user=0.0),
            dict(segment_dimension="rfm_segment", segment_value="Never Purchased", users=1,
                 share_of_users=0.25, purchasers=0, purchase_conversion=0.0, revenue=0.0, revenue_share=None,
                 revenue_per_user=0.0),
        ],
        "segment_summary",
    )


def test_e_matches_reference(case_e):
    assert_matches_reference(case_e)
