"""The time marts built on Postgres and Spark equal the DuckDB build (same demo data).

Compares cohort_retention (month and ISO-week cohorts: a different week start on an engine
would show here), growth_accounting, power_user_curve, daily_stickiness and
user_segment_history, with the canonical row comparison of test_cross_engine.py. Postgres
and Spark builds are slow; run with ``-m engines`` style selection: ``pytest
tests/integration/test_catalog_time_engines.py``.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from scripts.generate_events import generate
from tests.integration.conftest import run_dbt_build
from tests.integration.test_cross_engine import canonical

COMPARED = {
    "cohort_retention": ["cohort_grain", "cohort_start", "period_number"],
    "growth_accounting": ["month_start"],
    "power_user_curve": ["window_days", "active_days"],
    "daily_stickiness": ["activity_date"],
    "user_segment_history": ["as_of", "user_id"],
}
DBT_VARS = {"max_event_date": "2030-01-01"}
# this module's own models and what they need, with tests only where all parents are built
SELECT = ["build", "--select", "+" + " +".join(COMPARED), "--indirect-selection", "cautious",
          "--exclude", "test_type:unit"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(out_dir=tmp_path_factory.mktemp("time_engines_data"), n_users=300, seed=4242)


@pytest.fixture(scope="module")
def duckdb_tables(demo, tmp_path_factory):
    build = run_dbt_build(demo.events_path, tmp_path_factory.mktemp("time_duckdb"), DBT_VARS)
    with duckdb.connect(str(build.db_path), read_only=True) as con:
        out = {}
        for name in COMPARED:
            result = con.execute(f"select * from main.{name}")
            out[name] = pd.DataFrame(result.fetchall(), columns=[d[0] for d in result.description])
    return out


def assert_same(engine: str, got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for name, keys in COMPARED.items():
        assert sorted(got[name].columns) == sorted(expected[name].columns), f"{engine}.{name}: columns differ"
        g, e = canonical(got[name], keys), canonical(expected[name], keys)
        assert len(g) == len(e) > 0, f"{engine}.{name}: {len(g)} rows, DuckDB has {len(e)}"
        diffs = [(a, b) for a, b in zip(g, e) if a != b]
        assert not diffs, f"{engine}.{name}: {len(diffs)} rows differ, first:\n{diffs[0][0]}\n{diffs[0][1]}"


def test_postgres_time_marts_match_duckdb(demo, duckdb_tables, tmp_path_factory):
    from tests.integration import engine_postgres

    assert engine_postgres.postgres_available(), "no PostgreSQL server: run scripts/ensure_postgres.sh"
    engine_postgres.load_events_table(demo.events_path)
    engine_postgres.run_postgres_build(DBT_VARS, tmp_path_factory.mktemp("time_postgres"), command=tuple(SELECT))
    # a second run of the same as_of replaces its rows (delete+insert), it does not add any
    engine_postgres.run_postgres_build(DBT_VARS, tmp_path_factory.mktemp("time_postgres2"), command=tuple(SELECT))
    got = {name: engine_postgres.read_relation(name) for name in COMPARED}
    assert_same("postgres", got, duckdb_tables)


def test_spark_time_marts_match_duckdb(demo, duckdb_tables, tmp_path_factory):
    from tests.integration import engine_spark

    engine_spark.spark_session(tmp_path_factory.mktemp("time_spark_warehouse"))
    engine_spark.load_events_table(demo.events_path)
    spark_vars = {**DBT_VARS, "events_from_source": True}
    engine_spark.run_spark_build(spark_vars, tmp_path_factory.mktemp("time_spark"), extra_args=SELECT[1:])
    # insert_overwrite of the as_of partition: a rerun replaces, it does not add
    engine_spark.run_spark_build(spark_vars, tmp_path_factory.mktemp("time_spark2"), extra_args=SELECT[1:])
    got = {name: engine_spark.read_table(name) for name in COMPARED}
    assert_same("spark", got, duckdb_tables)
