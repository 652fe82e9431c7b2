"""Accounts: roles, areas, creation, disabling and password resets.

`User` is what the rest of the portal sees of an account; it has no field for the password hash,
which only `password_hash_of` reads.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from pipeline.errors import UcjError
from pipeline.reference import wilayah
from portal.db import transaction
from portal.security import check_password_policy, hash_password

__all__ = ["User", "UserError", "ROLES", "ROLE_LABELS", "create_user", "get_user", "get_user_by_id",
           "list_users", "set_disabled", "reset_password", "password_hash_of", "store_password_hash",
           "area_label"]

ROLES = ("admin", "kecamatan", "kelurahan", "auditor")
ROLE_LABELS = {"admin": "Admin", "kecamatan": "Petugas kecamatan", "kelurahan": "Petugas kelurahan",
               "auditor": "Auditor"}
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


class UserError(UcjError):
    """An account cannot be created or changed as asked."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    area_code: str | None
    full_nik: bool
    disabled: bool

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def area_label(self) -> str:
        return area_label(self.area_code)


def area_label(code: str | None) -> str:
    """Examples:

    >>> area_label("357701"), area_label("3577011001"), area_label("3519012009"), area_label(None)
    ('Kec. Kartoharjo', 'Kel. Oro-oro Ombo', 'Desa Mojorejo', 'semua wilayah publikasi')
    """
    if code is None:
        return "semua wilayah publikasi"
    region = wilayah().get(code)
    if region is None:
        return code
    if region.level == "kecamatan":
        return f"Kec. {region.name}"
    return f"{'Kel.' if code[6] == '1' else 'Desa'} {region.name}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _user(row: sqlite3.Row) -> User:
    return User(id=int(row["id"]), username=row["username"], display_name=row["display_name"], role=row["role"],
                area_code=row["area_code"], full_nik=bool(row["full_nik"]), disabled=bool(row["disabled"]))


_COLUMNS = "id, username, display_name, role, area_code, full_nik, disabled"


def _check_area(role: str, area_code: str | None) -> None:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}", hint=f"Use one of: {', '.join(ROLES)}")
    level = wilayah()[area_code].level if area_code in wilayah() else None
    if role == "kecamatan" and level != "kecamatan":
        raise UserError("a kecamatan officer needs --area with a 6-digit kecamatan code of the Kemendagri reference",
                        hint="For example 357701 (Kartoharjo, Kota Madiun); see pipeline/reference/README.md")
    if role == "kelurahan" and level != "desa_kelurahan":
        raise UserError("a desa/kelurahan officer needs --area with a 10-digit kelurahan code (desa or kelurahan)",
                        hint="For example 3577011001 (Oro-oro Ombo); see pipeline/reference/README.md")
    if role in ("admin", "auditor") and area_code is not None:
        raise UserError(f"the {role} role has no area", hint="Leave out --area")


def create_user(con: sqlite3.Connection, username: str, *, password: str, role: str, area_code: str | None = None,
                display_name: str | None = None, full_nik: bool = False) -> User:
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise UserError("a username has 2-40 characters: lower-case letters, digits, '.', '_' or '-'")
    _check_area(role, area_code)
    if full_nik and role == "admin":
        raise UserError("the admin role sees no personal data", hint="Leave out --full-nik")
    reason = check_password_policy(username, password)
    if reason:
        raise UserError(reason)
    password_hash = hash_password(password)
    now = _now()
    with transaction(con):
        if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            raise UserError(f"user {username} already exists", hint="Use `ucj users reset` to set a new password")
        con.execute("INSERT INTO users (username, display_name, role, area_code, full_nik, password_hash, "
                    "created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (username, (display_name or username).strip(), role, area_code, int(full_nik), password_hash,
                     now, now))
    user = get_user(con, username)
    assert user is not None
    return user


def get_user(con: sqlite3.Connection, username: str) -> User | None:
    row = con.execute(f"SELECT {_COLUMNS} FROM users WHERE username = ?", (username.strip().lower(),)).fetchone()
    return _user(row) if row else None


def get_user_by_id(con: sqlite3.Connection, user_id: int) -> User | None:
    row = con.execute(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
    return _user(row) if row else None


def list_users(con: sqlite3.Connection) -> list[User]:
    return [_user(r) for r in con.execute(f"SELECT {_COLUMNS} FROM users ORDER BY username")]


def _require(con: sqlite3.Connection, username: str) -> User:
    user = get_user(con, username)
    if user is None:
        raise UserError(f"no user {username.strip().lower()}", hint="See `ucj users list`")
    return user


def set_disabled(con: sqlite3.Connection, username: str, disabled: bool) -> User:
    """Disable (ending every session of the user) or enable an account."""
    user = _require(con, username)
    with transaction(con):
        con.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user.id))
        if disabled:
            con.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
    return _require(con, username)


def reset_password(con: sqlite3.Connection, username: str, password: str) -> User:
    """A new password: ends the user's sessions and lifts a login lock on the username."""
    user = _require(con, username)
    reason = check_password_policy(user.username, password)
    if reason:
        raise UserError(reason)
    password_hash = hash_password(password)
    with transaction(con):
        con.execute("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                    (password_hash, _now(), user.id))
        con.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
        con.execute("DELETE FROM login_throttle WHERE kind = 'user' AND key = ?", (user.username,))
    return user


def password_hash_of(con: sqlite3.Connection, user_id: int) -> str:
    row = con.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()
    return str(row["password_hash"])


def store_password_hash(con: sqlite3.Connection, user_id: int, password_hash: str) -> None:
    """Replace a hash with one of newer parameters (same password, at login)."""
    con.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
