"""Time marts (docs/segments/time.md): a hand-made log with planted answers, the demo build
against the pandas reference (tests/integration/reference_time.py), and the segment-history
backfill run twice in different orders.

Hand-made log, as_of 2024-04-17 (a Wednesday, mid-month). Calendar: 2024-01-01 is a Monday,
2024-01-07 a Sunday, 2024-03-31 a Sunday.

    a  2024-01-31 23:59:59, 2024-02-01 00:00:01, 2024-03-02   month cohort Jan: periods 0,1,2
    b  2024-01-07 23:59:59 (Sun), 2024-01-08 00:00:00 (Mon), 2024-03-05
                                                            week cohort 2024-01-01: periods 0,1,9
    c  2024-03-31 (single event)                            month cohort Mar, week 2024-03-25
    d  2024-01-15 (x3), 2024-02-15, 2024-03-13, 2024-04-17  active every month
    e  2024-01-20, 2024-02-20, 2024-03-20 (28 days before as_of: outside the 28-day window)
    f  2024-03-21 (27 days before as_of: inside), 2024-04-10 (7 days: outside the 7-day
       window), 2024-04-11 (6 days: inside)

Growth (A = active): Jan A={a,b,d,e}: 4 new, no churn -> quick ratio null; Feb A={a,d,e}:
3 retained, b churned -> ratio 0/1 = 0; Mar A={a..f}: c,f new, b resurrected, a,d,e retained,
nobody churned -> null; Apr (incomplete) A={d,f}: 2 retained, a,b,c,e churned -> 0.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from scripts.backfill_segment_history import run_backfill
from scripts.generate_events import generate
from tests.integration import reference_time as ref
from tests.integration.conftest import DbtBuild, run_dbt_build
from tests.integration.support import REFERENCE_BUILD

BUILD_COMMAND = REFERENCE_BUILD
AS_OF = date(2024, 4, 17)
TIME_MARTS = {
    "cohort_retention": ["cohort_grain", "cohort_start", "period_number"],
    "growth_accounting": ["month_start"],
    "power_user_curve": ["window_days", "active_days"],
    "daily_stickiness": ["activity_date"],
}
EVENTS = [
    ("a", "app_open", "2024-01-31 23:59:59"),
    ("a", "page_view", "2024-02-01 00:00:01"),
    ("a", "app_open", "2024-03-02 10:00:00"),
    ("b", "signup", "2024-01-07 23:59:59"),
    ("b", "app_open", "2024-01-08 00:00:00"),
    ("b", "app_open", "2024-03-05 09:00:00"),
    ("c", "app_open", "2024-03-31 12:00:00"),
    ("d", "app_open", "2024-01-15 08:00:00"),
    ("d", "page_view", "2024-01-15 08:01:00"),
    ("d", "purchase", "2024-01-15 08:02:00"),
    ("d", "app_open", "2024-02-15 08:00:00"),
    ("d", "app_open", "2024-03-13 08:00:00"),
    ("d", "app_open", "2024-04-17 23:00:00"),
    ("e", "app_open", "2024-01-20 08:00:00"),
    ("e", "app_open", "2024-02-20 08:00:00"),
    ("e", "app_open", "2024-03-20 08:00:00"),
    ("f", "signup", "2024-03-21 08:00:00"),
    ("f", "app_open", "2024-04-10 08:00:00"),
    ("f", "app_open", "2024-04-11 08:00:00"),
]


# --------------------------------------------------------------------------- helpers


def _norm(v: Any) -> Any:
    if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, datetime):
        return v.date()
    if hasattr(v, "item"):
        return _norm(v.item())
    return v


def frame_problems(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], label: str) -> list[str]:
    """Every column of ``expected``, row by row on ``keys``; floats within 1e-9."""
    problems = []
    if sorted(actual.columns) != sorted(expected.columns):
        problems.append(f"{label}: columns {sorted(actual.columns)} != {sorted(expected.columns)}")
        return problems
    a = {tuple(_norm(r[k]) for k in keys): r for r in actual.to_dict("records")}
    e = {tuple(_norm(r[k]) for k in keys): r for r in expected.to_dict("records")}
    if set(a) != set(e):
        problems.append(f"{label}: keys only in SQL {sorted(set(a) - set(e))[:5]}, "
                        f"only in reference {sorted(set(e) - set(a))[:5]}")
    for key in sorted(set(a) & set(e), key=str):
        for col in expected.columns:
            x, y = _norm(a[key][col]), _norm(e[key][col])
            if isinstance(x, float) or isinstance(y, float):
                same = (x is None and y is None) or (
                    x is not None and y is not None and abs(float(x) - float(y)) <= 1e-9)
            else:
                same = x == y
            if not same:
                problems.append(f"{label} {key} {col}: SQL {x!r}, reference {y!r}")
    return problems[:20]


def user_days_of(events: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        sorted({(u, pd.Timestamp(ts).date()) for u, _, ts in events}), columns=["user_id", "activity_date"])


def references(user_days: pd.DataFrame, as_of: date) -> dict[str, pd.DataFrame]:
    return {
        "cohort_retention": ref.cohort_retention(user_days, as_of),
        "growth_accounting": ref.growth_accounting(user_days, as_of),
        "power_user_curve": ref.power_user_curve(user_days, as_of),
        "daily_stickiness": ref.daily_stickiness(user_days, as_of),
    }


def rows_where(frame: pd.DataFrame, **conditions: Any) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for col, value in conditions.items():
        mask &= frame[col].map(_norm) == value
    return frame[mask]


def one(frame: pd.DataFrame, **conditions: Any) -> dict[str, Any]:
    found = rows_where(frame, **conditions)
    assert len(found) == 1, (conditions, found)
    return {k: _norm(v) for k, v in found.iloc[0].to_dict().items()}


# --------------------------------------------------------------------------- hand-made log


@pytest.fixture(scope="module")
def hand(tmp_path_factory) -> DbtBuild:
    folder = tmp_path_factory.mktemp("time_hand")
    path = folder / "events.csv"
    lines = ["user_id,event_name,event_ts"] + [f"{u},{n},{ts}" for u, n, ts in EVENTS]
    path.write_text("\n".join(lines) + "\n")
    return run_dbt_build(path, folder / "work", {"as_of": AS_OF.isoformat()}, command=BUILD_COMMAND)


def test_growth_accounting_planted_answers(hand):
    got = hand.table("growth_accounting")
    expected = {
        date(2024, 1, 1): (4, 0, 4, 0, 0, 0, None, True),
        date(2024, 2, 1): (3, 4, 0, 3, 0, 1, 0.0, True),
        date(2024, 3, 1): (6, 3, 2, 3, 1, 0, None, True),
        date(2024, 4, 1): (2, 6, 0, 2, 0, 4, 0.0, False),
    }
    assert sorted(got["month_start"].map(_norm)) == sorted(expected)
    for month, (active, prev, new, retained, resurrected, churned, quick, complete) in expected.items():
        row = one(got, month_start=month)
        assert (row["active_users"], row["active_users_prev"], row["new_users"], row["retained_users"],
                row["resurrected_users"], row["churned_users"]) == (active, prev, new, retained, resurrected, churned), row
        assert row["quick_ratio"] == quick, row  # null (None) when nobody churned
        assert bool(row["is_month_complete"]) is complete, row


def test_month_cohorts_planted_answers(hand):
    got = rows_where(hand.table("cohort_retention"), cohort_grain="month")
    # Jan cohort a, b, d, e; b skips Feb but comes back in Mar; only d is active in Apr
    jan = {n: one(got, cohort_start=date(2024, 1, 1), period_number=n) for n in range(4)}
    assert [jan[n]["active_users"] for n in range(4)] == [4, 3, 4, 1]
    assert [jan[n]["returned_or_later_users"] for n in range(4)] == [4, 4, 4, 1]
    assert [jan[n]["is_period_complete"] for n in range(4)] == [True, True, True, False]
    assert jan[1]["returned_share"] == pytest.approx(0.75)
    assert jan[3]["period_start"] == date(2024, 4, 1) and jan[3]["period_end"] == date(2024, 4, 30)
    # no one was first seen in February; the March cohort is c (single event) and f
    assert rows_where(got, cohort_start=date(2024, 2, 1)).empty
    mar = [one(got, cohort_start=date(2024, 3, 1), period_number=n) for n in range(2)]
    assert [(r["cohort_users"], r["active_users"], r["returned_or_later_users"]) for r in mar] == [(2, 2, 2), (2, 1, 1)]
    assert rows_where(got, cohort_start=date(2024, 3, 1), period_number=2).empty  # starts after as_of


def test_week_cohorts_start_on_monday_and_count_calendar_weeks(hand):
    got = rows_where(hand.table("cohort_retention"), cohort_grain="week")
    starts = {_norm(v) for v in got["cohort_start"]}
    assert starts == {date(2024, 1, 1), date(2024, 1, 15), date(2024, 1, 29), date(2024, 3, 18), date(2024, 3, 25)}
    assert all(d.weekday() == 0 for d in starts)
    # b: Sunday 23:59:59 then Monday 00:00:00 -> period 1; 2024-03-05 -> period 9
    b_cohort = rows_where(got, cohort_start=date(2024, 1, 1))
    active = {int(n): int(a) for n, a in zip(b_cohort["period_number"], b_cohort["active_users"])}
    assert active == {n: (1 if n in (0, 1, 9) else 0) for n in range(16)}
    # a: Wed 01-31 and Thu 02-01 are the same ISO week (period 0); 03-02 is period 4
    a_cohort = rows_where(got, cohort_start=date(2024, 1, 29))
    assert sorted(int(n) for n, x in zip(a_cohort["period_number"], a_cohort["active_users"]) if x) == [0, 4]
    last = one(got, cohort_start=date(2024, 1, 1), period_number=15)
    assert last["period_start"] == date(2024, 4, 15) and last["is_period_complete"] is False
    assert one(got, cohort_start=date(2024, 1, 1), period_number=14)["is_period_complete"] is True


def test_power_user_curve_window_boundaries(hand):
    got = hand.table("power_user_curve")
    assert len(got) == 7 + 28
    # 7 days: d (as_of) and f (04-11, 6 days back; 04-10 is 7 days back: out)
    assert one(got, window_days=7, active_days=1)["users"] == 2
    assert one(got, window_days=7, active_days=2)["users"] == 0
    assert one(got, window_days=7, active_days=1)["share_of_active_users"] == 1.0
    # 28 days: c, d with one day, f with three (03-21 is 27 days back: in); e's 03-20 is 28 back: out
    w28 = {int(k): int(n) for k, n in zip(rows_where(got, window_days=28)["active_days"],
                                          rows_where(got, window_days=28)["users"])}
    assert w28 == {k: {1: 2, 3: 1}.get(k, 0) for k in range(1, 29)}
    assert one(got, window_days=28, active_days=2)["users_at_least"] == 1
    assert one(got, window_days=28, active_days=1)["window_active_users"] == 3


def test_daily_stickiness_planted_days(hand):
    got = hand.table("daily_stickiness")
    assert len(got) == 90
    assert {_norm(v) for v in got["activity_date"]} == {AS_OF - timedelta(days=i) for i in range(90)}
    last = one(got, activity_date=AS_OF)
    assert (last["dau"], last["wau"], last["mau"]) == (1, 2, 3)
    assert last["dau_mau"] == pytest.approx(1 / 3)
    mar20 = one(got, activity_date=date(2024, 3, 20))
    assert (mar20["dau"], mar20["wau"], mar20["mau"]) == (1, 1, 4)
    empty = one(got, activity_date=date(2024, 1, 19))  # first day of the spine: nobody active
    assert (empty["dau"], empty["mau"], empty["dau_mau"]) == (0, 2, 0.0)  # b (01-07, 01-08), d (01-15)


def test_hand_log_matches_the_reference(hand):
    expected = references(user_days_of(EVENTS), AS_OF)
    problems = []
    for name, keys in TIME_MARTS.items():
        problems += frame_problems(hand.table(name), expected[name], keys, name)
    assert not problems, "\n".join(problems)


def test_history_holds_this_as_of_and_no_transitions_yet(hand):
    history = hand.table("user_segment_history")
    segments = hand.table("user_segments")
    assert sorted(history["user_id"]) == sorted(segments["user_id"]) == list("abcdef")
    assert {_norm(v) for v in history["as_of"]} == {AS_OF}
    merged = history.merge(segments, on="user_id", suffixes=("", "_seg"))
    for dim in ("rfm_segment", "usage_tier", "lifecycle_stage"):
        assert (merged[dim] == merged[f"{dim}_seg"]).all(), dim
    assert hand.table("segment_transitions").empty  # no earlier as_of in the history
    snap = hand.table("user_segments_snapshot")
    assert len(snap) == 6 and snap["dbt_valid_to"].isna().all()
    assert {_norm(v) for v in snap["dbt_valid_from"]} == {AS_OF}


# --------------------------------------------------------------------------- demo build


def test_demo_time_marts_match_the_reference(demo_build):
    user_days = demo_build.query("select user_id, activity_date from main.int_user_days")
    as_of = _norm(demo_build.query("select as_of from main.stg_run_context")["as_of"][0])
    expected = references(user_days, as_of)
    problems = []
    for name, keys in TIME_MARTS.items():
        got = demo_build.table(name)
        assert len(got) > 0, name
        problems += frame_problems(got, expected[name], keys, name)
    assert not problems, "\n".join(problems)


def test_demo_growth_accounting_identities(demo_build):
    g = demo_build.table("growth_accounting")
    assert (g["active_users"] == g["new_users"] + g["retained_users"] + g["resurrected_users"]).all()
    assert (g["active_users_prev"] == g["retained_users"] + g["churned_users"]).all()


# --------------------------------------------------------------------------- backfill


HISTORY_TABLES = ("user_segment_history", "user_segments_snapshot", "segment_transitions")
BACKFILL_DATES = [date(2024, 5, 31), date(2024, 6, 15)]


def history_tables(db_path: Path) -> dict[str, list[tuple]]:
    out = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        for name in HISTORY_TABLES:
            rows = con.execute(f"select * from main.{name}").fetchall()
            out[name] = sorted(rows, key=lambda r: tuple(str(v) for v in r))
    return out


HISTORY_SELECT = "+user_segment_history +user_segments_snapshot +segment_transitions"


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    """Four builds: backfill [d2, d1] (run as d1, d2); a plain build of d1 after d2 (out of
    order); the backfill of d2 again."""
    data = generate(out_dir=tmp_path_factory.mktemp("time_backfill_data"), n_users=150, seed=77)
    work = tmp_path_factory.mktemp("time_backfill")
    db = work / "a.duckdb"
    dbt_vars = {"events_path": str(data.events_path)}
    d1, d2 = BACKFILL_DATES
    kwargs = dict(dbt_vars=dbt_vars, db_path=db, target_path=work / "target", select=HISTORY_SELECT)
    run_backfill([d2, d1], **kwargs)
    first = history_tables(db)
    run_backfill([d1], **kwargs)  # an earlier as_of after a later one
    out_of_order = history_tables(db)
    run_backfill([d2], **kwargs)
    second = history_tables(db)
    return first, out_of_order, second, db


def test_backfill_again_gives_identical_history_snapshot_and_transitions(backfilled):
    first, _, second, _ = backfilled
    assert len(first["user_segment_history"]) > 0 and len(first["segment_transitions"]) > 0
    for name in HISTORY_TABLES:
        assert first[name] == second[name], name


def test_history_does_not_depend_on_build_order(backfilled):
    first, out_of_order, _, _ = backfilled
    assert out_of_order["user_segment_history"] == first["user_segment_history"]
    # the snapshot is rewound to the earlier as_of: its versions from d2 on are gone
    d2 = BACKFILL_DATES[1]
    assert not any(_norm(row[-2]) == d2 for row in out_of_order["user_segments_snapshot"])
    assert any(_norm(row[-2]) == d2 for row in first["user_segments_snapshot"])


def test_backfilled_history_snapshot_and_transitions_agree(backfilled):
    _, _, _, db_a = backfilled
    with duckdb.connect(str(db_a), read_only=True) as con:
        history = con.execute("select * from main.user_segment_history").df()
        snapshot = con.execute("select * from main.user_segments_snapshot").df()
        transitions = con.execute("select * from main.segment_transitions").df()
    assert sorted({_norm(v) for v in history["as_of"]}) == BACKFILL_DATES
    # the snapshot's versions, read at each as_of, give the history's labels
    for as_of in BACKFILL_DATES:
        ts = pd.Timestamp(as_of)
        valid = snapshot[(snapshot["dbt_valid_from"] <= ts)
                         & (snapshot["dbt_valid_to"].isna() | (snapshot["dbt_valid_to"] > ts))]
        at = history[history["as_of"].map(_norm) == as_of]
        merged = at.merge(valid, on="user_id", how="outer", suffixes=("", "_snap"), indicator=True)
        assert (merged["_merge"] == "both").all(), as_of
        for dim in ("rfm_segment", "usage_tier", "lifecycle_stage"):
            assert (merged[dim] == merged[f"{dim}_snap"]).all(), (as_of, dim)
    assert {_norm(v) for v in snapshot["dbt_valid_from"]} <= set(BACKFILL_DATES)
    # transitions of the last step: the two latest as_of dates, against the reference
    expected = ref.segment_transitions(history, BACKFILL_DATES[0], BACKFILL_DATES[1])
    problems = frame_problems(transitions, expected, ["segment_dimension", "from_value", "to_value"],
                              "segment_transitions")
    assert not problems, "\n".join(problems)
    assert transitions["is_change"].any()
