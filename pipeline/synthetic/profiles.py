"""Error-rate profiles of the synthetic generator ("standard" and "hard").

All rates are per written row (register row or membership row). The hard profile multiplies the
error rates by three and makes namesakes more frequent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Profile", "STANDARD", "HARD", "get_profile"]


@dataclass(frozen=True)
class Profile:
    """Rates of dirt and errors injected into the generated files."""

    name: str
    # Register (DTSEN extract) dirt.
    register_invalid_nik: float = 0.0005
    register_duplicate: float = 0.0005
    register_title: float = 0.003
    register_region_variant: float = 0.10
    register_occupation_variant: float = 0.05
    register_dob_correction: float = 0.01
    # Membership rows: NIK errors (mutually exclusive).
    nik_missing: float = 0.04
    nik_substitution: float = 0.02
    nik_transposition: float = 0.01
    nik_excel: float = 0.02
    nik_kk: float = 0.005
    # Membership rows: name errors (independent, applied where applicable).
    name_spelling: float = 0.05
    name_title: float = 0.04
    name_muhammad: float = 0.03
    name_double: float = 0.03
    name_order: float = 0.01
    name_drop: float = 0.02
    name_typo: float = 0.02
    name_format: float = 0.10  # formatting only, not an error
    # Membership rows: birth-date errors (mutually exclusive).
    dob_swap: float = 0.01
    dob_offbyone: float = 0.01
    dob_year: float = 0.005
    dob_missing: float = 0.01
    member_duplicate: float = 0.002
    status_variant: float = 0.03
    # Namesakes: Zipf exponent of given-name frequencies and share of outsiders who carry the
    # exact name of a resident of similar age.
    zipf_exponent: float = 1.0
    namesake_copy: float = 0.03


STANDARD = Profile(name="standard")

_SCALED = (
    "register_invalid_nik",
    "register_duplicate",
    "register_title",
    "nik_missing",
    "nik_substitution",
    "nik_transposition",
    "nik_excel",
    "nik_kk",
    "name_spelling",
    "name_title",
    "name_muhammad",
    "name_double",
    "name_order",
    "name_drop",
    "name_typo",
    "dob_swap",
    "dob_offbyone",
    "dob_year",
    "dob_missing",
    "member_duplicate",
)


def _hard() -> Profile:
    changes: dict[str, float | str] = {f: 3 * getattr(STANDARD, f) for f in _SCALED}
    changes.update(
        name="hard",
        register_region_variant=0.2,
        register_occupation_variant=0.1,
        name_format=0.2,
        status_variant=0.06,
        zipf_exponent=1.25,
        namesake_copy=0.15,
    )
    return replace(STANDARD, **changes)  # type: ignore[arg-type]


HARD = _hard()
_PROFILES = {p.name: p for p in (STANDARD, HARD)}


def get_profile(name: str) -> Profile:
    """Return the profile called `name` ("standard" or "hard"); raise ValueError otherwise."""
    try:
        return _PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; expected one of {sorted(_PROFILES)}") from None
