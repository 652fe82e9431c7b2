"""The audit log (UU PDP Pasal 31, record of processing): who did what, when, on which publication.

Rows are only ever appended. Each row carries `row_hash = sha256(prev_hash + the row's fields)`, so
changing, removing or reordering rows outside the application breaks the chain at that row, and
`verify_chain` says where. The portal has no route that updates or deletes rows, and triggers in
the database refuse it. Details never hold a NIK in clear: a masked NIK and a keyed hash at most.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from portal.db import transaction

__all__ = ["AuditEntry", "ChainCheck", "ACTIONS", "record", "entries", "count_entries", "verify_chain",
           "GENESIS", "JAKARTA"]

JAKARTA = ZoneInfo("Asia/Jakarta")
GENESIS = "0" * 64

ACTIONS: dict[str, str] = {
    "login": "Masuk",
    "login_failed": "Gagal masuk",
    "login_locked": "Masuk ditolak (terkunci)",
    "logout": "Keluar",
    "view_list": "Lihat daftar",
    "download": "Unduh",
    "explain": "Penjelasan",
    "explain_refused": "Penjelasan ditolak (batas)",
    "user_add": "Tambah pengguna",
    "user_disable": "Nonaktifkan pengguna",
    "user_enable": "Aktifkan pengguna",
    "user_reset": "Atur ulang kata sandi",
}


_DETAIL_LABELS = {"file": "berkas", "filter": "filter", "format": "format", "full_nik": "NIK lengkap",
                  "kelurahan": "kelurahan", "page": "halaman", "nik": "NIK", "found": "ditemukan", "user": "pengguna",
                  "role": "peran", "area": "wilayah", "reason": "alasan", "published": "berkas resmi",
                  "sha256": "sha256"}
_FILTER_LABELS = {"track": "jalur", "desil": "desil", "rt": "RT", "rw": "RW", "search": "cari"}
_HIDDEN = {"nik_hmac"}


def _text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_FILTER_LABELS.get(k, k)} {v}" for k, v in value.items()) or "tanpa filter"
    if key == "sha256":
        return str(value)[:12] + "…"
    return str(value)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at_utc: str
    actor: str
    role: str | None
    action: str
    publication_id: str | None
    detail: dict[str, Any]
    row_count: int | None
    client_ip: str | None
    row_hash: str

    @property
    def at_jakarta(self) -> str:
        return datetime.fromisoformat(self.at_utc).astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M:%S WIB")

    @property
    def at_utc_short(self) -> str:
        return self.at_utc[:19].replace("T", " ") + " UTC"

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)

    @property
    def detail_items(self) -> list[tuple[str, str]]:
        """(Indonesian label, text) of each recorded detail, for the auditor's page."""
        return [(_DETAIL_LABELS.get(k, k), _text(k, v)) for k, v in self.detail.items() if k not in _HIDDEN]


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    rows: int
    head_hash: str
    first_bad_id: int | None = None


def _digest(prev_hash: str, fields: tuple[Any, ...]) -> str:
    payload = json.dumps([prev_hash, *fields], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(con: sqlite3.Connection, *, actor: str, action: str, role: str | None = None,
           publication_id: str | None = None, detail: dict[str, Any] | None = None, row_count: int | None = None,
           client_ip: str | None = None, at: datetime | None = None) -> int:
    """Append one row to the chain; returns its id."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    at_utc = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    fields = (at_utc, actor, role, action, publication_id, detail_text, row_count, client_ip)
    with transaction(con):
        last = con.execute("SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        prev_hash = last["row_hash"] if last else GENESIS
        cursor = con.execute(
            "INSERT INTO audit_log (at_utc, actor, role, action, publication_id, detail, row_count, client_ip, "
            "prev_hash, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, prev_hash, _digest(prev_hash, fields)))
        return int(cursor.lastrowid or 0)


def _where(action: str | None, actor: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if action:
        clauses.append("action = ?")
        params.append(action)
    if actor:
        clauses.append("actor = ?")
        params.append(actor)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def count_entries(con: sqlite3.Connection, *, action: str | None = None, actor: str | None = None) -> int:
    where, params = _where(action, actor)
    return int(con.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0])


def entries(con: sqlite3.Connection, *, limit: int = 100, offset: int = 0, action: str | None = None,
            actor: str | None = None) -> list[AuditEntry]:
    """Newest first."""
    where, params = _where(action, actor)
    rows = con.execute(f"SELECT * FROM audit_log{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                       [*params, limit, offset]).fetchall()
    return [AuditEntry(id=r["id"], at_utc=r["at_utc"], actor=r["actor"], role=r["role"], action=r["action"],
                       publication_id=r["publication_id"], detail=json.loads(r["detail"]), row_count=r["row_count"],
                       client_ip=r["client_ip"], row_hash=r["row_hash"]) for r in rows]


def verify_chain(con: sqlite3.Connection) -> ChainCheck:
    """Recompute every row's hash from the first; the first row that does not match is reported."""
    prev_hash, rows = GENESIS, 0
    for r in con.execute("SELECT * FROM audit_log ORDER BY id"):
        fields = (r["at_utc"], r["actor"], r["role"], r["action"], r["publication_id"], r["detail"], r["row_count"],
                  r["client_ip"])
        if r["prev_hash"] != prev_hash or r["row_hash"] != _digest(prev_hash, fields):
            return ChainCheck(False, rows, prev_hash, first_bad_id=int(r["id"]))
        prev_hash, rows = r["row_hash"], rows + 1
    return ChainCheck(True, rows, prev_hash)
