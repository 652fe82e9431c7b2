"""pipeline.normalise.dates: every accepted format case by case, and `date_sql` against `parse_date` (Hypothesis)."""

from __future__ import annotations

import doctest
from datetime import date

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.normalise.dates
from pipeline.normalise.dates import DATE_FORMATS, MONTH_NAMES, date_sql, parse_date

MAY3 = date(1990, 5, 3)

CASES: list[tuple[str, str | None, date | None]] = [
    ("DD-MM-YYYY (day first)", "03-05-1990", MAY3),
    ("DD/MM/YYYY", "03/05/1990", MAY3),
    ("DD.MM.YYYY", "03.05.1990", MAY3),
    ("YYYY-MM-DD", "1990-05-03", MAY3),
    ("YYYY/MM/DD", "1990/05/03", MAY3),
    ("unpadded day and month", "3-5-1990", MAY3),
    ("unpadded ISO", "1990-5-3", MAY3),
    ("padding around", "  03-05-1990\t", MAY3),
    ("12th of a month, not December", "12-01-1990", date(1990, 1, 12)),
    ("ISO date-time with T", "1990-05-03T10:15:00", MAY3),
    ("date-time with a space", "1990-05-03 10:15", MAY3),
    ("date-time with fractions", "1990-05-03 10:15:00.123456", MAY3),
    ("day-first date-time", "03-05-1990 7:05:00", MAY3),
    ("Excel serial", "32996", MAY3),
    ("Excel serial from a number cell", "32996.0", MAY3),
    ("Excel serial with a time fraction", "32996.75", MAY3),
    ("Excel serial with a comma decimal", "32996,5", MAY3),
    ("first serial in range", "2", date(1900, 1, 1)),
    ("31 February", "31-02-1990", None),
    ("30 February ISO", "1990-02-30", None),
    ("29 February of a leap year", "29-02-2000", date(2000, 2, 29)),
    ("29 February of 1900", "29-02-1900", None),
    ("month 13", "01-13-1990", None),
    ("day 32", "32-01-1990", None),
    ("before 1900", "31-12-1899", None),
    ("after 2100", "01-01-2101", None),
    ("last day in range", "31-12-2100", date(2100, 12, 31)),
    ("year 0001", "0001-01-01", None),
    ("serial 0 (1899-12-30)", "0", None),
    ("serial beyond 2100", "99999", None),
    ("two-digit year without a reference year", "03-05-90", None),
    ("five-digit year", "03-05-19900", None),
    ("Indonesian month name", "03 Mei 1990", MAY3),
    ("Indonesian month in upper case", "3 AGUSTUS 1985", date(1985, 8, 3)),
    ("Indonesian abbreviation with dashes", "03-Agu-1985", date(1985, 8, 3)),
    ("old spelling Pebruari", "7 Pebruari 1971", date(1971, 2, 7)),
    ("English abbreviation with a dot and a comma", "03 Aug. 1985", date(1985, 8, 3)),
    ("English full name", "3 December 1985", date(1985, 12, 3)),
    ("month name that is no month", "03 Marx 1990", None),
    ("month name, impossible day", "31 Juni 1990", None),
    ("month name, two-digit year without a reference year", "03-Aug-85", None),
    ("eight digits, year first", "19900503", MAY3),
    ("eight digits, day first", "03051990", MAY3),
    ("eight digits, neither", "99999999", None),
    ("US month first, day over 12", "05/23/1990", date(1990, 5, 23)),
    ("US month first, ambiguous: day first", "05/03/1990", date(1990, 3, 5)),
    ("month first with dashes stays unparsed", "05-23-1990", None),
    ("time zone suffix", "1990-05-03T10:15:00+07:00", None),
    ("text", "tidak tahu", None),
    ("digits of another script", "\u0661\u0669\u0669\u0660-05-03", None),
    ("space-padded day", "1990-05- 3", None),
    ("line break before a time", "32996\n 10:15", None),
    ("line break before a time after a date", "03-05-1990\n 10:15", None),
    ("empty", "", None),
    ("blank", "   ", None),
    ("None", None, None),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parse_date(text: str | None, expected: date | None) -> None:
    assert parse_date(text) == expected


# (text, reference year, date): a two-digit year takes the latest century not after the reference year.
TWO_DIGIT_CASES = [
    ("03-05-90", 2026, MAY3),
    ("03.05.90", 2026, MAY3),
    ("3/5/90", 2026, MAY3),
    ("03-05-26", 2026, date(2026, 5, 3)),
    ("03-05-27", 2026, date(1927, 5, 3)),
    ("03-05-00", 2026, date(2000, 5, 3)),
    ("03-Agu-85", 2026, date(1985, 8, 3)),
    ("3 Mei 90", 2026, MAY3),
    ("31-02-90", 2026, None),
    ("03-13-90", 2026, None),
    ("03-05-1990", 2026, MAY3),
]


@pytest.mark.parametrize(("text", "ref_year", "expected"), TWO_DIGIT_CASES)
def test_two_digit_years_take_the_century_of_the_reference_year(con: duckdb.DuckDBPyConnection, text: str,
                                                                 ref_year: int, expected: date | None) -> None:
    assert parse_date(text, ref_year) == expected
    assert _sql_dates(con, [text], ref_year) == [expected]


def test_docstring_examples() -> None:
    assert doctest.testmod(pipeline.normalise.dates).failed == 0


def _sql_dates(con: duckdb.DuckDBPyConnection, texts: list[str | None],
               ref_year: int | None = None) -> list[date | None]:
    con.register("raw_dates", pa.table({"i": pa.array(range(len(texts)), pa.int32()),
                                        "t": pa.array(texts, pa.string())}))
    try:
        return [r[0] for r in con.execute(f"SELECT {date_sql('t', ref_year)} FROM raw_dates ORDER BY i").fetchall()]
    finally:
        con.unregister("raw_dates")


def test_sql_agrees_on_the_table(con: duckdb.DuckDBPyConnection) -> None:
    got = _sql_dates(con, [c[1] for c in CASES])
    assert [(c[0], g) for c, g in zip(CASES, got, strict=True) if g != c[2]] == []


_SPACES = " \t\n\r\x0b\u00a0\u2028\u3000"
# The forms read beyond DATE_FORMATS (%B: a month name or abbreviation, or a word that is none).
OTHER_FORMS = ("%d %B %Y", "%d-%B-%Y", "%d %B %y", "%d-%B-%y", "%d-%m-%y", "%d.%m.%y", "%d/%m/%y", "%Y%m%d",
               "%d%m%Y", "%m/%d/%Y")


_DIGITS = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")


@st.composite
def date_text(draw: st.DrawFn) -> str:
    """A date written in one of the accepted forms, valid or not, with the clutter exports add."""
    kind = draw(st.sampled_from([*DATE_FORMATS, *OTHER_FORMS, "serial"]))
    if kind == "serial":
        text = str(draw(st.integers(0, 120_000)))
        if draw(st.booleans()):
            text += draw(st.sampled_from(".,")) + str(draw(st.integers(0, 999)))
    else:
        year = draw(st.integers(1890, 2110) | st.integers(0, 99_999))
        month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
        pad = draw(st.sampled_from(["", "0", " ", "00"]))
        word = draw(st.sampled_from([*MONTH_NAMES, "marx", "bulan", "x"]))
        word = draw(st.sampled_from([word, word.upper(), word.title()])) + draw(st.sampled_from(["", "."]))
        values = {"%d": f"{day:{pad}2d}" if pad else str(day), "%m": f"{month:{pad}2d}" if pad else str(month),
                  "%Y": f"{year:04d}", "%y": f"{year % 100:02d}", "%B": word}
        text = kind
        for directive, value in values.items():
            text = text.replace(directive, value)
        if draw(st.integers(0, 9)) == 0:  # a mixed-up separator
            at = draw(st.integers(0, len(text) - 1))
            text = text[:at] + draw(st.sampled_from("-/. ")) + text[at + 1:]
    suffix = draw(st.sampled_from(["", " 10:15", "T10:15:00", " 7:05:09.25", "T23:59:59.999999", " 10", ":00",
                                   "\n 10:15", "\t10:15"]))
    text += suffix
    if draw(st.integers(0, 9)) == 0:  # digits of another script
        text = text.translate(_DIGITS)
    spaces = st.text(alphabet=_SPACES, max_size=2)
    return draw(spaces) + text + draw(spaces)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.none() | date_text() | st.text(max_size=20)
                      | st.text(alphabet="0123456789-/.,: T", max_size=20), min_size=1, max_size=60),
       ref_year=st.none() | st.integers(1950, 2100))
