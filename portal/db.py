"""The portal's SQLite file: users, sessions, login attempts, the audit log and a few settings.

The audit log is append-only inside the database too: triggers abort any UPDATE or DELETE of its
rows, whoever issues them. Each connection is short-lived (one per request or command).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["connect", "transaction", "init_db", "stored_secret"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'kecamatan', 'kelurahan', 'auditor')),
    area_code TEXT,
    full_nik INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS login_throttle (
    kind TEXT NOT NULL CHECK (kind IN ('user', 'ip')),
    key TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locks INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    last_failure REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_utc TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    action TEXT NOT NULL,
    publication_id TEXT,
    detail TEXT NOT NULL,
    row_count INTEGER,
    client_ip TEXT,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor, action, at_utc);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit: `transaction`)."""
    con = sqlite3.connect(str(path), timeout=15, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA busy_timeout = 15000")
    return con


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: one writer at a time, so the audit chain never forks."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def init_db(path: Path) -> None:
    """Create the file, its folder and the schema if missing (idempotent)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = connect(path)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.executescript(_SCHEMA)
        columns = {row["name"] for row in con.execute("PRAGMA table_info(login_throttle)")}
        if "last_failure" not in columns:  # a database made before failures were forgotten
            con.execute("ALTER TABLE login_throttle ADD COLUMN last_failure REAL NOT NULL DEFAULT 0")
    finally:
        con.close()
    path.chmod(0o600)


def stored_secret(con: sqlite3.Connection) -> str:
    """The key generated on first use, for portals on loopback that were given none."""
    with transaction(con):
        row = con.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
        if row is not None:
            return str(row["value"])
        value = secrets.token_hex(32)
        con.execute("INSERT INTO meta (key, value) VALUES ('secret', ?)", (value,))
        return value
