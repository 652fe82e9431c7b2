"""Bands and one-to-one assignment on hand-made scores."""

from datetime import date

from pipeline.linking.assignment import assign
from pipeline.warehouse import connect

D1, D2 = date(1980, 1, 1), date(1975, 6, 6)


def _decide(members: list[tuple], scores: list[tuple], link: float = 0.7, review: float = 0.2) -> dict:
    """members: (member_id, nik, name_sorted, birth_date[, nik_birth_date]); scores: (member_id, resident_id,
    probability)."""
    con = connect()
    con.execute("CREATE TABLE memberships (member_id INT, nik VARCHAR, name_sorted VARCHAR, birth_date DATE, "
                "nik_birth_date DATE)")
    con.executemany("INSERT INTO memberships VALUES (?, ?, ?, ?, ?)", [(*m, None)[:5] for m in members])
    con.execute("CREATE TABLE pair_scores (member_id INT, resident_id INT, probability DOUBLE, match_weight DOUBLE)")
    con.executemany("INSERT INTO pair_scores VALUES (?, ?, ?, ?)", [(m, r, p, p * 10) for m, r, p in scores])
    assign(con, link_threshold=link, review_threshold=review)
    return {(m, r): (d, c) for m, r, d, c in con.execute(
        "SELECT member_id, resident_id, decision, conflict FROM pair_decisions").fetchall()}


def test_bands() -> None:
    decided = _decide([(1, "A", "SITI", D1), (2, "B", "BUDI", D2)],
                      [(1, 10, 0.95), (1, 11, 0.04), (2, 20, 0.5), (2, 21, 0.1)])
    assert decided == {(1, 10): ("link", False), (2, 20): ("review", False)}


def test_namesakes_both_go_to_review() -> None:
    decided = _decide([(1, None, "SUMARNI", D1)], [(1, 10, 0.49), (1, 11, 0.49)])
    assert decided == {(1, 10): ("review", False), (1, 11): ("review", False)}


def test_a_resident_taken_by_someone_else_makes_a_conflict() -> None:
    decided = _decide([(1, "A", "SITI AMINAH", D1), (2, "B", "BAMBANG", D2)], [(1, 10, 0.99), (2, 10, 0.8)])
    assert decided == {(1, 10): ("link", False), (2, 10): ("review", True)}


def test_a_membership_is_linked_to_one_resident_only() -> None:
    decided = _decide([(1, "A", "SITI", D1)], [(1, 10, 0.5), (1, 11, 0.5)], link=0.5)
    assert sorted(decided.values()) == [("link", False), ("review", True)]


def test_two_kpj_of_one_person_both_link() -> None:
    same_nik = _decide([(1, "A", "SITI AMINAH", D1), (2, "A", "SITI AMINAH", None)], [(1, 10, 0.99), (2, 10, 0.9)])
    assert same_nik == {(1, 10): ("link", False), (2, 10): ("link", False)}
    # No NIK on the old card, a dropped word and no date: nothing contradicts, still one person.
    consistent = _decide([(1, "A", "AMINAH LESTARI SITI", D1), (2, None, "AMINAH SITI", None)],
                         [(1, 10, 0.99), (2, 10, 0.9)])
    assert consistent == {(1, 10): ("link", False), (2, 10): ("link", False)}
    # Another birth date beyond a typo: two people, the weaker pair goes to review.
    contradicting = _decide([(1, "A", "AMINAH SITI", D1), (2, None, "AMINAH SITI", D2)], [(1, 10, 0.99), (2, 10, 0.9)])
    assert contradicting == {(1, 10): ("link", False), (2, 10): ("review", True)}


def test_two_kpj_of_one_person_written_by_different_hands_both_link() -> None:
    # The old card says the full name, the new one a nickname, a dropped word with a typo, or
    # initials; the birth date is swapped on one. Both rows are confidently this resident's.
    for old, new in (("NUR SANTOSO SISWOYO", "WOYO"), ("HARIYAMTO TRI", "HARIYANTO TRI WIYONO"),
                     ("HERU SUHARNO", "HARNO"), ("ROZAK ABDUL", "A ROZAK")):
        decided = _decide([(1, "A", old, date(1999, 11, 7)), (2, None, new, date(1999, 7, 11))],
                          [(1, 10, 0.99), (2, 10, 0.95)])
        assert decided == {(1, 10): ("link", False), (2, 10): ("link", False)}, (old, new)
    # The new card states no birth date and its NIK has two date digits swapped: the NIK's date
    # (1980-07-10) is the typo's, not a second birth date.
    typo = _decide([(1, "3577011008700001", "SUKIMAN", date(1970, 8, 10), date(1970, 8, 10)),
                    (2, "3577011007800001", "SUKIMAN", None, date(1980, 7, 10))], [(1, 10, 0.99), (2, 10, 0.8)])
    assert typo == {(1, 10): ("link", False), (2, 10): ("link", False)}
    # Names that cannot be one person's: two people, the weaker pair is a conflict.
    two_people = _decide([(1, "A", "SUTRISNO", D1), (2, None, "SRI WAHYUNI", D1)], [(1, 10, 0.99), (2, 10, 0.95)])
    assert two_people == {(1, 10): ("link", False), (2, 10): ("review", True)}


def test_review_pairs_of_a_linked_membership_are_dropped() -> None:
    decided = _decide([(1, "A", "SITI", D1)], [(1, 10, 0.75), (1, 11, 0.24)])
    assert decided == {(1, 10): ("link", False)}


def test_ties_are_broken_deterministically() -> None:
    first = _decide([(1, "A", "SITI", D1), (2, "B", "BUDI", D2)], [(2, 10, 0.8), (1, 10, 0.8)])
    second = _decide([(2, "B", "BUDI", D2), (1, "A", "SITI", D1)], [(1, 10, 0.8), (2, 10, 0.8)])
    assert first == second == {(1, 10): ("link", False), (2, 10): ("review", True)}
