"""Error-rate profiles of the synthetic generator: "standard", "hard" and "wild".

All rates are per written row (register row or membership row). The hard profile multiplies the
error rates of standard (three times the classic families, twice the families of issue 10) and makes
namesakes more frequent. The wild profile is written from a catalogue of the damage real CSV/XLSX
exports carry (domain.md §1.3, §4.5, §6), not from what the engine handles: see `WILD`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["Profile", "STANDARD", "HARD", "WILD", "PROFILE_NAMES", "get_profile", "error_families"]


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
    # Membership rows: NIK damage (mutually exclusive; `noise.NIK_KINDS`). About 8% of real export
    # rows carry no NIK (issue 10); one-digit errors land in any position, region digits included.
    nik_missing: float = 0.07
    nik_substitution: float = 0.0125
    nik_transposition: float = 0.006
    nik_region_substitution: float = 0.0075
    nik_region_transposition: float = 0.004
    nik_excel: float = 0.02
    nik_excel_zeroed: float = 0.005
    nik_kk: float = 0.005
    nik_female_40: float = 0.0
    nik_length: float = 0.0
    nik_ocr: float = 0.0
    nik_separators: float = 0.0
    # Rows damaged twice by one careless entry: NIK one keying error away AND birth date missing or
    # day/month swapped, name exact. And rows with neither NIK nor birth date, only a full name.
    nik_typo_dob_damage: float = 0.004
    no_nik_no_dob: float = 0.006
    # Membership rows: name errors (independent, applied where applicable). Together about 30% of
    # rows carry some name variation (issue 10).
    name_spelling: float = 0.05
    name_title: float = 0.06
    name_muhammad: float = 0.035
    name_double: float = 0.04
    name_order: float = 0.015
    name_drop: float = 0.025
    name_typo: float = 0.04
    name_initial: float = 0.02  # A. ROZAK for ABDUL ROZAK, SRI W. LESTARI
    name_drop_typo: float = 0.012  # a word dropped, and a typo
    name_add_word: float = 0.02  # a word added (half with a typo)
    name_short_typo: float = 0.012  # NDAH for INDAH
    name_nickname: float = 0.012  # only the call name: YUNI for SRI WAHYUNI
    name_titles_stacked: float = 0.0
    name_ocr: float = 0.0
    name_split_column: float = 0.0
    name_unicode_space: float = 0.0
    name_format: float = 0.10  # formatting only, not an error
    # Membership rows: birth-date errors (mutually exclusive).
    dob_swap: float = 0.01
    dob_offbyone: float = 0.01
    dob_year: float = 0.005
    dob_missing: float = 0.015
    dob_placeholder: float = 0.0
    # Cell-level export damage (`wild`): birth date in a format outside the usual three, name and
    # birth date merged into the name column, KPJ stored as a number (leading zero lost).
    dob_odd_format: float = 0.0
    dob_us_format: float = 0.0
    name_merged_column: float = 0.0
    kpj_number: float = 0.0
    member_duplicate: float = 0.002
    status_variant: float = 0.03
    # Namesakes: Zipf exponent of given-name frequencies and share of outsiders who carry the
    # exact name of a resident of similar age.
    zipf_exponent: float = 1.0
    namesake_copy: float = 0.03


STANDARD = Profile(name="standard")

_TRIPLED = (
    "register_invalid_nik",
    "register_duplicate",
    "register_title",
    "nik_missing",
    "nik_substitution",
    "nik_transposition",
    "nik_region_substitution",
    "nik_region_transposition",
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
_DOUBLED = (
    "nik_excel_zeroed",
    "nik_typo_dob_damage",
    "no_nik_no_dob",
    "name_initial",
    "name_drop_typo",
    "name_add_word",
    "name_short_typo",
    "name_nickname",
)


def _hard() -> Profile:
    changes: dict[str, float | str] = {f: 3 * getattr(STANDARD, f) for f in _TRIPLED}
    changes.update({f: 2 * getattr(STANDARD, f) for f in _DOUBLED})
    changes.update(
        name="hard",
        nik_missing=0.16,  # not 3 x 7%: a quarter of rows without NIK is no longer an export anyone uses
        register_region_variant=0.2,
        register_occupation_variant=0.1,
        name_format=0.2,
        status_variant=0.06,
        zipf_exponent=1.25,
        namesake_copy=0.15,
    )
    return replace(STANDARD, **changes)  # type: ignore[arg-type]


HARD = _hard()

# The catalogue of real export damage behind `wild` (rates per membership row). Each line is a kind
# of damage seen in CSV/XLSX exports handed between offices, with the section of domain.md it comes
# from; the rates are our estimate of a careless but real export, not tuned to any engine.
WILD = replace(
    STANDARD,
    name="wild",
    register_invalid_nik=0.001,
    register_duplicate=0.002,
    register_title=0.01,
    register_region_variant=0.25,
    register_occupation_variant=0.10,
    register_dob_correction=0.02,
    # §1.3 NIK: Excel precision (rounded, zeroed, scientific), NIK and KK confused, +40 not applied,
    # a digit dropped or doubled, separators and apostrophes, OCR of printed lists.
    nik_missing=0.08,
    nik_substitution=0.015,
    nik_transposition=0.008,
    nik_region_substitution=0.01,
    nik_region_transposition=0.006,
    nik_excel=0.04,
    nik_excel_zeroed=0.02,
    nik_kk=0.015,
    nik_female_40=0.004,
    nik_length=0.006,
    nik_ocr=0.006,
    nik_separators=0.02,
    nik_typo_dob_damage=0.006,
    no_nik_no_dob=0.008,
    # §6.1 old spelling and letter variants; §6.2 titles, Muhammad, bin/binti, initials; §6.3 one
    # word, call names; employer keying: typos, dropped and added words.
    name_spelling=0.08,
    name_title=0.06,
    name_muhammad=0.05,
    name_double=0.04,
    name_order=0.02,
    name_drop=0.03,
    name_typo=0.04,
    name_initial=0.03,
    name_drop_typo=0.015,
    name_add_word=0.025,
    name_short_typo=0.015,
    name_nickname=0.015,
    name_titles_stacked=0.015,
    name_ocr=0.005,
    name_split_column=0.008,
    name_unicode_space=0.02,
    name_format=0.30,
    # Dates: swapped, off by one, placeholders, formats of other locales (DD-MM-YY, 5 Agu 1985,
    # YYYYMMDD, MM/DD/YYYY from a US-locale Excel).
    dob_swap=0.015,
    dob_offbyone=0.015,
    dob_year=0.008,
    dob_missing=0.025,
    dob_placeholder=0.01,
    dob_odd_format=0.03,
    dob_us_format=0.01,
    name_merged_column=0.005,
    kpj_number=0.05,
    member_duplicate=0.01,
    status_variant=0.08,
    zipf_exponent=1.1,
    namesake_copy=0.06,
)
_PROFILES = {p.name: p for p in (STANDARD, HARD, WILD)}
PROFILE_NAMES = tuple(_PROFILES)


def get_profile(name: str) -> Profile:
    """Return the profile called `name` ("standard", "hard" or "wild"); raise ValueError otherwise."""
    try:
        return _PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; expected one of {sorted(_PROFILES)}") from None


def error_families(prof: Profile) -> dict[str, float]:
    """The membership-row error families of a profile with their rates (for reports)."""
    skip = {"name", "name_format", "status_variant", "zipf_exponent", "namesake_copy"}
    return {f.name: getattr(prof, f.name) for f in fields(prof) if f.name not in skip
            and not f.name.startswith("register_") and getattr(prof, f.name) > 0}
