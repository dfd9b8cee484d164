"""Churn risk on Postgres (docs/segments/churn.md, section 4).

DuckDB fits the BG/NBD parameters (bgnbd_fit); the other engines cannot run dbt Python
models, so they get the DuckDB fit through the var bgnbd_params. With the same parameters,
`user_churn_risk` and `bgnbd_parameters` must be identical on the three engines (floats
rounded to 9 decimals, as tests/integration/test_cross_engine.py). Without the var, Postgres
still builds, with method 'not_fitted' and null scores. The same comparison on Spark takes
about 8 minutes on 2 cores, so it runs only with CHURN_SPARK_TEST=1.
"""

from __future__ import annotations

import math
import os
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import pytest

from scripts.generate_events import generate
from tests.integration.conftest import run_dbt_build

COMPARED = {"user_churn_risk": ["user_id"], "bgnbd_parameters": ["as_of"]}
SELECT = ["--select", "+user_churn_risk", "--indirect-selection", "cautious", "--exclude", "test_type:unit"]
DBT_VARS = {"max_event_date": "2030-01-01"}
SOURCE = {"events_source_schema": "raw_churn", "events_source_table": "events"}


def normalise(value: Any) -> Any:
    """One comparable value per cell whatever the driver (as test_cross_engine.py does)."""
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
    key_idx = [list(frame.columns).index(k) for k in keys]
    return sorted(rows, key=lambda r: tuple(str(r[i]) for i in key_idx))


def duckdb_tables(db_path, names=(*COMPARED, "bgnbd_fit")) -> dict[str, pd.DataFrame]:
    out = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        for name in names:
            result = con.execute(f"select * from main.{name}")
            out[name] = pd.DataFrame(result.fetchall(), columns=[d[0] for d in result.description])
    return out


def assert_same(engine: str, got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for name, keys in COMPARED.items():
        assert sorted(got[name].columns) == sorted(expected[name].columns), f"{engine}.{name}: columns differ"
        g, e = canonical(got[name], keys), canonical(expected[name], keys)
        assert len(g) == len(e), (engine, name, len(g), len(e))
        diffs = [(a, b) for a, b in zip(g, e) if a != b]
        assert not diffs, f"{engine}.{name}: {len(diffs)} rows differ, first:\n{diffs[0][0]}\nduckdb: {diffs[0][1]}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(out_dir=tmp_path_factory.mktemp("churn_engines_data"), n_users=400, seed=4242)


@pytest.fixture(scope="module")
def fitted(demo, tmp_path_factory) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The DuckDB fit, then a DuckDB build scoring with it given as the var."""
    fit_build = run_dbt_build(demo.events_path, tmp_path_factory.mktemp("churn_duck_fit"), DBT_VARS,
                              command=("build", *SELECT))
    fit = duckdb_tables(fit_build.db_path)["bgnbd_fit"].iloc[0]
    assert fit["method"] == "mle_nelder_mead"
    params = {k: float(fit[k]) for k in ("r", "alpha", "a", "b")}
    var_build = run_dbt_build(demo.events_path, tmp_path_factory.mktemp("churn_duck_var"),
                              {**DBT_VARS, "bgnbd_params": params}, command=("build", *SELECT))
    tables = duckdb_tables(var_build.db_path, COMPARED)
    # the var path scores exactly like the fitted path
    fitted_scores = duckdb_tables(fit_build.db_path)["user_churn_risk"]
    assert canonical(fitted_scores, ["user_id"]) == canonical(tables["user_churn_risk"], ["user_id"])
    assert tables["bgnbd_parameters"]["method"][0] == "var"
    assert tables["user_churn_risk"]["p_alive"].notna().any()
    return params, tables


def test_postgres_matches_duckdb(demo, fitted, tmp_path_factory):
    from tests.integration import engine_postgres

    if not engine_postgres.postgres_available():
        pytest.fail("no PostgreSQL server: run scripts/ensure_postgres.sh")
    params, expected = fitted
    engine_postgres.load_events_table(demo.events_path, schema=SOURCE["events_source_schema"])
    engine_postgres.run_postgres_build({**DBT_VARS, **SOURCE}, tmp_path_factory.mktemp("churn_pg_nofit"),
                                       command=("build", *SELECT))
    params_row = engine_postgres.read_relation("bgnbd_parameters")
    assert params_row["method"][0] == "not_fitted"
    assert engine_postgres.read_relation("user_churn_risk")["p_alive"].isna().all()
    engine_postgres.run_postgres_build({**DBT_VARS, **SOURCE, "bgnbd_params": params},
                                       tmp_path_factory.mktemp("churn_pg"), command=("build", *SELECT))
    got = {name: engine_postgres.read_relation(name) for name in COMPARED}
    assert_same("postgres", got, expected)


@pytest.mark.skipif(os.environ.get("CHURN_SPARK_TEST") != "1", reason="slow (about 8 min): set CHURN_SPARK_TEST=1")
def test_spark_matches_duckdb(demo, fitted, tmp_path_factory):
    from tests.integration import engine_spark

    params, expected = fitted
    engine_spark.spark_session(tmp_path_factory.mktemp("churn_spark_wh"))
    engine_spark.load_events_table(demo.events_path, schema=SOURCE["events_source_schema"])
    engine_spark.run_spark_build({**DBT_VARS, **SOURCE, "events_from_source": True, "bgnbd_params": params},
                                 tmp_path_factory.mktemp("churn_spark"), extra_args=SELECT)
    got = {name: engine_spark.read_table(name) for name in COMPARED}
    assert_same("spark", got, expected)
