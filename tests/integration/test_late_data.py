"""Late and changing data (docs/definitions.md sections 1.1, 2, 4-7).

A glob of day files (``day_*.csv``) is built; then a later file arrives holding *late* events
(older ``event_ts``) and the same glob is rebuilt into the same warehouse. The users the late
events touch change exactly as the pandas reference predicts; every other user's rows are
identical; and building the same input once more changes nothing (row for row).

Users (as_of 2024-06-30, ages in days before it):

- ``top``     buys at ages 100, 70, 50, 30, 10, 2 (the best F and M); a late purchase at age 45
              adds an order without moving anybody else's RFM rank;
- ``react``   active at ages 100, 70, then 2 and 0: ``reactivated``; late activity at ages 40
              and 25 closes the gap: ``active``;
- ``newbie``  first seen at age 10: ``new``; a late event at age 20: ``active``;
- ``ghost``   only in the late file (age 60): appears, ``dormant``;
- ``s1``      one purchase at age 20; the late file repeats that event (same event_id): a
              duplicate, nothing changes;
- ``s2``, ``s3`` untouched.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.conftest import DbtBuild, run_dbt_build
from tests.integration.reference import warehouse_row_status
from tests.integration.support import (
    BUILD_COMMAND,
    CONTRACT_COLUMNS,
    accounting,
    assert_each_row_once,
    count_csv_rows,
    mart_mismatches,
    read_csv_raw,
    spec_reference,
    snapshot,
    status_multiset,
)

AS_OF = date(2024, 6, 30)
DBT_VARS = {"as_of": AS_OF.isoformat(), "max_event_date": "2030-01-01"}
COLUMNS = CONTRACT_COLUMNS
PER_USER = ("fct_user_behavior", "user_rfm_segments", "user_usage_tiers", "user_lifecycle_stages", "user_segments")
AFFECTED = {"top", "react", "newbie", "ghost"}


def ts(age: int, hour: int = 12) -> str:
    return f"{AS_OF - timedelta(days=age)}T{hour:02d}:00:00"


def ev(user: str, name: str, age: int, hour: int = 12, revenue=None, order=None, event_id=None) -> tuple:
    return (user, name, ts(age, hour), event_id, None, revenue, order, None)


ON_TIME = [
    *[ev("top", "purchase", a, revenue="100", order=f"top-{a}", event_id=f"top-{a}") for a in (100, 70, 50, 30, 10, 2)],
    *[ev("top", "page_view", a, 9) for a in (100, 70, 50, 30, 10, 2, 1, 0)],
    ev("react", "page_view", 100), ev("react", "page_view", 70), ev("react", "page_view", 2), ev("react", "login", 0),
    ev("newbie", "page_view", 10), ev("newbie", "page_view", 5),
    ev("s1", "purchase", 20, revenue="20", order="s1-1", event_id="s1-buy"), ev("s1", "page_view", 5),
    ev("s1", "page_view", 0),
    ev("s2", "purchase", 45, revenue="30", event_id="s2-a"), ev("s2", "purchase", 5, revenue="15", event_id="s2-b"),
    ev("s3", "page_view", 70), ev("s3", "purchase", 50, revenue="10"), ev("s3", "page_view", 50, 13),
]
LATE = [
    ev("top", "purchase", 45, revenue="100", order="top-late", event_id="top-late"),
    ev("react", "page_view", 40), ev("react", "page_view", 25),
    ev("newbie", "login", 20),
    ev("ghost", "page_view", 60),
    ev("s1", "purchase", 20, revenue="20", order="s1-1", event_id="s1-buy"),  # redelivered
]


def write_csv(path: Path, rows: list[tuple]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        for row in rows:
            fh.write(",".join("" if v is None else '"' + str(v).replace('"', '""') + '"' for v in row) + "\n")


def write_day_files(folder: Path) -> list[Path]:
    by_day: dict[str, list[tuple]] = {}
    for row in ON_TIME:
        by_day.setdefault(row[2][:10], []).append(row)
    paths = []
    for day, rows in sorted(by_day.items()):
        p = folder / f"day_{day}.csv"
        write_csv(p, rows)
        paths.append(p)
    return paths


def raw_of(paths: list[Path]) -> pd.DataFrame:
    return pd.concat([read_csv_raw(p) for p in sorted(paths)], ignore_index=True)


def by_user(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("user_id").sort_index()


def frozen(build: DbtBuild, step: str) -> DbtBuild:
    """A copy of the warehouse as this build left it (the next build rewrites the file)."""
    copy = build.db_path.with_name(f"{step}.duckdb")
    if build.db_path.exists():
        shutil.copyfile(build.db_path, copy)
    return DbtBuild(db_path=copy, result=build.result)


@pytest.fixture(scope="module")
def late(tmp_path_factory):
    folder = tmp_path_factory.mktemp("late_events")
    work = tmp_path_factory.mktemp("late_warehouse")
    glob = folder / "day_*.csv"
    day_files = write_day_files(folder)

    before = frozen(run_dbt_build(glob, work, DBT_VARS, command=BUILD_COMMAND, check=False), "before")
    tables_before = snapshot(before.db_path) if before.result.success else {}
    ref_before = spec_reference(raw_of(day_files), **DBT_VARS)

    late_file = folder / "day_2024-07-01.csv"  # arrives after the others, events are old
    write_csv(late_file, LATE)
    all_files = [*day_files, late_file]
    after = frozen(run_dbt_build(glob, work, DBT_VARS, command=BUILD_COMMAND, check=False), "after")
    tables_after = snapshot(after.db_path) if after.result.success else {}
    ref_after = spec_reference(raw_of(all_files), **DBT_VARS)

    again = frozen(run_dbt_build(glob, work, DBT_VARS, command=BUILD_COMMAND, check=False), "again")
    tables_again = snapshot(again.db_path) if again.result.success else {}
    return {
        "before": (before, tables_before, ref_before, sum(count_csv_rows(p) for p in day_files)),
        "after": (after, tables_after, ref_after, sum(count_csv_rows(p) for p in all_files)),
        "again": (again, tables_again, ref_after, sum(count_csv_rows(p) for p in all_files)),
    }


@pytest.mark.parametrize("step", ["before", "after", "again"])
def test_each_build_passes_and_accounts_for_every_row(late, step):
    build, _, ref, n_raw = late[step]
    assert build.result.success and not build.result.failures, build.result.failures
    assert_each_row_once(build, n_raw)
    assert status_multiset(warehouse_row_status(build)) == status_multiset(ref["row_status"])


@pytest.mark.parametrize("step", ["before", "after"])
def test_each_build_matches_the_reference(late, step):
    build, _, ref, _ = late[step]
    problems = mart_mismatches(build, ref)
    assert not problems, f"{step}: warehouse != reference\n" + "\n".join(problems)


def test_the_redelivered_event_is_a_duplicate(late):
    build, *_ = late["after"]
    assert accounting(build) == {"clean": len(ON_TIME) + len(LATE) - 1, "duplicate": 1}
    dup = build.table("stg_events_duplicates")
    assert dup["duplicate_reason"].tolist() in (["exact_duplicate"], ["repeated_event_id"])


def test_late_events_change_the_affected_users_as_predicted(late):
    _, before, ref_before, _ = late["before"]
    _, after, ref_after, _ = late["after"]
    seg_b, seg_a = by_user(before["user_segments"]), by_user(after["user_segments"])
    # the reference agrees with the story told in the module docstring ...
    life_b = by_user(ref_before["user_lifecycle_stages"])["lifecycle_stage"]
    life_a = by_user(ref_after["user_lifecycle_stages"])["lifecycle_stage"]
    assert (life_b["react"], life_a["react"]) == ("reactivated", "active")
    assert (life_b["newbie"], life_a["newbie"]) == ("new", "active")
    assert "ghost" not in life_b.index and life_a["ghost"] == "dormant"
    # ... and so does the warehouse
    assert (seg_b.at["react", "lifecycle_stage"], seg_a.at["react", "lifecycle_stage"]) == ("reactivated", "active")
    assert (seg_b.at["newbie", "lifecycle_stage"], seg_a.at["newbie", "lifecycle_stage"]) == ("new", "active")
    assert "ghost" not in seg_b.index and seg_a.at["ghost", "lifecycle_stage"] == "dormant"
    assert (int(seg_b.at["top", "orders"]), int(seg_a.at["top", "orders"])) == (6, 7)
    assert (float(seg_b.at["top", "revenue"]), float(seg_a.at["top", "revenue"])) == (600.0, 700.0)
    fct_b, fct_a = by_user(before["fct_user_behavior"]), by_user(after["fct_user_behavior"])
    assert (int(fct_b.at["react", "active_days_total"]), int(fct_a.at["react", "active_days_total"])) == (4, 6)
    assert int(fct_a.at["react", "active_days_prev_28d"]) == 1
    for uid in AFFECTED - {"ghost"}:
        assert not fct_b.loc[uid].equals(fct_a.loc[uid]), f"{uid}: late events changed nothing"


def test_unaffected_users_rows_are_identical(late):
    _, before, ref_before, _ = late["before"]
    _, after, ref_after, _ = late["after"]
    unaffected = sorted(set(before["user_segments"]["user_id"]) - AFFECTED)
    assert unaffected == ["s1", "s2", "s3"]
    for model in PER_USER:
        b = by_user(before[model]).loc[unaffected]
        a = by_user(after[model]).loc[unaffected]
        pd.testing.assert_frame_equal(b, a, check_exact=True, obj=model)
    # the reference predicts the same for them (guards the design of the late file)
    for model in ("fct_user_behavior", "user_rfm_segments", "user_usage_tiers", "user_lifecycle_stages"):
        b = by_user(ref_before[model]).loc[unaffected]
        a = by_user(ref_after[model]).loc[unaffected]
        pd.testing.assert_frame_equal(b, a, obj=f"reference {model}")


def test_rebuilding_the_same_input_is_idempotent(late):
    _, after, _, _ = late["after"]
    _, again, _, _ = late["again"]
    assert after and sorted(after) == sorted(again)
    for name in after:
        pd.testing.assert_frame_equal(after[name], again[name], check_exact=True, obj=name)
