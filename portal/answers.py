"""Officers' answers from the field: settled review pairs and outcomes of outreach.

Kept in the portal's SQLite file beside the audit log and in the same way: rows are only appended,
each carries `row_hash = sha256(prev_hash + the row's fields)` (the pipeline recomputes the chain on
its snapshot, pipeline/ingest/answers.py), triggers refuse UPDATE and DELETE, and a later answer on
the same subject (one pair, or one person's outreach) supersedes the earlier one by naming it in
`supersedes`, never by editing it. Every row records who, when, their area and the publication the
answer was made on.

The NIK and KPJ are structured columns (the pipeline needs them to find the person); the free-text
note never holds a NIK: every run of more than six digits is masked like the audit log's search text.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import UcjError
from pipeline.privacy import mask_digit_runs
from portal.audit import GENESIS, JAKARTA, ChainCheck
from portal.db import connect, transaction
from portal.users import User

__all__ = ["Answer", "AnswerError", "PAIR_ANSWERS", "OUTCOMES", "init_answers", "record_answer", "answers_about",
           "latest_answers", "verify_answer_chain", "clean_kpj", "clean_note", "FIELDS", "NOTE_MAX"]

PAIR_ANSWERS: dict[str, str] = {
    "same": "sama orang, sudah punya KPJ",
    "different": "bukan orang yang sama",
    "unknown": "tidak tahu",
}
OUTCOMES: dict[str, str] = {
    "enrolled": "sudah mendaftar (KPJ baru)",
    "refused": "menolak",
    "unreachable": "tidak dapat dihubungi",
    "moved": "pindah",
    "deceased": "meninggal",
    "not_working": "tidak bekerja",
}
NOTE_MAX = 500
# The hashed fields, in this order (pipeline/ingest/answers.py recomputes the same digest).
FIELDS = ("at_utc", "actor", "role", "area_code", "publication_id", "kelurahan_code", "resident_nik", "kind",
          "kpj", "answer", "outcome_date", "new_kpj", "note", "supersedes")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS field_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_utc TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    area_code TEXT,
    publication_id TEXT NOT NULL,
    kelurahan_code TEXT NOT NULL,
    resident_nik TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pair', 'outcome')),
    kpj TEXT,
    answer TEXT NOT NULL,
    outcome_date TEXT,
    new_kpj TEXT,
    note TEXT NOT NULL DEFAULT '',
    supersedes INTEGER REFERENCES field_answers(id),
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS field_answers_subject ON field_answers(resident_nik, kind, kpj);
CREATE TRIGGER IF NOT EXISTS field_answers_no_update BEFORE UPDATE ON field_answers
BEGIN SELECT RAISE(ABORT, 'field_answers is append-only'); END;
CREATE TRIGGER IF NOT EXISTS field_answers_no_delete BEFORE DELETE ON field_answers
BEGIN SELECT RAISE(ABORT, 'field_answers is append-only'); END;
"""

_KPJ = re.compile(r"^\d{11}$")


class AnswerError(UcjError):
    """An answer that cannot be recorded as given (the message is shown to the officer, in Indonesian)."""


@dataclass(frozen=True)
class Answer:
    id: int
    at_utc: str
    actor: str
    role: str
    publication_id: str
    kelurahan_code: str
    kind: str
    kpj: str | None
    answer: str
    outcome_date: str | None
    new_kpj: str | None
    note: str
    supersedes: int | None

    @property
    def label(self) -> str:
        return (PAIR_ANSWERS if self.kind == "pair" else OUTCOMES).get(self.answer, self.answer)

    @property
    def at_jakarta(self) -> str:
        return datetime.fromisoformat(self.at_utc).astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M WIB")


def init_answers(path: Path) -> None:
    """Create the answers table and its triggers in the portal's database (idempotent)."""
    con = connect(Path(path))
    try:
        con.executescript(_SCHEMA)
    finally:
        con.close()


