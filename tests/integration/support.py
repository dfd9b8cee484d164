"""Helpers shared by the hostile-input, property and late-data tests (no tests here):
counting and reading raw files the way Python does, the pandas reference adjusted to the
spec's edge rules, per-row status checks, and whole-warehouse snapshots."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from tests.integration.conftest import DbtBuild
from tests.integration.reference import (
    MODEL_KEYS,
    comparable,
    compute_reference,
    frame_mismatches,
    normalise_event_name,
    stage,
)

# Unit tests of the segment macros assume default vars and say nothing about inputs; data
# tests (accounting against the raw file, uniqueness, revenue reconciliation) do run.
BUILD_COMMAND = ("build", "--exclude", "test_type:unit")
# The column-level null and range checks (one column_rules test per model, plus the not_null
# half of each primary key and one in_range warning) run in the builds whose subject is the
# data tests: the demo build, the property-based logs, hostile inputs, late data, the build
# contract, Postgres and Spark. Builds whose tables are compared row by row with an independent
# reference leave them out (append to an --exclude): a null or an out-of-range value there is
# a mismatch anyway.
COLUMN_CHECKS = ("test_name:column_rules", "test_name:not_null", "test_name:in_range")
REFERENCE_BUILD = BUILD_COMMAND + COLUMN_CHECKS
CONTRACT_COLUMNS = ["user_id", "event_name", "event_ts", "event_id", "session_id", "revenue", "order_id", "properties"]
MAX_REVENUE = Decimal(1_000_000_000)
STATUS_TABLES = {
    "clean": "stg_events",
    "quarantined": "stg_events_quarantine",
    "duplicate": "stg_events_duplicates",
    "after_as_of": "stg_events_after_as_of",
    "erased": "stg_events_erased",
}


def accounting(build: DbtBuild) -> dict[str, int]:
    """{row_status: rows} from event_row_accounting (zero rows left out)."""
    acc = build.table("event_row_accounting")
    col = "row_count" if "row_count" in acc.columns else "rows"
    return {str(s): int(n) for s, n in zip(acc["row_status"], acc[col]) if int(n) != 0}


def built_relations(db_path: Path) -> set[str]:
    if not db_path.exists():
        return set()
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {r[0] for r in con.sql("select table_name from information_schema.tables").fetchall()}


def is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def _decimal_or_none(v: Any) -> Decimal | None:
    if is_missing(v) or isinstance(v, bool):
        return None
    try:
        d = Decimal(str(v).strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


_PLACEHOLDERS = {"\u00a0": "\ue000", "\u2007": "\ue001", "\u202f": "\ue002", "\u3000": "\ue003",
                 "\u2003": "\ue004", "\x1c": "\ue005", "\x1d": "\ue006", "\x1e": "\ue007",
                 "\x1f": "\ue008", "\x85": "\ue009"}
_BACK = {v: k for k, v in _PLACEHOLDERS.items()}


def _protect(v: Any) -> Any:
    if isinstance(v, str):
        return "".join(_PLACEHOLDERS.get(c, c) for c in v)
    return v


def _unprotect(v: Any) -> Any:
    if isinstance(v, str):
        return "".join(_BACK.get(c, c) for c in v)
    return v


def spec_reference(raw: pd.DataFrame, *, purchase_events=("purchase",), max_revenue: Decimal = MAX_REVENUE,
                   **kwargs) -> dict[str, pd.DataFrame]:
    """``compute_reference`` plus the parts of the spec it predates:

    - ``revenue_too_large`` (purchase revenue > max_revenue): such rows are given a non-numeric
      revenue for the reference (same status, first failing reason) and renamed afterwards;
      a text beyond the range of a 64-bit float (``1e400``) reads as inf and stays
      ``revenue_not_numeric`` (the spec does not say; either reason is defensible);
    - only ASCII white space is trimmed from ids (Python's ``str.strip`` also strips NBSP and
      other Unicode spaces): those characters are swapped for private-use ones and back;
    - a float NaN revenue (Parquet / JSON) is present and not finite, not null.
    """
    raw = raw.copy()
    lower = {str(c).lower(): c for c in raw.columns}
    purchase_set = {normalise_event_name(p) for p in purchase_events}
    too_large: set[int] = set()
    if "revenue" in lower and "event_name" in lower:
        rev_col, name_col = lower["revenue"], lower["event_name"]
        revs = list(raw[rev_col].astype(object))
        names = list(raw[name_col].astype(object))
        for i, (name, rev) in enumerate(zip(names, revs)):
            if normalise_event_name(None if is_missing(name) else name) in purchase_set:
                d = _decimal_or_none(revs[i])
                if d is not None and d > max_revenue:
                    # beyond the 64-bit range (1e400) the value reads as inf: not a finite number
                    if math.isfinite(float(d)):
                        too_large.add(i + 1)
                    revs[i] = "NaN"
        raw[rev_col] = pd.Series(revs, index=raw.index, dtype=object)
    if "user_id" in lower:
        raw[lower["user_id"]] = raw[lower["user_id"]].astype(object).map(_protect)
    row_status, stg, _ = stage(raw, purchase_events=purchase_events,
                               **{k: v for k, v in kwargs.items() if k in ("as_of", "max_event_date", "min_event_ts")})
    if len(stg):
        ref = compute_reference(raw, purchase_events=purchase_events, **kwargs)
    else:  # the reference cannot group an empty frame: every mart is empty
        ref = {model: pd.DataFrame(columns=keys) for model, keys in MODEL_KEYS.items()}
        ref["row_status"] = row_status
        ref["stg_events"] = stg
    rs = ref["row_status"]
    mask = rs["event_row_id"].isin(too_large) & (rs["quarantine_reason"] == "revenue_not_numeric")
    rs.loc[mask, "quarantine_reason"] = "revenue_too_large"
    for frame in ref.values():
        if "user_id" in frame.columns:
            frame["user_id"] = frame["user_id"].map(_unprotect)
    return ref


def mart_mismatches(build: DbtBuild, ref: dict[str, pd.DataFrame]) -> list[str]:
    problems = []
    for model, keys in MODEL_KEYS.items():
        problems += [f"[{model}] {p}" for p in frame_mismatches(comparable(model, build.table(model)), ref[model], keys)]
    # user_segments is the join of the per-user marts
    seg = build.table("user_segments")
    if ref["fct_user_behavior"].empty:
        if len(seg):
            problems.append(f"[user_segments] {len(seg)} rows, expected none")
        return problems
    exp = ref["fct_user_behavior"].merge(ref["user_rfm_segments"][["user_id", "rfm_segment", "r_score", "f_score",
                                                                    "m_score", "rfm_cell"]], on="user_id")
    exp = exp.merge(ref["user_usage_tiers"][["user_id", "usage_tier"]], on="user_id")
    exp = exp.merge(ref["user_lifecycle_stages"][["user_id", "lifecycle_stage"]], on="user_id")
    cols = [c for c in ("orders", "revenue", "events_28d", "active_days_28d", "rfm_segment", "rfm_cell",
                        "usage_tier", "lifecycle_stage") if c in seg.columns]
    problems += [f"[user_segments] {p}" for p in frame_mismatches(seg, exp, ["user_id"], cols)]
    return problems


def stg_mismatches(build: DbtBuild, ref: dict[str, pd.DataFrame]) -> list[str]:
    stg = build.table("stg_events")
    ref_stg = ref["stg_events"]
    cols = [c for c in ref_stg.columns if c not in ("event_row_id", "revenue")]
    problems = [f"[stg_events] {p}" for p in frame_mismatches(stg, ref_stg, ["event_row_id"], cols)]
    ids = set(ref_stg.loc[ref_stg["is_purchase"], "event_row_id"])
    problems += [f"[stg_events purchases] {p}" for p in frame_mismatches(
        stg[stg["event_row_id"].isin(ids)], ref_stg[ref_stg["event_row_id"].isin(ids)], ["event_row_id"],
        ["revenue"])]
    return problems


def status_multiset(frame: pd.DataFrame) -> Counter:
    out = Counter()
    for s, q, d in zip(frame["row_status"], frame["quarantine_reason"], frame["duplicate_reason"]):
        out[(s, None if is_missing(q) else q, None if is_missing(d) else d)] += 1
    return out


def assert_each_row_once(build: DbtBuild, n_raw: int) -> None:
    """Every event_row_id 1..n in exactly one status table; accounting sums to n."""
    seen: Counter = Counter()
    for status, rel in STATUS_TABLES.items():
        ids = build.query(f"select event_row_id from main.{rel}")["event_row_id"].tolist()
        assert len(ids) == len(set(ids)), f"{rel} holds an event_row_id twice"
        seen.update(int(i) for i in ids)
    acc = accounting(build)
    erased = acc.get("erased", 0)
    assert sum(acc.values()) == n_raw, (acc, n_raw)
    in_two = [i for i, n in seen.items() if n > 1]
    assert not in_two, f"event_row_ids in two status tables: {in_two[:10]}"
    assert len(seen) == n_raw - erased, (len(seen), n_raw, erased)
    if erased == 0:
        assert set(seen) == set(range(1, n_raw + 1))
    for status, rel in STATUS_TABLES.items():
        n = int(build.query(f"select count(*) as n from main.{rel}")["n"][0])
        assert acc.get(status, 0) == n, (status, acc, n)


# --------------------------------------------------------------------------- raw readers


def _open_text(path: Path) -> io.TextIOBase:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return io.StringIO(data.decode("utf-8-sig"), newline="")


def count_csv_rows(path: Path, sep: str = ",") -> int:
    with _open_text(path) as fh:
        rows = list(csv.reader(fh, delimiter=sep))
    return max(len(rows) - 1, 0)


def read_csv_raw(path: Path, sep: str = ",") -> pd.DataFrame:
    with _open_text(path) as fh:
        df = pd.read_csv(fh, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    df.columns = [c.lower() for c in df.columns]
    return df


def read_ndjson_raw(path: Path) -> pd.DataFrame:
    with _open_text(path) as fh:
        recs = [json.loads(line) for line in fh.read().splitlines() if line.strip()]
    cols = list(dict.fromkeys(k for r in recs for k in r))
    return pd.DataFrame({c: pd.Series([r.get(c) for r in recs], dtype=object) for c in cols})


def count_ndjson_rows(path: Path) -> int:
    with _open_text(path) as fh:
        return sum(1 for line in fh.read().splitlines() if line.strip())


def read_parquet_raw(paths: list[Path]) -> pd.DataFrame:
    """Rows of every file as Python objects (null stays None, NaN stays a float NaN value)."""
    import pyarrow.parquet as pq

    frames = []
    for p in paths:
        t = pq.read_table(p, partitioning=None)
        frames.append(pd.DataFrame({c: pd.Series(t.column(c).to_pylist(), dtype=object) for c in t.column_names}))
    df = pd.concat(frames, ignore_index=True)
    if "revenue" in df.columns:  # NaN read from a typed column is a value, not a null
        df["revenue"] = df["revenue"].map(lambda v: "NaN" if isinstance(v, float) and math.isnan(v) else v)
    return df


def count_parquet_rows(paths: list[Path]) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)


def snapshot(db_path: Path) -> dict[str, pd.DataFrame]:
    """Every relation of the warehouse, rows sorted on all columns (as text), index reset."""
    out = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        names = [r[0] for r in con.sql(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1"
        ).fetchall()]
        for name in names:
            df = con.sql(f'select * from main."{name}"').df()
            order = df.astype(str).sort_values(list(df.columns), kind="mergesort").index
            out[name] = df.loc[order].reset_index(drop=True)
    return out


def assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
