"""Inputs other than a plain file of contract columns: a warehouse table, a header-less CSV,
typed timestamps in a source time zone, and numeric timestamps without a conversion var."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scripts.dbt_invoke import DbtStepError
from tests.integration.conftest import run_dbt_build


def test_events_from_a_warehouse_table(tmp_path):
    work = tmp_path / "build"
    work.mkdir()
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        con.execute("create schema landing")
        con.execute(
            "create table landing.app_events as select * from (values "
            "('u1', 'purchase', timestamp '2024-06-01 10:00:00', 12.5, 'o1'),"
            "('u1', 'app_open', timestamp '2024-06-20 09:00:00', null, null),"
            "(' u2 ', 'App Open', timestamp '2024-06-30 23:59:59', null, null),"
            "(null, 'app_open', timestamp '2024-06-30 08:00:00', null, null)"
            ") as t(uid, event_name, event_ts, revenue, order_id)"
        )
    build = run_dbt_build(
        tmp_path / "unused.csv",
        work,
        {"events_from_source": True, "events_source_schema": "landing", "events_source_table": "app_events",
         "column_map": {"user_id": "uid"}, "max_event_date": "2030-01-01"},
    )
    seg = build.query("select user_id, orders, revenue, lifecycle_stage from user_segments order by 1")
    assert seg.values.tolist() == [["u1", 1, 12.5, "active"], ["u2", 0, 0.0, "new"]]
    acc = dict(build.query("select row_status, row_count from event_row_accounting").values.tolist())
    assert acc == {"clean": 3, "quarantined": 1, "duplicate": 0, "after_as_of": 0, "erased": 0}


def test_headerless_csv_with_a_mapping_and_a_semicolon_delimiter(tmp_path):
    events = tmp_path / "export.txt"
    events.write_text("u1;purchase;2024-06-01 10:00:00;9.5\nu2;signup;2024-06-02 11:00:00;\n")
    build = run_dbt_build(
        events,
        tmp_path / "build",
        {"csv_header": False, "csv_delimiter": ";", "max_event_date": "2030-01-01",
         "column_map": {"user_id": "column0", "event_name": "column1", "event_ts": "column2", "revenue": "column3"}},
    )
    rows = build.query("select user_id, event_name, revenue from stg_events order by user_id").values.tolist()
    assert rows[0] == ["u1", "purchase", 9.5]
    assert rows[1][:2] == ["u2", "signup"] and rows[1][2] != rows[1][2]  # NaN = null revenue


def test_typed_timestamps_in_a_source_time_zone(tmp_path):
    events = tmp_path / "events.parquet"
    pq.write_table(pa.table({
        "user_id": ["u1", "u1"],
        "event_name": ["app_open", "app_open"],
        # naive local times in Berlin: summer (UTC+2) and winter (UTC+1)
        "event_ts": pa.array([datetime(2024, 7, 1, 0, 30), datetime(2024, 1, 1, 0, 30)], pa.timestamp("us")),
    }), events)
    build = run_dbt_build(events, tmp_path / "build",
                          {"source_timezone": "Europe/Berlin", "max_event_date": "2030-01-01"})
    got = sorted(t.to_pydatetime() for t in build.query("select event_ts from stg_events")["event_ts"])
    assert got == [datetime(2023, 12, 31, 23, 30), datetime(2024, 6, 30, 22, 30)]


def test_numeric_timestamps_need_a_conversion_var(tmp_path):
    events = tmp_path / "events.parquet"
    pq.write_table(pa.table({"user_id": ["u1"], "event_name": ["x"], "event_ts": pa.array([1717236000], pa.int64())}),
                   events)
    with pytest.raises(DbtStepError) as err:
        run_dbt_build(events, tmp_path / "build", {"max_event_date": "2030-01-01"})
    message = str(err.value)
    assert "event_ts" in message and "event_ts_epoch_unit" in message and str(events) in message
    build = run_dbt_build(events, tmp_path / "build2", {"max_event_date": "2030-01-01", "event_ts_epoch_unit": "s"})
    assert build.query("select event_ts from stg_events")["event_ts"][0].to_pydatetime() == datetime(2024, 6, 1, 10, 0)
