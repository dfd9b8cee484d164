"""Run dbt in-process through ``dbtRunner`` and report failures by node name.

One ``invoke`` per step; the caller checks the returned :class:`DbtStepResult`. Two
invocations never run at once in one process (dbt's runner is not re-entrant).
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

PROJECT_DIR = Path(__file__).resolve().parents[1]
# what the tables a dbt build writes depend on in the project folder (dbt_project.yml's model,
# macro, seed and snapshot paths, and the profile); the data tests in tests/ only read them
DBT_BUILD_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots")
DEFAULT_DB_PATH = PROJECT_DIR / "behavioral_segments.duckdb"
FAILED_STATUSES = {"error", "fail", "runtime error"}


class DbtStepError(RuntimeError):
    """A dbt step failed; the message names the failing nodes."""


@dataclass
class DbtStepResult:
    args: list[str]
    success: bool
    nodes: list[tuple[str, str, str]] = field(default_factory=list)  # (name, status, message)

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        return [n for n in self.nodes if n[1].lower() in FAILED_STATUSES]


def release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after a run.

    dbt-duckdb caches one environment per process (a class attribute) and its
    ``close_all_connections`` forgets it without closing it, so the file would stay held with
    dbt's configuration and a later read-only ``duckdb.connect`` (the summary, the tests, a BI
    tool) would be refused.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager
    except ImportError:  # another adapter: nothing cached here
        return
    with manager._LOCK:
        env = manager._ENV
        manager._ENV = None
        if env is not None:
            env.close()


@contextmanager
def _environment(db_path: Path | None) -> Iterator[None]:
    # profiles.yml loads the PII-salt plugin from this folder, wherever dbt is started from
    os.environ.setdefault("BEHAVIORAL_SEGMENTS_HOME", str(PROJECT_DIR))
    saved = os.environ.get("DBT_DUCKDB_PATH")
    if db_path is not None:
        os.environ["DBT_DUCKDB_PATH"] = str(db_path)
    try:
        yield
    finally:
        if db_path is not None:
            if saved is None:
                os.environ.pop("DBT_DUCKDB_PATH", None)
            else:
                os.environ["DBT_DUCKDB_PATH"] = saved


def invoke(
    command: list[str],
    *,
    dbt_vars: dict[str, Any] | None = None,
    db_path: Path | None = None,
    target_path: Path | None = None,
    quiet: bool = True,
    check: bool = True,
    callbacks: list[Callable[[Any], None]] | None = None,
    project_dir: Path | None = None,
) -> DbtStepResult:
    """Invoke one dbt command (e.g. ``["build"]``) in the project folder.

    ``db_path`` sets ``DBT_DUCKDB_PATH`` for this call only; ``target_path`` keeps the
    artifacts of concurrent test builds apart. ``callbacks`` receive dbt's structured events
    (used for progress bars). ``project_dir`` runs a copy of the project instead (a test
    that edits a seed). With ``check`` a failed step raises
    :class:`DbtStepError` naming each failing node and its message.
    """
    from dbt.cli.main import dbtRunner

    project = project_dir or PROJECT_DIR
    args = list(command) + ["--project-dir", str(project), "--profiles-dir", str(project)]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars, default=str)]
    if target_path is not None:
        # dbt.log next to the artifacts: concurrent builds (pytest -n 2) never share a log
        args += ["--target-path", str(target_path), "--log-path", str(target_path.parent / "logs")]
    if quiet:
        args += ["--quiet"]
    with _environment(db_path):
        try:
            res = dbtRunner(callbacks=callbacks or []).invoke(args)
        finally:
            release_duckdb()
    nodes: list[tuple[str, str, str]] = []
    results = getattr(res.result, "results", None) or []
    for r in results:
        node = getattr(r, "node", None)
        name = getattr(node, "unique_id", None) or getattr(node, "name", "?")
        nodes.append((str(name), str(getattr(r, "status", "")), str(getattr(r, "message", "") or "")))
    step = DbtStepResult(args=args, success=bool(res.success), nodes=nodes)
    if check and not step.success:
        lines = [f"dbt {' '.join(command)} failed"]
        if res.exception is not None:
            lines.append(f"  {type(res.exception).__name__}: {res.exception}")
        for name, status, message in step.failures:
            lines.append(f"  {status.upper()}: {name}: {message.strip()[:500]}")
        raise DbtStepError("\n".join(lines))
    return step
