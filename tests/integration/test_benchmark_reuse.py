"""The benchmark reuses a kept history warehouse only when it was built from the same code."""
from __future__ import annotations

import shutil
from pathlib import Path

from scripts.benchmark import project_fingerprint
from scripts.dbt_invoke import PROJECT_DIR


def _copy_project(dest: Path) -> Path:
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, dest / name)
    for folder in ("models", "macros", "seeds", "snapshots"):
        shutil.copytree(PROJECT_DIR / folder, dest / folder)
    return dest


def test_the_fingerprint_follows_the_code_a_build_depends_on(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    before = project_fingerprint(project)
    assert project_fingerprint(project) == before  # stable

    (project / "README.md").write_text("not read by dbt")
    assert project_fingerprint(project) == before

    model = project / "models" / "marts" / "fct_user_behavior.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    edited = project_fingerprint(project)
    assert edited != before

    seed = next((project / "seeds").rglob("*.csv"))
    seed.write_text(seed.read_text() + "\n")
    assert project_fingerprint(project) not in (before, edited)

    # a new file (e.g. a new model) counts too
    (project / "models" / "marts" / "new_model.sql").write_text("select 1 as x\n")
    assert len({before, edited, project_fingerprint(project)}) == 3
