"""NIK cleaning, validation and parsing (domain.md §1.1-1.3).

`nik_prepare_sql` + `nik_sql` are the fast path: SQL expressions DuckDB evaluates over a whole
table. `parse_nik(text)` is the slow, obvious reference for tests and for `ucj explain`; both agree.

Statuses, in the order they are tested:
- missing           empty cell
- excel_scientific  "3.57701E+15": Excel kept ~6 digits; only `nik_prefix` survives
- non_numeric       letters or other symbols left after removing separators
- bad_length        not 16 digits (dropped or doubled digit, or a KPJ in the NIK column)
- excel_rounded     a number cell ("...0.0") ending in 0: Excel's 15-digit precision may have
                    zeroed digit 16, so only the first 15 digits are trusted (`nik15`)
- bad_date          digits 7-12 are not a date (day 01-31 or 41-71, month 01-12)
- bad_province      digits 1-2 are not a province code in force
- valid
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pipeline.normalise.dates import WHITESPACE, strip_sql
from pipeline.reference import PROVINCE_CODES

__all__ = ["NikParse", "parse_nik", "nik_prepare_sql", "nik_sql", "NIK_STATUSES"]

NIK_STATUSES = (
    "missing", "excel_scientific", "non_numeric", "bad_length", "excel_rounded", "bad_date",
    "bad_province", "valid",
)

_SCIENTIFIC = r"^[0-9]([.,][0-9]+)?[eE][+]?[0-9]+$"
_FLOAT_SUFFIX = r"[.,]0+$"
_SEPARATORS = f"[{WHITESPACE}.\\-/]"  # [\s.\-/] with Python's \s, spelled so RE2 reads it the same way
# Characters a cell carries without showing them (zero-width spaces and joiners, a BOM pasted inside)
# and quotes left around a value by double quoting: removed wherever they are.
_INVISIBLE_SQL = '[\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}"]'
_INVISIBLE = re.compile('[\u200b-\u200d\u2060\ufeff"]')
# A number shown with thousands separators ("3,577,014,305,900,001", "3.577.014.305.900.000"): a number
# cell, so digit 16 may be Excel's zero, as for a "....0" number.
_GROUPED = r"^[0-9]{1,3}([.,][0-9]{3}){4,}$"


@dataclass(frozen=True)
class NikParse:
    status: str
    digits: str | None  # the 16 digits when usable as an exact key, else None
    nik15: str | None  # first 15 digits (any 16-digit NIK, including excel_rounded)
    prefix: str | None  # surviving leading digits (excel_scientific only)
    region: str | None
    birth_date: date | None
    sex: str | None  # "L" or "P"; None when the date part is invalid
    serial: str | None  # digits 13-16; None when digit 16 may be Excel's zero


def _century_date(yy: int, month: int, day: int, stated_year: int | None, ref_year: int) -> date | None:
    """Digits 11-12 give a 2-digit year: take the century closest to the stated birth year, or else
    the latest century not after the reference year; fall back to the other if the date is invalid."""

    def make(year: int) -> date | None:
        try:
            return date(year, month, day)
        except ValueError:
            return None

    c19, c20 = make(1900 + yy), make(2000 + yy)
    if stated_year is not None:
        prefer20 = abs(2000 + yy - stated_year) < abs(1900 + yy - stated_year)
    else:
        prefer20 = 2000 + yy <= ref_year
    return (c20 or c19) if prefer20 else (c19 or c20)


def parse_nik(text: str | None, *, stated_birth_year: int | None = None, ref_year: int = 2026) -> NikParse:
    """Reference parser. Examples:

    >>> parse_nik("3577.01.430590.0001").status, parse_nik("3577014305900001").sex
    ('valid', 'P')
    >>> parse_nik("3.57701E+15").status
    'excel_scientific'
    >>> parse_nik("3577014305900010.0").status
    'excel_rounded'
    """
    raw = _INVISIBLE.sub("", text or "").strip().lstrip("'").strip()
    if raw == "":
        return NikParse("missing", None, None, None, None, None, None, None)
    if re.match(_SCIENTIFIC, raw):
        mantissa = re.sub(r"[eE].*$", "", raw)
        return NikParse("excel_scientific", None, None, re.sub(r"[.,]", "", mantissa), None, None, None, None)
    if re.fullmatch(_GROUPED, raw):
        from_number, digits = True, re.sub(r"[.,]", "", raw)
    else:
        from_number = re.search(_FLOAT_SUFFIX, raw) is not None
        digits = re.sub(_SEPARATORS, "", re.sub(_FLOAT_SUFFIX, "", raw))
    if not re.fullmatch(r"[0-9]+", digits):
        return NikParse("non_numeric", None, None, None, None, None, None, None)
    if len(digits) != 16:
        return NikParse("bad_length", None, None, None, None, None, None, None)
    dd, mm, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    day = dd - 40 if dd > 40 else dd
    birth = _century_date(yy, mm, day, stated_birth_year, ref_year) if 1 <= day <= 31 and dd <= 71 else None
    sex = ("P" if dd > 40 else "L") if birth else None
    parsed = dict(nik15=digits[:15], prefix=None, region=digits[:6], birth_date=birth, sex=sex,
                  serial=digits[12:])
    if from_number and digits.endswith("0"):  # digit 16 (the serial's last) is not to be trusted
        return NikParse("excel_rounded", None, **{**parsed, "serial": None})
    if birth is None:
        return NikParse("bad_date", digits, **parsed)
    if digits[:2] not in PROVINCE_CODES:
        return NikParse("bad_province", digits, **parsed)
    return NikParse("valid", digits, **parsed)


def nik_prepare_sql(column: str) -> dict[str, str]:
    """Step 1 of 2: helper columns (trimmed text, digits, numeric provenance, date fields)."""
    visible = f"regexp_replace(coalesce({column}, {chr(39) * 2}), '{_INVISIBLE_SQL}', '', 'g')"
    raw = strip_sql(f"ltrim({strip_sql(visible)}, '''')")
    grouped = f"regexp_matches({raw}, '{_GROUPED}')"
    digits = (f"CASE WHEN {grouped} THEN regexp_replace({raw}, '[.,]', '', 'g') "
              f"ELSE regexp_replace(regexp_replace({raw}, '{_FLOAT_SUFFIX}', ''), '{_SEPARATORS}', '', 'g') END")

    def two(start: int) -> str:
        return (f"CASE WHEN regexp_matches({digits}, '^[0-9]{{16}}$') "
                f"THEN CAST(substr({digits}, {start}, 2) AS INTEGER) END")

    return {
        "_nik_raw": raw,
        "_nik_digits": digits,
        "_nik_from_number": f"({grouped} OR regexp_matches({raw}, '{_FLOAT_SUFFIX}'))",
        "_nik_dd": two(7),
        "_nik_mm": two(9),
        "_nik_yy": two(11),
        "_nik_day": f"CASE WHEN ({two(7)}) > 40 THEN ({two(7)}) - 40 ELSE ({two(7)}) END",
    }


def nik_sql(*, stated_birth_date: str | None, ref_year: int) -> dict[str, str]:
    """Step 2 of 2: output columns, computed over the helper columns of `nik_prepare_sql`."""
    c19 = "try(make_date(1900 + _nik_yy, _nik_mm, _nik_day))"
    c20 = "try(make_date(2000 + _nik_yy, _nik_mm, _nik_day))"
    if stated_birth_date is not None:
        prefer20 = (f"CASE WHEN {stated_birth_date} IS NULL THEN 2000 + _nik_yy <= {int(ref_year)} "
                    f"ELSE abs(2000 + _nik_yy - year({stated_birth_date})) "
                    f"< abs(1900 + _nik_yy - year({stated_birth_date})) END")
    else:
        prefer20 = f"2000 + _nik_yy <= {int(ref_year)}"
    birth = (f"CASE WHEN _nik_day BETWEEN 1 AND 31 AND _nik_dd <= 71 THEN "
             f"CASE WHEN {prefer20} THEN coalesce({c20}, {c19}) ELSE coalesce({c19}, {c20}) END END")
    provinces = ", ".join(f"'{p}'" for p in sorted(PROVINCE_CODES))
    sixteen = "regexp_matches(_nik_digits, '^[0-9]{16}$')"
    rounded = "(_nik_from_number AND right(_nik_digits, 1) = '0')"
    scientific = f"regexp_matches(_nik_raw, '{_SCIENTIFIC}')"
    return {
        "nik_status": f"""CASE
            WHEN _nik_raw = '' THEN 'missing'
            WHEN {scientific} THEN 'excel_scientific'
            WHEN NOT regexp_matches(_nik_digits, '^[0-9]+$') THEN 'non_numeric'
            WHEN length(_nik_digits) <> 16 THEN 'bad_length'
            WHEN {rounded} THEN 'excel_rounded'
            WHEN ({birth}) IS NULL THEN 'bad_date'
            WHEN left(_nik_digits, 2) NOT IN ({provinces}) THEN 'bad_province'
            ELSE 'valid' END""",
        "nik": f"CASE WHEN {sixteen} AND NOT {rounded} THEN _nik_digits END",
        "nik15": f"CASE WHEN {sixteen} THEN left(_nik_digits, 15) END",
        "nik_prefix": f"CASE WHEN {scientific} "
                      f"THEN regexp_replace(regexp_replace(_nik_raw, '[eE].*$', ''), '[.,]', '', 'g') END",
        "nik_region": f"CASE WHEN {sixteen} THEN left(_nik_digits, 6) END",
        "nik_serial": f"CASE WHEN {sixteen} AND NOT {rounded} THEN right(_nik_digits, 4) END",
        "nik_birth_date": f"CASE WHEN {sixteen} THEN {birth} END",
        "nik_sex": f"CASE WHEN {sixteen} AND ({birth}) IS NOT NULL "
                   f"THEN CASE WHEN _nik_dd > 40 THEN 'P' ELSE 'L' END END",
    }
