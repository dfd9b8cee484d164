"""The main job: make the demo event log (or take yours), run ``dbt build``, print the segments.

    python -m scripts.run_pipeline                       # demo data, 10,000 users
    python -m scripts.run_pipeline --events-path /data/events.parquet --as-of 2024-06-30
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scripts import dbt_invoke
from scripts.summary import make_console, print_summary

DEMO_DIR = dbt_invoke.PROJECT_DIR / "data" / "demo"


class BuildProgress:
    """A progress bar over dbt's nodes, fed by dbt's structured events."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("dbt build", total=None)
        self.failed: list[str] = []

    def __call__(self, event: Any) -> None:
        name = event.info.name
        if name == "NodeStart":
            total = self.progress.tasks[self.task].total or 0
            done = self.progress.tasks[self.task].completed
            self.progress.update(self.task, total=max(total, done + 1))
        elif name == "NodeFinished":
            node = event.data.node_info
            task = self.progress.tasks[self.task]
            # hooks finish without a NodeStart: keep the total at least what is done
            self.progress.update(self.task, total=max(task.total or 0, task.completed + 1))
            self.progress.update(self.task, advance=1, description=f"dbt build: {node.node_name}")
            if node.node_status in ("error", "fail", "runtime error"):
                self.failed.append(f"{node.resource_type} {node.node_name}")


def ensure_demo_data(users: int, seed: int, console: Console, regenerate: bool) -> Path:
    """Generate the demo log unless one of the same size and seed is already there."""
    from scripts.generate_events import generate

    stamp = DEMO_DIR / ".generated"
    wanted = f"users={users} seed={seed}"
    events = DEMO_DIR / "events.parquet"
    if not regenerate and events.exists() and stamp.exists() and stamp.read_text() == wanted:
        console.print(f"Demo events already generated ({wanted}): {events}")
        return events
    console.print(f"Generating demo events for {users:,} users (seed {seed}) ...")
    started = time.perf_counter()
    data = generate(out_dir=DEMO_DIR, n_users=users, seed=seed, progress=True)
    stamp.write_text(wanted)
    console.print(
        f"  {data.n_events:,} events from {data.start_date} to {data.end_date} "
        f"in {time.perf_counter() - started:.1f}s -> {data.events_path}"
    )
    return data.events_path


def run_build(events_path: Path, db_path: Path, dbt_vars: dict[str, Any], console: Console) -> None:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    ) as progress:
        tracker = BuildProgress(progress)
        dbt_invoke.invoke(
            ["build"],
            dbt_vars={"events_path": str(events_path), **dbt_vars},
            db_path=db_path,
            callbacks=[tracker],
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events-path", type=Path, help="your event log (default: generate the demo log)")
    parser.add_argument("--users", type=int, default=10_000, help="demo users to generate")
    parser.add_argument("--seed", type=int, default=42, help="demo generator seed")
    parser.add_argument("--regenerate", action="store_true", help="generate the demo log even if present")
    parser.add_argument("--as-of", help="point-in-time date YYYY-MM-DD (default: latest event date)")
    parser.add_argument("--db-path", type=Path,
                        default=Path(os.environ.get("DBT_DUCKDB_PATH", dbt_invoke.DEFAULT_DB_PATH)))
    args = parser.parse_args(argv)

    console = make_console()
    events_path = args.events_path or ensure_demo_data(args.users, args.seed, console, args.regenerate)
    dbt_vars: dict[str, Any] = {}
    if args.as_of:
        dbt_vars["as_of"] = args.as_of
    started = time.perf_counter()
    try:
        run_build(events_path.resolve(), args.db_path.resolve(), dbt_vars, console)
    except dbt_invoke.DbtStepError as err:
        console.print(f"[bold red]{err}[/bold red]")
        return 1
    console.print(f"dbt build finished in {time.perf_counter() - started:.1f}s (models, seeds and all data tests passed)")
    print_summary(args.db_path.resolve(), console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
