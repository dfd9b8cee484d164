"""The same demo data built on DuckDB, Postgres and Spark gives the same tables.

Postgres reads the events from a table loaded here (it has no file reader); Spark from a
table in its own catalogue, in a local session of this process (dbt-spark `method: session`).

Every mart (the core ones and the whole segment catalogue) must be identical row for row
after ordering by their keys, with floats rounded to 9 decimal places (the documented
cross-engine precision: engines may differ in the last bits of a float division) and
timestamps compared as UTC microseconds. The BG/NBD parameters are given as a var here
(Postgres and Spark cannot run the DuckDB-only fitting model), so the scoring SQL of
P(alive) and expected purchases is compared on all three engines.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import pytest

from scripts.generate_events import generate
from tests.integration.conftest import run_dbt_build
from tests.integration.support import REFERENCE_BUILD

FLOAT_DECIMALS = 9
PER_USER = [
    "fct_user_behavior", "user_segments", "user_rfm_segments", "user_usage_tiers", "user_lifecycle_stages",
    "user_occasion_segments", "user_benefit_segments", "user_loyalty_segments", "user_feature_segments",
    "user_first_n_days", "user_journey_stages", "user_cart_abandonment", "user_churn_risk",
]
COMPARED: dict[str, list[str]] = {
    **{name: ["user_id"] for name in PER_USER},
    "segment_summary": ["segment_dimension", "segment_value"],
    "user_feature_adoption": ["user_id", "feature"],
    "feature_retention": ["feature", "window_days"],
    "cohort_retention": ["cohort_grain", "cohort_start", "period_number"],
    "growth_accounting": ["month_start"],
    "power_user_curve": ["window_days", "active_days"],
    "daily_stickiness": ["activity_date"],
    "user_segment_history": ["as_of", "user_id"],
    "segment_kpis": ["segment_dimension", "segment_value"],
    "campaign_audiences": ["campaign_id", "user_id"],
    "campaign_lift": ["campaign_id"],
    "bgnbd_parameters": ["method"],
}
DBT_VARS = {"max_event_date": "2030-01-01", "bgnbd_params": {"r": 0.6, "alpha": 12.0, "a": 0.7, "b": 2.4}}


def normalise(value: Any) -> Any:
    """One comparable Python value per cell, whatever driver produced it."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (float, Decimal)):
        return round(float(value), FLOAT_DECIMALS)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return normalise(value.item())
    return value


def canonical(frame: pd.DataFrame, keys: list[str]) -> list[tuple]:
    frame = frame[sorted(frame.columns)]
    rows = [tuple(normalise(v) for v in row) for row in frame.itertuples(index=False, name=None)]
    key_idx = [list(frame.columns).index(k) for k in keys]
    return sorted(rows, key=lambda r: tuple(str(r[i]) for i in key_idx))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(out_dir=tmp_path_factory.mktemp("cross_engine_data"), n_users=400, seed=4242)


@pytest.fixture(scope="module")
def duckdb_tables(demo, tmp_path_factory):
    build = run_dbt_build(demo.events_path, tmp_path_factory.mktemp("cross_duckdb"), DBT_VARS,
                          command=REFERENCE_BUILD)
    tables = {}
    with duckdb.connect(str(build.db_path), read_only=True) as con:
        for name in COMPARED:
            # native Python values (dates stay dates), as the other engines' drivers give them
            result = con.execute(f"select * from main.{name}")
            columns = [d[0] for d in result.description]
            tables[name] = pd.DataFrame(result.fetchall(), columns=columns)
    return tables


def assert_same_tables(engine: str, got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for name, keys in COMPARED.items():
        assert sorted(got[name].columns) == sorted(expected[name].columns), f"{engine}.{name}: columns differ"
        g, e = canonical(got[name], keys), canonical(expected[name], keys)
        assert len(g) == len(e), f"{engine}.{name}: {len(g)} rows, DuckDB has {len(e)}"
        diffs = [(a, b) for a, b in zip(g, e) if a != b]
        assert not diffs, f"{engine}.{name}: {len(diffs)} rows differ, first:\n{engine}: {diffs[0][0]}\nduckdb: {diffs[0][1]}"


def test_postgres_matches_duckdb(demo, duckdb_tables, tmp_path_factory):
    from tests.integration import engine_postgres

    assert engine_postgres.postgres_available(), (
        f"no PostgreSQL server answers at {engine_postgres.postgres_dsn()}: run scripts/ensure_postgres.sh "
        "(scripts/test.sh does)")
    engine_postgres.load_events_table(demo.events_path)
    engine_postgres.run_postgres_build(DBT_VARS, tmp_path_factory.mktemp("cross_postgres"))
    got = {name: engine_postgres.read_relation(name) for name in COMPARED}
    assert_same_tables("postgres", got, duckdb_tables)


def test_spark_matches_duckdb(demo, duckdb_tables, tmp_path_factory):
    from tests.integration import engine_spark

    engine_spark.spark_session(tmp_path_factory.mktemp("spark_warehouse"))
    engine_spark.load_events_table(demo.events_path)
    spark_vars, target = {**DBT_VARS, "events_from_source": True}, tmp_path_factory.mktemp("cross_spark")
    # Spark runs one statement at a time here: of the column checks it runs the column_rules
    # test of every model (44 tests), which shows that the test compiles and passes on Spark,
    # and leaves out the primary keys' not_null halves (their unique halves run); Postgres
    # runs them all
    result = engine_spark.run_spark_build(spark_vars, target,
                                          extra_args=["--exclude", "test_name:not_null", "test_name:in_range"])
    ran = [name for name, _, _ in result.nodes if ".column_rules_" in name]
    assert len(ran) >= 40, ran
    got = {name: engine_spark.read_table(name) for name in COMPARED}
    assert_same_tables("spark", got, duckdb_tables)
