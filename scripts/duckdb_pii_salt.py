"""dbt-duckdb plugin: hand the PII salt to DuckDB as a session variable.

The salt (environment variable ``BEHAVIORAL_SEGMENTS_PII_SALT``) must never be written into
SQL text: dbt keeps compiled SQL, ``manifest.json`` and ``run_results.json`` under
``target/``, and anyone holding those could then dictionary-attack the hashed e-mails and
ids. Instead every DuckDB connection and cursor dbt opens gets ``SET VARIABLE pii_salt``
here, and ``duckdb__hash_pii`` reads it with ``getvariable('pii_salt')``. Registered in
``profiles.yml`` (``plugins``).

It also points DuckDB's spill folder at ``DBT_DUCKDB_TEMP_DIR`` when that is set (once per
connection: dbt-duckdb applies profile ``settings`` to every cursor, and DuckDB refuses to
switch the temporary directory once it holds spilled data), and creates the folder BI-facing marts are written to as Parquet files with the var
``bi_parquet_exports`` (``external_root`` in ``profiles.yml``, environment variable
``BEHAVIORAL_SEGMENTS_EXPORT_DIR``): DuckDB's COPY does not create folders.
"""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

SALT_ENV = "BEHAVIORAL_SEGMENTS_PII_SALT"
EXPORT_DIR_ENV = "BEHAVIORAL_SEGMENTS_EXPORT_DIR"
TEMP_DIR_ENV = "DBT_DUCKDB_TEMP_DIR"


def _set_salt(con: Any) -> None:
    salt = os.environ.get(SALT_ENV, "")
    con.execute("set variable pii_salt = '" + salt.replace("'", "''") + "'")


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        os.makedirs(os.environ.get(EXPORT_DIR_ENV, "exports"), exist_ok=True)

    def configure_connection(self, conn: Any) -> None:
        _set_salt(conn)
        temp_dir = os.environ.get(TEMP_DIR_ENV)
        if temp_dir:
            conn.execute("set temp_directory = '" + temp_dir.replace("'", "''") + "'")

    def configure_cursor(self, cursor: Any) -> None:
        _set_salt(cursor)
