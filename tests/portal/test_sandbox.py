"""The portal reads a publication through a DuckDB that may open only the files it was given."""

from pathlib import Path

import duckdb
import pytest

from portal.publications import sandboxed_views


def test_the_sandbox_reads_its_files_and_nothing_else(tmp_path: Path) -> None:
    mine, other = tmp_path / "candidates.parquet", tmp_path / "warehouse.parquet"
    duckdb.sql(f"COPY (SELECT 1 AS x) TO '{mine}' (FORMAT parquet)")
    duckdb.sql(f"COPY (SELECT 2 AS x) TO '{other}' (FORMAT parquet)")
    with sandboxed_views({"candidates": mine}) as con:
        assert con.execute("SELECT x FROM candidates").fetchall() == [(1,)]
        with pytest.raises(duckdb.Error):
            con.execute(f"SELECT * FROM read_parquet('{other}')").fetchall()
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
