"""Comparison levels, table-driven: one membership against one resident, the level each comparison
lands on. The first true level wins, so each row also pins the precedence."""

from datetime import date

import pytest

from pipeline.linking.backends import DuckDBBackend
from pipeline.linking.comparisons import COMPARISONS, levels_sql, prepare_link_tables
from tests.pipeline.linking_fixtures import warehouse_with

NIK = "3577014305900001"  # woman born 03-05-1990, Kartoharjo
BORN = date(1990, 5, 3)


def _levels(member: tuple, resident: tuple) -> dict[str, str]:
    con = warehouse_with([member], [resident])
    DuckDBBackend(con)  # the portable SQL's functions
    prepare_link_tables(con)
    con.execute("CREATE TABLE pairs AS SELECT 1 AS member_id, 1 AS resident_id")
    columns = ", ".join("g_" + c.name for c in COMPARISONS)
    row = con.execute(f"SELECT {columns} FROM ({levels_sql('pairs')})").fetchall()[0]
    return {c.name: ("null" if g < 0 else c.levels[g].label) for c, g in zip(COMPARISONS, row, strict=True)}


@pytest.mark.parametrize("member_nik, resident_kk, expected", [
    (NIK, None, "exact"),
    ("3577014305900002", None, "one_digit"),  # serial typo
    ("3577024305900001", None, "one_digit"),  # region typo
    ("3577014305910001", None, "date_digit"),  # a typo in the birth-date digits
    ("3577014350900001", None, "date_digit"),  # adjacent digits swapped inside the date
    ("3577010305900001", None, "one_digit"),  # the day without +40 (sex) is not a date typo
    ("3577014305900000.0", None, "first15"),  # Excel zeroed digit 16
    ("3.57701E+15", None, "prefix"),
    ("3.57702E+15", None, "different"),
    ("3577010101150003", "3577010101150003", "is_kk"),  # the family's KK number typed as NIK
    ("3519036010850004", None, "other_region"),  # a valid NIK of Kabupaten Madiun: someone else's
    ("3577036010850004", None, "different"),  # wrong beyond a typo, same regency
    ("3577016010850004.0", None, "different"),  # Excel-rounded: only 15 digits, no region verdict
    ("2577014305900001", None, "one_digit"),  # province digit typo
    ("3570714305900001", None, "one_digit"),  # 357701 -> 357071: digits 4-5 swapped across the region code
    (None, None, "null"),
])
def test_nik_levels(member_nik: str | None, resident_kk: str | None, expected: str) -> None:
    levels = _levels((member_nik, "SITI AMINAH", BORN), (NIK, "SITI AMINAH", BORN, resident_kk))
    assert levels["nik"] == expected


@pytest.mark.parametrize("member_name, resident_name, expected", [
    ("Hj. Siti Aminah, S.Pd.", "SITI AMINAH", "exact"),
    ("AMINAH SITI", "SITI AMINAH", "exact"),
    ("SOEKARNO", "SUKARNO", "exact"),
    ("SITI AMINAG", "SITI AMINAH", "one_typo"),
    ("SITI AMINAH", "SITI AMINAH LESTARI", "subset"),
    ("SITI", "SITI AMINAH", "one_word"),
    ("SRI WAHYUNINGSIH", "SRI WAHYUNI", "near"),
    ("DEWI SARTIKA PUTRI", "DWI SARTIKA", "words_similar"),  # a dropped word and a typo
    ("A. ROZAK", "ABDUL ROZAK", "initials"),
    ("S. HARYANTO", "SLAMET HARYANTO PUTRO", "initials"),  # an initial and a dropped word
    ("SRI W. LESTARI", "SRI WAHYUNI LESTARI", "near"),  # the whole string is close already
    ("B. ROZAK", "ABDUL ROZAK", "similar"),  # an initial that agrees with no word: not "initials"
    ("YUNI", "SRI WAHYUNI", "nickname"),
    ("BOWO", "RAHMAT WIBOWO", "nickname"),
    ("NDAH PUTRI", "INDAH", "words_similar"),  # a short name with a typo, a word added
    ("HJ RIMA", "RISMA KURNIAWATI", "words_similar"),
    ("BAYU PRAJA", "PRAJA BAYU SAPUTRA", "subset"),
    ("BAYU PRADJA", "PRAJA BAYU SAPUTRO", "subset"),  # old spelling dj = j
    ("BAYU PRAJA", "PRAJA BAYU SAPUTRO", "subset"),
    ("BAYU PRAKA", "PRAJA BAYU SAPUTRO", "words_similar"),  # a dropped word and a typo
    ("BAMBANG", "SITI AMINAH", "different"),
    ("", "SITI AMINAH", "null"),
])
def test_name_levels(member_name: str, resident_name: str, expected: str) -> None:
    levels = _levels((NIK, member_name, BORN), (NIK, resident_name, BORN))
    assert levels["name"] == expected