def digest(prev_hash: str, fields: tuple[Any, ...]) -> str:
    payload = json.dumps([prev_hash, *fields], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def clean_kpj(value: str | None) -> str:
    """A KPJ number as typed (spaces, dots, dashes allowed) as its 11 digits, else AnswerError.

    Examples:

    >>> clean_kpj("123 4567 8901"), clean_kpj("12345678901")
    ('12345678901', '12345678901')
    """
    digits = re.sub(r"[\s.\-]", "", value or "")
    if not _KPJ.match(digits):
        raise AnswerError("Nomor KPJ terdiri dari 11 angka.")
    return digits


def clean_note(value: str | None) -> str:
    """The note as stored: whitespace collapsed, at most NOTE_MAX characters, every number longer
    than six digits masked (a NIK typed in a note keeps only its region digits).

    Examples:

    >>> clean_note("  rumah  kosong, NIK 3577014305900001 ")
    'rumah kosong, NIK 357701**********'
    """
    text = " ".join((value or "").split())
    if len(text) > NOTE_MAX:
        raise AnswerError(f"Catatan paling banyak {NOTE_MAX} karakter.")
    return mask_digit_runs(text)


def _outcome_date(value: str | None, today: date) -> str:
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        raise AnswerError("Tanggal hasil kunjungan tidak valid (TTTT-BB-HH).") from None
    if day > today:
        raise AnswerError("Tanggal hasil kunjungan tidak boleh di masa depan.")
    if day.year < 2000:
        raise AnswerError("Tanggal hasil kunjungan tidak valid (TTTT-BB-HH).")
    return day.isoformat()


def record_answer(con: sqlite3.Connection, *, user: User, publication_id: str, kelurahan_code: str, nik: str,
                  kind: str, answer: str, kpj: str | None = None, outcome_date: str | None = None,
                  new_kpj: str | None = None, note: str | None = None, at: datetime | None = None) -> int:
    """Validate and append one answer; returns its id. A pair answer is about (nik, kpj); an outcome
    is about the person. The latest earlier answer on the same subject is named in `supersedes`."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    if kind == "pair":
        if answer not in PAIR_ANSWERS:
            raise AnswerError("Pilih salah satu jawaban verifikasi.")
        if not kpj:
            raise AnswerError("KPJ yang diverifikasi tidak diketahui.")
        outcome_date, new_kpj = None, None
    elif kind == "outcome":
        if answer not in OUTCOMES:
            raise AnswerError("Pilih hasil kunjungan.")
        outcome_date = _outcome_date(outcome_date, moment.astimezone(JAKARTA).date())
        new_kpj = clean_kpj(new_kpj) if answer == "enrolled" else None
        kpj = None
    else:
        raise ValueError(f"unknown answer kind {kind!r}")
    note_text = clean_note(note)
    at_utc = moment.isoformat(timespec="microseconds")
    with transaction(con):
        previous = con.execute(
            "SELECT id FROM field_answers WHERE resident_nik = ? AND kind = ? AND kpj IS ? ORDER BY id DESC LIMIT 1",
            (nik, kind, kpj)).fetchone()
        fields = (at_utc, user.username, user.role, user.area_code, publication_id, kelurahan_code, nik, kind, kpj,
                  answer, outcome_date, new_kpj, note_text, previous["id"] if previous else None)
        last = con.execute("SELECT row_hash FROM field_answers ORDER BY id DESC LIMIT 1").fetchone()
        prev_hash = last["row_hash"] if last else GENESIS
        cursor = con.execute(
            f"INSERT INTO field_answers ({', '.join(FIELDS)}, prev_hash, row_hash) "
            f"VALUES ({', '.join('?' * (len(FIELDS) + 2))})", (*fields, prev_hash, digest(prev_hash, fields)))
        return int(cursor.lastrowid or 0)


def _answer(r: sqlite3.Row) -> Answer:
    return Answer(id=r["id"], at_utc=r["at_utc"], actor=r["actor"], role=r["role"],
                  publication_id=r["publication_id"], kelurahan_code=r["kelurahan_code"], kind=r["kind"],
                  kpj=r["kpj"], answer=r["answer"], outcome_date=r["outcome_date"], new_kpj=r["new_kpj"],
                  note=r["note"], supersedes=r["supersedes"])


def answers_about(con: sqlite3.Connection, nik: str) -> list[Answer]:
    """Every answer about one person, newest first (superseded ones included: the history)."""
    rows = con.execute("SELECT * FROM field_answers WHERE resident_nik = ? ORDER BY id DESC", (nik,)).fetchall()
    return [_answer(r) for r in rows]


def latest_answers(con: sqlite3.Connection, niks: list[str]) -> dict[str, list[Answer]]:
    """Per NIK, the answers no later answer supersedes (one per pair, one outcome)."""
    found: dict[str, list[Answer]] = {}
    for start in range(0, len(niks), 500):
        chunk = niks[start:start + 500]
        rows = con.execute(
            f"SELECT * FROM field_answers a WHERE resident_nik IN ({', '.join('?' * len(chunk))}) "
            "AND NOT EXISTS (SELECT 1 FROM field_answers b WHERE b.supersedes = a.id) ORDER BY id", chunk).fetchall()
        for r in rows:
            found.setdefault(r["resident_nik"], []).append(_answer(r))
    return found


def verify_answer_chain(con: sqlite3.Connection) -> ChainCheck:
    """Recompute every answer's hash from the first; the first row that does not match is reported."""
    prev_hash, rows = GENESIS, 0
    for r in con.execute("SELECT * FROM field_answers ORDER BY id"):
        fields = tuple(r[name] for name in FIELDS)
        if r["prev_hash"] != prev_hash or r["row_hash"] != digest(prev_hash, fields):
            return ChainCheck(False, rows, prev_hash, first_bad_id=int(r["id"]))
        prev_hash, rows = r["row_hash"], rows + 1
    return ChainCheck(True, rows, prev_hash)
