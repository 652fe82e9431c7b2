"""Date parsing for dates as they arrive: DD-MM-YYYY, DD/MM/YYYY, DD.MM.YYYY, YYYY-MM-DD,
YYYY/MM/DD, ISO date-times, Excel serial numbers (days since 1899-12-30), and what other offices,
locales and re-typed cells write (domain.md §1.3): a month by name in Indonesian or English
("5 Agustus 1985", "05-Agu-1985", "05-Aug-85"), a two-digit year ("05-08-85", "05.08.85"), eight
digits run together ("19850805", "05081985"), and a US-locale MM/DD/YYYY where the day-first reading
is impossible ("08/25/1985").

Indonesian files write the day first; a date like 03-05-1990 is 3 May. `date_sql` is the fast path,
`parse_date` the reference. A two-digit year needs the reference year to choose its century (the
latest century not after it, as for a NIK's birth date); without one it stays unparsed. Dates outside
1900-01-01 .. 2100-12-31 are treated as unparseable. A birth date must also be plausible at the
reference date (`plausible_birth_sql`): not in the future and at most `MAX_AGE_YEARS` back; an
implausible one is dropped (the NIK's date is used instead) and flagged, never turned into a negative
or 126-year age.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

__all__ = ["DATE_FORMATS", "MONTH_NAMES", "WHITESPACE", "MAX_AGE_YEARS", "TRAILING_DATE", "parse_date", "date_sql",
           "trailing_date_sql", "stated_date_sql", "strip_sql", "plausible_birth_date", "plausible_birth_sql"]

# strptime formats tried in order (DuckDB and Python share the directives used here).
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d")
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL = r"^[0-9]{1,5}([.,][0-9]+)?$"
# Only ASCII digits in these shapes reach strptime: the two strptimes differ beyond them (Python takes
# other scripts' digits and a space-padded day, DuckDB skips trailing whitespace).
_SHAPE = r"^([0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4}|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2})$"
_US = r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$"  # read month first only when the second number is > 12
_NAMED = r"^([0-9]{1,2})[-/. ]+([A-Za-z]{3,9})[.]?[-/., ]+([0-9]{4}|[0-9]{2})$"
_TWO_DIGIT_YEAR = r"^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{2})$"
_COMPACT = r"^[0-9]{8}$"  # YYYYMMDD, else DDMMYYYY (never both: a year's first two digits are over 12)
_TIME = r"[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?$"
_LOW, _HIGH = date(1900, 1, 1), date(2100, 12, 31)

# Month names and abbreviations, Indonesian (with the old P- spellings) and English, lower case.
MONTH_NAMES: dict[str, int] = {
    name: number for number, names in enumerate((
        ("januari", "january", "jan"), ("februari", "pebruari", "february", "feb", "peb"),
        ("maret", "march", "mar"), ("april", "apr"), ("mei", "may"), ("juni", "june", "jun"),
        ("juli", "july", "jul"), ("agustus", "august", "agu", "agt", "ags", "agst", "aug"),
        ("september", "sep", "sept"), ("oktober", "october", "okt", "oct"),
        ("november", "nopember", "nov", "nop"), ("desember", "december", "des", "dec")), start=1)
    for name in names}

# The oldest people ever recorded lived to about 117; older "birth dates" are placeholders such as
# 1900-01-01 or Excel's day 0/1, not people.
MAX_AGE_YEARS = 115
# What Python's str.strip() and \s remove (Unicode whitespace, e.g. a no-break space), as a character
# class body both Python and RE2 read: RE2's \s is ASCII only and DuckDB's trim() removes only spaces.
WHITESPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def strip_sql(expr: str) -> str:
    """SQL for Python's `str.strip()` of a text expression."""
    return f"regexp_replace({expr}, '^[{WHITESPACE}]+|[{WHITESPACE}]+$', '', 'g')"


