"""Logging in and out: throttled password checks and server-side sessions that expire.

Throttling counts failures per username and per client address. After `max_failures` (or
`max_failures_per_ip`) failures the key is locked for `lock_minutes`, doubled at each further lock
up to `max_lock_minutes`. A successful login clears its username's count, never the address's (one
valid account must not reopen an address for guessing other usernames); a count is forgotten once no
failure has followed for `failure_window_minutes`. While locked no password is checked at all.
Every answer to a failed login is the same generic message, and unknown usernames cost as much time
as known ones.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from portal import audit
from portal.db import transaction
from portal.security import dummy_verify, new_token, token_digest, verify_password
from portal.settings import PortalSettings
from portal.users import User, get_user, get_user_by_id, password_hash_of, store_password_hash

__all__ = ["LoginResult", "SessionInfo", "login", "session_for", "logout", "lock_remaining"]

_REFRESH_SECONDS = 30  # last_seen is written at most this often


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    token: str | None = None
    locked: bool = False


@dataclass(frozen=True)
class SessionInfo:
    user: User
    csrf_token: str
    token_hash: str


def _keys(username: str, client_ip: str) -> list[tuple[str, str]]:
    return [("user", username.strip().lower()[:64]), ("ip", client_ip)]


def lock_remaining(con: sqlite3.Connection, username: str, client_ip: str, now: float | None = None) -> float:
    """Seconds until neither the username nor the address is locked (0 when free)."""
    now = time.time() if now is None else now
    remaining = 0.0
    for kind, key in _keys(username, client_ip):
        row = con.execute("SELECT locked_until FROM login_throttle WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        if row is not None:
            remaining = max(remaining, float(row["locked_until"]) - now)
    return max(remaining, 0.0)


def _register_failure(con: sqlite3.Connection, settings: PortalSettings, username: str, client_ip: str,
                      now: float) -> None:
    limits = {"user": settings.max_failures, "ip": settings.max_failures_per_ip}
    with transaction(con):
        for kind, key in _keys(username, client_ip):
            con.execute("INSERT INTO login_throttle (kind, key) VALUES (?, ?) ON CONFLICT DO NOTHING", (kind, key))
            row = con.execute("SELECT failures, locks, last_failure FROM login_throttle WHERE kind = ? AND key = ?",
                              (kind, key)).fetchone()
            recent = now - float(row["last_failure"]) < settings.failure_window_minutes * 60
            failures, locks = (int(row["failures"]) if recent else 0) + 1, int(row["locks"])
            locked_until = 0.0
            if failures >= limits[kind]:
                locks += 1
                minutes = min(settings.lock_minutes * 2 ** (locks - 1), settings.max_lock_minutes)
                locked_until, failures = now + minutes * 60, 0
            con.execute("UPDATE login_throttle SET failures = ?, locks = ?, locked_until = max(locked_until, ?), "
                        "last_failure = ? WHERE kind = ? AND key = ?",
                        (failures, locks, locked_until, now, kind, key))


def _register_success(con: sqlite3.Connection, username: str) -> None:
    """Clears the username's own failures only: the address keeps its count, or one valid account
    would let the address guess passwords of every other username without ever being locked."""
    with transaction(con):
        con.execute("DELETE FROM login_throttle WHERE kind = 'user' AND key = ?", (username,))


def login(con: sqlite3.Connection, settings: PortalSettings, username: str, password: str, client_ip: str,
          now: float | None = None) -> LoginResult:
    """Check a password (unless locked); on success open a session and return its token."""
    now = time.time() if now is None else now
    typed = username.strip().lower()[:64]
    known = get_user(con, typed) if typed else None
    actor = known.username if known else "(tidak dikenal)"  # never store what was typed: it may be a password
    if lock_remaining(con, typed, client_ip, now) > 0:
        audit.record(con, actor=actor, action="login_locked", client_ip=client_ip)
        return LoginResult(None, locked=True)
    if known is None or known.disabled:
        dummy_verify(password)
        ok = False
    else:
        ok, new_hash = verify_password(password, password_hash_of(con, known.id))
        if ok and new_hash:
            store_password_hash(con, known.id, new_hash)
    if not ok or known is None:
        _register_failure(con, settings, typed, client_ip, now)
        audit.record(con, actor=actor, action="login_failed", client_ip=client_ip,
                     detail={"reason": "disabled"} if known is not None and known.disabled else {})
        return LoginResult(None)
    _register_success(con, known.username)
    token = new_token()
    with transaction(con):
        con.execute("DELETE FROM sessions WHERE expires_at < ? OR last_seen < ?",
                    (now, now - settings.idle_minutes * 60))
        con.execute("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (token_digest(token), known.id, new_token(), now, now, now + settings.session_hours * 3600))
    audit.record(con, actor=known.username, role=known.role, action="login", client_ip=client_ip)
    return LoginResult(known, token=token)


def session_for(con: sqlite3.Connection, settings: PortalSettings, token: str | None,
                now: float | None = None) -> SessionInfo | None:
    """The live session of this cookie value, or None (expired, idle too long, user disabled, unknown)."""
    if not token or len(token) > 200:
        return None
    now = time.time() if now is None else now
    digest = token_digest(token)
    row = con.execute("SELECT user_id, csrf_token, last_seen, expires_at FROM sessions WHERE token_hash = ?",
                      (digest,)).fetchone()
    if row is None:
        return None
    if row["expires_at"] <= now or row["last_seen"] + settings.idle_minutes * 60 <= now:
        con.execute("DELETE FROM sessions WHERE token_hash = ?", (digest,))
        return None
    user = get_user_by_id(con, int(row["user_id"]))
    if user is None or user.disabled:
        return None
    if now - row["last_seen"] > _REFRESH_SECONDS:
        con.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (now, digest))
    return SessionInfo(user, str(row["csrf_token"]), digest)


def logout(con: sqlite3.Connection, session: SessionInfo, client_ip: str) -> None:
    con.execute("DELETE FROM sessions WHERE token_hash = ?", (session.token_hash,))
    audit.record(con, actor=session.user.username, role=session.user.role, action="logout", client_ip=client_ip)
