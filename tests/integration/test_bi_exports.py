"""BI-facing marts as Parquet files (var bi_parquet_exports, dbt-duckdb `external`)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.integration.conftest import run_dbt_build
from tests.integration.support import REFERENCE_BUILD

BI_MODELS = ["user_segments", "segment_summary", "marketing_user_segments"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns[:2])).reset_index(drop=True)


def test_bi_marts_are_written_as_parquet_files(demo_data, demo_build, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    exports = tmp_path / "exports"
    monkeypatch.setenv("BEHAVIORAL_SEGMENTS_EXPORT_DIR", str(exports))
    build = run_dbt_build(demo_data.events_path, tmp_path / "wh", {"bi_parquet_exports": True},
                          command=REFERENCE_BUILD)
    for name in BI_MODELS:
        path = exports / f"{name}.parquet"
        assert path.exists(), f"{name} was not written as a file"
        from_file = duckdb.sql(f"select * from read_parquet('{path}')").df()
        # the same rows as the table a default build writes, and the warehouse reads the file
        pd.testing.assert_frame_equal(_sorted(from_file), _sorted(demo_build.table(name)), check_dtype=False)
        assert len(build.table(name)) == len(from_file) > 0
    with duckdb.connect(str(build.db_path), read_only=True) as con:
        kinds = dict(con.execute(
            "select table_name, table_type from information_schema.tables where table_schema = 'main'").fetchall())
    assert all(kinds[name] == "VIEW" for name in BI_MODELS)  # no copy of the data inside the DuckDB file
