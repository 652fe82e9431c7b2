"""Date parsing for dates as they arrive: DD-MM-YYYY, DD/MM/YYYY, DD.MM.YYYY, YYYY-MM-DD,
YYYY/MM/DD, ISO date-times, and Excel serial numbers (days since 1899-12-30).

Indonesian files write the day first; a date like 03-05-1990 is 3 May. `date_sql` is the fast path,
`parse_date` the reference. Dates outside 1900-01-01 .. 2100-12-31 are treated as unparseable.
A birth date must also be plausible at the reference date (`plausible_birth_sql`): not in the future
and at most `MAX_AGE_YEARS` back; an implausible one is dropped (the NIK's date is used instead) and
flagged, never turned into a negative or 126-year age.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

__all__ = ["DATE_FORMATS", "WHITESPACE", "MAX_AGE_YEARS", "parse_date", "date_sql", "strip_sql",
           "plausible_birth_date", "plausible_birth_sql"]

# strptime formats tried in order (DuckDB and Python share the directives used here).
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d")
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL = r"^[0-9]{1,5}([.,][0-9]+)?$"
# Only ASCII digits in these shapes reach strptime: the two strptimes differ beyond them (Python takes
# other scripts' digits and a space-padded day, DuckDB skips trailing whitespace).
_SHAPE = r"^([0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4}|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2})$"
_TIME = r"[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?$"
_LOW, _HIGH = date(1900, 1, 1), date(2100, 12, 31)
# The oldest people ever recorded lived to about 117; older "birth dates" are placeholders such as
# 1900-01-01 or Excel's day 0/1, not people.
MAX_AGE_YEARS = 115
# What Python's str.strip() and \s remove (Unicode whitespace, e.g. a no-break space), as a character
# class body both Python and RE2 read: RE2's \s is ASCII only and DuckDB's trim() removes only spaces.
WHITESPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def strip_sql(expr: str) -> str:
    """SQL for Python's `str.strip()` of a text expression."""
    return f"regexp_replace({expr}, '^[{WHITESPACE}]+|[{WHITESPACE}]+$', '', 'g')"


def parse_date(text: str | None) -> date | None:
    """Examples:

    >>> parse_date("03-05-1990"), parse_date("1990-05-03"), parse_date("32874")
    (datetime.date(1990, 5, 3), datetime.date(1990, 5, 3), datetime.date(1990, 1, 1))
    >>> parse_date("31-02-1990") is None
    True
    """
    t = (text or "").strip()
    if not t:
        return None
    t = re.sub(_TIME, "", t)
    parsed: date | None = None
    if re.fullmatch(_SERIAL, t):  # fullmatch: Python's $ also matches before a final newline, RE2's does not
        parsed = _EXCEL_EPOCH + timedelta(days=int(float(t.replace(",", "."))))
    elif re.fullmatch(_SHAPE, t):
        for fmt in DATE_FORMATS:
            try:
                parsed = datetime.strptime(t, fmt).date()
                break
            except ValueError:
                continue
    if parsed is None or not (_LOW <= parsed <= _HIGH):
        return None
    return parsed


def date_sql(column: str) -> str:
    """A DATE expression (NULL when unparseable) over the raw text column."""
    t = f"regexp_replace({strip_sql(f'coalesce({column}, {chr(39) * 2})')}, '{_TIME}', '')"
    tries = ", ".join(f"try_strptime({t}, '{fmt}')" for fmt in DATE_FORMATS)
    serial = (f"CASE WHEN regexp_matches({t}, '{_SERIAL}') THEN DATE '1899-12-30' + "
              f"CAST(floor(CAST(replace({t}, ',', '.') AS DOUBLE)) AS INTEGER) END")
    parsed = f"coalesce({serial}, CASE WHEN regexp_matches({t}, '{_SHAPE}') THEN CAST(coalesce({tries}) AS DATE) END)"
    return f"(CASE WHEN ({parsed}) BETWEEN DATE '{_LOW}' AND DATE '{_HIGH}' THEN ({parsed}) END)"


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
