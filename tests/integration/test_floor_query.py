"""The benchmark baselines (scripts/floor_query.py) compute what the dbt models compute.

* The DuckDB floor equals ``fct_user_behavior`` column by column and the RFM scores of
  ``user_rfm_segments`` exactly, on the demo log, on the same log split into two files, and on
  a small hand-written hostile log (against the pandas reference of docs/definitions.md).
* The pandas baseline's facts equal ``fct_user_behavior`` (its RFM scores are the usual
  notebook qcut of ``rank(method='first')``, which breaks ties by row order, so they are
  checked for shape, not equality).
"""

from __future__ import annotations

import contextlib
import io
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scripts import floor_query
from scripts.floor_query import FCT_COLUMNS, OUTPUT_COLUMNS, SCORE_COLUMNS
from tests.integration.reference import compute_reference, frame_mismatches

# Facts the pandas baseline must reproduce (everything of fct_user_behavior).
PANDAS_FACT_COLUMNS = [c for c in FCT_COLUMNS if c != "user_id"]


def read_parquet(path: Path) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.sql(f"select * from read_parquet('{path}') order by user_id").df()


def run_cli(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert floor_query.main(argv) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def fct(demo_build) -> pd.DataFrame:
    return demo_build.table("fct_user_behavior")


@pytest.fixture(scope="module")
def rfm(demo_build) -> pd.DataFrame:
    return demo_build.table("user_rfm_segments")


@pytest.fixture(scope="module")
def floor_out(demo_data, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("floor") / "floor.parquet"
    rows = floor_query.run_duckdb_floor(str(demo_data.events_path), out_path=out)
    result = read_parquet(out)
    assert rows == len(result)
    return result


@pytest.fixture(scope="module")
def pandas_out(demo_data, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("pandas") / "pandas.parquet"
    printed = run_cli(["pandas", "--events", str(demo_data.events_path), "--out", str(out)])
    result = read_parquet(out)
    assert printed.startswith(f"pandas: {len(result)} users in ")
    return result


# --------------------------------------------------------------------------- the DuckDB floor


def test_floor_has_every_fct_column_then_the_scores(floor_out, fct):
    assert list(fct.columns) == FCT_COLUMNS, "fct_user_behavior changed: update FCT_COLUMNS and FLOOR_SQL"
    assert list(floor_out.columns) == OUTPUT_COLUMNS


def test_floor_column_types_equal_the_models(demo_data, demo_build):
    model_types = dict(demo_build.query("describe fct_user_behavior")[["column_name", "column_type"]].values)
    rfm_types = dict(demo_build.query("describe user_rfm_segments")[["column_name", "column_type"]].values)
    model_types.update({c: rfm_types[c] for c in SCORE_COLUMNS})
    with duckdb.connect() as con:
        rel = con.sql(floor_query.floor_sql(str(demo_data.events_path)))
        floor_types = {name: str(t) for name, t in zip(rel.columns, rel.types)}
    assert floor_types == model_types


def test_floor_equals_fct_user_behavior(floor_out, fct):
    assert len(floor_out) == len(fct) > 1000
    problems = frame_mismatches(floor_out, fct, ["user_id"], FCT_COLUMNS, rtol=1e-9)
    assert not problems, "\n".join(problems)


def test_floor_as_of_is_the_run_as_of(floor_out, demo_build):
    as_of = demo_build.query("select as_of from stg_run_context")["as_of"].iloc[0]
    assert floor_out["as_of"].nunique() == 1
    assert pd.Timestamp(floor_out["as_of"].iloc[0]) == pd.Timestamp(as_of)


def test_floor_rfm_scores_equal_the_model_exactly(floor_out, rfm):
    merged = floor_out[["user_id", *SCORE_COLUMNS]].merge(
        rfm[["user_id", *SCORE_COLUMNS]], on="user_id", how="outer", suffixes=("_floor", "_dbt"), indicator=True
    )
    assert (merged["_merge"] == "both").all()
    assert merged["r_score_dbt"].notna().sum() > 500, "too few purchasers to test the scores"
    for col in SCORE_COLUMNS:
        a, b = merged[f"{col}_floor"], merged[f"{col}_dbt"]
        same = (a.isna() & b.isna()) | (a == b).fillna(False)
        assert same.all(), f"{col}: {int((~same).sum())} users differ, e.g.\n{merged[~same].head()}"


def test_floor_reads_a_glob_of_two_files(demo_data, fct, rfm, tmp_path):
    table = pq.read_table(demo_data.events_path)
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), tmp_path / "part-0.parquet")
    pq.write_table(table.slice(half), tmp_path / "part-1.parquet")
    out = tmp_path / "floor.parquet"
    printed = run_cli(["duckdb", "--events", str(tmp_path / "part-*.parquet"), "--out", str(out), "--threads", "2"])
    result = read_parquet(out)
    assert printed.startswith(f"duckdb: {len(fct)} users in ")
    problems = frame_mismatches(result, fct, ["user_id"], FCT_COLUMNS, rtol=1e-9)
    problems += frame_mismatches(result, rfm, ["user_id"], SCORE_COLUMNS, rtol=0)
    assert not problems, "\n".join(problems)


def test_floor_without_out_path_materialises_and_counts(demo_data, fct):
    assert floor_query.run_duckdb_floor(str(demo_data.events_path), threads=1, memory_limit="1GB") == len(fct)


# --------------------------------------------------------------------------- the pandas way


def test_pandas_facts_equal_fct_user_behavior(pandas_out, fct):
    assert list(pandas_out.columns) == OUTPUT_COLUMNS
    assert len(pandas_out) == len(fct)
    problems = frame_mismatches(pandas_out, fct, ["user_id"], PANDAS_FACT_COLUMNS, rtol=1e-6)
    assert not problems, "\n".join(problems)


def test_pandas_rfm_scores_are_quintiles_of_the_metrics(pandas_out):
    buyers = pandas_out[pandas_out["orders"] > 0]
    assert pandas_out.loc[pandas_out["orders"] == 0, SCORE_COLUMNS].isna().all().all()
    for score, metric, ascending in [
        ("r_score", "days_since_last_purchase", False),
        ("f_score", "orders", True),
        ("m_score", "revenue", True),
    ]:
        counts = buyers[score].value_counts()
        assert sorted(counts.index) == [1, 2, 3, 4, 5]
        assert counts.max() - counts.min() <= 1, f"{score}: bins are not equal-sized: {counts.to_dict()}"
        # better metric, never a lower score
        ordered = buyers.sort_values([metric, score], ascending=[ascending, True])
        assert ordered[score].is_monotonic_increasing, f"{score} is not monotone in {metric}"


# --------------------------------------------------------------------------- a hostile log

TS = datetime.fromisoformat


def hostile_events() -> pd.DataFrame:
    """Rows that exercise each staging rule the outputs depend on (as_of = 2024-06-30)."""
    rows = [
        # event_id, user_id, event_name, event_ts, session_id, revenue, order_id, properties
        ("e1", "ann", "Page View", TS("2024-06-30 10:00"), "s1", None, None, "{}"),
        ("e2", " ann\t", " PURCHASE ", TS("2024-06-29 09:00"), "s1", 10.5, "o1", None),  # loses to the next row
        ("e2", "ann", "purchase", TS("2024-06-29 08:00"), "s1", 99.0, "o9", None),  # same id, earlier: kept
        ("e3", "ann", "purchase", TS("2024-06-01 12:00"), "s2", 5.25, "o1", None),
        (" e4 ", "ann", "purchase", TS("2024-06-01 13:00"), "s2", 1.0, "o1", None),
        (None, "ann", "purchase", TS("2024-05-01 10:00"), "s3", 7.0, None, '{"a": 1}'),  # an order of its own
        (None, "ann", "purchase", TS("2024-05-01 10:00"), "s3", 7.0, None, '{"a": 1}'),  # exact copy: dropped
        (None, "ann", "purchase", TS("2024-05-01 10:00"), "s3", 7.0, " ", '{"a": 2}'),  # other properties: kept
        ("e5", "Ann", "Order.Completed", TS("2024-04-01 00:00"), None, 50.0, "o2", None),  # another user
        ("e6", "bob", "purchase", TS("2024-06-30 23:59:59"), None, float("nan"), "o3", None),  # quarantined
        ("e7", "bob", "purchase", TS("2024-06-12 10:00"), None, float("inf"), "o3", None),  # quarantined
        ("e8", "bob", "purchase", TS("2024-06-12 10:00"), None, -1.0, "o4", None),  # quarantined
        ("e9", "bob", "purchase", TS("2024-06-12 10:00"), None, 2e9, "o4", None),  # quarantined
        ("e10", "bob", "purchase", TS("2024-06-10 10:00"), None, None, "o5", None),  # order worth 0
        ("e11", "bob", "view", TS("1970-01-01 00:00"), None, None, None, None),  # too early
        ("e12", "bob", "view", TS("2999-01-01 00:00"), None, None, None, None),  # in the future
        ("e13", None, "purchase", TS("2024-06-30 10:00"), None, 1.0, None, None),  # no user
        ("e14", " \t ", "purchase", TS("2024-06-30 10:00"), None, 1.0, None, None),  # blank user
        ("e15", "cat", "  ", TS("2024-06-30 10:00"), None, None, None, None),  # blank name
        ("e16", "cat", "view", None, None, None, None, None),  # no timestamp
        ("e17", "cat", "view--page", TS("2024-06-30 00:00"), None, None, None, None),
        ("e6", "dan", "purchase", TS("2024-06-20 10:00"), None, 3.0, "o6", None),  # e6's first usable row
        ("e18", "dan", "purchase", TS("2024-03-01 12:00"), None, 4.0, "o7", None),  # tie on ts: first wins
        ("e18", "dan", "purchase", TS("2024-03-01 12:00"), None, 40.0, "o8", None),
        ("e19", "eve", "purchase", TS("2024-06-28 10:00"), None, 0.1, "o10", None),
        ("e20", "eve", "purchase", TS("2024-06-29 10:00"), None, 0.1, "o11", None),
        ("e21", "eve", "purchase", TS("2024-06-30 10:00"), None, 0.2, "o12", None),
        ("e22", "fay", "purchase", TS("2024-01-15 10:00"), None, 1e9, "o13", None),  # at the limit: kept
    ]
    # window edges: ages 6 / 7, 27 / 28, 55 / 56, 89 / 90
    for n, day in enumerate(["2024-06-24", "2024-06-23", "2024-06-03", "2024-06-02", "2024-05-06", "2024-05-05",
                             "2024-04-02", "2024-04-01"]):
        rows.append((f"g{n}", "gus", "view", TS(f"{day} 23:59:59.999999"), None, None, None, None))
    columns = ["event_id", "user_id", "event_name", "event_ts", "session_id", "revenue", "order_id", "properties"]
    return pd.DataFrame(rows, columns=columns)


def write_events(df: pd.DataFrame, path: Path) -> Path:
    schema = pa.schema([
        ("event_id", pa.string()), ("user_id", pa.string()), ("event_name", pa.string()),
        ("event_ts", pa.timestamp("us")), ("session_id", pa.string()), ("revenue", pa.float64()),
        ("order_id", pa.string()), ("properties", pa.string()),
    ])
    pq.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False), path)
    return path


