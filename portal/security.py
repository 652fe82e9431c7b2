"""Passwords (Argon2id through pwdlib), session and CSRF tokens, and keyed hashes of NIKs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from pwdlib import PasswordHash

__all__ = ["hash_password", "verify_password", "dummy_verify", "new_token", "token_digest", "same_token",
           "nik_digest", "check_password_policy", "MIN_PASSWORD_CHARS"]

MIN_PASSWORD_CHARS = 10

_HASHER = PasswordHash.recommended()  # Argon2id, parameters travel in the hash string


@cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """(matches, a new hash to store when the parameters changed, else None)."""
    return _HASHER.verify_and_update(password, password_hash)


def dummy_verify(password: str) -> None:
    """Spend the time of one verification, so unknown usernames answer as slowly as known ones."""
    _HASHER.verify(password, _dummy_hash())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a session token: a stolen file gives no live session."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode("utf-8"), str(b).encode("utf-8"))


def nik_digest(secret: str, nik: str) -> str:
    """HMAC-SHA256 of a NIK: finds every look-up of one person without keeping the number."""
    return hmac.new(secret.encode("utf-8"), nik.encode("utf-8"), hashlib.sha256).hexdigest()


def check_password_policy(username: str, password: str) -> str | None:
    """A reason the password is refused, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"password must have at least {MIN_PASSWORD_CHARS} characters"
    if password.strip().lower() == username.strip().lower():
        return "password must differ from the username"
    return None
