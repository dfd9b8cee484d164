"""The product-usage marts built on Postgres and Spark equal the DuckDB build (demo data,
400 users). The builds also run the product unit tests (exact 24 h window, microsecond
boundaries, as_of end) on each engine. Same comparison rules as test_cross_engine.py."""

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
from tests.integration.reference_product import PRODUCT_MODEL_KEYS

SELECT = ["--select", "+user_feature_segments", "+feature_retention", "+user_first_n_days", "+user_journey_stages",
          "+user_cart_abandonment", "--indirect-selection", "cautious"]
DBT_VARS = {"max_event_date": "2030-01-01"}
RAW_SCHEMA = "product_raw"


def normalise(value: Any) -> Any:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (float, Decimal)):
        return round(float(value), 9)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return normalise(value.item())
    return value


def canonical(frame: pd.DataFrame, keys: list[str]) -> list[tuple]:
    frame = frame[sorted(frame.columns)]
    rows = [tuple(normalise(v) for v in row) for row in frame.itertuples(index=False, name=None)]
    idx = [list(frame.columns).index(k) for k in keys]
    return sorted(rows, key=lambda r: tuple(str(r[i]) for i in idx))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(out_dir=tmp_path_factory.mktemp("product_engines_data"), n_users=400, seed=4242)


@pytest.fixture(scope="module")
def duckdb_tables(demo, tmp_path_factory):
    build = run_dbt_build(demo.events_path, tmp_path_factory.mktemp("product_engines_duckdb"), DBT_VARS,
                          command=("build", *SELECT))
    out = {}
    with duckdb.connect(str(build.db_path), read_only=True) as con:
        for name in PRODUCT_MODEL_KEYS:
            result = con.execute(f"select * from main.{name}")
            out[name] = pd.DataFrame(result.fetchall(), columns=[d[0] for d in result.description])
    return out


def assert_same(engine: str, got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for name, keys in PRODUCT_MODEL_KEYS.items():
        assert sorted(got[name].columns) == sorted(expected[name].columns), f"{engine}.{name}: columns differ"
        g, e = canonical(got[name], keys), canonical(expected[name], keys)
        assert len(g) == len(e), f"{engine}.{name}: {len(g)} rows, DuckDB has {len(e)}"
        diffs = [(a, b) for a, b in zip(g, e) if a != b]
        assert not diffs, f"{engine}.{name}: {len(diffs)} rows differ, first:\n{diffs[0][0]}\n{diffs[0][1]}"


def test_postgres_matches_duckdb(demo, duckdb_tables, tmp_path_factory):
    from tests.integration import engine_postgres

    assert engine_postgres.postgres_available(), "no PostgreSQL server: run scripts/ensure_postgres.sh"
    engine_postgres.load_events_table(demo.events_path, schema=RAW_SCHEMA)
    engine_postgres.run_postgres_build({**DBT_VARS, "events_source_schema": RAW_SCHEMA},
                                       tmp_path_factory.mktemp("product_engines_pg"), command=("build", *SELECT))
    got = {name: engine_postgres.read_relation(name) for name in PRODUCT_MODEL_KEYS}
    assert_same("postgres", got, duckdb_tables)


def test_spark_matches_duckdb(demo, duckdb_tables, tmp_path_factory):
    from tests.integration import engine_spark

    engine_spark.spark_session(tmp_path_factory.mktemp("product_spark_warehouse"))
    engine_spark.load_events_table(demo.events_path, schema=RAW_SCHEMA)
    engine_spark.run_spark_build({**DBT_VARS, "events_from_source": True, "events_source_schema": RAW_SCHEMA},
                                 tmp_path_factory.mktemp("product_engines_spark"), extra_args=SELECT)
    got = {name: engine_spark.read_table(name) for name in PRODUCT_MODEL_KEYS}
    assert_same("spark", got, duckdb_tables)
