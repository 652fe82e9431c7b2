"""The DuckDB warehouse: opening it and the few query helpers every stage shares.

DuckDB 2 keeps a result open until it is drained, and an open result blocks the connection, so
single values are read with `scalar`, which always drains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

__all__ = ["connect", "scalar"]


def connect(path: Path | str = ":memory:", *, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse file with the settings the stages rely on."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("SET preserve_insertion_order = true")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The single value of a one-row, one-column query."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None
