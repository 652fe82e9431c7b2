"""The `[warehouse]` settings (memory limit, spill folder, threads) reach DuckDB on the connections the engine
opens, and a query larger than the memory limit spills into the configured folder instead of failing."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipeline.config import Config, WarehouseConfig, load_config
from pipeline.errors import ConfigError
from pipeline.warehouse import connect, scalar

SETTINGS = ("memory_limit", "temp_directory", "max_temp_directory_size", "threads", "preserve_insertion_order")


def _settings(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    return {name: scalar(con, f"SELECT current_setting('{name}')") for name in SETTINGS}


def _duckdb_reads(**values: object) -> dict[str, object]:
    """How DuckDB itself reports `values` (e.g. '1536MiB' as '1.5 GiB'), set on a plain connection."""
    with duckdb.connect() as con:
        for name, value in values.items():
            con.execute(f"SET {name} = '{value}'")
        return {name: scalar(con, f"SELECT current_setting('{name}')") for name in values}


def test_the_config_file_settings_reach_duckdb(tmp_path: Path) -> None:
    path = tmp_path / "machine.toml"
    path.write_text('[warehouse]\nmemory_limit = "1536MiB"\ntemp_directory = "spill-here"\n'
                    'max_temp_directory_size = "3GiB"\nthreads = 1\n', encoding="utf-8")
    config = load_config(path)
    with connect(tmp_path / "w.duckdb", **config.warehouse.options(tmp_path)) as con:
        seen = _settings(con)
    assert seen == {"memory_limit": "1.5 GiB", "temp_directory": str(tmp_path / "spill-here"),
                    "max_temp_directory_size": "3.0 GiB", "threads": 1, "preserve_insertion_order": True}
    with duckdb.connect() as plain:  # none of them is DuckDB's default, so the settings were applied
        default = _settings(plain)
    assert all(seen[k] != default[k] for k in ("memory_limit", "temp_directory", "max_temp_directory_size"))


def test_the_defaults_are_a_share_of_ram_every_core_and_the_project_spill_folder(tmp_path: Path) -> None:
    with connect(**Config().warehouse.options(tmp_path)) as con:
        seen = _settings(con)
    assert seen["memory_limit"] == _duckdb_reads(memory_limit="60%")["memory_limit"]
    assert seen["memory_limit"] != _duckdb_reads(memory_limit="80%")["memory_limit"]  # not DuckDB's default
    assert seen["temp_directory"] == str(tmp_path / "data" / "warehouse" / "spill")
    assert seen["threads"] == os.cpu_count()
    assert seen["max_temp_directory_size"] == "90% of available disk space"  # DuckDB's default, documented


@pytest.mark.parametrize("toml, message", [
    ('memory_limit = "-1GB"', "warehouse.memory_limit must be a share of RAM"),
    ('memory_limit = "lots"', "warehouse.memory_limit must be a share of RAM"),
    ('memory_limit = "150%"', "warehouse.memory_limit must be a share of RAM"),
    ('memory_limit = 16', "warehouse.memory_limit"),
    ('max_temp_directory_size = "90%"', "warehouse.max_temp_directory_size must be a size"),
    ('temp_directory = " "', "warehouse.temp_directory must name a folder"),
    ("threads = -2", "warehouse.threads must be 0"),
])
def test_bad_warehouse_settings_are_clear_errors(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[warehouse]\n{toml}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


class _Watcher:
    """Lists a folder every few milliseconds in a thread, remembering every DuckDB spill file seen (not the
    `_owner` marker DuckDB writes on opening): spill files last only while a query needs them."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.seen, self._stop = folder, set(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.folder.is_dir():
                self.seen.update(p.name for p in self.folder.iterdir() if not p.name.endswith("_owner"))
            self._stop.wait(0.002)

    def __enter__(self) -> _Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


SMALL = WarehouseConfig(memory_limit="64MB", temp_directory="spill", threads=1)


@pytest.fixture
def small_memory_warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(tmp_path / "w.duckdb", **SMALL.options(tmp_path))
    yield con
    con.close()


def test_a_sort_larger_than_the_memory_limit_spills_into_the_configured_folder(
        small_memory_warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con, spill = small_memory_warehouse, tmp_path / "spill"
    rows = 2_000_000
    con.execute(f"CREATE TABLE big AS SELECT i, md5(i::VARCHAR) AS s FROM range({rows}) r(i)")
    payload = scalar(con, "SELECT sum(strlen(s)) + 8 * count(*) FROM big")
    limit = scalar(con, "SELECT current_setting('memory_limit')")
    assert limit == "61.0 MiB" and payload > 64_000_000  # more data than DuckDB may hold in memory
    with _Watcher(spill) as watcher:
        con.execute("CREATE TABLE sorted AS SELECT s, i FROM big ORDER BY s")
    spilled = sorted(watcher.seen)
    assert spilled and all(name.startswith(f"duckdb_temp_{os.getpid()}_") for name in spilled), spilled
    assert con.execute("SELECT count(*), min(s) FROM sorted").fetchall() == [
        (rows, scalar(con, "SELECT min(s) FROM big"))]
    first = con.execute("SELECT s FROM sorted LIMIT 1").fetchall()[0][0]
    assert first == scalar(con, "SELECT min(s) FROM big")

    # a second connection to the open warehouse (DuckDB refuses to switch a folder it has spilled into,
    # even to the same one) gets the same settings and no error
    with connect(tmp_path / "w.duckdb", **SMALL.options(tmp_path)) as second:
        assert _settings(second)["temp_directory"] == str(spill)
