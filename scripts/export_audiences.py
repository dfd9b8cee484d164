"""Write each campaign's audience as files for marketing tools.

Reads ``campaign_audiences`` from the DuckDB warehouse (read-only) and writes, per campaign,
``<campaign_id>__treatment.csv`` / ``.parquet`` (the users to send to) and
``<campaign_id>__holdout.csv`` / ``.parquet`` (the users to keep out, for measurement) into
the output folder. Rows are ordered by user_id; columns: campaign_id, user_id,
assignment_group, segment_value, as_of. Every campaign of the seed gets its files; a group with no users gives a file with a header only.

    python -m scripts.export_audiences --db behavioral_segments.duckdb --out-dir exports/audiences
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from scripts.dbt_invoke import DEFAULT_DB_PATH

GROUPS = ("treatment", "holdout")
COLUMNS = ["campaign_id", "user_id", "assignment_group", "segment_value", "as_of"]
FORMATS = ("csv", "parquet")


def safe_file_stem(campaign_id: str) -> str:
    """The campaign id as a file name: anything but letters, digits, '-' and '_' becomes '_'."""
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", campaign_id)
    if not stem or stem.strip("_") == "":
        raise ValueError(f"campaign_id {campaign_id!r} does not make a usable file name")
    return stem


def export_audiences(db_path: Path, out_dir: Path, formats: tuple[str, ...] = FORMATS,
                     schema: str = "main") -> list[tuple[str, str, int, list[Path]]]:
    """Write the files; returns (campaign_id, group, users, paths) per file group."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(db_path), read_only=True) as con:
        frame = con.execute(
            "select campaign_id, user_id, assignment_group, segment_value, cast(as_of as varchar) as as_of"
            f" from {schema}.campaign_audiences order by campaign_id, user_id"
        ).df()
        campaign_ids = [r[0] for r in con.execute(f"select campaign_id from {schema}.campaigns order by campaign_id").fetchall()]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    stems: dict[str, str] = {}
    for campaign_id in campaign_ids:
        stem = safe_file_stem(campaign_id)
        if stem in stems.values():
            raise ValueError(f"campaign ids {campaign_id!r} and another map to the same file name {stem!r}")
        stems[campaign_id] = stem
    for campaign_id in campaign_ids:
        for group in GROUPS:
            mask = pc.and_(pc.equal(table.column("campaign_id"), campaign_id),
                                   pc.equal(table.column("assignment_group"), group))
            part = table.filter(mask)
            paths = []
            for fmt in formats:
                path = out_dir / f"{stems[campaign_id]}__{group}.{fmt}"
                if fmt == "csv":
                    pa_csv.write_csv(part, path)
                elif fmt == "parquet":
                    pq.write_table(part, path)
                else:
                    raise ValueError(f"unknown format {fmt!r}: use csv or parquet")
                paths.append(path)
            written.append((campaign_id, group, part.num_rows, paths))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB_PATH, help="DuckDB warehouse file")
    parser.add_argument("--out-dir", type=Path, default=Path("exports/audiences"), help="output folder")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--schema", default="main", help="schema of campaign_audiences")
    args = parser.parse_args(argv)
    written = export_audiences(args.db, args.out_dir, tuple(args.formats), args.schema)
    width = max([len(c) for c, *_ in written] + [len("campaign")])
    print(f"{'campaign':<{width}}  {'group':<9}  {'users':>7}  files")
    for campaign_id, group, users, paths in written:
        print(f"{campaign_id:<{width}}  {group:<9}  {users:>7,}  {', '.join(p.name for p in paths)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
