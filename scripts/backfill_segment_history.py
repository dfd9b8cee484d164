"""Backfill the segment history: build the project once per past ``as_of`` date, oldest first.

    python -m scripts.backfill_segment_history --as-of 2024-03-31 2024-04-30 2024-05-31
    python -m scripts.backfill_segment_history --month-ends 2024-01 2024-06 \\
        --events-path /data/events.parquet

Each step is one ``dbt build --vars '{"as_of": ...}'`` of the whole project (or of
``--select``, with tests only where all their parents are selected). ``user_segment_history`` replaces the rows of the
step's ``as_of`` and keeps the others, and the snapshot ``user_segments_snapshot`` rewinds to
the step's ``as_of`` before recording it (docs/segments/time.md, section 6). The dates are
always run in ascending order, so a backfill gives the same history whatever order the dates
are given in and however often it is repeated. The last step's ``segment_transitions``
compares the latest two ``as_of`` dates.
"""

from __future__ import annotations

import argparse
import calendar
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scripts import dbt_invoke



def month_ends(first_month: str, last_month: str) -> list[date]:
    """The last day of every month from ``YYYY-MM`` to ``YYYY-MM`` (both included)."""
    start = date.fromisoformat(first_month + "-01")
    end = date.fromisoformat(last_month + "-01")
    if end < start:
        raise ValueError(f"--month-ends: {last_month} is before {first_month}")
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def backfill_dates(as_of: Sequence[str] | None, month_range: Sequence[str] | None) -> list[date]:
    """The distinct requested dates, ascending."""
    dates = {date.fromisoformat(d) for d in (as_of or [])}
    if month_range:
        dates.update(month_ends(month_range[0], month_range[1]))
    if not dates:
        raise ValueError("give --as-of dates and/or --month-ends FIRST LAST")
    return sorted(dates)


def run_backfill(
    dates: Sequence[date],
    *,
    dbt_vars: dict[str, Any] | None = None,
    target: str | None = None,
    select: str | None = None,
    db_path: Path | None = None,
    target_path: Path | None = None,
    console: Console | None = None,
) -> list[tuple[date, dbt_invoke.DbtStepResult]]:
    """One ``dbt build`` per date, ascending; stops at the first failing step (raises
    ``DbtStepError`` naming the failing nodes)."""
    console = console or Console(stderr=True)
    results: list[tuple[date, dbt_invoke.DbtStepResult]] = []
    command = ["build", "--exclude", "test_type:unit"]
    if select:
        command += ["--select", *select.split(), "--indirect-selection", "cautious"]
    if target:
        command += ["--target", target]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("backfill", total=len(dates))
        for as_of in sorted(dates):
            progress.update(task, description=f"as_of {as_of.isoformat()}")
            step = dbt_invoke.invoke(
                command,
                dbt_vars={**(dbt_vars or {}), "as_of": as_of.isoformat()},
                db_path=db_path,
                target_path=target_path,
            )
            results.append((as_of, step))
            progress.advance(task)
    return results


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", nargs="+", metavar="YYYY-MM-DD", help="as_of dates to build (any order)")
    parser.add_argument("--month-ends", nargs=2, metavar=("FIRST", "LAST"),
                        help="also every month end from FIRST to LAST (YYYY-MM)")
    parser.add_argument("--events-path", help="event log (the var events_path)")
    parser.add_argument("--vars", default="{}", help="more dbt vars as JSON, e.g. '{\"rfm_bins\": 4}'")
    parser.add_argument("--target", help="dbt target (duckdb, postgres, spark)")
    parser.add_argument("--select", help="dbt selection per step (default: the whole project)")
    parser.add_argument("--db-path", type=Path, help="DuckDB file (default: $DBT_DUCKDB_PATH or the project's)")
    parser.add_argument("--target-path", type=Path, help="dbt target folder for artifacts")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    try:
        dates = backfill_dates(args.as_of, args.month_ends)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    dbt_vars = json.loads(args.vars)
    if args.events_path:
        dbt_vars["events_path"] = args.events_path
    try:
        results = run_backfill(
            dates,
            dbt_vars=dbt_vars,
            target=args.target,
            select=args.select,
            db_path=args.db_path,
            target_path=args.target_path,
            console=console,
        )
    except dbt_invoke.DbtStepError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    table = Table(title="Segment history backfill")
    table.add_column("as_of")
    table.add_column("nodes", justify="right")
    table.add_column("status")
    for as_of, step in results:
        table.add_row(as_of.isoformat(), str(len(step.nodes)), "ok" if step.success else "failed")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