def _year(text: str, ref_year: int | None) -> int | None:
    """A four-digit year, or a two-digit one in the latest century not after `ref_year`."""
    if len(text) == 4:
        return int(text)
    if ref_year is None:
        return None
    return 2000 + int(text) if 2000 + int(text) <= ref_year else 1900 + int(text)


def _make(year: int | None, month: int | None, day: int) -> date | None:
    try:
        return date(year, month, day) if year is not None and month is not None else None
    except ValueError:
        return None


def _strptime(t: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    return None


def parse_date(text: str | None, ref_year: int | None = None) -> date | None:
    """The date `text` holds, or None. `ref_year` gives a two-digit year its century. Examples:

    >>> parse_date("03-05-1990"), parse_date("1990-05-03"), parse_date("32874")
    (datetime.date(1990, 5, 3), datetime.date(1990, 5, 3), datetime.date(1990, 1, 1))
    >>> parse_date("5 Agustus 1985"), parse_date("05-Aug-85", 2026), parse_date("19850805")
    (datetime.date(1985, 8, 5), datetime.date(1985, 8, 5), datetime.date(1985, 8, 5))
    >>> parse_date("31-02-1990") is None, parse_date("05-08-85") is None
    (True, True)
    """
    t = (text or "").strip()
    if not t:
        return None
    t = re.sub(_TIME, "", t)
    parsed: date | None = None
    # fullmatch: Python's $ also matches before a final newline, RE2's does not
    if re.fullmatch(_SERIAL, t):
        parsed = _EXCEL_EPOCH + timedelta(days=int(float(t.replace(",", "."))))
    elif re.fullmatch(_SHAPE, t):
        parsed = _strptime(t)
        us = re.fullmatch(_US, t)
        if parsed is None and us and int(us[2]) > 12:
            parsed = _make(int(us[3]), int(us[1]), int(us[2]))
    elif named := re.fullmatch(_NAMED, t):
        parsed = _make(_year(named[3], ref_year), MONTH_NAMES.get(named[2].lower()), int(named[1]))
    elif two := re.fullmatch(_TWO_DIGIT_YEAR, t):
        parsed = _make(_year(two[3], ref_year), int(two[2]), int(two[1]))
    elif re.fullmatch(_COMPACT, t):
        parsed = _make(int(t[:4]), int(t[4:6]), int(t[6:])) or _make(int(t[4:]), int(t[2:4]), int(t[:2]))
    if parsed is None or not (_LOW <= parsed <= _HIGH):
        return None
    return parsed


def _year_sql(text: str, ref_year: int | None) -> str:
    if ref_year is None:
        return f"CASE WHEN length({text}) = 4 THEN CAST({text} AS INTEGER) END"
    yy = f"CAST({text} AS INTEGER)"
    return (f"CASE WHEN length({text}) = 4 THEN {yy} WHEN 2000 + {yy} <= {int(ref_year)} THEN 2000 + {yy} "
            f"ELSE 1900 + {yy} END")


def date_sql(column: str, ref_year: int | None = None) -> str:
    """A DATE expression (NULL when unparseable) over the raw text column: `parse_date` in SQL."""
    t = f"regexp_replace({strip_sql(f'coalesce({column}, {chr(39) * 2})')}, '{_TIME}', '')"
    tries = ", ".join(f"try_strptime({t}, '{fmt}')" for fmt in DATE_FORMATS)
    serial = (f"CASE WHEN regexp_matches({t}, '{_SERIAL}') THEN DATE '1899-12-30' + "
              f"CAST(floor(CAST(replace({t}, ',', '.') AS DOUBLE)) AS INTEGER) END")
    shape = f"CASE WHEN regexp_matches({t}, '{_SHAPE}') THEN CAST(coalesce({tries}) AS DATE) END"

    def part(pattern: str, group: int) -> str:
        return f"regexp_extract({t}, '{pattern}', {group})"

    def number(pattern: str, group: int) -> str:
        return f"CAST({part(pattern, group)} AS INTEGER)"

    us = (f"CASE WHEN regexp_matches({t}, '{_US}') AND {number(_US, 2)} > 12 THEN "
          f"try(make_date({number(_US, 3)}, {number(_US, 1)}, {number(_US, 2)})) END")
    months = " ".join(f"WHEN '{name}' THEN {n}" for name, n in MONTH_NAMES.items())
    named = (f"CASE WHEN regexp_matches({t}, '{_NAMED}') THEN try(make_date({_year_sql(part(_NAMED, 3), ref_year)}, "
             f"CASE lower({part(_NAMED, 2)}) {months} END, {number(_NAMED, 1)})) END")
    two = (f"CASE WHEN regexp_matches({t}, '{_TWO_DIGIT_YEAR}') THEN try(make_date("
           f"{_year_sql(part(_TWO_DIGIT_YEAR, 3), ref_year)}, {number(_TWO_DIGIT_YEAR, 2)}, "
           f"{number(_TWO_DIGIT_YEAR, 1)})) END")
    compact = (f"CASE WHEN regexp_matches({t}, '{_COMPACT}') THEN coalesce("
               f"try(make_date(CAST(left({t}, 4) AS INTEGER), CAST(substr({t}, 5, 2) AS INTEGER), "
               f"CAST(right({t}, 2) AS INTEGER))), try(make_date(CAST(right({t}, 4) AS INTEGER), "
               f"CAST(substr({t}, 3, 2) AS INTEGER), CAST(left({t}, 2) AS INTEGER)))) END")
    parsed = f"coalesce({serial}, {shape}, {us}, {named}, {two}, {compact})"
    return f"(CASE WHEN ({parsed}) BETWEEN DATE '{_LOW}' AND DATE '{_HIGH}' THEN ({parsed}) END)"


# A date at the end of a cell that holds something before it: the place of birth ("MADIUN, 05-08-1985",
# a "tempat, tanggal lahir" column) or a name ("SITI AMINAH / 5 Agustus 1985", columns merged).
TRAILING_DATE = (r"[\s,/;|(-]+([0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{2,4}|[0-9]{1,2}[-/. ]+[A-Za-z]{3,9}[.]?[-/., ]+"
                 r"[0-9]{2,4}|[0-9]{8})[\s)]*$")


def trailing_date_sql(column: str, ref_year: int | None = None) -> str:
    """The date written at the end of a text with more before it (NULL when there is none)."""
    return date_sql(f"regexp_extract({column}, '{TRAILING_DATE}', 1)", ref_year)


def stated_date_sql(column: str, ref_year: int | None = None) -> str:
    """A date cell: the date it holds, else the date at its end ("MADIUN, 05-08-1985")."""
    return f"coalesce({date_sql(column, ref_year)}, {trailing_date_sql(column, ref_year)})"


def _earliest_birth(reference_date: date) -> date:
    year = reference_date.year - MAX_AGE_YEARS
    return reference_date.replace(year=year, day=28) if (reference_date.month, reference_date.day) == (2, 29) \
        else reference_date.replace(year=year)


def plausible_birth_date(value: date | None, reference_date: date) -> date | None:
    """The birth date when a person born then can be alive at the reference date, else None.

    >>> plausible_birth_date(date(2099, 1, 1), date(2026, 1, 1)) is None
    True
    >>> plausible_birth_date(date(1900, 1, 1), date(2026, 1, 1)) is None
    True
    """
    if value is None or not (_earliest_birth(reference_date) < value <= reference_date):
        return None
    return value


def plausible_birth_sql(expr: str, reference_date: date) -> str:
    """SQL of `plausible_birth_date` over a DATE expression."""
    return (f"(CASE WHEN ({expr}) > DATE '{_earliest_birth(reference_date)}' "
            f"AND ({expr}) <= DATE '{reference_date}' THEN ({expr}) END)")
