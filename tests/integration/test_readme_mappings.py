"""The README's three worked column mappings run as written on files made here.

Each YAML block under a `<!-- mapping: NAME -->` marker in README.md is parsed, its
`events_path` is pointed at a file this test writes in the same layout (same name pattern),
and `dbt build` must give the clean events worked out by hand below.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from scripts.dbt_invoke import PROJECT_DIR

from tests.integration.conftest import run_dbt_build

MAPPING_BLOCK = re.compile(r"<!-- mapping: (\w+) -->\s*```yaml\n(.*?)```", re.S)


def readme_mappings() -> dict[str, dict]:
    text = (PROJECT_DIR / "README.md").read_text()
    return {name: yaml.safe_load(body) for name, body in MAPPING_BLOCK.findall(text)}


def test_readme_has_the_three_mappings():
    assert set(readme_mappings()) == {"segment", "ga4", "orders"}


def write_segment(folder: Path) -> Path:
    records = [
        {"messageId": "m1", "anonymousId": "anon-1", "userId": None, "event": "Product Viewed",
         "timestamp": "2024-06-01T10:00:00.000Z", "properties": {"product_id": "p1", "order_id": None, "revenue": None}},
        {"messageId": "m2", "anonymousId": "anon-1", "userId": "user-1", "event": "Order Completed",
         "timestamp": "2024-06-02T10:00:00+02:00", "properties": {"product_id": None, "order_id": "o-1", "revenue": 42.5}},
        # the same message delivered twice
        {"messageId": "m2", "anonymousId": "anon-1", "userId": "user-1", "event": "Order Completed",
         "timestamp": "2024-06-02T10:00:00+02:00", "properties": {"product_id": None, "order_id": "o-1", "revenue": 42.5}},
        {"messageId": "m3", "anonymousId": "anon-2", "userId": None, "event": "Order Completed",
         "timestamp": "2024-06-03T08:30:00Z", "properties": {"product_id": None, "order_id": "o-2", "revenue": -1}},
    ]
    path = folder / "tracks-2024-06.ndjson.gz"
    with gzip.open(path, "wt") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    return path


def write_ga4(folder: Path) -> Path:
    table = pa.table({
        "event_date": ["20240601", "20240602", "20240602"],
        "event_timestamp": pa.array([1717236000000000, 1717322400000000, 1717322460000000], pa.int64()),
        "event_name": ["page_view", "purchase", "session_start"],
        "user_pseudo_id": ["ps-1", "ps-1", "ps-2"],
        "user_id": [None, "g-1", None],
        "ecommerce": [{"transaction_id": None, "purchase_revenue": None},
                      {"transaction_id": "T-1", "purchase_revenue": 19.99},
                      {"transaction_id": None, "purchase_revenue": None}],
        "event_params": [[{"key": "page", "value": "/"}], [{"key": "currency", "value": "EUR"}], []],
    })
    path = folder / "events_20240601.parquet"
    pq.write_table(table, path)
    return path


def write_orders(folder: Path) -> Path:
    path = folder / "orders.csv"
    path.write_text(
        "order_number,customer_id,order_date,amount_cents\n"
        "#1001,c-1,20240131,1999\n"
        "#1002,c-1,20240215,500\n"
        "#1003,c-2,20240301,abc\n"
        "#1004,c-2,2024-03-02,700\n"
    )
    return path


WRITERS = {"segment": write_segment, "ga4": write_ga4, "orders": write_orders}

EXPECTED_CLEAN = {
    # (user_id, event_name, event_ts UTC, revenue, order_id)
    "segment": [
        ("anon-1", "product_viewed", datetime(2024, 6, 1, 10, 0), None, None),
        ("user-1", "order_completed", datetime(2024, 6, 2, 8, 0), 42.5, "o-1"),
    ],
    "ga4": [
        ("ps-1", "page_view", datetime(2024, 6, 1, 10, 0), None, None),
        ("g-1", "purchase", datetime(2024, 6, 2, 10, 0), 19.99, "T-1"),
        ("ps-2", "session_start", datetime(2024, 6, 2, 10, 1), None, None),
    ],
    # New York is UTC-5 in winter: local midnight is 05:00 UTC
    "orders": [
        ("c-1", "purchase", datetime(2024, 1, 31, 5, 0), 19.99, "#1001"),
        ("c-1", "purchase", datetime(2024, 2, 15, 5, 0), 5.0, "#1002"),
    ],
}
EXPECTED_NOT_CLEAN = {
    "segment": {"duplicate": 1, "quarantined": {"revenue_negative": 1}},
    "ga4": {"duplicate": 0, "quarantined": {}},
    "orders": {"duplicate": 0, "quarantined": {"revenue_not_numeric": 1, "unparseable_event_ts": 1}},
}


@pytest.mark.parametrize("name", ["segment", "ga4", "orders"])
def test_readme_mapping_runs_as_written(name, tmp_path):
    mapping = readme_mappings()[name]
    folder = tmp_path / "input"
    folder.mkdir()
    written = WRITERS[name](folder)
    pattern = Path(mapping["events_path"]).name
    assert Path(written.name).match(pattern), f"{written.name} does not match the README's {pattern}"
    dbt_vars = {**mapping, "events_path": str(folder / pattern), "max_event_date": "2030-01-01"}

    build = run_dbt_build(folder / pattern, tmp_path / "build", dbt_vars)

    clean = build.query(
        "select user_id, event_name, event_ts, revenue, order_id from stg_events order by event_ts"
    )
    got = [
        (r.user_id, r.event_name, r.event_ts.to_pydatetime(), None if r.revenue != r.revenue else r.revenue,
         None if r.order_id is None or r.order_id != r.order_id else r.order_id)
        for r in clean.itertuples()
    ]
    assert got == EXPECTED_CLEAN[name]
    expected = EXPECTED_NOT_CLEAN[name]
    accounting = dict(build.query("select row_status, row_count from event_row_accounting").values.tolist())
    assert accounting["duplicate"] == expected["duplicate"]
    reasons = dict(build.query(
        "select quarantine_reason, count(*) from stg_events_quarantine group by 1").values.tolist())
    assert reasons == expected["quarantined"]
    assert sum(accounting.values()) == len(clean) + expected["duplicate"] + sum(expected["quarantined"].values())
