"""The build as a user meets it: plain dbt CLI, the data tests, and clear errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from scripts import dbt_invoke
from scripts.dbt_invoke import PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")
SAMPLE_CSV = PROJECT_DIR / "tests" / "fixtures" / "events_sample.csv"


def run_dbt_cli(args: list[str], db_path: Path, target: Path) -> subprocess.CompletedProcess[str]:
    """Run the dbt executable exactly as the README tells a user to, in the project folder."""
    env = {**os.environ, "DBT_DUCKDB_PATH": str(db_path)}
    return subprocess.run(
        [DBT, *args, "--target-path", str(target)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )


def test_plain_dbt_build_on_a_contract_csv(tmp_path):
    """README step 3: `dbt build --vars ...` with profiles.yml in the project folder."""
    db = tmp_path / "mine.duckdb"
    proc = run_dbt_cli(
        ["build", "--vars", f'{{"events_path": "{SAMPLE_CSV}", "as_of": "2024-06-30"}}'], db, tmp_path / "t"
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert db.exists(), "DBT_DUCKDB_PATH was not honoured"
    with duckdb.connect(str(db), read_only=True) as con:
        accounting = dict(con.sql("select row_status, row_count from event_row_accounting").fetchall())
        assert accounting == {"clean": 10, "quarantined": 4, "duplicate": 1, "after_as_of": 0, "erased": 0}
        reasons = dict(con.sql(
            "select quarantine_reason, count(*) from stg_events_quarantine group by 1").fetchall())
        assert reasons == {"missing_user_id": 1, "revenue_negative": 2, "event_ts_too_early": 1}
        seg = {r[0]: r[1:] for r in con.sql(
            "select user_id, orders, revenue, days_since_last_seen, rfm_segment, lifecycle_stage "
            "from user_segments").fetchall()}
        assert seg == {
            "alice": (2, 65.5, 2, "Champions", "reactivated"),  # back after 58 days
            "bob": (0, 0.0, 1, "Never Purchased", "new"),
            "carol": (1, 12.0, 149, "Hibernating", "churned"),
            "erin": (0, 0.0, 0, "Never Purchased", "new"),
        }
        btyd = con.execute(
            "select btyd_frequency, btyd_recency_days, btyd_t_days, btyd_monetary_value "
            "from fct_user_behavior where user_id = 'alice'").fetchall()[0]
        assert btyd == (1, 58, 60, 40.0)


def test_missing_required_column_stops_the_run_with_one_clear_message(tmp_path):
    events = tmp_path / "no_ts.csv"
    events.write_text("user_id,event_name,when\nu1,purchase,2024-01-01\n")
    db = tmp_path / "w.duckdb"
    proc = run_dbt_cli(["build", "--vars", f'{{"events_path": "{events}"}}'], db, tmp_path / "t")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "has no column `event_ts`" in out and str(events) in out, out[-3000:]
    assert "Traceback" not in out
    with duckdb.connect(str(db), read_only=True) as con:
        built = {r[0] for r in con.sql("select table_name from information_schema.tables").fetchall()}
    assert not built & {"user_segments", "fct_user_behavior", "segment_summary"}, built


def test_demo_build_ran_every_kind_of_test(demo_build):
    nodes = demo_build.result.nodes
    assert nodes and not demo_build.result.failures
    names = {name for name, _, _ in nodes}
    for expected in [
        "test.behavioral_segments.assert_raw_rows_are_accounted_for",
        "test.behavioral_segments.assert_rfm_segment_map_covers_grid",
        "test.behavioral_segments.assert_segment_summary_partitions_users",
        "model.behavioral_segments.user_segments",
        "seed.behavioral_segments.rfm_segment_map",
    ]:
        assert expected in names
    assert sum(n.startswith("unit_test.") for n in names) >= 8
    assert sum(n.startswith("test.") for n in names) >= 80


CORRUPTIONS = {
    # statement applied to a copy of the demo warehouse -> a test that must then fail
    # one_row_per_key_of is the per-user marts' key test: a repeated, a null, a missing and a
    # replaced key
    "insert into user_segments select * from user_segments limit 1": "one_row_per_key_of_user_segments_user_id",
    "update user_loyalty_segments set user_id = null where user_id in "
    "(select user_id from user_loyalty_segments order by user_id limit 1)": "one_row_per_key_of_user_loyalty_segments_user_id",
    "delete from user_churn_risk where user_id in "
    "(select user_id from user_churn_risk order by user_id limit 1)": "one_row_per_key_of_user_churn_risk_user_id",
    # a key replaced by one fct_user_behavior lacks: the same row count, other keys
    "update user_usage_tiers set user_id = 'not-a-user' where user_id in "
    "(select user_id from user_usage_tiers order by user_id limit 1)": "one_row_per_key_of_user_usage_tiers_user_id",
    "update user_lifecycle_stages set lifecycle_stage = 'zombie' where user_id in "
    "(select user_id from user_lifecycle_stages limit 1)": "accepted_values_user_lifecycle_stages_lifecycle_stage",
    "update user_rfm_segments set r_score = 9 where r_score = 5": "column_rules_user_rfm_segments",
    # outside the rule's `where: recency_days is not null`: not a broken rule (checked below)
    "update user_rfm_segments set f_score = 0 where recency_days is null": "column_rules_user_rfm_segments",
    "update fct_user_behavior set first_seen_at = null where user_id in "
    "(select user_id from fct_user_behavior order by user_id limit 3)": "column_rules_fct_user_behavior",
    "update fct_user_behavior set revenue = revenue + 1 where is_purchaser": "sums_match_fct_user_behavior_revenue",
    "update segment_summary set users = users + 1": "assert_segment_summary_partitions_users",
    "delete from stg_events__classified where event_row_id = 1": "assert_raw_rows_are_accounted_for",
    "delete from rfm_segment_map where r_score = 3 and f_score = 3": "assert_rfm_segment_map_covers_grid",
    # one active day moved from one user to another: the total still matches the user-days,
    # the per-user sums do not
    "update int_user_activity set active_days_total = active_days_total + case user_id "
    "when (select min(user_id) from int_user_activity where active_days_total > 1) then -1 "
    "when (select max(user_id) from int_user_activity) then 1 else 0 end":
    "sums_match_int_user_activity_active_days_total__1__user_id",
    # fct_user_behavior against int_user_activity: a key replaced (run last: the statements
    # above pick users in key order)
    "update fct_user_behavior set user_id = 'not-a-user' where user_id in "
    "(select user_id from fct_user_behavior order by user_id desc limit 1)": "one_row_per_key_of_fct_user_behavior_user_id",
}


def test_data_tests_fail_on_bad_data(demo_build, demo_data, tmp_path):
    """Every kind of data test we rely on is seen failing when its table is corrupted."""
    db = tmp_path / "corrupt.duckdb"
    with duckdb.connect(str(demo_build.db_path)) as con:
        con.execute("checkpoint")  # fold the WAL into the file before copying it
    shutil.copy(demo_build.db_path, db)
    with duckdb.connect(str(db)) as con:
        top_r_scores = con.execute("select count(*) from user_rfm_segments where r_score = 5").fetchone()[0]
        non_purchasers = con.execute("select count(*) from user_rfm_segments where recency_days is null").fetchone()[0]
        for statement in CORRUPTIONS:
            con.execute(statement)
    assert top_r_scores > 0 and non_purchasers > 0
    step = dbt_invoke.invoke(
        ["test", "--select", "test_type:data", "--store-failures"],
        dbt_vars={"events_path": str(demo_data.events_path)},
        db_path=db,
        target_path=tmp_path / "target",
        check=False,
    )
    assert not step.success
    failed = {name for name, _, _ in step.failures}
    for expected in CORRUPTIONS.values():
        assert any(expected in name for name in failed), f"{expected} did not fail; failed: {sorted(failed)}"
    # column_rules stores one row per broken rule: the column, the rule and the rows breaking it
    with duckdb.connect(str(db), read_only=True) as con:
        stored = {
            model: set(con.sql(f"select * from main_dbt_test__audit.column_rules_{model}").fetchall())
            for model in ["user_rfm_segments", "fct_user_behavior"]
        }
    assert stored == {
        "user_rfm_segments": {("r_score", "in [1, 5] where recency_days is not null", top_r_scores)},
        "fct_user_behavior": {("first_seen_at", "not null", 3)},
    }, stored
