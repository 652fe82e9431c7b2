"""The warehouse resource of the real definitions gives every connection the `[warehouse]` settings of the
run's config file, launched the way `ucj run` launches (run config for `settings` and `warehouse`)."""

from pathlib import Path

import dagster as dg
import pytest

from assets.definitions import defs
from assets.resources import PipelineSettings, WarehouseResource, project_root

pytestmark = pytest.mark.usefixtures("dagster_home")

SETTINGS = ("memory_limit", "temp_directory", "max_temp_directory_size", "threads", "preserve_insertion_order")


def _probe() -> tuple[dg.AssetsDefinition, list[dict[str, object]]]:
    """An asset reading back DuckDB's settings on the warehouse resource's connection."""
    seen: list[dict[str, object]] = []

    @dg.asset
    def warehouse_settings_probe(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            seen.append({name: con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]
                         for name in SETTINGS})

    return warehouse_settings_probe, seen


def test_the_run_config_file_reaches_every_warehouse_connection(tmp_path: Path) -> None:
    config = tmp_path / "machine.toml"
    spill = tmp_path / "spill"
    config.write_text(f'[warehouse]\nmemory_limit = "1536MiB"\ntemp_directory = "{spill.as_posix()}"\n'
                      'max_temp_directory_size = "3GiB"\nthreads = 1\n', encoding="utf-8")
    probe, seen = _probe()
    # the project's own resources (the settings resource nested in the warehouse), beside a probe asset
    probing = dg.Definitions.merge(defs, dg.Definitions(assets=[probe], jobs=[
        dg.define_asset_job("probe_warehouse_settings", selection=[probe.key])]))
    run_config = {"resources": {"settings": {"config": {"config_file": str(config)}},  # as assets/launch.py
                                "warehouse": {"config": {"database": str(tmp_path / "wh.duckdb")}}}}
    result = probing.resolve_job_def("probe_warehouse_settings").execute_in_process(run_config=run_config)
    assert result.success
    assert seen == [{"memory_limit": "1.5 GiB", "temp_directory": str(spill), "max_temp_directory_size": "3.0 GiB",
                     "threads": 1, "preserve_insertion_order": True}]
    assert spill.is_dir()


def test_a_warehouse_given_settings_in_code_uses_them_and_without_them_the_defaults(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UCJ_HOME", str(tmp_path))  # relative folders are the project's: here, tmp_path
    config = tmp_path / "machine.toml"
    config.write_text('[warehouse]\nmemory_limit = "1GiB"\ntemp_directory = "elsewhere"\n', encoding="utf-8")
    settings = PipelineSettings(config_file=str(config))
    probe, seen = _probe()
    for warehouse in (WarehouseResource(database=str(tmp_path / "a.duckdb"), settings=settings),
                      WarehouseResource(database=str(tmp_path / "b.duckdb"))):
        assert dg.materialize([probe], resources={"warehouse": warehouse, "settings": settings}).success
    given, default = seen
    assert project_root() == tmp_path
    assert (given["memory_limit"], given["temp_directory"]) == ("1.0 GiB", str(tmp_path / "elsewhere"))
    assert default["temp_directory"] == str(tmp_path / "data" / "warehouse" / "spill")
    assert default["memory_limit"] != given["memory_limit"]


def test_steps_of_a_run_share_one_connection_and_a_steps_scratch_tables_end_with_it(tmp_path: Path) -> None:
    seen: list[tuple[object, bool]] = []  # the connections themselves: kept alive, compared by identity

    @dg.asset
    def first_step(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS x")
            con.execute("CREATE TABLE kept AS SELECT 1 AS x")
            seen.append((con, True))

    @dg.asset(deps=[first_step])
    def second_step(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            names = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            seen.append((con, "scratch" in names or "kept" not in names))

    warehouse = WarehouseResource(database=str(tmp_path / "wh.duckdb"))
    assert dg.materialize([first_step, second_step], resources={"warehouse": warehouse}).success
    (first, _), (second, leaked) = seen
    assert first is second  # one connection for the run's steps
    assert not leaked  # the warehouse table stays, the first step's temporary table does not
