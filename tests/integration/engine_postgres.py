"""Helpers to run the project on PostgreSQL (the ``postgres`` target of ``profiles.yml``).

No tests here: the cross-engine tests import these.

* :func:`postgres_dsn` -- the libpq connection string of the target (standard ``PG*`` variables,
  the same defaults as ``profiles.yml``).
* :func:`postgres_available` -- whether a server answers with those credentials.
* :func:`load_events_table` -- (re)create ``raw.events`` from a Parquet or CSV event log with
  ``COPY``, keeping row order and types.
* :func:`run_postgres_build` -- ``dbt build --target postgres`` on that table.
* :func:`read_relation` -- a built model as a pandas frame.

The server itself comes from ``scripts/ensure_postgres.sh``.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from scripts import dbt_invoke

SALT_ENV = "BEHAVIORAL_SEGMENTS_PII_SALT"
SALT_SETTING = "behavioral_segments.pii_salt"
DEFAULT_SCHEMA = "analytics"


# --------------------------------------------------------------------------- connection


def _settings() -> dict[str, str]:
    # the defaults of the `postgres` output in profiles.yml
    return {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "behavioral_segments"),
        "password": os.environ.get("PGPASSWORD", "behavioral_segments"),
        "dbname": os.environ.get("PGDATABASE", "behavioral_segments"),
    }


def _dsn_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def postgres_dsn() -> str:
    """The libpq DSN of the dbt ``postgres`` target (``PGHOST``, ``PGPORT``, ``PGUSER``,
    ``PGPASSWORD``, ``PGDATABASE``; defaults 127.0.0.1:5432, behavioral_segments)."""
    return " ".join(f"{key}={_dsn_value(value)}" for key, value in _settings().items())


def models_schema() -> str:
    """The schema dbt builds into (``BEHAVIORAL_SEGMENTS_SCHEMA``, default ``analytics``)."""
    return os.environ.get("BEHAVIORAL_SEGMENTS_SCHEMA", DEFAULT_SCHEMA)


def connect() -> Any:
    """A new psycopg2 connection to the target (caller closes it)."""
    import psycopg2

    return psycopg2.connect(postgres_dsn(), connect_timeout=5)


def postgres_available() -> bool:
    """True when a server answers and accepts the target's credentials."""
    try:
        con = connect()
    except Exception:  # any connection failure means "not available"
        return False
    con.close()
    return True


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- loading


def _pg_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp without time zone"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    return "text"


def _csv_chunks(table: pa.Table, rows_per_chunk: int = 200_000) -> Iterator[bytes]:
    """The table as CSV without header, in row order. Arrow writes null as an empty field and
    '' as "", which is what COPY ... (format csv) reads back as NULL and ''."""
    for start in range(0, max(table.num_rows, 1), rows_per_chunk):
        part = table.slice(start, rows_per_chunk)
        if part.num_rows == 0:
            break
        buf = io.BytesIO()
        pa_csv.write_csv(part, buf, write_options=pa_csv.WriteOptions(include_header=False))
        yield buf.getvalue()


def _typed_parquet(path: Path) -> tuple[pa.Table, list[tuple[str, str]]]:
    table = pq.read_table(path)
    columns: list[tuple[str, str]] = []
    arrays = []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_nested(field.type):
            # nested values (a struct of properties) travel as JSON text
            values = column.to_pylist()
            column = pa.array([None if v is None else json.dumps(v, default=str) for v in values], pa.string())
            columns.append((field.name, "text"))
        else:
            columns.append((field.name, _pg_type(field.type)))
        arrays.append(column)
    return pa.table(arrays, names=[name for name, _ in columns]), columns


