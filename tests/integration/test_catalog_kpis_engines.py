"""The measure/act marts built on Postgres and Spark equal DuckDB's (two as_of builds into the
same warehouse, so the incremental history is exercised on each engine).

Slow (a Spark session and two builds per engine); run on its own:
    BEHAVIORAL_SEGMENTS_SCHEMA=kpis_engines python -m pytest tests/integration/test_catalog_kpis_engines.py
"""

from __future__ import annotations

import math
import os
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from scripts.generate_events import generate
from tests.integration.conftest import run_dbt_build

COMPARED = {
    "segment_kpi_history": ["as_of", "segment_dimension", "segment_value"],
    "segment_kpis": ["segment_dimension", "segment_value"],
    "campaign_audiences": ["campaign_id", "user_id"],
    "campaign_lift": ["campaign_id"],
}
BASE_VARS = {"max_event_date": "2030-01-01"}
AS_OFS = ["2024-06-23", "2024-06-30"]
RAW_SCHEMA = os.environ.get("BEHAVIORAL_SEGMENTS_SCHEMA", "analytics") + "_raw"


def _norm(v):
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (float, Decimal)):
        return float(v)
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if hasattr(v, "item"):
        return _norm(v.item())
    return v


def _rows(frame: pd.DataFrame, keys: list[str]) -> list[tuple]:
    frame = frame[sorted(frame.columns)]
    key_idx = [list(frame.columns).index(k) for k in keys]
    rows = [tuple(_norm(v) for v in r) for r in frame.itertuples(index=False, name=None)]
    return sorted(rows, key=lambda r: tuple(str(r[i]) for i in key_idx))


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def assert_same(engine: str, got: dict, expected: dict) -> None:
    for name, keys in COMPARED.items():
        assert sorted(got[name].columns) == sorted(expected[name].columns), f"{engine}.{name}: columns differ"
        g, e = _rows(got[name], keys), _rows(expected[name], keys)
        assert len(g) == len(e), f"{engine}.{name}: {len(g)} rows vs {len(e)}"
        for a, b in zip(g, e):
            assert all(_same(x, y) for x, y in zip(a, b)), f"{engine}.{name}:\n{a}\n{b}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(out_dir=tmp_path_factory.mktemp("kpis_engines_data"), n_users=400, seed=4242)


@pytest.fixture(scope="module")
def duckdb_tables(demo, tmp_path_factory):
    work = tmp_path_factory.mktemp("kpis_duckdb")
    for as_of in AS_OFS:
        build = run_dbt_build(demo.events_path, work, {**BASE_VARS, "as_of": as_of})
    out = {}
    with duckdb.connect(str(build.db_path), read_only=True) as con:
        for name in COMPARED:
            res = con.execute(f"select * from main.{name}")
            out[name] = pd.DataFrame(res.fetchall(), columns=[d[0] for d in res.description])
    assert len(set(out["segment_kpi_history"]["as_of"])) == 2
    return out


def test_postgres_matches_duckdb(demo, duckdb_tables, tmp_path_factory):
    from tests.integration import engine_postgres

    assert engine_postgres.postgres_available()
    engine_postgres.load_events_table(demo.events_path, schema=RAW_SCHEMA)
    con = engine_postgres.connect()
    with con, con.cursor() as cur:  # start from an empty history
        cur.execute(f'drop table if exists "{engine_postgres.models_schema()}"."segment_kpi_history" cascade')
    con.close()
    for as_of in AS_OFS:
        engine_postgres.run_postgres_build({**BASE_VARS, "as_of": as_of, "events_source_schema": RAW_SCHEMA},
                                           tmp_path_factory.mktemp("kpis_pg"))
    got = {name: engine_postgres.read_relation(name) for name in COMPARED}
    assert_same("postgres", got, duckdb_tables)


def test_spark_matches_duckdb(demo, duckdb_tables, tmp_path_factory):
    from tests.integration import engine_spark

    engine_spark.spark_session(tmp_path_factory.mktemp("kpis_spark_wh"))
    engine_spark.load_events_table(demo.events_path, schema=RAW_SCHEMA)
    for as_of in AS_OFS:
        engine_spark.run_spark_build({**BASE_VARS, "as_of": as_of, "events_from_source": True,
                                      "events_source_schema": RAW_SCHEMA}, tmp_path_factory.mktemp("kpis_spark"))
    got = {name: engine_spark.read_table(name) for name in COMPARED}
    assert_same("spark", got, duckdb_tables)
