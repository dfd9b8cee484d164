"""dbt-duckdb plugin: hand the PII salt to DuckDB as a session variable.

The salt (environment variable ``BEHAVIORAL_SEGMENTS_PII_SALT``) must never be written into
SQL text: dbt keeps compiled SQL, ``manifest.json`` and ``run_results.json`` under
``target/``, and anyone holding those could then dictionary-attack the hashed e-mails and
ids. Instead every DuckDB connection and cursor dbt opens gets ``SET VARIABLE pii_salt``
here, and ``duckdb__hash_pii`` reads it with ``getvariable('pii_salt')``. Registered in
``profiles.yml`` (``plugins``).
"""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

SALT_ENV = "BEHAVIORAL_SEGMENTS_PII_SALT"


def _set_salt(con: Any) -> None:
    salt = os.environ.get(SALT_ENV, "")
    con.execute("set variable pii_salt = '" + salt.replace("'", "''") + "'")


class Plugin(BasePlugin):
    def configure_connection(self, conn: Any) -> None:
        _set_salt(conn)

    def configure_cursor(self, cursor: Any) -> None:
        _set_salt(cursor)
