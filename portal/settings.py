"""The portal's one typed configuration: every path, lifetime and threshold, with its unit.

A pydantic model, validated when made. Values come from `UCJ_PORTAL_*` environment variables, then
from command-line options (which win).
`check_serving()` refuses to serve beyond loopback without `allow_remote` and a real secret.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import UcjError

__all__ = ["PortalSettings", "PortalConfigError", "is_loopback"]

_PLACEHOLDER_SECRETS = frozenset({"", "changethis", "changeme", "change-me", "secret", "password", "test",
                                  "example", "ucj", "portal", "default"})
_MIN_SECRET_CHARS = 32
_ENV_PREFIX = "UCJ_PORTAL_"


class PortalConfigError(UcjError):
    """A portal setting is missing or unsafe."""

    hint = "Set it with the ucj serve option or the UCJ_PORTAL_* environment variable"


class PortalSettings(BaseModel):
    """Validated when made: a wrong type or a value out of range is refused, naming the setting."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True, validate_default=True)

    publications: Path = Path("data/published")
    """Publication root: its `latest` link is read per request, never the warehouse."""
    database: Path = Path("data/portal/portal.sqlite")
    """SQLite file with users, sessions, login attempts and the audit log."""
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    allow_remote: bool = False
    """Needed (with `secret`) to listen on anything but loopback."""
    secret: str | None = Field(None, repr=False)
    """Key for hashing NIKs in the audit log; generated and kept in the database when unset (loopback)."""
    secure_cookie: bool = False
    """Send the session cookie only over HTTPS (turn on behind a TLS proxy)."""
    session_hours: float = Field(8.0, gt=0)
    """Absolute session lifetime, hours."""
    idle_minutes: float = Field(60.0, gt=0)
    """A session unused this long expires, minutes."""
    max_failures: int = Field(5, ge=1)
    """Failed logins of one username before it is locked."""
    max_failures_per_ip: int = Field(20, ge=1)
    """Failed logins from one client address (any usernames) before it is locked; a successful login
    does not lower it (one valid account must not open the address for guessing other usernames)."""
    failure_window_minutes: float = Field(60.0, gt=0)
    """Failed logins of a username or an address are forgotten once none has followed for this long,
    minutes (so an office behind one address does not collect its typos for months)."""
    lock_minutes: float = Field(5.0, gt=0)
    """First lock, minutes; each further lock doubles it, up to `max_lock_minutes`."""
    max_lock_minutes: float = Field(24 * 60.0, gt=0)
    page_size: int = Field(50, ge=1, le=1000)
    """Rows per page of the candidate list."""
    explain_per_hour: int = Field(30, ge=1)
    """Explain look-ups (by NIK) one account may make in an hour."""
    explain_misses_per_day: int = Field(20, ge=1)
    """Explain look-ups of a NIK that is not in the publication one account may make in 24 hours:
    guessing the hidden digits of a masked NIK is mostly misses."""

    @model_validator(mode="after")
    def _lock_bounds(self) -> PortalSettings:
        if self.lock_minutes > self.max_lock_minutes:
            raise ValueError("lock_minutes must not exceed max_lock_minutes")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, base: PortalSettings | None = None,
                 **overrides: Any) -> PortalSettings:
        """`base` (or the defaults), then `UCJ_PORTAL_<FIELD>` variables, then `overrides` that are not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = environ.get(f"{_ENV_PREFIX}{name.upper()}")
            if raw is not None:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return (base or cls()).replace(**values)

    def replace(self, **changes: Any) -> PortalSettings:
        """A copy with `changes`, validated like a new one (model_copy would not validate)."""
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:  # name the setting, never echo its value (it may be the secret)
            problems = "; ".join(
                f"{_ENV_PREFIX}{'.'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False))
            raise PortalConfigError(f"invalid portal setting: {problems}") from None

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
