"""Per input file: rows read against rows used plus rows rejected (the "nothing lost" promise)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

__all__ = ["Reconciliation", "reconciliation"]


@dataclass(frozen=True)
class Reconciliation:
    file_name: str
    role: str
    rows_in: int
    rows_used: int
    rows_rejected: int

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.rows_used + self.rows_rejected


def reconciliation(con: duckdb.DuckDBPyConnection) -> list[Reconciliation]:
    """Per file: rows read vs rows used plus rows rejected."""
    rows = con.execute("""
        SELECT f.file_name, f.role, f.rows_in,
            (SELECT count(*) FROM residents r WHERE r.file_id = f.file_id)
              + (SELECT count(*) FROM memberships m WHERE m.file_id = f.file_id) AS used,
            (SELECT count(*) FROM rejects j WHERE j.file_id = f.file_id) AS rejected
        FROM source_files f ORDER BY f.file_id
    """).fetchall()
    return [Reconciliation(*row) for row in rows]
