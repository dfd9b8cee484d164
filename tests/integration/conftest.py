"""Fixtures: build the dbt project on a given event log into a throw-away DuckDB file."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from scripts import dbt_invoke
from scripts.generate_events import generate


# The files that take longest (seconds of one worker, fresh-clone run of 2026-12-03) go to the
# workers first: pytest-xdist (--dist loadfile) hands out files in collection order, and a long
# file started last kept one worker busy for minutes after the other had finished. pytest.ini
# passes --no-loadscope-reorder: by default xdist re-sorts files by their number of tests,
# which sent these (few, long tests) last.
LONGEST_FILES_FIRST = (
    "test_cross_engine.py",  # ~500 s: Spark alone ~350 s
    "test_properties.py",  # ~330 s (5 random logs)
    "test_incremental.py",  # ~310 s
    "test_catalog_time.py",
    "test_late_data.py",
    "test_readme_mappings.py",
    "test_input_sources.py",
    "test_privacy.py",
    "test_lint.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    """Longest files first (a stable sort: tests keep their order within a file)."""
    rank = {name: i for i, name in enumerate(LONGEST_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@dataclass
class DbtBuild:
    """A finished ``dbt build``: its DuckDB file and the node results."""

    db_path: Path
    result: dbt_invoke.DbtStepResult

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.sql(sql).df()

    def table(self, name: str) -> pd.DataFrame:
        """A whole relation (model, seed or view) by name, e.g. ``table("user_segments")``."""
        return self.query(f"select * from main.{name}")


def copy_project(dest: Path) -> Path:
    """A copy of the dbt project for a test to edit: what the build's tables depend on
    (``dbt_invoke.DBT_BUILD_INPUTS``) and the data tests, nothing else (no virtualenv,
    warehouse, artifacts or demo data)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in (*dbt_invoke.DBT_BUILD_INPUTS, "tests"):
        source = dbt_invoke.PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, dest / name)
    return dest


def run_dbt_build(
    events_path: Path,
    work_dir: Path,
    dbt_vars: dict[str, Any] | None = None,
    command: tuple[str, ...] = ("build",),
    check: bool = True,
    project_dir: Path | None = None,
) -> DbtBuild:
    """Run ``dbt build`` (or ``command``) on ``events_path`` into ``work_dir/warehouse.duckdb``.

    ``dbt_vars`` are merged over ``{"events_path": events_path}``; pass e.g.
    ``{"as_of": "2024-06-30"}``. ``project_dir``: a copy of the project to run instead.
    Raises ``DbtStepError`` on failure unless ``check=False``.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / "warehouse.duckdb"
    all_vars = {"events_path": str(events_path), **(dbt_vars or {})}
    result = dbt_invoke.invoke(
        list(command),
        dbt_vars=all_vars,
        db_path=db_path,
        target_path=work_dir / "target",
        check=check,
        project_dir=project_dir,
    )
    return DbtBuild(db_path=db_path, result=result)


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory):
    """A small generated demo log (events + planted labels), shared by the session."""
    out = tmp_path_factory.mktemp("demo_data")
    return generate(out_dir=out, n_users=3000, seed=20240630)


@pytest.fixture(scope="session")
def demo_build(demo_data, tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    """``dbt build`` over the demo log with default vars (as_of = latest event date)."""
    return run_dbt_build(demo_data.events_path, tmp_path_factory.mktemp("demo_build"))