def test_sql_agrees_with_parse_date(duck: duckdb.DuckDBPyConnection, texts: list[str | None],
                                    ref_year: int | None) -> None:
    assert _sql_dates(duck, texts, ref_year) == [parse_date(t, ref_year) for t in texts]


@settings(max_examples=200, deadline=None)
@given(text=st.none() | st.text() | date_text(), ref_year=st.none() | st.integers(1950, 2100))
def test_parse_date_never_raises_and_stays_in_range(text: str | None, ref_year: int | None) -> None:
    parsed = parse_date(text, ref_year)
    assert parsed is None or date(1900, 1, 1) <= parsed <= date(2100, 12, 31)


# Plausible birth dates at a reference date: not in the future, at most MAX_AGE_YEARS back.
REF = date(2026, 1, 1)
BIRTHS = [
    ("the reference date itself", date(2026, 1, 1), date(2026, 1, 1)),
    ("one day in the future", date(2026, 1, 2), None),
    ("far future (2099)", date(2099, 1, 1), None),
    ("1900-01-01, a placeholder", date(1900, 1, 1), None),
    ("exactly 115 years back", date(1911, 1, 1), None),
    ("a day younger than 115 years", date(1911, 1, 2), date(1911, 1, 2)),
    ("an ordinary birth date", MAY3, MAY3),
]


@pytest.mark.parametrize(("birth", "expected"), [b[1:] for b in BIRTHS], ids=[b[0] for b in BIRTHS])
def test_plausible_birth_date(con: duckdb.DuckDBPyConnection, birth: date, expected: date | None) -> None:
    from pipeline.normalise.dates import plausible_birth_date, plausible_birth_sql

    assert plausible_birth_date(birth, REF) == expected
    sql = f"SELECT {plausible_birth_sql('b', REF)} FROM (SELECT ?::DATE AS b)"
    assert con.execute(sql, [birth]).fetchone()[0] == expected


def test_plausible_birth_date_on_a_leap_day_reference() -> None:
    from pipeline.normalise.dates import plausible_birth_date

    assert plausible_birth_date(date(1909, 3, 1), date(2024, 2, 29)) == date(1909, 3, 1)
    assert plausible_birth_date(date(1909, 2, 28), date(2024, 2, 29)) is None
