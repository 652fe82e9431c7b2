"""Which desa/kelurahan a user may see, among those of the regions the latest publication covers.
Written once: every list, count, download and published workbook goes through `scope_for`, and the
candidate queries take a `Scope`, never a code.

- kelurahan officer: their kelurahan;
- kecamatan officer: the kelurahan of their kecamatan;
- auditor: every desa/kelurahan of the publication's regions (NIK masked unless their account allows
  full NIK);
- admin: nothing (manages accounts, sees no personal data).

A code asked for in a URL or form is intersected with that set; anything outside it is reported as
not found, so a probe cannot tell "exists but not yours" from "does not exist".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pipeline.reference import DEFAULT_REGION_CODES, desa_kelurahan_of, wilayah
from portal.users import User

__all__ = ["Scope", "OutOfScope", "area_kelurahan", "scope_for", "KELURAHAN_NAMES"]

class _PlaceNames(Mapping[str, str]):
    """Name of any desa/kelurahan code of the Kemendagri reference (read once, shared)."""

    def __getitem__(self, code: str) -> str:
        region = wilayah().get(code)
        if region is None or region.level != "desa_kelurahan":
            raise KeyError(code)
        return region.name

    def __iter__(self) -> Iterator[str]:
        return (c for c, r in wilayah().items() if r.level == "desa_kelurahan")

    def __len__(self) -> int:
        return sum(1 for _ in self)


KELURAHAN_NAMES: Mapping[str, str] = _PlaceNames()


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


def area_kelurahan(user: User, regions: Sequence[str] = DEFAULT_REGION_CODES) -> tuple[str, ...]:
    """Every desa/kelurahan code the user may see within `regions` (the publication's), in code order."""
    if user.disabled:
        return ()
    places = desa_kelurahan_of(regions)
    if user.role == "kelurahan":
        return tuple(k.code for k in places if k.code == user.area_code)
    if user.role == "kecamatan":
        return tuple(k.code for k in places if k.kecamatan_code == user.area_code)
    if user.role == "auditor":
        return tuple(k.code for k in places)
    return ()


def scope_for(user: User, requested: str | None = None, regions: Sequence[str] = DEFAULT_REGION_CODES) -> Scope:
    """The scope of one request; `requested` (a desa/kelurahan code from the request) narrows it."""
    allowed = area_kelurahan(user, regions)
    if not allowed:
        raise OutOfScope()
    if requested:
        if requested not in allowed:
            raise OutOfScope()
        return Scope(user, allowed, (requested,))
    return Scope(user, allowed, allowed)
