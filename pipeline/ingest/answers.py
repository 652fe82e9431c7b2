"""Officers' answers as an input: a read-only snapshot of the portal's answers, taken once per run.

The portal's SQLite file is copied with SQLite's online backup API from a read-only connection: in
WAL mode a reader never blocks the portal's writers, and the run works on its own copy, so the
portal's database is never locked by a run and an answer written while the run is going is simply
the next run's. The snapshot's hash chain is recomputed (the digest of portal/answers.py); a broken
chain stops the run rather than let edited answers steer the list.

Tables made in the warehouse:
- `field_answers`: every answer of the snapshot (superseded ones too), NIK and KPJ as text;
- `pair_answers`: per (NIK, KPJ), the latest answer when it settles the pair (`same`, `different`);
  "tidak tahu" settles nothing;
- `field_outcomes`: per NIK, the latest outcome of outreach, with `attempts`, the number of
  refused / not reachable answers recorded for that person.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.errors import IngestError

__all__ = ["AnswerSnapshot", "snapshot_answers", "load_answers", "ensure_answer_tables", "FIELDS", "GENESIS"]

GENESIS = "0" * 64
FIELDS = ("at_utc", "actor", "role", "area_code", "publication_id", "kelurahan_code", "resident_nik", "kind",
          "kpj", "answer", "outcome_date", "new_kpj", "note", "supersedes")
_ALL = ("id", *FIELDS)
_TYPES = {"id": pa.int64(), "supersedes": pa.int64()}


class AnswerChainError(IngestError):
    """The answers' hash chain does not verify: a row was changed, removed or reordered outside the portal."""


@dataclass(frozen=True)
class AnswerSnapshot:
    rows: int
    pair_answers: int
    outcomes: int
    head_hash: str
    unmatched: int = 0  # current answers about NIKs that are not in this run's register


def _digest(prev_hash: str, fields: tuple[Any, ...]) -> str:
    payload = json.dumps([prev_hash, *fields], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def snapshot_answers(source: Path, target: Path) -> bool:
    """Copy the portal's database at `source` to `target` (backup API, read-only source); False when
    the portal has no database yet."""
    source = Path(source)
    if not source.is_file():
        return False
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return True


def _read(snapshot: Path, source_name: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(f"{Path(snapshot).resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'field_answers'")
        if found.fetchone() is None:
            return []
        rows = con.execute(f"SELECT {', '.join(_ALL)}, prev_hash, row_hash FROM field_answers ORDER BY id").fetchall()
    finally:
        con.close()
    prev_hash = GENESIS
    for row in rows:
        fields = tuple(row[1:len(_ALL)])
        if row[-2] != prev_hash or row[-1] != _digest(prev_hash, fields):
            raise AnswerChainError(f"the hash chain of the officers' answers breaks at answer #{row[0]} (changed, "
                                   "removed or reordered outside the portal)", file=source_name, row=int(row[0]),
                                   hint="Restore the portal database from a backup, then run again")
        prev_hash = row[-1]
    return [tuple(row[:len(_ALL)]) for row in rows]


def ensure_answer_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty answer tables when a run has no answers (stages that read them need not check)."""
    con.execute("CREATE TABLE IF NOT EXISTS field_answers (id BIGINT, at_utc VARCHAR, actor VARCHAR, role VARCHAR, "
                "area_code VARCHAR, publication_id VARCHAR, kelurahan_code VARCHAR, resident_nik VARCHAR, "
                "kind VARCHAR, kpj VARCHAR, answer VARCHAR, outcome_date VARCHAR, new_kpj VARCHAR, note VARCHAR, "
                "supersedes BIGINT)")
    con.execute("CREATE TABLE IF NOT EXISTS pair_answers (answer_id BIGINT, resident_nik VARCHAR, kpj VARCHAR, "
                "answer VARCHAR, answered_by VARCHAR, answered_at VARCHAR, publication_id VARCHAR)")
    con.execute("CREATE TABLE IF NOT EXISTS field_outcomes (answer_id BIGINT, resident_nik VARCHAR, "
                "outcome VARCHAR, outcome_date DATE, new_kpj VARCHAR, answered_by VARCHAR, answered_at VARCHAR, "
                "publication_id VARCHAR, attempts INTEGER)")


def load_answers(con: duckdb.DuckDBPyConnection, portal_database: Path | None) -> AnswerSnapshot:
    """Snapshot the portal's answers (when there is a portal database) and (re)create the answer
    tables of the module doc in `con`."""
    rows: list[tuple[Any, ...]] = []
    if portal_database is not None:
        with tempfile.TemporaryDirectory(prefix="ucj-answers-") as folder:
            copy = Path(folder) / "answers.sqlite"
            if snapshot_answers(Path(portal_database), copy):
                rows = _read(copy, Path(portal_database).name)
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in _ALL]
    table = pa.table({name: pa.array(list(values), _TYPES.get(name, pa.string()))
                      for name, values in zip(_ALL, columns, strict=True)})
    for name in ("field_answers", "pair_answers", "field_outcomes"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    ensure_answer_tables(con)
    con.register("snapshot_rows", table)
    try:
        con.execute("INSERT INTO field_answers SELECT * FROM snapshot_rows ORDER BY id")
    finally:
        con.unregister("snapshot_rows")
    # The latest answer on each subject is the one in force (a later one supersedes, never edits).
    con.execute("""
    INSERT INTO pair_answers
    SELECT id, resident_nik, kpj, answer, actor, at_utc, publication_id FROM field_answers
    WHERE kind = 'pair'
    QUALIFY row_number() OVER (PARTITION BY resident_nik, kpj ORDER BY id DESC) = 1 AND answer IN ('same', 'different')
    ORDER BY id""")
    con.execute("""
    INSERT INTO field_outcomes
    SELECT id, resident_nik, answer, CAST(outcome_date AS DATE), new_kpj, actor, at_utc, publication_id,
        CAST(count(*) FILTER (WHERE answer IN ('refused', 'unreachable')) OVER (PARTITION BY resident_nik) AS INTEGER)
    FROM field_answers
    WHERE kind = 'outcome'
    QUALIFY row_number() OVER (PARTITION BY resident_nik ORDER BY id DESC) = 1
    ORDER BY id""")
    has_residents = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'residents'"
                                ).fetchall()[0][0]
    unmatched = 0
    if has_residents:
        unmatched = int(con.execute("""
            SELECT count(*)
            FROM (SELECT resident_nik FROM pair_answers UNION ALL SELECT resident_nik FROM field_outcomes) a
            WHERE NOT EXISTS (SELECT 1 FROM residents r WHERE r.nik = a.resident_nik)""").fetchall()[0][0])
    pairs = int(con.execute("SELECT count(*) FROM pair_answers").fetchall()[0][0])
    outcomes = int(con.execute("SELECT count(*) FROM field_outcomes").fetchall()[0][0])
    head = GENESIS
    if rows:
        head = _chain_head(rows)
    return AnswerSnapshot(len(rows), pairs, outcomes, head, unmatched)


def _chain_head(rows: list[tuple[Any, ...]]) -> str:
    prev_hash = GENESIS
    for row in rows:
        prev_hash = _digest(prev_hash, tuple(row[1:]))
    return prev_hash
