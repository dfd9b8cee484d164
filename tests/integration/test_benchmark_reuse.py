"""The benchmark reuses a kept history warehouse only when it was built from the same code."""
from __future__ import annotations

from pathlib import Path

from scripts.benchmark import project_fingerprint
from tests.integration.conftest import copy_project


def test_the_fingerprint_follows_the_code_a_build_depends_on(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    before = project_fingerprint(project)
    assert project_fingerprint(project) == before  # stable

    (project / "README.md").write_text("not read by dbt")
    (project / "tests" / "assert_raw_rows_are_accounted_for.sql").write_text("select 1 as x where false\n")
    assert project_fingerprint(project) == before  # data tests do not change the tables

    model = project / "models" / "marts" / "fct_user_behavior.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    edited = project_fingerprint(project)
    assert edited != before

    seed = next((project / "seeds").rglob("*.csv"))
    seed.write_text(seed.read_text() + "\n")
    seeded = project_fingerprint(project)
    assert seeded not in (before, edited)

    # a new file (e.g. a new model) counts too
    (project / "models" / "marts" / "new_model.sql").write_text("select 1 as x\n")
    assert project_fingerprint(project) not in (before, edited, seeded)
