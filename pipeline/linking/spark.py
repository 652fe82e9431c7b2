"""The linking stage on Apache Spark: the same SQL as on DuckDB (`pipeline.linking.backends`), run by a
Spark session, local or a cluster's.

- The `ucj_*` string scores are RapidFuzz over Arrow batches (Spark's `arrow_udf`): Spark's built-in
  Jaro-Winkler gives other scores than RapidFuzz's and DuckDB's, which are equal. The DuckDB macros
  that only rename (Spark's own `size`, `explode`, ...) need nothing here; the others are Spark SQL
  functions.
- Every table the stage makes is written as Parquet under `work_dir` and read back as a temporary
  view: the plan of the next step starts from files (no lineage growing over the stage, no
  recomputing a table each time it is read), and a cluster can spill and retry. On a cluster
  `work_dir` is a shared URI (`hdfs://`, `s3a://`, `abfss://`); nothing here assumes local mode.
- `session` builds one from the `[engine]` settings: `spark_remote` (a Spark Connect address,
  `sc://host:15002`) or `spark_master` (`local[2]`, `spark://host:7077`, `yarn`, ...).

Needs the `spark` extra (`pip install ".[spark]"`) and Java 17 or newer where the session runs.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb
import pyarrow as pa

from pipeline.config import EngineConfig, LinkingConfig
from pipeline.linking.backends import SCORERS, Backend, DuckDBBackend
from pipeline.linking.link import LinkingResult, link
from pipeline.sqltext import sql_literal

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["SparkBackend", "session", "engine_session", "on_spark", "link_on_spark", "SPARK_FUNCTIONS", "LINK_INPUTS",
           "LINK_OUTPUTS", "REGENCY_OUTPUTS"]

# The warehouse tables the stage reads, and those later stages read back from it (with their row order).
LINK_INPUTS = ("residents", "memberships", "pair_answers")
LINK_OUTPUTS: dict[str, str] = {
    "candidate_pairs": "member_id, resident_id", "blocking_stats": "rule_order",
    "pair_decisions": "member_id, resident_id", "scored_pairs": "member_id, resident_id",
    "links": "member_id, resident_id", "verification_hints": "resident_id, kpj", "member_outcomes": "member_id",
    "link_model": "model",
}

T = TypeVar("T")

# What `compare_regencies` makes for the warehouse to keep per regency.
REGENCY_OUTPUTS: dict[str, str] = {"regency_pairs_new": "member_id, resident_id", "regency_blocking": "rule_order"}

# Functions DuckDB spells otherwise, as Spark SQL functions (the inverse of the DuckDB macros).
SPARK_FUNCTIONS: dict[str, str] = {
    "ucj_holds_all(a ARRAY<STRING>, b ARRAY<STRING>) RETURNS BOOLEAN": "size(array_except(b, a)) = 0",
    "ucj_div(a BIGINT, b BIGINT) RETURNS BIGINT": "a div b",
}

_SQL_TYPES = {"DOUBLE": "double", "BOOLEAN": "boolean", "INT": "int"}


def session(*, master: str = "local[2]", remote: str = "", app_name: str = "ucj",
            conf: dict[str, str] | None = None) -> SparkSession:
    """A Spark session for the engine: Spark Connect when `remote` is set, else the given master. The
    Python workers of a local session run this interpreter (its RapidFuzz and pyarrow); a cluster's
    workers need the same packages installed."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.master(master).config("spark.ui.showConsoleProgress", "false")
    if master.startswith("local") and not remote:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers are this machine's processes
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # nothing listens beyond loopback
        # Local mode's driver is its only executor: Spark's default of 1 GB cannot hold the joins'
        # broadcast tables of a city.
        for key, value in {"spark.ui.enabled": "false", "spark.log.level": "ERROR", "spark.driver.memory": "6g",
                           "spark.sql.shuffle.partitions": "8"}.items():
            builder = builder.config(key, value)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def engine_session(engine: EngineConfig) -> SparkSession:
    """The session the `[engine]` settings describe."""
    return session(master=engine.spark_master, remote=engine.spark_remote, conf=engine.spark_conf)


