"""Helpers to build the project on Apache Spark in this process (no tests here).

dbt-spark's ``method: session`` runs every statement on
``SparkSession.builder.enableHiveSupport().config(<server_side_parameters>).getOrCreate()``
(``dbt/adapters/spark/session.py``): the first call in a process creates the session, later
calls get the same one back and only re-apply runtime settings. :func:`spark_session` creates
that session first, with the static settings a test needs (a private warehouse folder and
Derby metastore under a temporary folder, small shuffles, no UI), so that tables loaded here
and the tables dbt builds live in one catalogue that this process can read afterwards.

The environment variable ``SPARK_WAREHOUSE_DIR`` is set to the same folder, so the spark
target of ``profiles.yml`` renders the same values. Requirements: ``requirements-spark.txt``
and a Java 17 runtime.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from scripts.dbt_invoke import DbtStepResult, invoke

SALT_ENV = "BEHAVIORAL_SEGMENTS_PII_SALT"
# read by spark__hash_pii / spark__pii_salt_available (macros/engines/spark.sql) with ${...}
SALT_CONF = "spark.behavioral_segments.pii_salt_hex"
DRIVER_MEMORY = os.environ.get("SPARK_DRIVER_MEMORY", "2g")
SHUFFLE_PARTITIONS = os.environ.get("SPARK_SHUFFLE_PARTITIONS", "4")

_base_dir: Path | None = None


def salt_hex() -> str:
    """The PII salt as the profile hands it to Spark: hex of its UTF-8 bytes ('' when unset)."""
    return os.environ.get(SALT_ENV, "").encode("utf-8").hex()


def spark_session(base_dir: Path | None = None) -> Any:
    """The process's Spark session: the one dbt-spark's session method will use.

    ``base_dir`` (default: ``$SPARK_WAREHOUSE_DIR`` or a new temporary folder) holds the
    warehouse (``spark.sql.warehouse.dir``), the Derby metastore and ``derby.log``. Static
    settings only take effect for the first session of the process, so a later call with
    another ``base_dir`` returns the existing session unchanged.
    """
    global _base_dir
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and _base_dir is not None:
        return active
    if base_dir is None:
        env_dir = os.environ.get("SPARK_WAREHOUSE_DIR")
        base_dir = Path(env_dir) if env_dir else Path(tempfile.mkdtemp(prefix="behavioral_segments_spark_"))
    base_dir = Path(base_dir).resolve()
    base_dir.mkdir(parents=True, exist_ok=True)
    _base_dir = base_dir
    # the spark target in profiles.yml renders its folders from this variable
    os.environ["SPARK_WAREHOUSE_DIR"] = str(base_dir)
    os.environ.setdefault("SPARK_DRIVER_MEMORY", DRIVER_MEMORY)
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("behavioral_segments")
        .enableHiveSupport()
        .config("spark.driver.memory", DRIVER_MEMORY)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", SHUFFLE_PARTITIONS)
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(base_dir / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={base_dir / 'metastore_db'};create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={base_dir}")
        .config(SALT_CONF, salt_hex())
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def load_events_table(events_parquet_path: str | Path, schema: str = "raw", table: str = "events") -> int:
    """Copy a Parquet event log into the Spark table ``schema.table`` (replaced); returns its rows.

    Build with ``events_from_source: true`` (and ``events_source_schema`` /
    ``events_source_table`` when not the defaults) to read it. Column types are kept as the
    Parquet file has them (a naive timestamp is TIMESTAMP_NTZ).
    """
    spark = spark_session()
    spark.sql(f"create database if not exists `{schema}`")
    frame = spark.read.parquet(str(events_parquet_path))
    frame.write.mode("overwrite").format("parquet").saveAsTable(f"`{schema}`.`{table}`")
    return spark.table(f"`{schema}`.`{table}`").count()


def run_spark_build(
    dbt_vars: dict[str, Any] | None,
    target_path: str | Path,
    *,
    check: bool = True,
    extra_args: list[str] | None = None,
) -> DbtStepResult:
    """``dbt build --target spark`` in this process, on :func:`spark_session`'s session."""
    spark = spark_session()
    # the salt of this build, whatever the session was created with (profiles.yml sets it too)
    spark.conf.set(SALT_CONF, salt_hex())
    return invoke(
        # unit tests tagged not_on_spark hit a Spark local-mode bug in dbt's comparison query
        # --full-refresh: the warehouse folder may hold an earlier run's incremental tables
        ["build", "--full-refresh", "--target", "spark", "--exclude", "tag:not_on_spark"] + list(extra_args or []),
        dbt_vars=dbt_vars,
        target_path=Path(target_path),
        check=check,
    )


def read_table(name: str, schema: str | None = None) -> Any:
    """A whole relation built on Spark as a pandas frame (dates stay dates)."""
    schema = schema or os.environ.get("BEHAVIORAL_SEGMENTS_SCHEMA", "analytics")
    return spark_session().table(f"`{schema}`.`{name}`").toPandas()
