"""Which kelurahan a user may see. Written once: every list, count, download and published
workbook goes through `scope_for`, and the candidate queries take a `Scope`, never a code.

- kelurahan officer: their kelurahan;
- kecamatan officer: the kelurahan of their kecamatan;
- auditor: the whole city (NIK masked unless their account allows full NIK);
- admin: nothing (manages accounts, sees no personal data).

A code asked for in a URL or form is intersected with that set; anything outside it is reported as
not found, so a probe cannot tell "exists but not yours" from "does not exist".
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.reference import KELURAHAN
from portal.users import User

__all__ = ["Scope", "OutOfScope", "area_kelurahan", "scope_for", "KELURAHAN_NAMES"]

KELURAHAN_NAMES: dict[str, str] = {k.code: k.name for k in KELURAHAN}


class OutOfScope(LookupError):
    """The requested area is not one this user may see (answered as 404)."""


@dataclass(frozen=True)
class Scope:
    """The kelurahan codes one request reads: a non-empty subset of what the user may see."""

    user: User
    allowed: tuple[str, ...]
    codes: tuple[str, ...]

    @property
    def full_nik(self) -> bool:
        return self.user.full_nik

    @property
    def single(self) -> str | None:
        """The one kelurahan this request reads, if it reads one."""
        return self.codes[0] if len(self.codes) == 1 else None

    def allows(self, code: str) -> bool:
        return code in self.allowed


def area_kelurahan(user: User) -> tuple[str, ...]:
    """Every kelurahan code the user may see, in code order."""
    if user.disabled:
        return ()
    if user.role == "kelurahan":
        return tuple(k.code for k in KELURAHAN if k.code == user.area_code)
    if user.role == "kecamatan":
        return tuple(k.code for k in KELURAHAN if k.kecamatan_code == user.area_code)
    if user.role == "auditor":
        return tuple(k.code for k in KELURAHAN)
    return ()


def scope_for(user: User, requested: str | None = None) -> Scope:
    """The scope of one request; `requested` (a kelurahan code from the request) narrows it."""
    allowed = area_kelurahan(user)
    if not allowed:
        raise OutOfScope()
    if requested:
        if requested not in allowed:
            raise OutOfScope()
        return Scope(user, allowed, (requested,))
    return Scope(user, allowed, allowed)