def on_spark(con: duckdb.DuckDBPyConnection, backend: SparkBackend, work: Callable[[Backend], T],
             inputs: tuple[str, ...], outputs: dict[str, str]) -> T:
    """`work` on Spark for the warehouse `con`: its `inputs` go to Spark, `work` runs there, and the
    `outputs` later stages read come back (ordered as DuckDB's own run orders them, so what is published
    from them does not depend on the backend)."""
    warehouse = DuckDBBackend(con)
    for name in inputs:
        if warehouse.has_table(name):
            backend.load(con, name)
    try:
        result = work(backend)
        for name, order in outputs.items():
            backend.store(con, name, order)
    finally:
        backend.clean_up()
    return result


def link_on_spark(con: duckdb.DuckDBPyConnection, backend: SparkBackend, config: LinkingConfig,
                  progress: Callable[[str], None] | None = None, *, from_regencies: bool = False) -> LinkingResult:
    """The linking stage on Spark for the warehouse `con` (see `link` and `on_spark`)."""
    inputs = (*LINK_INPUTS, "regency_pairs", "regency_blocking") if from_regencies else LINK_INPUTS
    return on_spark(con, backend, lambda db: link(db, config, progress, from_regencies=from_regencies), inputs,
                    LINK_OUTPUTS)


class SparkBackend:
    """`pipeline.linking.backends.Backend` over a Spark session."""

    name = "spark"

    def __init__(self, spark: SparkSession, work_dir: str) -> None:
        from pyspark.sql.functions import arrow_udf

        self.spark = spark
        self.work_dir = work_dir.rstrip("/")
        self._run = uuid.uuid4().hex[:12]  # one folder per backend: two runs never share files
        self._versions = itertools.count()
        self._paths: dict[str, str] = {}
        for signature, body in SPARK_FUNCTIONS.items():
            spark.sql(f"CREATE OR REPLACE TEMPORARY FUNCTION {signature} RETURN {body}")
        for name, (function, result) in SCORERS.items():
            spark.udf.register(name, arrow_udf(function, _SQL_TYPES[result]))

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.spark.sql(sql, args=params).collect()]

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    def create_table(self, name: str, select: str, *, order_by: str = "", temporary: bool = False) -> None:
        # Row order is DuckDB's business (its tables feed byte-identical outputs); Spark's is the files'.
        path = f"{self.work_dir}/{self._run}/{name}/{next(self._versions)}"
        self.spark.sql(select).write.parquet(path)
        self.spark.read.parquet(path).createOrReplaceTempView(name)
        self._paths[name] = path

    def register(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def has_table(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def table_path(self, name: str) -> str:
        """The Parquet folder of the newest version of a table this backend made (to hand it to DuckDB)."""
        return self._paths[name]

    @property
    def _local(self) -> bool:
        return "://" not in self.work_dir or self.work_dir.startswith("file://")

    def load(self, con: duckdb.DuckDBPyConnection, name: str) -> None:
        """A DuckDB table as a Spark view: through Parquet when the work folder is on this machine, else
        through Arrow batches over the session (Spark Connect, a remote cluster)."""
        if not self._local:
            self.register(name, con.sql(f"SELECT * FROM {name}").to_arrow_table())
            return
        path = f"{self.work_dir}/{self._run}/input/{name}"
        Path(path).mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY {name} TO {sql_literal(path + '/data.parquet')} (FORMAT parquet)")
        self.spark.read.parquet(path).createOrReplaceTempView(name)

    def store(self, con: duckdb.DuckDBPyConnection, name: str, order_by: str) -> None:
        """A table this backend made, back into the DuckDB warehouse in `order_by` order."""
        order = f" ORDER BY {order_by}" if order_by else ""
        if self._local:
            files = sql_literal(self.table_path(name).removeprefix("file://") + "/*.parquet")
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet({files}){order}")
            return
        con.register("spark_table", self.spark.table(name).toArrow())
        try:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM spark_table{order}")
        finally:
            con.unregister("spark_table")

    def clean_up(self) -> None:
        """Remove this backend's files from a local work folder (a cluster's storage keeps its own rules)."""
        if self._local:
            shutil.rmtree(Path(self.work_dir.removeprefix("file://")) / self._run, ignore_errors=True)

