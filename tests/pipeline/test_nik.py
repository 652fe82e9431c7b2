"""pipeline.normalise.nik: the reference parser case by case, and the SQL fast path against it (Hypothesis)."""

from __future__ import annotations

import doctest
from datetime import date

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.normalise.nik
from pipeline.normalise.nik import NIK_STATUSES, nik_prepare_sql, nik_sql, parse_nik
from pipeline.reference import PROVINCE_CODES

FEMALE = "3577014305900001"  # Kota Madiun, Kartoharjo; 03-05-1990 (+40), serial 0001
MALE = "3577010305900001"


def _nik(prov: str = "35", area: str = "7701", dd: int = 3, mm: int = 5, yy: int = 90, serial: str = "0001") -> str:
    return f"{prov}{area}{dd:02d}{mm:02d}{yy:02d}{serial}"


# id, text, keyword arguments, expected fields of the NikParse (the others are not checked)
CASES: list[tuple[str, str | None, dict, dict]] = [
    ("valid female", FEMALE, {},
     dict(status="valid", digits=FEMALE, nik15=FEMALE[:15], region="357701", birth_date=date(1990, 5, 3), sex="P",
          serial="0001", prefix=None)),
    ("valid male", MALE, {}, dict(status="valid", digits=MALE, birth_date=date(1990, 5, 3), sex="L")),
    ("day+40 at its highest (71 = 31st)", _nik(dd=71, mm=12, yy=85), {},
     dict(status="valid", birth_date=date(1985, 12, 31), sex="P")),
    ("day+40 of the 1st", _nik(dd=41, mm=1, yy=85), {}, dict(status="valid", birth_date=date(1985, 1, 1), sex="P")),
    ("dotted separators", "3577.01.430590.0001", {}, dict(status="valid", digits=FEMALE)),
    ("spaces", "3577 0143 0590 0001", {}, dict(status="valid", digits=FEMALE)),
    ("dashes and slashes", "3577-01/430590-0001", {}, dict(status="valid", digits=FEMALE)),
    ("leading apostrophe (Excel text)", "'" + FEMALE, {}, dict(status="valid", digits=FEMALE)),
    ("apostrophe and padding", "  ' 3577014305900001  ", {}, dict(status="valid", digits=FEMALE)),
    ("tab and newline around", "\t3577014305900001\n", {}, dict(status="valid", digits=FEMALE)),
    ("no-break space separators", "3577\u00a001\u00a0430590\u00a00001", {}, dict(status="valid", digits=FEMALE)),
    ("zero-width space inside", "3577\u200b014305900001", {}, dict(status="valid", digits=FEMALE)),
    ("byte-order mark pasted in front", "\ufeff" + FEMALE, {}, dict(status="valid", digits=FEMALE)),
    ("quotes left around the value", '"' + FEMALE + '"', {}, dict(status="valid", digits=FEMALE)),
    ("thousands commas: a number shown grouped", "3,577,014,305,900,001", {}, dict(status="valid", digits=FEMALE)),
    ("thousands dots ending in 0: Excel's zero", "3.577.014.305.900.010", {},
     dict(status="excel_rounded", digits=None, nik15="357701430590001")),
    ("15 digits", FEMALE[:15], {}, dict(status="bad_length", digits=None, nik15=None, region=None, sex=None)),
    ("17 digits", FEMALE + "1", {}, dict(status="bad_length", digits=None)),
    ("KPJ-like 11 digits", "19012345678", {}, dict(status="bad_length")),
    ("letter O for zero", "35770143O5900001", {}, dict(status="non_numeric", digits=None, nik15=None)),
    ("text", "belum ada", {}, dict(status="non_numeric")),
    ("Excel scientific, dot", "3.57701E+15", {},
     dict(status="excel_scientific", prefix="357701", digits=None, nik15=None, region=None)),
    ("Excel scientific, comma", "3,57701E+15", {}, dict(status="excel_scientific", prefix="357701")),
    ("Excel scientific, lower case, more digits", "3.5770143e15", {},
     dict(status="excel_scientific", prefix="35770143")),
    ("number cell ending in 0", "3577014305900010.0", {},
     dict(status="excel_rounded", digits=None, nik15="357701430590001", region="357701", serial=None,
          birth_date=date(1990, 5, 3), sex="P")),
    ("number cell ending in 0, comma decimal", "3577014305900010,0", {}, dict(status="excel_rounded", digits=None)),
    ("number cell ending in non-zero stays valid", "3577014305900001.0", {},
     dict(status="valid", digits=FEMALE, nik15=FEMALE[:15])),
    ("text ending in 0 stays valid", "3577014305900010", {}, dict(status="valid", digits="3577014305900010")),
    ("day 35", _nik(dd=35), {}, dict(status="bad_date", digits=_nik(dd=35), birth_date=None, sex=None,
                                     region="357701")),
    ("day 40", _nik(dd=40), {}, dict(status="bad_date", birth_date=None)),
    ("day 72", _nik(dd=72), {}, dict(status="bad_date", birth_date=None)),
    ("day 00", _nik(dd=0), {}, dict(status="bad_date", birth_date=None)),
    ("month 13", _nik(mm=13), {}, dict(status="bad_date", birth_date=None, sex=None)),
    ("month 00", _nik(mm=0), {}, dict(status="bad_date")),
    ("31 April", _nik(dd=31, mm=4), {}, dict(status="bad_date")),
    ("province 99", _nik(prov="99"), {}, dict(status="bad_province", digits=_nik(prov="99"),
                                             birth_date=date(1990, 5, 3))),
    ("province 20", _nik(prov="20"), {}, dict(status="bad_province")),
    ("Papua split province 96", _nik(prov="96"), {}, dict(status="valid")),
    ("empty", "", {}, dict(status="missing", digits=None, nik15=None)),
    ("None", None, {}, dict(status="missing")),
    ("blank", "   ", {}, dict(status="missing")),
    ("only an apostrophe", "'", {}, dict(status="missing")),
    ("century: 10 is 2010 by the reference year", _nik(yy=10), {}, dict(birth_date=date(2010, 5, 3))),
    ("century: 90 is 1990", _nik(yy=90), {}, dict(birth_date=date(1990, 5, 3))),
    ("century: stated year 1910 wins over the reference year", _nik(yy=10), dict(stated_birth_year=1910),
     dict(birth_date=date(1910, 5, 3))),
    ("century: stated year close to 2000s", _nik(yy=5), dict(stated_birth_year=2004),
     dict(birth_date=date(2005, 5, 3))),
    ("century: the reference year itself is the 2000s", _nik(yy=26), dict(ref_year=2026),
     dict(birth_date=date(2026, 5, 3))),
    ("century: a year after the reference year is the 1900s", _nik(yy=26), dict(ref_year=2025),
     dict(birth_date=date(1926, 5, 3))),
    ("29 Feb 2000", _nik(dd=29, mm=2, yy=0), {}, dict(status="valid", birth_date=date(2000, 2, 29), sex="L")),
    ("29 Feb 2000, female", _nik(dd=69, mm=2, yy=0), {}, dict(status="valid", birth_date=date(2000, 2, 29), sex="P")),
    ("29 Feb: 1900 is no leap year, so 2000 even when 1900 is stated", _nik(dd=29, mm=2, yy=0),
     dict(stated_birth_year=1900), dict(status="valid", birth_date=date(2000, 2, 29))),
    ("29 Feb 1904 when stated", _nik(dd=29, mm=2, yy=4), dict(stated_birth_year=1904),
     dict(birth_date=date(1904, 2, 29))),
    ("29 Feb 2004 by default", _nik(dd=29, mm=2, yy=4), {}, dict(birth_date=date(2004, 2, 29))),
    ("29 Feb of a year that is never leap", _nik(dd=29, mm=2, yy=1), {}, dict(status="bad_date", birth_date=None)),
]


