"""Candidate generation: NIK typos find their resident, exact NIKs with agreeing names settle a
membership, and each pair is counted once, under the first rule that found it."""

from datetime import date

import pytest

from pipeline.linking.blocking import build_candidate_pairs
from tests.pipeline.linking_fixtures import warehouse_with

OWNER = ("3577014305900001", "SITI AMINAH", date(1990, 5, 3), "3577010101150003")
NEIGHBOUR = ("3577014305900002", "SUMARNI", date(1990, 5, 3))  # same day, next serial
OTHER_DAY = ("3577031708850001", "BAMBANG", date(1985, 8, 17))


def _pairs(member: tuple, residents: tuple = (OWNER, NEIGHBOUR, OTHER_DAY)) -> dict[int, str]:
    con = warehouse_with([member], list(residents))
    build_candidate_pairs(con)
    return dict(con.execute("SELECT resident_id, rule FROM candidate_pairs WHERE member_id = 1").fetchall())


# The owner's stated birth date was corrected after the NIK was issued, so no birth-date rule can
# find her: each NIK rule has to do it alone.
CORRECTED = ("3577014305900001", "SITI AMINAH", date(1990, 6, 13), "3577010101150003")


@pytest.mark.parametrize("member_nik, rule", [
    ("3577014305900001", "nik_exact"),
    ("3577014305900101", "nik_one_digit"),  # substitution in the serial
    ("3577014305910001", "nik_one_digit"),  # substitution in the year
    ("3577014305090001", "nik_transposed"),  # 9 and 0 swapped
    ("3577014305900000.0", "nik_first15"),  # Excel: digit 16 zeroed
    ("3577010101150003", "nik_is_kk"),
])
def test_nik_typos_reach_their_resident(member_nik: str, rule: str) -> None:
    pairs = _pairs((member_nik, "SITI AMINAH", None), (CORRECTED, OTHER_DAY))
    assert pairs.get(1) == rule


def test_missing_nik_is_found_by_birth_date_and_by_name_with_a_date_typo() -> None:
    assert _pairs((None, "SITI AMINAH", date(1990, 5, 3)))[1] == "birth_date"
    assert _pairs((None, "SITI AMINAH", date(1991, 5, 3)))[1] == "name_month_day"  # year off by one
    assert _pairs((None, "SITI AMINAH", date(1990, 5, 4)))[1] == "name_year"  # day off by one
    assert _pairs((None, "SITI AMINAH", date(1990, 3, 5)))[1] == "birth_date"  # day and month swapped


WRITTEN_OTHERWISE = (("3577014305900001", "GENDIS HASANA NAYLA", date(1990, 5, 3)),
                     ("3577014305900002", "DWI HERAWATI SRI", date(1990, 5, 3)),
                     ("3577014305900003", "AGUS FARHAN SAPUTRO", date(1990, 5, 3)))


@pytest.mark.parametrize("written, stated, owner, rule", [
    ("FARHN", date(1990, 5, 3), 3, "birth_date"),  # a word dropped, the kept one mistyped
    ("ENDIS HASANA NAYLA", date(1990, 6, 3), 1, "name_year"),  # a typo and the month off by one
    ("DWI SRI", date(1991, 5, 3), 2, "name_month_day"),  # a word dropped and the year off by one
    ("HASANA NAYLA GENDIS PUTRI", date(1990, 5, 13), 1, "name_year"),  # a word added, the day mistyped
])
def test_a_name_written_another_way_with_a_damaged_date_is_still_compared(written: str, stated: date, owner: int,
                                                                          rule: str) -> None:
    assert _pairs((None, written, stated), WRITTEN_OTHERWISE).get(owner) == rule


def test_date_rules_look_within_the_regency_of_a_whole_nik() -> None:
    # A valid NIK of Kabupaten Madiun (3519): its owner was registered there, so the birth-date rule
    # does not pair it with a namesake born the same day in the city; a row without a NIK meets him.
    namesake = ("3577014305900001", "SITI AMINAH", date(1990, 5, 3))
    assert _pairs(("3519014305900007", "SITI AMINAH", date(1990, 5, 3)), (namesake,)) == {1: "birth_date_training"}
    assert _pairs((None, "SITI AMINAH", date(1990, 5, 3)), (namesake,)) == {1: "birth_date"}
    # A resident who moved to the city keeps the NIK of Kabupaten Madiun and is found by it.
    moved = ("3519014305900007", "SITI AMINAH", date(1990, 5, 3))
    assert _pairs(("3519014305900007", "SITI AMINAH WATI", date(1990, 5, 3)), (moved,)) == {1: "nik_exact"}
    assert _pairs(("3519014305900007", "AMINAH SITI", date(1991, 5, 3)), (moved, namesake)) == {
        1: "nik_exact", 2: "birth_date_training"}


def test_a_shared_word_with_a_near_date_is_not_enough() -> None:
    # Sharing SRI, the year and the month: the names must also be close as wholes or word by word.
    residents = [(f"35770143059{i:05d}", f"SRI {name}", date(1990, 5, 3)) for i, name in
                 enumerate(("WAHYUNI", "LESTARI", "HANDAYANI", "MULYANI"), 1)]
    assert _pairs((None, "SRI RAHAYU KUSUMA", date(1990, 5, 9)), residents) == {}


