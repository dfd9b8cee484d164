"""Benchmark the pipeline against what DuckDB alone and pandas need, at several sizes.

For each size the demo generator streams the events to Parquet, the last day is split off
into a file of its own (the "new day"), and on the same files in the same run this times:

- ``generate``: the demo generator;
- ``dbt parse (full)`` / ``dbt parse (partial)``: dbt's own overhead, without and with
  partial parsing, and ``dbt compile`` of every model (reads the input's column types);
- ``dbt build (full)``: every model, seed, snapshot and data test on a fresh warehouse
  (``dbt build --exclude-resource-type unit_test``, what a scheduled run executes);
- ``dbt unit tests``: the unit tests alone (SQL logic on fixtures; they run in CI);
- ``dbt build (+1 day, incremental)``: the same build, on a warehouse that holds everything
  but the last day, after the new day's file lands in the same folder (dbt parses partially,
  as a scheduled run does with yesterday's target folder);
- ``floor: one DuckDB query``: scripts/floor_query.py's single query computing the same
  fct_user_behavior and RFM scores straight from the files;
- ``pandas``: the data scientist's groupby + qcut, in a child process capped at
  ``--pandas-memory-gb``; a size it cannot hold is reported as out of memory.

Every measurement is a child process, so its peak memory (max RSS) is its own; figures are
medians over ``--repeats`` runs (``--repeats-large`` for sizes of 50M events and more).

    python -m scripts.benchmark --events 1000000 10000000 100000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from scripts.dbt_invoke import DBT_BUILD_INPUTS, PROJECT_DIR

EVENTS_PER_USER = 166  # the demo generator's average, measured
LARGE = 50_000_000
# what a scheduled run executes: every model, seed, snapshot and data test; the unit tests
# check SQL logic on fixed fixtures (no event data), so they run in CI and are timed apart
PRODUCTION_BUILD = ("build", "--exclude-resource-type", "unit_test")
MART_NAMES: set[str] = {p.stem for p in (PROJECT_DIR / "models" / "marts").glob("*.sql")}


@dataclass
class Measurement:
    seconds: float
    peak_rss_mb: float
    ok: bool = True
    note: str = ""


def measure(cmd: list[str], env: dict[str, str] | None = None, memory_cap_gb: float | None = None) -> Measurement:
    """Run one child process to completion; wall time and its own peak resident memory."""
    def cap() -> None:
        import resource

        limit = int(memory_cap_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=cap if memory_cap_gb else None)
    output = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if code != 0:
        text = output.decode(errors="replace")
        if memory_cap_gb and ("MemoryError" in text or "Unable to allocate" in text or "bad_alloc" in text):
            return Measurement(seconds, usage.ru_maxrss / 1024, ok=False, note=f"out of memory at {memory_cap_gb:g} GB")
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{text[-3000:]}")
    return Measurement(seconds=seconds, peak_rss_mb=usage.ru_maxrss / 1024)


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, {mem_gb:.0f} GiB RAM, Python {platform.python_version()}, DuckDB {duckdb.__version__}"


def node_seconds(target: Path) -> dict[str, float]:
    """Seconds the last dbt run spent per kind of node (from run_results.json)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    out: dict[str, float] = {}
    for r in results:
        uid = r["unique_id"]
        kind = uid.split(".")[0]
        if kind == "model":
            kind = "marts" if ".marts." in uid or uid.split(".")[2] in MART_NAMES else "staging+intermediate"
        out[kind] = out.get(kind, 0.0) + float(r.get("execution_time") or 0.0)
    return out


def project_fingerprint(project_dir: Path = PROJECT_DIR) -> str:
    """A hash of everything a dbt build's tables depend on in the project (DBT_BUILD_INPUTS):
    a history warehouse built from other code must not be reused."""
    digest = hashlib.sha256()
    for name in DBT_BUILD_INPUTS:
        top = project_dir / name
        for path in sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]:
            if path.exists():
                digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def remove_warehouse(db: Path) -> None:
    """Delete a DuckDB file and its write-ahead log: a log left by an interrupted run would
    be replayed into the next warehouse of that name."""
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)