@pytest.mark.parametrize(("text", "kwargs", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parse_nik(text: str | None, kwargs: dict, expected: dict) -> None:
    parsed = parse_nik(text, **kwargs)
    assert {k: getattr(parsed, k) for k in expected} == expected


def test_cases_cover_every_status() -> None:
    assert {c[3]["status"] for c in CASES if "status" in c[3]} == set(NIK_STATUSES)


def test_docstring_examples() -> None:
    assert doctest.testmod(pipeline.normalise.nik).failed == 0


# ----------------------------------------------------------------------------------------------
# The SQL fast path, evaluated the way pipeline.ingest.clean does: helper columns in one CTE, outputs in the next.

_COLUMNS = ("nik_status", "nik", "nik15", "nik_prefix", "nik_region", "nik_serial", "nik_birth_date", "nik_sex")


def _sql_parse(con: duckdb.DuckDBPyConnection, rows: list[tuple[str | None, date | None]],
               ref_year: int) -> list[tuple]:
    raw = pa.table({"i": pa.array(range(len(rows)), pa.int32()),
                    "nik": pa.array([r[0] for r in rows], pa.string()),
                    "stated": pa.array([r[1] for r in rows], pa.date32())})
    con.register("raw_nik", raw)
    prepared = ",\n".join(f"{expr} AS {name}" for name, expr in nik_prepare_sql("r.nik").items())
    parsed = ",\n".join(f"{expr} AS {name}"
                        for name, expr in nik_sql(stated_birth_date="stated", ref_year=ref_year).items())
    try:
        return con.execute(f"""
            WITH base AS (SELECT r.i, r.stated, {prepared} FROM raw_nik r),
            parsed AS (SELECT base.*, {parsed} FROM base)
            SELECT {', '.join(_COLUMNS)} FROM parsed ORDER BY i
        """).fetchall()
    finally:
        con.unregister("raw_nik")


def _reference(text: str | None, stated: date | None, ref_year: int) -> tuple:
    p = parse_nik(text, stated_birth_year=stated.year if stated else None, ref_year=ref_year)
    return (p.status, p.digits, p.nik15, p.prefix, p.region, p.serial, p.birth_date, p.sex)


def test_sql_agrees_on_the_table(con: duckdb.DuckDBPyConnection) -> None:
    differ = []
    for ref_year in sorted({c[2].get("ref_year", 2026) for c in CASES}):
        cases = [c for c in CASES if c[2].get("ref_year", 2026) == ref_year]
        rows = [(c[1], date(c[2]["stated_birth_year"], 6, 1) if "stated_birth_year" in c[2] else None) for c in cases]
        for case, row, got in zip(cases, rows, _sql_parse(con, rows, ref_year), strict=True):
            if got != _reference(*row, ref_year):
                differ.append((case[0], got))
    assert differ == []


_SPACES = " \t\n\r\x0b\x0c\x1c\x85\u00a0\u2007\u2028\u3000"


@st.composite
def near_valid_nik(draw: st.DrawFn) -> str:
    """A NIK-shaped string, then the damage real files do to it."""
    prov = draw(st.sampled_from(sorted(PROVINCE_CODES)) | st.integers(0, 99).map("{:02d}".format))
    area, serial = draw(st.integers(0, 9999)), draw(st.integers(0, 9999))
    dd, mm, yy = draw(st.integers(0, 79)), draw(st.integers(0, 14)), draw(st.integers(0, 99))
    digits = f"{prov}{area:04d}{dd:02d}{mm:02d}{yy:02d}{serial:04d}"
    chars = list(digits)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["drop", "double", "letter", "separator", "zero_last", "invisible"]))
        at = draw(st.integers(0, len(chars) - 1))
        if kind == "drop" and len(chars) > 1:
            del chars[at]
        elif kind == "double":
            chars.insert(at, chars[at])
        elif kind == "letter":
            chars[at] = draw(st.sampled_from("OolIeE"))
        elif kind == "separator":
            chars.insert(at, draw(st.sampled_from([".", " ", "-", "/", "\u00a0", ",", "\t"])))
        elif kind == "zero_last":
            chars[-1] = "0"
        elif kind == "invisible":
            chars.insert(at, draw(st.sampled_from(["\u200b", "\u200d", "\ufeff", '"'])))
    text = "".join(chars)
    form = draw(st.sampled_from(["text", "number", "scientific", "apostrophe", "grouped"]))
    if form == "number":
        text += draw(st.sampled_from([".0", ",0", ".00", ".5"]))
    elif form == "scientific":
        mantissa = draw(st.integers(1, 9))
        text = f"{text[0]}{draw(st.sampled_from('.,'))}{text[1:1 + mantissa]}{draw(st.sampled_from('Ee'))}" \
               f"{draw(st.sampled_from(['+', '']))}{draw(st.integers(1, 17))}"
    elif form == "grouped":  # thousands separators, as a number cell shows them
        head = len(text) % 3 or 3
        sep = draw(st.sampled_from(".,"))
        text = text[:head] + "".join(sep + text[i:i + 3] for i in range(head, len(text), 3))
    elif form == "apostrophe":
        text = "'" * draw(st.integers(1, 2)) + text
    pad = st.text(alphabet=_SPACES, max_size=2)
    return draw(pad) + text + draw(pad)


