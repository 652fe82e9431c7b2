"""The DuckDB warehouse: opening it and the few query helpers every stage shares.

DuckDB 2 keeps a result open until it is drained, and an open result blocks the connection, so
single values are read with `scalar`, which always drains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipeline.sqltext import sql_literal

__all__ = ["connect", "configure", "scalar"]


def configure(con: duckdb.DuckDBPyConnection, *, memory_limit: str | None = None,
              temp_directory: Path | str | None = None, max_temp_directory_size: str | None = None,
              threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Apply the settings the stages rely on and the share of the machine given (the `[warehouse]`
    section: `configure(con, **config.warehouse.options(root))`); a setting left None keeps DuckDB's
    default. The settings belong to the database, not the connection: every connection to it sees them.

    `preserve_insertion_order` stays true: tables built without ORDER BY keep their rows' order, which
    the byte-identical outputs and the order of floating-point sums (EM, weights) rest on."""
    con.execute("SET preserve_insertion_order = true")
    if memory_limit:
        con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
    if max_temp_directory_size:
        con.execute(f"SET max_temp_directory_size = {sql_literal(max_temp_directory_size)}")
    if temp_directory:
        folder = Path(temp_directory)
        folder.mkdir(parents=True, exist_ok=True)  # ours, so DuckDB never removes a folder others spill into
        # DuckDB refuses to switch the folder once it has spilled, even to the same one: a second
        # connection to an open database leaves it as it is
        if scalar(con, "SELECT current_setting('temp_directory')") != str(folder):
            con.execute(f"SET temp_directory = {sql_literal(str(folder))}")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def connect(path: Path | str = ":memory:", *, memory_limit: str | None = None,
            temp_directory: Path | str | None = None, max_temp_directory_size: str | None = None,
            threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse file with the settings the stages rely on and, when given,
    the memory limit, spill folder and threads (`connect(path, **config.warehouse.options(root))`)."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return configure(duckdb.connect(str(path)), memory_limit=memory_limit, temp_directory=temp_directory,
                     max_temp_directory_size=max_temp_directory_size, threads=threads)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The single value of a one-row, one-column query."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None
