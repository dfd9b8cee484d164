"""Hostile inputs (docs/definitions.md sections 1, 1.1-1.4 and 2).

The corpus is ``tests/fixtures/hostile/`` (exact bytes, written by ``make_corpus.py`` there).
For every input either the run stops before any model is built with a message naming the file
and the problem, or every raw row gets exactly one status: the counts in
``event_row_accounting`` equal the rows counted here straight from the file (csv / gzip /
json / parquet readers of Python), each row's status and reason is the expected one, and the
marts equal the pandas reference (``reference.compute_reference``) on the same rows.

Builds: main.csv, a glob of CSV dialects (BOM, CRLF, quoted line breaks, upper-case and
reordered headers, missing optional columns), TSV, a glob of gzip CSV files, NDJSON, gzip
JSONL, a hive-partitioned Parquet folder, a header-only file, and three that must stop (empty
file, integer and STRUCT event_ts).
"""

from __future__ import annotations

import importlib.util
import math
from collections import Counter
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from scripts.dbt_invoke import DbtStepError
from tests.integration.conftest import DbtBuild, run_dbt_build
from tests.integration.reference import frame_mismatches, warehouse_row_status

from tests.integration.support import (
    BUILD_COMMAND,
    STATUS_TABLES,
    is_missing,
    accounting,
    assert_each_row_once,
    built_relations,
    count_csv_rows,
    count_ndjson_rows,
    count_parquet_rows,
    mart_mismatches,
    read_csv_raw,
    read_ndjson_raw,
    read_parquet_raw,
    spec_reference,
    status_multiset,
    stg_mismatches,
)

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
_spec = importlib.util.spec_from_file_location("hostile_make_corpus", CORPUS / "make_corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

AS_OF = corpus.AS_OF
MAX_EVENT_DATE = corpus.MAX_EVENT_DATE
BASE_VARS = {"as_of": AS_OF, "max_event_date": MAX_EVENT_DATE}
MARTS = ("user_segments", "fct_user_behavior", "segment_summary", "user_rfm_segments",
         "user_usage_tiers", "user_lifecycle_stages", "int_orders", "int_user_days")


# --------------------------------------------------------------------------- builds


_BUILDS: dict[str, DbtBuild] = {}


def _build(name: str, events_path: str, tmp_path_factory, extra_vars: dict | None = None) -> DbtBuild:
    if name not in _BUILDS:
        work = tmp_path_factory.mktemp(f"hostile_{name}")
        # check=False: a failing data test is asserted on by the tests below, and the tables it
        # ran on stay readable for the other assertions
        _BUILDS[name] = run_dbt_build(Path(events_path), work, {**BASE_VARS, **(extra_vars or {})},
                                      command=BUILD_COMMAND, check=False)
    return _BUILDS[name]


# --------------------------------------------------------------------------- main.csv

MAIN = CORPUS / "main.csv"


@pytest.fixture(scope="module")
def main_build(tmp_path_factory) -> DbtBuild:
    return _build("main", str(MAIN), tmp_path_factory)


@pytest.fixture(scope="module")
def main_raw() -> pd.DataFrame:
    return read_csv_raw(MAIN)


@pytest.fixture(scope="module")
def main_ref(main_raw) -> dict[str, pd.DataFrame]:
    return spec_reference(main_raw, as_of=AS_OF, max_event_date=MAX_EVENT_DATE)


def test_corpus_files_are_what_the_generator_writes():
    for name, data in corpus.corpus().items():
        assert (CORPUS / name).read_bytes() == data, f"{name} is stale: rerun tests/fixtures/hostile/make_corpus.py"


def test_main_raw_file_reads_back_row_for_row(main_raw):
    """The generator's rows are exactly what a CSV reader gets back (quotes, line breaks)."""
    assert count_csv_rows(MAIN) == len(corpus.MAIN_ROWS) == len(main_raw)
    for i, (row, _) in enumerate(corpus.MAIN_ROWS):
        got = ["" if is_missing(v) else v for v in main_raw.iloc[i].tolist()]
        assert got == ["" if v is None else v for v in row], i + 1


def test_main_reference_agrees_with_hand_annotations(main_ref):
    """Guards the annotations in make_corpus.MAIN_ROWS against the independent reference."""
    rs = main_ref["row_status"].set_index("event_row_id")
    for i, (_, (status, reason)) in enumerate(corpus.MAIN_ROWS, start=1):
        got_reason = rs.at[i, "quarantine_reason"] if status == "quarantined" else rs.at[i, "duplicate_reason"]
        assert rs.at[i, "row_status"] == status, (i, rs.loc[i].to_dict())
        if isinstance(reason, tuple):
            assert got_reason in reason, (i, got_reason)
        elif reason is not None:
            assert got_reason == reason, (i, got_reason)


def test_main_every_row_has_its_expected_status(main_build):
    got = warehouse_row_status(main_build).set_index("event_row_id")
    problems = []
    for i, (row, (status, reason)) in enumerate(corpus.MAIN_ROWS, start=1):
        if i not in got.index:
            problems.append(f"row {i} {row[:3]!r}: in no status table (expected {status} {reason})")
            continue
        g = got.loc[i]
        g_reason = g["quarantine_reason"] if g["row_status"] == "quarantined" else g["duplicate_reason"]
        g_reason = None if is_missing(g_reason) else g_reason
        ok = g["row_status"] == status and (
            g_reason in reason if isinstance(reason, tuple) else g_reason == reason
        )
        if not ok:
            problems.append(f"row {i} {row[:3]!r} revenue={row[5]!r}: got {g['row_status']} {g_reason}, "
                            f"expected {status} {reason}")
    assert not problems, "\n".join(problems)


def test_main_accounting_reconciles_with_the_file(main_build):
    n_raw = count_csv_rows(MAIN)
    expected = Counter(status for _, (status, _) in corpus.MAIN_ROWS)
    assert accounting(main_build) == dict(expected)
    assert_each_row_once(main_build, n_raw)


def test_main_build_and_its_data_tests_pass(main_build):
    assert main_build.result.success and not main_build.result.failures, main_build.result.failures


def test_main_identity_rules(main_build):
    users = set(main_build.table("fct_user_behavior")["user_id"])
    # case-sensitive, ASCII white space trimmed (space, tab, CR, LF), Unicode kept exactly
    assert {"ann", "Ann", "José", "JOSÉ", "用户42", "😀🚀", "ann\u00a0", "\u200bann"} <= users
    assert not {"ann ", "ann\t", "\r\nann\n", " gina"} & users
    assert {"smith, john", 'o"brien', "multi\nline\nuser", corpus.SQL_USER, corpus.SQL_EVENT} <= users
    assert len(users) == len(corpus.MAIN_EXPECTED_USERS), sorted(users)


def test_main_hand_worked_user_facts(main_build):
    fct = main_build.table("fct_user_behavior").set_index("user_id")
    problems = []
    for uid, exp in corpus.MAIN_EXPECTED_USERS.items():
        if uid not in fct.index:
            problems.append(f"{uid!r}: missing")
            continue
        for col, v in exp.items():
            got = fct.at[uid, col]
            if not math.isclose(float(got), float(v), rel_tol=1e-12):
                problems.append(f"{uid!r}.{col}: got {got!r}, expected {v!r}")
    assert not problems, "\n".join(problems)


def test_main_timestamps_are_converted_to_utc(main_build):
    stg = main_build.table("stg_events").set_index("event_row_id")
    for row, ts in corpus.MAIN_EXPECTED_TS.items():
        assert pd.Timestamp(stg.at[row, "event_ts"]) == pd.Timestamp(ts), row
    after = main_build.table("stg_events_after_as_of")
    assert sorted(after["event_row_id"].tolist()) == [
        i for i, (_, s) in enumerate(corpus.MAIN_ROWS, start=1) if s == corpus.AFTER
    ]


def test_main_sql_lookalikes_and_messy_fields_are_data(main_build):
    stg = main_build.table("stg_events")
    by_user = stg.set_index("user_id")
    assert by_user.at[corpus.SQL_USER, "event_name"] == "1_or_1=1"
    assert by_user.at[corpus.SQL_USER, "properties"] == corpus.SQL_PROPS
    assert by_user.at[corpus.SQL_EVENT, "properties"] == "1); drop table x; --"
    assert by_user.at["smith, john", "properties"] == corpus.MESSY_PROPS
    assert {"stg_events", "user_segments", "segment_summary"} <= built_relations(main_build.db_path)


def test_main_quarantine_keeps_the_raw_text(main_build):
    q = main_build.table("stg_events_quarantine").set_index("event_row_id")
    assert q.at[18, "quarantine_reason"] == "missing_user_id"
    assert q.at[18, "user_id_raw"] in ("   ", None)  # raw text where kept
    assert q.at[26, "revenue_raw"] == "5e9"
    assert q.at[44, "event_ts_raw"] == "yesterday"


def test_main_orders(main_build):
    orders = main_build.table("int_orders")
    ivy = orders[orders["user_id"] == "ivy"]
    assert len(ivy) == 3
    a1 = ivy[ivy["order_id"] == "A1"]
    assert len(a1) == 1 and float(a1.iloc[0]["revenue"]) == 25.0
    jack = orders[orders["user_id"] == "jack"]
    assert len(jack) == 1 and float(jack.iloc[0]["revenue"]) == 100.0


def test_main_matches_reference(main_build, main_ref):
    problems = mart_mismatches(main_build, main_ref) + stg_mismatches(main_build, main_ref)
    problems += [f"[row_status] {p}" for p in frame_mismatches(
        warehouse_row_status(main_build), main_ref["row_status"], ["event_row_id"])]
    assert not problems, "main.csv: warehouse != reference\n" + "\n".join(problems)


# --------------------------------------------------------------------------- other formats


def _csv_glob(pattern: str, sep: str = ",") -> tuple[Callable[[], pd.DataFrame], Callable[[], int]]:
    files = sorted(CORPUS.glob(pattern))
    return (lambda: pd.concat([read_csv_raw(f, sep) for f in files], ignore_index=True),
            lambda: sum(count_csv_rows(f, sep) for f in files))


def _ndjson(name: str):
    return (lambda: read_ndjson_raw(CORPUS / name), lambda: count_ndjson_rows(CORPUS / name))


def _parquet_glob(pattern: str):
    files = sorted(CORPUS.glob(pattern))
    return (lambda: read_parquet_raw(files), lambda: count_parquet_rows(files))


# name: (events_path relative to the corpus, raw loader, raw counter, expected status counts,
#        expected facts {user: {column: value}})
FORMAT_CASES: dict[str, tuple] = {
    "dialects_glob": (
        "dialects/*.csv", *_csv_glob("dialects/*.csv"),
        {"clean": 5, "quarantined": 3, "duplicate": 1, "after_as_of": 1},
        {"bom_user": {"orders": 1, "revenue": 12.5, "events_total": 2},
         "crlf_user": {"orders": 1, "revenue": 3.0}, 'quote,"user"': {"events_total": 1},
         "plain_user": {"events_total": 1}},
    ),
    "tsv": (
        "events.tsv", *_csv_glob("events.tsv", "\t"),
        {"clean": 3, "quarantined": 2},
        {"tsv user": {"orders": 1, "revenue": 8.0, "events_total": 2},
         "tsv\tuser": {"orders": 1, "revenue": 7.0}},
    ),
    "csv_gz_glob": (
        "gz/*.csv.gz", *_csv_glob("gz/*.csv.gz"),
        {"clean": 4, "quarantined": 1, "duplicate": 1},
        {"gz_a": {"orders": 1, "revenue": 20.0, "events_total": 2}, "gz_b": {"orders": 0, "events_total": 1},
         "gz_c": {"orders": 1, "revenue": 1.5}},
    ),
    "ndjson": (
        "events.ndjson", *_ndjson("events.ndjson"),
        {"clean": 6, "quarantined": 4},
        {"json_a": {"orders": 2, "revenue": 20.0, "events_total": 2}, "123": {"events_total": 2},
         "json_b": {"orders": 1, "revenue": 0.0}, "emoji_🎉": {"events_total": 1}},
    ),
    "jsonl_gz": (
        "events.jsonl.gz", *_ndjson("events.jsonl.gz"),
        {"clean": 2, "quarantined": 1, "duplicate": 1},
        {"jl_a": {"orders": 1, "revenue": 3.0}, "jl_b": {"orders": 0, "events_total": 1}},
    ),
    "hive_parquet": (
        "hive/**/*.parquet", *_parquet_glob("hive/**/*.parquet"),
        {"clean": 4, "quarantined": 4, "duplicate": 1},
        {"pq_a": {"orders": 1, "revenue": 15.0, "events_total": 2},
         "pq_b": {"orders": 1, "revenue": 2.5, "events_total": 2}},
    ),
}


@pytest.fixture(scope="module", params=list(FORMAT_CASES))
def fmt(request, tmp_path_factory):
    name = request.param
    rel, load, count, statuses, facts = FORMAT_CASES[name]
    build = _build(name, str(CORPUS / rel), tmp_path_factory)
    raw = load()
    ref = spec_reference(raw, as_of=AS_OF, max_event_date=MAX_EVENT_DATE)
    return name, build, raw, count(), ref, statuses, facts


def test_format_accounting_reconciles_with_the_file(fmt):
    name, build, raw, n_raw, ref, statuses, _ = fmt
    assert n_raw == len(raw) == sum(statuses.values()), (name, n_raw, len(raw))
    assert accounting(build) == statuses, name
    assert_each_row_once(build, n_raw)


def test_format_build_and_its_data_tests_pass(fmt):
    name, build, *_ = fmt
    assert build.result.success and not build.result.failures, (name, build.result.failures)


def test_format_row_statuses_match_reference(fmt):
    """As multisets: the order in which a glob's files are numbered is not specified."""
    name, build, _, _, ref, _, _ = fmt
    got = status_multiset(warehouse_row_status(build))
    exp = status_multiset(ref["row_status"])
    assert got == exp, f"{name}: warehouse {dict(got)} != reference {dict(exp)}"


def test_format_hand_worked_facts(fmt):
    name, build, *_, facts = fmt
    fct = build.table("fct_user_behavior").set_index("user_id")
    for uid, exp in facts.items():
        assert uid in fct.index, f"{name}: user {uid!r} missing; users: {sorted(fct.index)}"
        for col, v in exp.items():
            assert math.isclose(float(fct.at[uid, col]), float(v), rel_tol=1e-12), (name, uid, col, fct.at[uid, col])


def test_format_marts_match_reference(fmt):
    name, build, _, _, ref, _, _ = fmt
    problems = mart_mismatches(build, ref)
    assert not problems, f"{name}: warehouse != reference\n" + "\n".join(problems)


def test_hive_partition_column_does_not_pass_staging(tmp_path_factory):
    build = _build("hive_parquet", str(CORPUS / "hive/**/*.parquet"), tmp_path_factory)
    assert "dt" not in build.table("stg_events").columns


# --------------------------------------------------------------------------- header only


def test_header_only_file_builds_empty_tables(tmp_path):
    path = CORPUS / "header_only.csv"
    assert count_csv_rows(path) == 0
    # no as_of: with no events there is no latest date, and the run must still build
    build = run_dbt_build(path, tmp_path / "w", {"max_event_date": MAX_EVENT_DATE}, command=BUILD_COMMAND,
                          check=False)
    assert build.result.success and not build.result.failures, build.result.failures
    assert sum(accounting(build).values()) == 0
    for rel in (*STATUS_TABLES.values(), "fct_user_behavior", "user_segments", "user_rfm_segments",
                "user_usage_tiers", "user_lifecycle_stages", "int_orders", "int_user_days"):
        assert len(build.table(rel)) == 0, rel


# --------------------------------------------------------------------------- inputs that must stop the run


@pytest.mark.parametrize(
    "file_name, words",
    [
        ("empty.csv", [["empty"]]),
        ("event_ts_int.parquet", [["event_ts"], ["column_map"], ["BIGINT", "INT", "numeric"]]),
        ("event_ts_struct.parquet", [["event_ts"], ["STRUCT", "nested"]]),
    ],
    ids=["empty_file", "event_ts_integer", "event_ts_struct"],
)
def test_unusable_input_stops_before_any_model(tmp_path, file_name, words):
    path = CORPUS / file_name
    work = tmp_path / "w"
    with pytest.raises(DbtStepError) as err:
        run_dbt_build(path, work, BASE_VARS, command=BUILD_COMMAND)
    msg = str(err.value)
    assert file_name in msg, msg
    for alternatives in words:  # each group: at least one of the words, case-insensitively
        assert any(w.lower() in msg.lower() for w in alternatives), (alternatives, msg)
    assert "Traceback" not in msg
    built = built_relations(work / "warehouse.duckdb")
    assert not built & set(MARTS), built
    assert not built & set(STATUS_TABLES.values()), built