def test_exact_nik_with_agreeing_name_settles_the_membership() -> None:
    neighbour = ("3577014305900011", "SUMARNI", date(1991, 1, 1))  # a serial one digit away, date corrected
    assert _pairs(("3577014305900001", "Hj. Siti Aminah", None), (OWNER, neighbour)) == {1: "nik_exact"}
    # The same neighbour is a candidate as soon as the name disagrees.
    assert _pairs(("3577014305900001", "BAMBANG", None), (OWNER, neighbour)) == {1: "nik_exact", 2: "nik_one_digit"}


def test_exact_nik_with_another_name_keeps_looking() -> None:
    # A typo that landed on the neighbour's NIK: the owner must still be a candidate.
    pairs = _pairs(("3577014305900002", "SITI AMINAH", date(1990, 5, 3)))
    assert pairs[2] == "nik_exact" and pairs[1] in {"birth_date", "nik_one_digit"}


def test_pairs_are_counted_once_under_the_first_rule() -> None:
    con = warehouse_with([("3577014305900001", "SITI AMINAH", date(1990, 5, 3)),
                          (None, "SUMARNI", date(1990, 5, 3))], [OWNER, NEIGHBOUR, OTHER_DAY])
    stats = dict(build_candidate_pairs(con))
    total = con.execute("SELECT count(*), count(DISTINCT (member_id, resident_id)) FROM candidate_pairs").fetchall()[0]
    assert total[0] == total[1] == sum(stats.values())
    # SUMARNI meets her namesake by birth date; the training rule adds the rest born that day.
    assert (stats["nik_exact"], stats["birth_date"], stats["birth_date_training"]) == (1, 1, 2)


def _substituted(nik: str, position: int) -> str:
    return nik[:position - 1] + str((int(nik[position - 1]) + 5) % 10) + nik[position:]


def _transposed(nik: str, position: int) -> str:
    return nik[:position - 1] + nik[position] + nik[position - 1] + nik[position + 1:]


# Every digit can be mistyped: province, regency and kecamatan (1-6), the date (7-12), the serial and
# Excel's zeroed 16th digit (13-16); swaps anywhere, across the region code too. OWNER's digits are
# chosen so that each adjacent pair differs (a swap of equal digits is no typo).
TYPO_OWNER = ("3576014305920187", "SITI AMINAH", date(1992, 5, 3), None)


@pytest.mark.parametrize("position", range(1, 17))
def test_nik_substitution_at_every_position_is_compared(position: int) -> None:
    member = (_substituted(TYPO_OWNER[0], position), "SITI AMINAH", None)
    assert 1 in _pairs(member, (TYPO_OWNER, OTHER_DAY))


@pytest.mark.parametrize("position", range(1, 16))
def test_nik_transposition_at_every_position_is_compared(position: int) -> None:
    member = (_transposed(TYPO_OWNER[0], position), "SITI AMINAH", None)
    assert 1 in _pairs(member, (TYPO_OWNER, OTHER_DAY))


def test_rows_with_only_a_rare_full_name_are_compared() -> None:
    rare = ("3577015208800003", "RADEN AJENG KARTINI", date(1980, 8, 12))
    assert _pairs((None, "KARTINI RADEN AJENG", None), (rare, OTHER_DAY)) == {1: "name_only"}
    # a single word is no identity; and nothing at all is compared with a name many residents carry
    assert _pairs((None, "KARTINI", None), (rare, OTHER_DAY)) == {}
    many = [(f"35770152088000{i:02d}", "AGUS SANTOSO", date(1980, 8, 12)) for i in range(10, 17)]
    assert _pairs((None, "AGUS SANTOSO", None), tuple(many)) == {}
    # a typo in the rare name: found through its rare words; not through a name many carry
    assert _pairs((None, "KARTINI RADEN AJENK", None), (rare, OTHER_DAY)) == {1: "name_only"}
    assert _pairs((None, "AGUS SANTOSX", None), tuple(many)) == {}


def test_excel_scientific_nik_without_a_birth_date_meets_namesakes_its_digits_round_to() -> None:
    # "3.57702E+15" (digits 357702: the kecamatan) and no birth date: of the residents carrying the name,
    # those whose NIK those digits round are compared; a namesake of another kecamatan is not (six carry
    # the name here, too many for a name alone).
    here = ("3577021208900004", "RINA SRIYATI", date(1990, 8, 12))
    elsewhere = tuple((f"35770415058800{i:02d}", "RINA SRIYATI", date(1988, 5, 15)) for i in range(1, 6))
    assert _pairs(("3.57702E+15", "RINA SRIYATI", None), (here, *elsewhere, OTHER_DAY)) == {1: "nik_prefix_name"}
    assert _pairs(("3.57702E+15", "RINA SRIYANTI", None), (here, *elsewhere, OTHER_DAY)) == {}


def test_placeholder_birth_date_meets_the_year_with_a_close_name() -> None:
    # No NIK, a typo in the name, and 1 January written for an unknown day: the year and a shared
    # uncommon word find her; 2 January (no placeholder) finds no one.
    owner = ("3577014305900001", "SITI AMINAH", date(1990, 5, 3))
    assert _pairs((None, "SITI AMINAHH", date(1990, 1, 1)), (owner, OTHER_DAY)) == {1: "name_year"}
    assert _pairs((None, "SITI AMINAHH", date(1990, 1, 2)), (owner, OTHER_DAY)) == {}