_TEXTS = st.one_of(
    st.none(),
    st.text(max_size=24),
    st.text(alphabet="0123456789 .,-/'eE+" + _SPACES, max_size=24),
    near_valid_nik(),
)
_STATED = st.none() | st.dates(date(1900, 1, 1), date(2100, 12, 31))


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(_TEXTS, _STATED), min_size=1, max_size=40), ref_year=st.integers(1990, 2099))
def test_sql_agrees_with_parse_nik(duck: duckdb.DuckDBPyConnection, rows: list[tuple[str | None, date | None]],
                                   ref_year: int) -> None:
    assert _sql_parse(duck, rows, ref_year) == [_reference(t, s, ref_year) for t, s in rows]


@settings(max_examples=300, deadline=None)
@given(text=st.none() | st.text() | near_valid_nik(), stated=st.none() | st.integers(-10_000, 10_000),
       ref_year=st.integers(1, 9999))
def test_parse_nik_never_raises(text: str | None, stated: int | None, ref_year: int) -> None:
    parsed = parse_nik(text, stated_birth_year=stated, ref_year=ref_year)
    assert parsed.status in NIK_STATUSES
    assert (parsed.digits is None) or len(parsed.digits) == 16
    assert (parsed.sex is None) == (parsed.birth_date is None)
