"""Benchmark the demo generator and the full ``dbt build`` at several sizes.

Each measurement runs in its own child process so its peak memory (max RSS from
``os.wait4``) is its own; figures are medians over ``--repeats`` runs.

    python -m scripts.benchmark --users 10000 50000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from scripts.dbt_invoke import PROJECT_DIR


@dataclass
class Measurement:
    seconds: float
    peak_rss_mb: float


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Measurement:
    """Run one child process to completion; wall time and its own peak resident memory."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{output.decode(errors='replace')[-3000:]}")
    return Measurement(seconds=seconds, peak_rss_mb=usage.ru_maxrss / 1024)


def events_in(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem_gb:.0f} GiB, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    console = Console()
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="bs-bench-"))
    dbt = str(Path(sys.executable).parent / "dbt")
    rows = []
    with Progress(console=console) as progress:
        task = progress.add_task("benchmark", total=len(args.users) * args.repeats * 2)
        for users in args.users:
            data_dir = work / f"u{users}"
            gen, build = [], []
            for i in range(args.repeats):
                progress.update(task, description=f"generate {users:,} users (run {i + 1})")
                gen.append(measure([sys.executable, "-m", "scripts.generate_events", "--users", str(users),
                                    "--out", str(data_dir), "--no-progress"]))
                progress.advance(task)
                n_events = events_in(data_dir / "events.parquet")
                db = work / f"u{users}_{i}.duckdb"
                progress.update(task, description=f"dbt build {n_events:,} events (run {i + 1})")
                env = {**os.environ, "DBT_DUCKDB_PATH": str(db)}
                build.append(measure([dbt, "build", "--quiet", "--target-path", str(work / "target"),
                                      "--vars", json.dumps({"events_path": str(data_dir / "events.parquet")})],
                                     env=env))
                progress.advance(task)
                db.unlink(missing_ok=True)
            for step, ms in (("generate", gen), ("dbt build (all models + tests)", build)):
                secs = statistics.median(m.seconds for m in ms)
                rows.append({
                    "users": users, "events": n_events, "step": step, "median_seconds": round(secs, 2),
                    "events_per_second": round(n_events / secs), "peak_rss_mb": round(max(m.peak_rss_mb for m in ms)),
                    "runs": len(ms),
                })
    table = Table(title=f"Benchmark on {machine()}", title_justify="left")
    for col in ["users", "events", "step", "median s", "events/s", "peak RSS MB", "runs"]:
        table.add_column(col, justify="left" if col == "step" else "right")
    for r in rows:
        table.add_row(f"{r['users']:,}", f"{r['events']:,}", r["step"], f"{r['median_seconds']:.2f}",
                      f"{r['events_per_second']:,}", f"{r['peak_rss_mb']:,}", str(r["runs"]))
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
