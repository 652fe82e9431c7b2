"""Resources: the DuckDB warehouse (one writer at a time), the run settings (input files, output
folder, config file) and the Spark session of the linking step when it runs on Spark."""

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from filelock import FileLock, Timeout
from pydantic import PrivateAttr

from pipeline.config import Config, EngineConfig, WarehouseConfig, load_config, project_root
from pipeline.ingest.inbox import scan_inbox
from pipeline.warehouse import configure

__all__ = ["PipelineSettings", "WarehouseResource", "SparkResource", "project_root", "JAKARTA",
           "REFERENCE_DATE_TAG", "TRANSIENT_ERRORS", "LOCK_WAITING", "LOCK_TAKEN", "LOCK_RELEASED"]

JAKARTA = ZoneInfo("Asia/Jakarta")
REFERENCE_DATE_TAG = "ucj/reference_date"


# I/O failures worth a second try (disk, file system, DuckDB I/O). Bad data fails at once: running it
# again would fail the same way.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (duckdb.IOException, TimeoutError, BlockingIOError,
                                                     InterruptedError)
LOCK_WAITING, LOCK_TAKEN, LOCK_RELEASED = ("another run holds the warehouse; waiting for it to finish",
                                           "warehouse lock taken", "warehouse lock released")


class PipelineSettings(dg.ConfigurableResource):
    """Which files a run reads and where it publishes. Empty file lists mean: use the inbox."""

    register_files: list[str] = []
    member_files: list[str] = []
    inbox_dir: str = "data/inbox"
    publication_root: str = "data/published"
    config_file: str = ""

    def _path(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else project_root() / path

    def config(self) -> Config:
        return load_config(self._path(self.config_file) if self.config_file else None)

    def inputs(self) -> tuple[list[Path], list[Path]]:
        if self.register_files or self.member_files:
            return [self._path(p) for p in self.register_files], [self._path(p) for p in self.member_files]
        inbox = scan_inbox(self.inbox())
        return inbox.register, inbox.members

    def inbox(self) -> Path:
        return self._path(self.inbox_dir)

    def publication_dir(self) -> Path:
        return self._path(self.publication_root)

    def reference_date(self, context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> date:
        """The config's reference date, else the run's tag, else today in Jakarta: one date per run."""
        configured = self.config().eligibility.reference_date
        if configured is not None:
            return configured
        tagged = context.run.tags.get(REFERENCE_DATE_TAG)
        if tagged:
            return date.fromisoformat(tagged)
        return datetime.now(JAKARTA).date()


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse, held by one run at a time: a run takes an inter-process lock when it
    starts and keeps it to the end, so concurrent runs (a nightly run and a `ucj run`) queue instead
    of failing on DuckDB's file lock or interleaving their tables. The lock dies with its process.

    Every step that uses the warehouse is retried here, not in each asset: a transient I/O failure
    inside `get_connection()` asks Dagster to run the step again after `retry_base_seconds` x 2^n
    (5 s, 10 s, 20 s), at most `max_retries` times.

    Every connection gets the `[warehouse]` settings of the run's config (`settings`), as
    `pipeline.warehouse.connect` gives them outside Dagster."""

    lock_timeout_seconds: float = 6 * 3600
    max_retries: int = 3
    retry_base_seconds: float = 5.0
    settings: dg.ResourceDependency[PipelineSettings]
    """The run's settings (the definitions' `settings` resource), whose config file's `[warehouse]` section
    (memory limit, spill folder, threads) every connection gets; left out (None), that section's defaults."""
    _lock: FileLock | None = PrivateAttr(default=None)
    _con: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(f"{self.database}.lock")
        try:
            lock.acquire(timeout=1)
        except Timeout:
            context.log.info(LOCK_WAITING)
            lock.acquire(timeout=self.lock_timeout_seconds)
        context.log.info(LOCK_TAKEN)  # with the release below: when this run held the warehouse
        self._lock = lock

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
            context.log.info(LOCK_RELEASED)

    def duckdb_settings(self) -> WarehouseConfig:
        """The `[warehouse]` settings the connections get."""
        return self.settings.config().warehouse if self.settings is not None else WarehouseConfig()

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's connection. A run holds the warehouse from its first step to its last, so its steps
        share one connection, opened on first use and closed when the run ends (or after a failed step,
        so a retry starts on a fresh one): opening and checkpointing the file once per step cost about
        a second of a city's run."""
        try:
            if self._con is None:
                con = duckdb.connect(self.database, config={"custom_user_agent": "dagster", **self.connection_config})
                self._con = configure(con, **self.duckdb_settings().options(project_root()))
            yield self._con
            # a step's scratch tables end with the step, as they would with its own connection
            for (name,) in self._con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall():
                self._con.execute(f'DROP TABLE IF EXISTS temp."{name}"')
        except BaseException as exc:
            self._close()
            if isinstance(exc, TRANSIENT_ERRORS):
                attempt = _current_step().retry_number
                raise dg.RetryRequested(max_retries=self.max_retries,
                                        seconds_to_wait=self.retry_base_seconds * 2 ** attempt) from exc
            raise


class SparkResource(dg.ConfigurableResource):
    """The Spark session a step runs its SQL on when the config's `[engine] backend` is "spark": started
    on first use from the `[engine]` settings (a Spark Connect address, or a master URL: local, a
    standalone cluster, YARN, Kubernetes) and stopped when the step ends, unless it is a Spark Connect
    client (the server's cluster outlives the step). Nothing starts when the backend is DuckDB."""

    _session: Any = PrivateAttr(default=None)
    _owned: bool = PrivateAttr(default=False)

    def session(self, engine: EngineConfig) -> Any:
        """The step's `pyspark.sql.SparkSession` for these settings."""
        if self._session is None:
            from pipeline.linking.spark import engine_session

            self._session = engine_session(engine)
            self._owned = not engine.spark_remote
        return self._session

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._session is not None and self._owned:
            self._session.stop()
        self._session = None


def _current_step() -> dg.AssetExecutionContext | dg.AssetCheckExecutionContext:
    """The asset or asset check whose body is using the warehouse."""
    try:
        return dg.AssetExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        return dg.AssetCheckExecutionContext.get()
