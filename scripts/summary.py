"""Print a readable summary of a finished build: where the raw rows went and each segment."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from scripts.dbt_invoke import DEFAULT_DB_PATH

DIMENSION_TITLES = {
    "rfm_segment": "RFM segments",
    "usage_tier": "Usage tiers (active days in the last 28)",
    "lifecycle_stage": "Lifecycle stages",
}


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def accounting_table(con: duckdb.DuckDBPyConnection) -> Table:
    table = Table(title="Where the raw rows went", title_justify="left")
    for name, justify in [("status", "left"), ("rows", "right"), ("share", "right"), ("purchase revenue", "right")]:
        table.add_column(name, justify=justify)
    rows = con.sql(
        "select row_status, row_count, purchase_revenue from event_row_accounting order by status_order"
    ).fetchall()
    total = sum(r[1] for r in rows) or 1
    for status, count, revenue in rows:
        table.add_row(status, f"{count:,}", _share(count / total), _money(revenue))
    table.add_row("raw total", f"{total:,}", "100.0%", "", style="bold")
    reasons = con.sql(
        "select quarantine_reason, count(*) from stg_events_quarantine group by 1 order by 2 desc, 1"
    ).fetchall()
    for reason, count in reasons:
        table.add_row(f"  quarantined: {reason}", f"{count:,}", _share(count / total), "", style="dim")
    return table


def segment_table(con: duckdb.DuckDBPyConnection, dimension: str) -> Table:
    table = Table(title=DIMENSION_TITLES.get(dimension, dimension), title_justify="left")
    columns = ["segment", "users", "share", "revenue", "revenue share", "revenue / user", "conversion"]
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    rows = con.execute(
        """
        select segment_value, users, share_of_users, revenue, revenue_share, revenue_per_user,
            purchase_conversion
        from segment_summary
        where segment_dimension = ?
        order by revenue desc, users desc, segment_value
        """,
        [dimension],
    ).fetchall()
    for value, users, share, revenue, revenue_share, per_user, conversion in rows:
        table.add_row(
            str(value), f"{users:,}", _share(share), _money(revenue), _share(revenue_share),
            _money(per_user), _share(conversion),
        )
    return table


def make_console() -> Console:
    """A console that keeps tables readable when output goes to a file or CI log (80 columns
    would wrap every segment name)."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    return console


def print_summary(db_path: Path, console: Console | None = None) -> None:
    """Render the accounting and one table per segment dimension of the DuckDB file."""
    console = console or make_console()
    with duckdb.connect(str(db_path), read_only=True) as con:
        as_of, source = con.execute("select as_of, as_of_source from stg_run_context").fetchall()[0]
        users, revenue = con.execute("select count(*), coalesce(sum(revenue), 0) from user_segments").fetchall()[0]
        console.print(
            f"\n[bold]Segments as of {as_of}[/bold] ({'from --vars' if source == 'var' else 'latest event date'}): "
            f"{users:,} users, revenue {_money(revenue)}\n"
        )
        console.print(accounting_table(con))
        present = {r[0] for r in con.sql("select distinct segment_dimension from segment_summary").fetchall()}
        dimensions = [d for d in DIMENSION_TITLES if d in present] + sorted(present - set(DIMENSION_TITLES))
        for dimension in dimensions:
            console.print()
            console.print(segment_table(con, dimension))
    console.print(f"\nTables are in [bold]{db_path}[/bold] (user_segments, segment_summary, fct_user_behavior, ...).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db-path", type=Path,
                        default=Path(os.environ.get("DBT_DUCKDB_PATH", DEFAULT_DB_PATH)))
    args = parser.parse_args(argv)
    print_summary(args.db_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
