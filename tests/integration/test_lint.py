"""sqlfluff lint (dbt templater) passes on every model and singular test."""

from __future__ import annotations

import subprocess
import sys

from scripts.dbt_invoke import PROJECT_DIR


def test_sqlfluff_lint_is_clean(tmp_path):
    paths = ["models", *sorted(str(p.relative_to(PROJECT_DIR)) for p in (PROJECT_DIR / "tests").glob("*.sql"))]
    proc = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", *paths, "--disable-progress-bar", "--nocolor"],
        cwd=PROJECT_DIR,
        env={**__import__("os").environ, "DBT_DUCKDB_PATH": str(tmp_path / "lint.duckdb")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Skipped file" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert proc.returncode == 0, f"sqlfluff lint failed:\n{proc.stdout}\n{proc.stderr}"