@pytest.fixture(scope="module")
def hostile_reference() -> dict[str, pd.DataFrame]:
    return compute_reference(hostile_events(), max_event_date=floor_query.default_max_event_date())


def test_floor_on_hostile_rows_equals_the_reference(tmp_path, hostile_reference):
    out = tmp_path / "floor.parquet"
    floor_query.run_duckdb_floor(str(write_events(hostile_events(), tmp_path / "events.parquet")), out_path=out)
    result = read_parquet(out)
    problems = frame_mismatches(result, hostile_reference["fct_user_behavior"], ["user_id"], FCT_COLUMNS)
    problems += frame_mismatches(result, hostile_reference["user_rfm_segments"], ["user_id"], SCORE_COLUMNS, rtol=0)
    assert not problems, "\n".join(problems)
    # and by hand, so that a rule both got wrong the same way still shows
    assert sorted(result["user_id"]) == ["Ann", "ann", "bob", "cat", "dan", "eve", "fay", "gus"]
    ann = result.set_index("user_id").loc["ann"]
    assert ann["as_of"] == pd.Timestamp("2024-06-30")
    assert (ann["events_total"], ann["orders"], ann["purchase_days"]) == (6, 4, 3)
    assert ann["revenue"] == pytest.approx(119.25, abs=1e-9)
    assert (ann["active_days_total"], ann["active_days_7d"], ann["active_days_28d"]) == (4, 2, 2)
    assert (ann["active_days_prev_28d"], ann["active_days_90d"]) == (1, 4)
    assert (ann["btyd_frequency"], ann["btyd_recency_days"], ann["btyd_t_days"]) == (2, 59, 60)
    assert ann["btyd_monetary_value"] == pytest.approx((6.25 + 99.0) / 2, abs=1e-9)
    users = result.set_index("user_id")
    assert (users.loc["bob", "orders"], users.loc["bob", "revenue"], users.loc["bob", "events_total"]) == (1, 0, 1)
    assert users.loc["dan", "revenue"] == pytest.approx(7.0) and users.loc["dan", "orders"] == 2
    assert users.loc["fay", "revenue"] == 1e9
    assert users.loc["cat", "is_purchaser"] == False  # noqa: E712 - numpy bool
    assert pd.isna(users.loc["cat", "r_score"]) and pd.isna(users.loc["cat", "btyd_frequency"])
    assert users.loc["eve", "btyd_monetary_value"] == pytest.approx(0.15, abs=1e-12)
    gus = users.loc["gus", ["active_days_7d", "active_days_28d", "active_days_prev_28d", "active_days_90d"]]
    assert gus.tolist() == [1, 3, 2, 7]


def test_pandas_on_hostile_rows_equals_the_reference(hostile_reference):
    # pandas reads a NaN revenue as missing, so that one row (quarantined by the spec) is left out
    events = hostile_events()
    events = events[~((events["event_id"] == "e6") & (events["user_id"] == "bob"))]
    result = floor_query.compute_pandas(events.reset_index(drop=True))
    problems = frame_mismatches(result, hostile_reference["fct_user_behavior"], ["user_id"],
                                PANDAS_FACT_COLUMNS, rtol=1e-6)
    assert not problems, "\n".join(problems)