def load_events_table(
    events_parquet_path: str | Path,
    schema: str = "raw",
    table: str = "events",
) -> int:
    """(Re)create ``schema.table`` from an event log and return its row count.

    A Parquet file keeps its types: text ids, ``timestamp without time zone`` for a naive
    ``event_ts`` (``with time zone`` for a zone-aware one), ``double precision`` revenue, nested
    columns as JSON text. A ``.csv`` file (header line, comma-separated) is loaded byte for byte
    with every column as ``text``, as DuckDB reads CSV (``all_varchar``; an empty field, quoted
    or not, is null): unparseable values
    then reach staging and are quarantined there. Rows keep their file order, which is the
    order ``input_row_number()`` numbers them in.
    """
    path = Path(events_parquet_path)
    con = connect()
    try:
        with con, con.cursor() as cur:
            cur.execute(f"create schema if not exists {_ident(schema)}")
            cur.execute(f"drop table if exists {_ident(schema)}.{_ident(table)}")
            target = f"{_ident(schema)}.{_ident(table)}"
            if path.suffix.lower() == ".csv":
                with path.open("r", encoding="utf-8-sig", newline="") as fh:
                    names = next(csv.reader(fh))
                cols = ", ".join(f"{_ident(n)} text" for n in names)
                cur.execute(f"create table {target} ({cols})")
                with path.open("rb") as raw:
                    data = raw.read()
                if data.startswith(b"\xef\xbb\xbf"):
                    data = data[3:]
                # like DuckDB's CSV reader, a quoted empty field ("") is null, not ''
                force_null = ", ".join(_ident(n) for n in names)
                cur.copy_expert(
                    f"copy {target} from stdin with (format csv, header true, force_null ({force_null}))",
                    io.BytesIO(data),
                )
            else:
                arrow_table, columns = _typed_parquet(path)
                cols = ", ".join(f"{_ident(n)} {t}" for n, t in columns)
                cur.execute(f"create table {target} ({cols})")
                for chunk in _csv_chunks(arrow_table):
                    cur.copy_expert(f"copy {target} from stdin with (format csv)", io.BytesIO(chunk))
            cur.execute(f"analyze {target}")
            cur.execute(f"select count(*) from {target}")
            return int(cur.fetchone()[0])
    finally:
        con.close()


# --------------------------------------------------------------------------- building


def _pgoptions_with_salt(existing: str | None, salt: str) -> str:
    """PGOPTIONS with ``-c behavioral_segments.pii_salt=<salt>`` added (libpq splits options on
    white space; a backslash escapes the next character)."""
    escaped = salt.replace("\\", "\\\\").replace(" ", "\\ ")
    option = f"-c {SALT_SETTING}={escaped}"
    return f"{existing} {option}".strip() if existing else option


def run_postgres_build(
    dbt_vars: dict[str, Any] | None,
    target_path: str | Path,
    command: tuple[str, ...] = ("build", "--full-refresh"),
    check: bool = True,
) -> dbt_invoke.DbtStepResult:
    """``dbt <command> --target postgres`` over the source table (``events_from_source: true``).

    The default rebuilds every incremental model from scratch: the schema outlives the test
    run, and an incremental run would start from a table an earlier run (or code) left there.

    ``dbt_vars`` are merged over ``{"events_from_source": True}`` (give ``events_source_schema``
    / ``events_source_table`` when the table is not ``raw.events``). The PII salt, when
    ``BEHAVIORAL_SEGMENTS_PII_SALT`` is set, reaches Postgres as the session setting
    ``behavioral_segments.pii_salt`` through ``PGOPTIONS`` for this call only, never as SQL text.
    Raises ``DbtStepError`` naming the failing nodes unless ``check=False``.
    """
    all_vars = {"events_from_source": True, **(dbt_vars or {})}
    salt = os.environ.get(SALT_ENV, "")
    saved = os.environ.get("PGOPTIONS")
    if salt:
        os.environ["PGOPTIONS"] = _pgoptions_with_salt(saved, salt)
    try:
        return dbt_invoke.invoke(
            [*command, "--target", "postgres"],
            dbt_vars=all_vars,
            target_path=Path(target_path),
            check=check,
        )
    finally:
        if salt:
            if saved is None:
                os.environ.pop("PGOPTIONS", None)
            else:
                os.environ["PGOPTIONS"] = saved


def read_relation(name: str, schema: str | None = None) -> pd.DataFrame:
    """A whole relation built on Postgres, e.g. ``read_relation("user_segments")``."""
    con = connect()
    try:
        with con.cursor() as cur:
            cur.execute(f"select * from {_ident(schema or models_schema())}.{_ident(name)}")
            names = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=names)
    finally:
        con.close()
