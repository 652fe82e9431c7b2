"""The transient-error retry lives in the warehouse resource, so every step that uses the warehouse gets it:
a DuckDB I/O failure inside `get_connection()` makes Dagster run the step again with a growing wait, at most
`max_retries` times; bad data fails at once. Real Dagster runs on a real DuckDB file."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.resources import WarehouseResource

pytestmark = pytest.mark.usefixtures("dagster_home")


def _warehouse(tmp_path: Path, **settings: float) -> WarehouseResource:
    return WarehouseResource(database=str(tmp_path / "wh.duckdb"), **{"retry_base_seconds": 0.01, **settings})


def _failing_asset(tmp_path: Path, failures: int, error: str = "io") -> tuple[dg.AssetsDefinition, list[int]]:
    """An asset whose first `failures` attempts hit a real DuckDB error: writing into a folder that is not
    there (the I/O kind) or casting text that is not a number (the bad-data kind)."""
    attempts: list[int] = []

    @dg.asset
    def flaky(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> None:
        attempts.append(context.retry_number)
        with warehouse.get_connection() as con:
            con.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS x")
            if len(attempts) <= failures:
                if error == "io":
                    con.execute(f"COPY t TO '{(tmp_path / 'absent' / 'x.parquet').as_posix()}' (FORMAT parquet)")
                else:
                    con.execute("SELECT CAST('sebelas' AS INTEGER)")

    return flaky, attempts


def _events(result: dg.ExecuteInProcessResult, kind: dg.DagsterEventType) -> list[dg.DagsterEvent]:
    return [e for e in result.all_events if e.event_type == kind]


def test_an_io_error_is_retried_until_it_passes(tmp_path: Path) -> None:
    asset, attempts = _failing_asset(tmp_path, failures=2)
    result = dg.materialize([asset], resources={"warehouse": _warehouse(tmp_path)})
    assert result.success
    assert attempts == [0, 1, 2]
    assert len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 2
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_the_wait_doubles_with_each_attempt(tmp_path: Path) -> None:
    asset, _ = _failing_asset(tmp_path, failures=3)
    result = dg.materialize([asset], resources={"warehouse": _warehouse(tmp_path, retry_base_seconds=0.05)})
    assert result.success
    waits = [e.event_specific_data.seconds_to_wait for e in _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)]
    assert waits == [0.05, 0.1, 0.2]


def test_retries_are_bounded(tmp_path: Path) -> None:
    asset, attempts = _failing_asset(tmp_path, failures=99)
    result = dg.materialize([asset], resources={"warehouse": _warehouse(tmp_path, max_retries=2)},
                            raise_on_error=False)
    assert not result.success
    assert attempts == [0, 1, 2]
    failure = _events(result, dg.DagsterEventType.STEP_FAILURE)[0]
    assert "IOException" in failure.step_failure_data.error.cause.cls_name


def test_bad_data_fails_at_once(tmp_path: Path) -> None:
    asset, attempts = _failing_asset(tmp_path, failures=1, error="data")
    result = dg.materialize([asset], resources={"warehouse": _warehouse(tmp_path)}, raise_on_error=False)
    assert not result.success
    assert attempts == [0]
    assert not _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)


def test_asset_checks_get_the_same_retry(tmp_path: Path) -> None:
    attempts: list[int] = []

    @dg.asset
    def table(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS x")

    @dg.asset_check(asset=table)
    def exported(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        attempts.append(context.retry_number)
        folder = tmp_path / ("absent" if len(attempts) == 1 else "")
        with warehouse.get_connection() as con:
            con.execute(f"COPY t TO '{(folder / 'x.parquet').as_posix()}' (FORMAT parquet)")
        return dg.AssetCheckResult(passed=True)

    result = dg.materialize([table, exported], resources={"warehouse": _warehouse(tmp_path)})
    assert result.success and attempts == [0, 1]