@pytest.mark.parametrize("member_nik, member_birth, resident_birth, expected", [
    (None, BORN, BORN, "exact"),
    (None, date(1990, 3, 5), BORN, "swapped"),
    (None, date(1991, 5, 3), BORN, "year_off_one"),
    (None, date(1990, 5, 4), BORN, "one_field"),
    (None, date(1990, 6, 3), BORN, "one_field"),
    (None, date(1985, 1, 1), BORN, "different"),
    (None, date(1990, 1, 1), BORN, "placeholder"),  # 1 January written for an unknown day, the year agrees
    (None, date(1990, 7, 1), BORN, "placeholder"),
    (None, date(1990, 9, 17), date(1990, 1, 1), "placeholder"),  # the register's date is the placeholder
    (None, date(1990, 2, 1), BORN, "different"),  # 1 February is no placeholder
    (None, date(1991, 1, 1), BORN, "different"),
    (None, None, BORN, "null"),
    ("3577014305900002", None, BORN, "nik_date"),  # no stated date: the member's NIK date matches
    ("3577014305900002", date(1990, 1, 1), BORN, "nik_date"),  # stated date wrong, NIK date right
    (NIK, None, BORN, "null"),  # equal NIKs: their date is no second piece of evidence
    (NIK, date(1990, 5, 4), BORN, "one_field"),  # equal NIKs, stated dates compared as stated
    # No stated date and a NIK one typo off whose typo is in the date digits: that typo was weighed by
    # the NIK comparison, so the NIK's date is not a second, contradicting piece of evidence.
    ("3577014305910001", None, BORN, "null"),
    ("3577014350900001", None, BORN, "null"),  # two date digits swapped
    ("3577014305910001", date(1990, 5, 3), BORN, "exact"),  # a stated date is compared as stated
    ("3577014306950004", None, BORN, "different"),  # more than one typo away: the NIK's date counts
    # The stated date is the export NIK's own, and the NIKs differ only in the date digits: two fields
    # agree on that date, so it is another person's (a neighbour born a year later), not a near miss.
    ("3577014305910001", date(1991, 5, 3), BORN, "different"),
    ("3577014305910001", date(1990, 5, 4), BORN, "one_field"),  # the stated date is not the NIK's own
])
def test_birth_date_levels(member_nik: str | None, member_birth: date | None, resident_birth: date,
                           expected: str) -> None:
    levels = _levels((member_nik, "SITI AMINAH", member_birth), (NIK, "SITI AMINAH", resident_birth))
    assert levels["birth_date"] == expected


@pytest.mark.parametrize("segment, occupation_group, expected", [
    ("PU", "formal", "matches"),  # a wage earner's card, a formal job in the register
    ("BPU", "informal", "matches"),
    ("JAKON", "informal", "matches"),
    ("PU", "informal", "other_work"),
    ("BPU", "formal", "other_work"),
    ("PU", "other_scheme", "other_work"),
    ("BPU", "not_working", "different"),
    ("PMI", "not_working", "null"),  # a migrant worker's register occupation says nothing
    (None, "formal", "null"),
    ("PU", "unknown", "null"),
    ("PU", None, "null"),
])
def test_work_levels(segment: str | None, occupation_group: str | None, expected: str) -> None:
    levels = _levels((NIK, "SITI AMINAH", BORN, None, segment), (NIK, "SITI AMINAH", BORN, None, occupation_group))
    assert levels["work"] == expected
