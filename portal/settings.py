"""The portal's one typed configuration: every path, lifetime and threshold, with its unit.

Values come from `UCJ_PORTAL_*` environment variables, then from command-line options (which win).
`check_serving()` refuses to serve beyond loopback without `allow_remote` and a real secret.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from pipeline.errors import UcjError

__all__ = ["PortalSettings", "PortalConfigError", "is_loopback"]

_PLACEHOLDER_SECRETS = frozenset({"", "changethis", "changeme", "change-me", "secret", "password", "test",
                                  "example", "ucj", "portal", "default"})
_MIN_SECRET_CHARS = 32


class PortalConfigError(UcjError):
    """A portal setting is missing or unsafe."""

    hint = "Set it with the ucj serve option or the UCJ_PORTAL_* environment variable"


@dataclass(frozen=True)
class PortalSettings:
    publications: Path = Path("data/published")
    """Publication root: its `latest` link is read per request, never the warehouse."""
    database: Path = Path("data/portal/portal.sqlite")
    """SQLite file with users, sessions, login attempts and the audit log."""
    host: str = "127.0.0.1"
    port: int = 8080
    allow_remote: bool = False
    """Needed (with `secret`) to listen on anything but loopback."""
    secret: str | None = None
    """Key for hashing NIKs in the audit log; generated and kept in the database when unset (loopback)."""
    secure_cookie: bool = False
    """Send the session cookie only over HTTPS (turn on behind a TLS proxy)."""
    session_hours: float = 8.0
    """Absolute session lifetime, hours."""
    idle_minutes: float = 60.0
    """A session unused this long expires, minutes."""
    max_failures: int = 5
    """Failed logins of one username before it is locked."""
    max_failures_per_ip: int = 20
    """Failed logins from one client address (any usernames) before it is locked."""
    lock_minutes: float = 5.0
    """First lock, minutes; each further lock doubles it, up to `max_lock_minutes`."""
    max_lock_minutes: float = 24 * 60.0
    page_size: int = 50
    """Rows per page of the candidate list."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, base: PortalSettings | None = None,
                 **overrides: Any) -> PortalSettings:
        """`base` (or the defaults), then `UCJ_PORTAL_<FIELD>` variables, then `overrides` that are not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"UCJ_PORTAL_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _parse(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(base or cls(), **values)

    def check_serving(self) -> None:
        """Raise unless it is safe to listen on `host`."""
        if is_loopback(self.host):
            return
        if not self.allow_remote:
            raise PortalConfigError(f"host {self.host} is reachable from other machines; pass --allow-remote "
                                    "to serve on it (behind HTTPS, with --secure-cookie)")
        if self.secret is None or self.secret.strip().lower() in _PLACEHOLDER_SECRETS \
                or len(self.secret) < _MIN_SECRET_CHARS:
            raise PortalConfigError(f"serving on {self.host} needs UCJ_PORTAL_SECRET: a random value of at least "
                                    f"{_MIN_SECRET_CHARS} characters, not a placeholder",
                                    hint="Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'")


def is_loopback(host: str) -> bool:
    """Examples:

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse(name: str, kind: Any, raw: str) -> Any:
    kind = str(kind)
    try:
        if "Path" in kind:
            return Path(raw)
        if kind == "bool":
            if raw.strip().lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(raw)
            return raw.strip().lower() in {"1", "true", "yes"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise PortalConfigError(f"UCJ_PORTAL_{name.upper()} is not a valid {kind}") from None
    return raw
