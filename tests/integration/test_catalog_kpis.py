"""Measure / act (docs/segments/measure_act.md): segment KPIs and their history, campaign
audiences with a salted hash split, the audience export, and campaign lift.

One hand-made log (as_of 2024-07-01, built after a first run at 2024-06-30 into the same
warehouse) with planted answers, and the 3000-user demo build compared whole-table with the
pandas reference in reference_kpis.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from scripts import export_audiences
from tests.integration import reference_kpis as ref
from tests.integration.conftest import DbtBuild, run_dbt_build
from tests.integration.support import REFERENCE_BUILD

BUILD_COMMAND = REFERENCE_BUILD
AS_OF_A, AS_OF_B = date(2024, 6, 30), date(2024, 7, 1)
LAPSING = "reengage_lapsing"  # seed: lifecycle at_risk|dormant, holdout 0.5, send 2024-06-16, 14 days
N_DORMANT = 10_000
COLUMNS = ["user_id", "event_name", "event_ts", "event_id", "session_id", "revenue", "order_id", "properties"]


def d(s: str) -> date:
    return date.fromisoformat(s)


def _days(start: str, end: str) -> list[date]:
    a, b = d(start), d(end)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


# At-risk users (as_of 2024-07-01): active every day 05-25 .. 06-03 (10 days in the previous
# 28 days), then purchases / opens below (< 5 active days in the last 28). Window of the
# campaign: 06-17 .. 06-30. (date, revenue) per purchase; revenue None = null revenue.
PLANTED = {
    "p_send_day": ([("2024-06-16", 30.0)], [], False, 0.0),       # the send day is not in the window
    "p_day_one": ([("2024-06-17", 10.0)], [], True, 10.0),        # first day of the window
    "p_window_end": ([("2024-06-30", 20.0), ("2024-06-30", None)], [], True, 20.0),  # last day; null revenue = 0
    "p_after": ([("2024-07-01", 40.0)], ["2024-06-20"], False, 0.0),  # day 15, after the window (on as_of)
    "p_two": ([("2024-06-20", 5.0), ("2024-06-25", 7.0)], [], True, 12.0),
    "p_open_only": ([], ["2024-06-20"], False, 0.0),
    "p_none_1": ([], [], False, 0.0),
    "p_none_2": ([], [], False, 0.0),
    "p_buy_1": ([("2024-06-18", 3.0)], [], True, 3.0),
    "p_buy_2": ([("2024-06-29", 100.0)], [], True, 100.0),
    "p_buy_3": ([("2024-06-22", 8.5)], [], True, 8.5),
    "p_buy_4": ([("2024-06-24", 1.25)], [], True, 1.25),
}


@dataclass
class Case:
    build: DbtBuild
    kpis_a: pd.DataFrame
    history_a: pd.DataFrame
    history_b_first: pd.DataFrame


def _events() -> pd.DataFrame:
    rows = []
    n = 0

    def add(user, name, day, revenue=None, order_id=None, hour=12):
        nonlocal n
        n += 1
        ts = pd.Timestamp(day) + pd.Timedelta(hours=hour)
        rows.append([user, name, ts.isoformat(sep=" "), f"e{n}", f"s_{user}_{day}", revenue, order_id, None])

    at_risk = [*PLANTED, "p_unsubscribed", "p_erased"]
    for user in at_risk:
        for day in _days("2024-05-25", "2024-06-03"):
            add(user, "app_open", day.isoformat())
    for user, (purchases, opens, _, _) in PLANTED.items():
        for i, (day, revenue) in enumerate(purchases):
            add(user, "purchase", day, revenue, f"o_{user}_{i}", hour=10 + i)
        for day in opens:
            add(user, "app_open", day)
    add("p_unsubscribed", "unsubscribe", "2024-06-02")
    add("p_unsubscribed", "purchase", "2024-06-20", 50.0, "o_unsub")
    add("p_erased", "purchase", "2024-06-20", 50.0, "o_erased")
    # retention boundaries (as_of 2024-07-01): first seen exactly 30 days before, back 29 days
    # before; first seen 30 days before and never again; first seen 29 days before
    add("r_retained", "app_open", "2024-06-01")
    add("r_retained", "app_open", "2024-06-02")
    add("r_not_retained", "app_open", "2024-06-01")
    add("r_not_eligible", "app_open", "2024-06-02")
    add("r_not_eligible", "app_open", "2024-07-01")
    # 10,000 single-event dormant users (last seen 42 days before as_of) for the split test
    for i in range(N_DORMANT):
        add(f"d{i:05d}", "page_view", "2024-05-20")
    add("latest", "app_open", "2024-07-01")
    return pd.DataFrame(rows, columns=COLUMNS)


def _read(build: DbtBuild, sql: str) -> pd.DataFrame:
    return build.query(sql)


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Case:
    work = tmp_path_factory.mktemp("catalog_kpis")
    events = _events()
    path = work / "events.csv"
    events.to_csv(path, index=False)
    erase = work / "erase.csv"
    pd.DataFrame({"user_id": ["p_erased"]}).to_csv(erase, index=False)
    base = {"erasure_list_path": str(erase), "max_event_date": "2030-01-01"}
    first = run_dbt_build(path, work / "wh", {**base, "as_of": AS_OF_A.isoformat()}, command=("build", "--exclude", "resource_type:test", "resource_type:unit_test"))
    kpis_a = first.table("segment_kpis")
    history_a = first.table("segment_kpi_history")
    build = run_dbt_build(path, work / "wh", {**base, "as_of": AS_OF_B.isoformat()}, command=BUILD_COMMAND)
    history_b_first = build.table("segment_kpi_history")
    # rerun of the same as_of: must not change the history
    run_dbt_build(path, work / "wh", {**base, "as_of": AS_OF_B.isoformat()},
                  command=("run", "--select", "segment_kpi_history", "segment_kpis"))
    return Case(build=build, kpis_a=kpis_a, history_a=history_a, history_b_first=history_b_first)


# --------------------------------------------------------------------------- KPIs and history


def test_history_keeps_both_as_of_and_reruns_are_idempotent(case):
    hist = case.build.table("segment_kpi_history")
    assert sorted(pd.to_datetime(hist["as_of"]).dt.date.unique()) == [AS_OF_A, AS_OF_B]
    key = ["as_of", "segment_dimension", "segment_value"]
    assert not hist.duplicated(key).any()
    assert ref.mismatches(hist, case.history_b_first, key) == []
    assert len(hist) == len(case.history_b_first)
    # the first run's rows are kept as they were
    old = hist[pd.to_datetime(hist["as_of"]).dt.date == AS_OF_A]
    assert ref.mismatches(old, case.history_a, key) == []


def test_segment_kpis_previous_values_and_changes(case):
    kpis = case.build.table("segment_kpis")
    assert set(pd.to_datetime(kpis["previous_as_of"]).dt.date) == {AS_OF_A}
    assert case.kpis_a["previous_as_of"].isna().all()  # first build: nothing before
    prev = case.kpis_a.set_index(["segment_dimension", "segment_value"])
    checked = 0
    for row in kpis.itertuples(index=False):
        k = (row.segment_dimension, row.segment_value)
        for kpi in ["users", "revenue", "purchase_conversion", "retention_30d", "engagement", "ltv_to_date"]:
            p = prev.at[k, kpi] if k in prev.index else None
            got_prev, got_change = getattr(row, f"previous_{kpi}"), getattr(row, f"{kpi}_change")
            if p is None or pd.isna(p) or pd.isna(getattr(row, kpi)):
                assert pd.isna(got_change), (k, kpi)
                continue
            assert math.isclose(got_prev, p, abs_tol=1e-12), (k, kpi)
            assert math.isclose(got_change, getattr(row, kpi) - p, abs_tol=1e-9), (k, kpi)
            checked += 1
    assert checked > 20
    # lifecycle at_risk holds the planted users with activity after 06-03 and the unsubscribed
    # one; p_none_1 / p_none_2 (nothing after 06-03) are dormant
    at_risk = kpis[(kpis.segment_dimension == "lifecycle_stage") & (kpis.segment_value == "at_risk")].iloc[0]
    assert at_risk["users"] == len(PLANTED) - 2 + 1


def test_segment_kpis_match_reference_on_hand_made_log(case):
    users = case.build.table("user_segments")
    got = case.build.table("segment_kpis")
    assert ref.mismatches(got, ref.segment_kpis(users), ["segment_dimension", "segment_value"]) == []
    # retention boundaries, as the spec words them
    u = users.set_index("user_id")
    assert u.at["r_retained", "days_since_first_seen"] == 30 and u.at["r_retained", "days_since_last_seen"] == 29
    assert u.at["r_not_retained", "days_since_last_seen"] == 30
    assert u.at["r_not_eligible", "days_since_first_seen"] == 29
    one = ref.segment_kpis(u.loc[["r_retained", "r_not_retained", "r_not_eligible"]].reset_index(), ["usage_tier"])
    assert one["retention_eligible_users"].sum() == 2 and one["retained_users"].sum() == 1


def test_segment_kpis_match_reference_on_demo(demo_build):
    got = demo_build.table("segment_kpis")
    expected = ref.segment_kpis(demo_build.table("user_segments"))
    assert len(got) == len(expected) > 10
    assert ref.mismatches(got, expected, ["segment_dimension", "segment_value"]) == []


# --------------------------------------------------------------------------- audiences


def test_audience_membership_consent_and_erasure(case):
    aud = case.build.table("campaign_audiences")
    lapsing = set(aud.loc[aud.campaign_id == LAPSING, "user_id"])
    # dormant: the 10,000 single-event users and r_retained / r_not_retained (last seen 29 / 30
    # days ago); at_risk or dormant: every planted user
    expected = set(PLANTED) | {f"d{i:05d}" for i in range(N_DORMANT)} | {"r_retained", "r_not_retained"}
    assert lapsing == expected  # consent withdrawn and erased users left out, nobody else in
    assert "p_unsubscribed" not in set(aud.user_id) and "p_erased" not in set(aud.user_id)
    assert "p_erased" not in set(case.build.table("user_segments").user_id)


def test_assignment_matches_python_hashlib_exactly(case, demo_build):
    for build in (case.build, demo_build):
        aud = build.table("campaign_audiences")
        expected = ref.audiences(build.table("user_segments"), build.table("campaigns"))
        assert len(aud) == len(expected) > 100
        assert ref.mismatches(aud, expected, ["campaign_id", "user_id"], rel_tol=0) == []


def test_holdout_share_within_binomial_bound(case):
    aud = case.build.table("campaign_audiences")
    dormant = aud[(aud.campaign_id == LAPSING) & aud.user_id.str.startswith("d")]
    assert len(dormant) == N_DORMANT
    share = (dormant.assignment_group == "holdout").mean()
    sd = math.sqrt(0.5 * 0.5 / N_DORMANT)
    assert abs(share - 0.5) < 4 * sd, share
    # buckets look uniform: each decile holds 10 % +- 4 sd
    counts = pd.cut(dormant.assignment_bucket, [i / 10 for i in range(11)], right=False).value_counts()
    assert (abs(counts / N_DORMANT - 0.1) < 4 * math.sqrt(0.09 / N_DORMANT)).all()


def test_assignment_stable_across_runs_and_other_users(case, demo_build):
    # the same (campaign, user) pairs in two different warehouses, built from different logs
    # with different other users and as_of, get the same bucket and group
    a = case.build.table("campaign_audiences")
    b = demo_build.table("campaign_audiences")
    assert set(a.user_id).isdisjoint(set(b.user_id))  # different populations
    for frame in (a, b):
        for row in frame.sample(200, random_state=1).itertuples(index=False):
            assert row.assignment_bucket == ref.bucket(row.campaign_id, row.user_id)
    # and across a rerun of the same warehouse: the hand-made build was the 2nd run there
    first = duckdb.connect(str(case.build.db_path), read_only=True)
    try:
        again = first.sql("select campaign_id, user_id, assignment_group from main.campaign_audiences").df()
    finally:
        first.close()
    merged = a.merge(again, on=["campaign_id", "user_id"], suffixes=("", "_again"))
    assert len(merged) == len(a) and (merged.assignment_group == merged.assignment_group_again).all()


# --------------------------------------------------------------------------- export


def test_export_writes_csv_and_parquet_per_campaign_and_group(case, tmp_path):
    export_audiences.main(["--db", str(case.build.db_path), "--out-dir", str(tmp_path)])
    aud = case.build.table("campaign_audiences")
    campaigns = case.build.table("campaigns").campaign_id.tolist()
    for campaign_id in campaigns:
        for group in ("treatment", "holdout"):
            want = set(aud.loc[(aud.campaign_id == campaign_id) & (aud.assignment_group == group), "user_id"])
            csv_path = tmp_path / f"{campaign_id}__{group}.csv"
            pq_path = tmp_path / f"{campaign_id}__{group}.parquet"
            from_csv = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
            from_pq = pd.read_parquet(pq_path)
            assert set(from_csv.user_id) == want == set(from_pq.user_id), (campaign_id, group)
            assert (from_csv.assignment_group == group).all() if len(from_csv) else True
            assert list(from_csv.user_id) == sorted(from_csv.user_id)
    assert "p_unsubscribed" not in "".join(p.read_text() for p in tmp_path.glob("*.csv"))


# --------------------------------------------------------------------------- lift


def test_lift_counts_planted_converters(case):
    aud = case.build.table("campaign_audiences")
    group = dict(zip(aud.loc[aud.campaign_id == LAPSING, "user_id"], aud.loc[aud.campaign_id == LAPSING, "assignment_group"]))
    lift = case.build.table("campaign_lift").set_index("campaign_id").loc[LAPSING]
    expected = {}
    for g in ("treatment", "holdout"):
        members = [u for u, grp in group.items() if grp == g]
        planted = [u for u in PLANTED if group[u] == g]
        conv = sum(1 for u in planted if PLANTED[u][2])
        rev = sum(PLANTED[u][3] for u in planted)
        expected[g] = (len(members), conv, rev)
        assert lift[f"{g}_users"] == len(members)
        assert lift[f"{g}_converters"] == conv
        assert math.isclose(lift[f"{g}_revenue"], rev, abs_tol=1e-9)
    assert expected["treatment"][1] + expected["holdout"][1] == 7
    assert bool(lift["is_window_complete"]) and lift["days_observed"] == 14
    assert pd.Timestamp(lift["window_end_date"]).date() == date(2024, 6, 30)
    pt = expected["treatment"][1] / expected["treatment"][0]
    ph = expected["holdout"][1] / expected["holdout"][0]
    se = math.sqrt(pt * (1 - pt) / expected["treatment"][0] + ph * (1 - ph) / expected["holdout"][0])
    assert math.isclose(lift["conversion_lift"], pt - ph, abs_tol=1e-12)
    assert math.isclose(lift["conversion_lift_ci_lower"], pt - ph - ref.Z95 * se, abs_tol=1e-12)
    assert math.isclose(lift["conversion_lift_ci_upper"], pt - ph + ref.Z95 * se, abs_tol=1e-12)


def _lift_reference(build: DbtBuild) -> pd.DataFrame:
    as_of = pd.Timestamp(build.table("stg_run_context").as_of.iloc[0]).date()
    return ref.lift(build.table("campaign_audiences"), build.table("campaigns"), build.table("int_orders"), as_of)


def test_lift_matches_reference(case, demo_build):
    for build in (case.build, demo_build):
        got = build.table("campaign_lift")
        assert len(got) == 3
        assert ref.mismatches(got, _lift_reference(build), ["campaign_id"], rel_tol=1e-9) == []
    demo = demo_build.table("campaign_lift").set_index("campaign_id")
    assert (demo.treatment_users > 0).all() and (demo.holdout_users > 0).all()