def markdown_table(rows: list[dict]) -> str:
    """The results as a Markdown table, with the machine they were measured on."""
    lines = [f"Measured on {machine()}.", "",
             "| events | step | median s | events/s | peak RSS MB | x floor | runs | note |",
             "|---:|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        cells = [f"{r['events']:,}", r["step"],
                 "-" if r["median_seconds"] is None else f"{r['median_seconds']:.2f}",
                 "-" if not r["events_per_second"] else f"{r['events_per_second']:,}",
                 f"{r['peak_rss_mb']:,}", "-" if r["vs_floor"] is None else f"{r['vs_floor']:.2f}",
                 str(r["runs"]), r["note"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def split_last_day(events: Path, out_dir: Path) -> tuple[Path, Path, int, int]:
    """events.parquet -> 00_history.parquet (all but the last day) + 01_<day>.parquet."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")
    con.execute("set enable_progress_bar = false")  # the benchmark shows its own progress
    con.execute(f"set temp_directory = '{out_dir / 'split_spill'}'")  # the sort below spills at 100M
    last = con.execute(f"select max(cast(event_ts as date)) from read_parquet('{events}') "
                       "where event_ts < current_timestamp").fetchall()[0][0]
    history, day = out_dir / "00_history.parquet", out_dir / f"01_{last}.parquet"
    is_day = f"cast(event_ts as date) = date '{last}'"
    # in time order, as a log is appended to (the generator writes user by user); rows without a
    # time last. The daily runs' joins with the touched days skip the other days' row groups.
    con.execute(f"copy (select * from read_parquet('{events}') where not ({is_day}) or event_ts is null "
                f"order by event_ts nulls last) to '{history}' (format parquet, row_group_size 1000000)")
    con.execute(f"copy (select * from read_parquet('{events}') where {is_day}) to '{day}' (format parquet)")
    n_hist = con.execute(f"select count(*) from read_parquet('{history}')").fetchall()[0][0]
    n_day = con.execute(f"select count(*) from read_parquet('{day}')").fetchall()[0][0]
    con.close()
    shutil.rmtree(out_dir / "split_spill", ignore_errors=True)
    return history, day, n_hist, n_day


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="approximate event counts (users = events / %d)" % EVENTS_PER_USER)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--repeats-large", type=int, default=2, help="repeats for sizes >= 50M events")
    parser.add_argument("--pandas-memory-gb", type=float, default=20.0)
    parser.add_argument("--pandas-max-events", type=int, default=None,
                        help="skip pandas above this size (e.g. where an earlier run ran out of memory)")
    parser.add_argument("--work-dir", type=Path, default=None, help="default: a new temporary folder")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--markdown", type=Path, help="also write the table here as Markdown (for the README)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and warehouses")
    parser.add_argument("--reuse-data", action="store_true",
                        help="with --work-dir: reuse the event files an earlier --keep run left there, and "
                             "its history warehouse if it was built from the same project code")
    args = parser.parse_args(argv)

    console = Console()
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="bs-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    dbt = str(bin_dir / "dbt")
    rows: list[dict] = []
    steps_per_size = lambda reps: 4 + 4 * reps  # noqa: E731
    total = sum(steps_per_size(args.repeats_large if n >= LARGE else args.repeats) for n in args.events)
    with Progress(console=console) as progress:
        task = progress.add_task("benchmark", total=total)

        def step(text: str) -> None:
            progress.update(task, description=text)

        for n_target in args.events:
            reps = args.repeats_large if n_target >= LARGE else args.repeats
            users = max(100, round(n_target / EVENTS_PER_USER))
            size_dir = work / f"e{n_target}"
            gen_dir, files, landing = (size_dir / d for d in ("gen", "files", "landing"))
            shutil.rmtree(landing, ignore_errors=True)
            landing.mkdir(parents=True)
            kept = sorted(files.glob("01_*.parquet")) if args.reuse_data else []
            if kept and (files / "00_history.parquet").exists():
                step("reuse the files of an earlier run")
                gen = None
                history, day = files / "00_history.parquet", kept[0]
                con = duckdb.connect()
                n_hist, n_day = (con.execute(f"select count(*) from read_parquet('{f}')").fetchall()[0][0]
                                 for f in (history, day))
                progress.advance(task)
            else:
                step(f"generate {users:,} users")
                gen = measure([sys.executable, "-m", "scripts.generate_events", "--users", str(users),
                               "--out", str(gen_dir), "--no-progress"])
                progress.advance(task)
                step("split off the last day")
                # in a child: a child process starts from the parent's resident memory, so the
                # parent stays small and every later step's peak RSS is its own
                with multiprocessing.get_context("spawn").Pool(1) as pool:
                    history, day, n_hist, n_day = pool.apply(split_last_day, (gen_dir / "events.parquet", files))
                (gen_dir / "events.parquet").unlink()
            n_events = n_hist + n_day
            # one landing folder, as in production: the history first, the new day lands later
            os.symlink(history, landing / history.name)
            progress.advance(task)

            target = size_dir / "target"
            all_vars = json.dumps({"events_path": str(landing / "*.parquet")})
            env = {**os.environ, "DBT_DUCKDB_TEMP_DIR": str(size_dir / "spill")}

            def dbt_cmd(*a: str, vars_: str = all_vars, tgt: Path = target) -> list[str]:
                return [dbt, *a, "--quiet", "--target-path", str(tgt), "--vars", vars_]

            # the warehouse the incremental runs start from: everything but the last day
            step("dbt build of the history (start of the incremental runs)")
            hist_db, hist_code = size_dir / "history.duckdb", size_dir / "history.fingerprint"
            code = project_fingerprint()
            reusable = hist_db.exists() and hist_code.exists() and hist_code.read_text().strip() == code
            if not (args.reuse_data and reusable):
                if args.reuse_data and hist_db.exists():
                    progress.console.print(f"{hist_db} was built from other project code: building it again")
                remove_warehouse(hist_db)
                hist_code.unlink(missing_ok=True)
                measure(dbt_cmd(*PRODUCTION_BUILD, tgt=size_dir / "target_hist"),
                        env={**env, "DBT_DUCKDB_PATH": str(hist_db)})
                hist_code.write_text(code + "\n")
            os.symlink(day, landing / day.name)
            progress.advance(task)

            full, inc, floor, pandas = [], [], [], []
            for i in range(reps):
                db = size_dir / f"full_{i}.duckdb"
                remove_warehouse(db)  # and the write-ahead log an interrupted run may have left
                step(f"dbt build (full) of {n_events:,} events, run {i + 1}/{reps}")
                full.append(measure(dbt_cmd(*PRODUCTION_BUILD), env={**env, "DBT_DUCKDB_PATH": str(db)}))
                progress.advance(task)
                if i == 0:
                    step("dbt parse / compile")
                    cenv = {**env, "DBT_DUCKDB_PATH": str(db)}
                    parse_full = measure(dbt_cmd("parse", "--no-partial-parse"), env=cenv)
                    parse_partial = measure(dbt_cmd("parse"), env=cenv)
                    compile_ = measure(dbt_cmd("compile"), env=cenv)
                    unit = measure(dbt_cmd("test", "--select", "test_type:unit"), env=cenv)
                remove_warehouse(db)
                shutil.rmtree(size_dir / "spill", ignore_errors=True)

                step(f"dbt build (+1 day, incremental), run {i + 1}/{reps}")
                inc_db = size_dir / "inc.duckdb"
                remove_warehouse(inc_db)
                shutil.copyfile(hist_db, inc_db)
                # the copy's gigabytes must reach the disk before the timed run, not during it
                # (measured: 105 s instead of 77 s at 100M when they were still being written)
                os.sync()
                # a daily run finds the target folder of yesterday's run, parsed with the same
                # profile (warehouse path) and vars, so dbt parses only what changed: a parse of
                # the same project (untimed) stands in for yesterday's run. In the target folder
                # of the full build, the other warehouse path would force a full parse (7 s).
                inc_env, inc_target = {**env, "DBT_DUCKDB_PATH": str(inc_db)}, size_dir / "target_inc"
                measure(dbt_cmd("parse", tgt=inc_target), env=inc_env)
                inc.append(measure(dbt_cmd(*PRODUCTION_BUILD, tgt=inc_target), env=inc_env))
                inc_parts = node_seconds(inc_target)
                remove_warehouse(inc_db)
                progress.advance(task)

                step(f"floor: one DuckDB query, run {i + 1}/{reps}")
                floor.append(measure([sys.executable, "-m", "scripts.floor_query", "duckdb",
                                      "--events", str(landing / "*.parquet"),
                                      "--temp-dir", str(size_dir / "spill")]))
                progress.advance(task)

                step(f"pandas groupby + qcut, run {i + 1}/{reps}")
                if args.pandas_max_events is not None and n_events > args.pandas_max_events:
                    pandas.append(Measurement(0.0, 0.0, ok=False, note="not run (--pandas-max-events)"))
                elif pandas and not pandas[-1].ok:
                    pandas.append(pandas[-1])  # it did not fit: no need to run out of memory again
                else:
                    pandas.append(measure([sys.executable, "-m", "scripts.floor_query", "pandas",
                                           "--events", str(landing / "*.parquet")],
                                          memory_cap_gb=args.pandas_memory_gb))
                progress.advance(task)
            progress.advance(task)  # parse/compile

            floor_s = statistics.median(m.seconds for m in floor)

            def add(step_name: str, ms: list[Measurement], events: int) -> None:
                ok = [m for m in ms if m.ok]
                secs = statistics.median(m.seconds for m in ok) if ok else None
                rows.append({
                    "events": n_events, "users": users, "step": step_name,
                    "median_seconds": round(secs, 2) if secs is not None else None,
                    "events_per_second": round(events / secs) if secs else None,
                    "peak_rss_mb": round(max(m.peak_rss_mb for m in ms)),
                    "vs_floor": round(secs / floor_s, 2) if secs is not None else None,
                    "runs": len(ms), "note": "; ".join(sorted({m.note for m in ms if m.note})),
                })

            if gen is not None:
                add("generate", [gen], n_events)
            add("dbt parse (full)", [parse_full], n_events)
            add("dbt parse (partial)", [parse_partial], n_events)
            add("dbt compile", [compile_], n_events)
            add("dbt unit tests (fixtures, no event data)", [unit], n_events)
            add("dbt build (full)", full, n_events)
            add(f"dbt build (+1 day: {n_day:,} events, incremental)", inc, n_day)
            add("floor: one DuckDB query", floor, n_events)
            add("pandas groupby + qcut", pandas, n_events)
            full_s = statistics.median(m.seconds for m in full)
            inc_s = statistics.median(m.seconds for m in inc)
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(inc_parts.items()))
            rows[-3]["note"] = f"{100 * inc_s / full_s:.1f}% of the full build; node time: {parts}"
            if not args.keep:
                shutil.rmtree(size_dir, ignore_errors=True)
            if args.json:  # after every size, so a later size that fails loses nothing
                args.json.write_text(json.dumps({"machine": machine(), "results": rows}, indent=2))

    table = Table(title=f"Benchmark on {machine()}", title_justify="left")
    for col in ["events", "step", "median s", "events/s", "peak RSS MB", "x floor", "runs", "note"]:
        table.add_column(col, justify="left" if col in ("step", "note") else "right")
    for r in rows:
        table.add_row(f"{r['events']:,}", r["step"],
                      "-" if r["median_seconds"] is None else f"{r['median_seconds']:.2f}",
                      "-" if not r["events_per_second"] else f"{r['events_per_second']:,}",
                      f"{r['peak_rss_mb']:,}", "-" if r["vs_floor"] is None else f"{r['vs_floor']:.2f}",
                      str(r["runs"]), r["note"])
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": rows}, indent=2))
    if args.markdown:
        args.markdown.write_text(markdown_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
