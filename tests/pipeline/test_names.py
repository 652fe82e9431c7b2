"""pipeline.normalise.names: one row per normalisation rule, spelling pairs, and the SQL key against the Python key."""

from __future__ import annotations

import doctest
import re

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.normalise.names
from pipeline.linking.backends import DuckDBBackend
from pipeline.normalise.names import (
    NAME_RULES,
    NameRule,
    _expand,
    _python_pattern,
    initials_agree,
    monge_elkan,
    name_key,
    name_key_sql,
    sorted_key,
)

# One row per rule: (rule label, name, key). The input needs that rule: without it the key differs.
RULE_ROWS: list[tuple[str, str, str]] = [
    ("degrees after a comma", "Budi Santoso, Ketua RT 03", "BUDI SANTOSO"),
    ("apostrophes", "Ma'ruf Amin", "MARUF AMIN"),
    ("punctuation and digits to spaces", "Budi.Santoso-2", "BUDI SANTOSO"),
    ("trim", "  H. Budi", "BUDI"),
    ("each token its own spaces", "H. Drs. Budi", "BUDI"),
    ("pad", "H. Budi", "BUDI"),
    ("bin/binti and the father's name", "Ahmad SH bin Abdullah", "AHMAD"),
    ("degrees after the name", "Rahmat Hidayat SH", "RAHMAT HIDAYAT"),
    ("titles before the name", "Hj. Siti Aminah", "SITI AMINA"),
    ("titles after the name", "Sita.Hj", "SITA"),
    ("Muhammad and its abbreviations", "Moch. Yusuf", "MUHAMAD YUSUF"),
    ("q -> k", "Taufiq", "TAUFIK"),
    ("old spelling oe -> u", "Soekarno", "SUKARNO"),
    ("old spelling tj -> c", "Tjahjono", "CAHYONO"),
    ("old spelling dj -> j", "Djoko", "YOKO"),
    ("j and y collapse (sj/sy, nj/ny, j/y)", "Joko", "YOKO"),
    ("ch/kh -> h", "Achmad", "AHMAD"),
    ("sy/sh -> s", "Syamsul", "SAMSUL"),
    ("dh -> d", "Ramadhan", "RAMADAN"),
    ("th -> t", "Fathur", "FATUR"),
    ("ie -> i", "Arief", "ARIF"),
    ("v -> f", "Novi", "NOFI"),
    ("doubled letters A-I", "Saifuddin", "SAIFUDIN"),
    ("doubled letters J-R", "Ummi Kalsum", "UMI KALSUM"),
    ("doubled letters S-Z", "Hassan", "HASAN"),
    ("final h dropped", "Fatimah", "FATIMA"),
    ("bin/binti and the father's name (after spelling)", "Siti Binthi Umar", "SITI"),
    ("degrees after the name (after spelling)", "Yohanes Budi S.Th.", "YOHANES BUDI"),
    ("titles before the name (after spelling)", "Nj. Soemarni", "SUMARNI"),
    ("titles after the name (after spelling)", "Soemarni Prrof.", "SUMARNI"),
    ("Muhammad and its abbreviations (after spelling)", "Mochamat Yusuf", "MUHAMAD YUSUF"),
    ("ST. is Siti", "St. Aminah", "SITI AMINA"),
    ("single spaces", "Budi Santoso", "BUDI SANTOSO"),
    ("trim again", "Budi", "BUDI"),
]


def _apply(rules: tuple[NameRule, ...], name: str) -> str:
    """The rules applied in order, as `name_key` does (for ASCII names and U+2019)."""
    s = name.upper()
    for rule in rules:
        s = re.sub(_python_pattern(rule.pattern), lambda m, r=rule.replacement: _expand(m, r), s)
    return s


def test_every_rule_has_a_row() -> None:
    labels = [r.label for r in NAME_RULES]
    assert len(labels) == len(set(labels))
    assert sorted(row[0] for row in RULE_ROWS) == sorted(labels)


@pytest.mark.parametrize(("label", "name", "key"), RULE_ROWS, ids=[r[0] for r in RULE_ROWS])
def test_rule(label: str, name: str, key: str) -> None:
    assert name_key(name) == key
    assert _apply(NAME_RULES, name) == key
    assert _apply(tuple(r for r in NAME_RULES if r.label != label), name) != key, "the row does not need its rule"


EXAMPLES: list[tuple[str, str]] = [
    # old spelling
    ("Soeharto", "SUHARTO"),
    ("DJUMADI", "YUMADI"),
    ("Tjiptono", "CIPTONO"),
    ("Sjarifuddin", "SARIFUDIN"),
    ("Njoman", "NYOMAN"),
    ("Chairul Anam", "HAIRUL ANAM"),
    ("Khairul Anam", "HAIRUL ANAM"),
    # Muhammad
    ("M. Ali", "MUHAMAD ALI"),
    ("MOH. ALI", "MUHAMAD ALI"),
    ("MOCH. ALI", "MUHAMAD ALI"),
    ("Muh. Ali", "MUHAMAD ALI"),
    ("MOCHAMAD ALI", "MUHAMAD ALI"),
    ("Mochammad Ali", "MUHAMAD ALI"),
    ("Mukhammad Ali", "MUHAMAD ALI"),
    ("Muhammad Ali", "MUHAMAD ALI"),
    ("Ali M.", "ALI MUHAMAD"),
    # titles before the name
    ("H. Maidi", "MAIDI"),
    ("HJ. SITI ROMLAH", "SITI ROMLA"),
    ("DRS. MAIDI", "MAIDI"),
    ("Ir. Soekarno", "SUKARNO"),
    ("PROF. DR. IR. BUDI", "BUDI"),
    ("Drs. H. Maidi", "MAIDI"),
    # degrees after the name, with and without commas
    ("Wahyuni, S.Pd.", "WAHYUNI"),
    ("Wahyuni S.PD.", "WAHYUNI"),
    ("Budi, S.E.", "BUDI"),
    ("Budi S.E.", "BUDI"),
    ("Sri Lestari, A.Md.", "SRI LESTARI"),
    ("Sri Lestari A.MD", "SRI LESTARI"),
    ("Budi, M.M.", "BUDI"),
    ("Budi M.M.", "BUDI"),
    ("Drs. H. Maidi, S.H., M.M., M.Pd.", "MAIDI"),
    ("Budi Santoso S.Pd. M.M.", "BUDI SANTOSO"),
    # bin / binti
    ("Ahmad bin Abdullah", "AHMAD"),
    ("Siti Aminah binti Hasan", "SITI AMINA"),
    ("AHMAD BT HASAN", "AHMAD"),
    # apostrophes, straight, back-tick and typographic
    ("Ma'ruf", "MARUF"),
    ("Ma\u2019ruf", "MARUF"),
    ("Ma`ruf", "MARUF"),
    ("Nu\u2018man", "NUMAN"),
    # punctuation and spacing
    ("  budi   santoso  ", "BUDI SANTOSO"),
    ("BUDI-SANTOSO", "BUDI SANTOSO"),
    ("Budi_Santoso 2", "BUDI SANTOSO"),
    ("Budi\tSantoso\n", "BUDI SANTOSO"),
    ("Budi, S.H.\nM.M.", "BUDI"),
    # characters a cell carries unseen, and accents
    ("SI\u200bTI AMI\u00adNAH", "SITI AMINA"),
    ("\ufeffBudi Santoso", "BUDI SANTOSO"),
    ("José Ramos-Horta", "YOSE RAMOS HORTA"),
    ("Ñoman Çahyo", "NOMAN CAHYO"),
    # nothing left
    ("", ""),
    ("H.", ""),
    ("123", ""),
    (", S.Pd", ""),
]


@pytest.mark.parametrize(("name", "key"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_examples(name: str, key: str) -> None:
    assert name_key(name) == key


def test_none_is_empty() -> None:
    assert name_key(None) == "" and sorted_key(None) == ""


SAME = [
    ("Soekarno", "Sukarno"),
    ("Djoko", "Joko"),
    ("Tjahjono", "Cahyono"),
    ("Achmad", "Ahmad"),
    ("Akhmad", "Ahmad"),
    ("Sjamsul", "Syamsul"),
    ("Sjamsul", "Samsul"),
    ("Saifuddin", "Saifudin"),
    ("Muhammad Saifuddin", "Moh. Saifudin"),
    ("H. Moh. Saifuddin", "Muhamad Saifudin"),
    ("Fatimah", "Fatima"),
    ("Arief", "Arif"),
    ("Taufiq", "Taufik"),
    ("Ramadhan", "Ramadan"),
    ("Novi", "Nofi"),
    ("Nyoman", "Njoman"),
    ("Soedjono", "Sujono"),
    ("Drs. H. Maidi, S.H., M.M.", "MAIDI"),
    ("St. Aminah", "Siti Aminah"),
]


@pytest.mark.parametrize(("a", "b"), SAME, ids=[f"{a}={b}" for a, b in SAME])
def test_same_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b) != ""


DIFFERENT = [
    ("SRI", "SITI"),
    ("JOKO", "JOKO SUSILO"),
    ("Sri Wahyuni", "Siti Wahyuni"),
    ("Budi", "Budiman"),
    ("Ahmad", "Mahmud"),
    ("Agus S.", "Agus"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT, ids=[f"{a}!={b}" for a, b in DIFFERENT])
def test_different_key(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


@pytest.mark.parametrize(("a", "b"), [("Budi Santoso", "Santoso Budi"), ("Sri Wahyuni Lestari", "Lestari Sri Wahyuni"),
                                      ("Joko Susilo", "SUSILO DJOKO")])
def test_sorted_key_ignores_word_order(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)
    assert sorted_key(a) == sorted_key(b)


def test_sorted_key_sorts_tokens() -> None:
    assert sorted_key("Wahyuni Sri") == "SRI WAHYUNI"


def test_docstring_examples() -> None:
    assert doctest.testmod(pipeline.normalise.names).failed == 0


# ----------------------------------------------------------------------------------------------
# The SQL key against the Python key.

def _sql_keys(con: duckdb.DuckDBPyConnection, names: list[str | None]) -> list[str]:
    con.register("raw_names", pa.table({"i": pa.array(range(len(names)), pa.int32()),
                                        "nama": pa.array(names, pa.string())}))
    try:
        return [r[0] for r in con.execute(f"SELECT {name_key_sql('nama')} FROM raw_names ORDER BY i").fetchall()]
    finally:
        con.unregister("raw_names")


def test_sql_agrees_on_the_tables(con: duckdb.DuckDBPyConnection) -> None:
    names = [r[1] for r in RULE_ROWS] + [e[0] for e in EXAMPLES] + [n for pair in SAME + DIFFERENT for n in pair]
    names.append(None)
    assert [(n, k) for n, k in zip(names, _sql_keys(con, names), strict=True) if k != name_key(n)] == []


_FRAGMENTS = (
    "H.", "Hj", "HJH", "KH", "Drs", "Ir.", "Prof.", "Ny.", "Nj.", "St.", "S.Pd", "S.H.", "SH", "S.Th", "M.M.", "MM",
    "A.Md.", ", ", ",", "bin", "binti", "BT", "M.", "Moch", "Mochamat", "MUH", "oe", "dj", "tj", "sj", "nj", "j", "y",
    "ch", "kh", "sh", "sy", "dh", "th", "ie", "q", "v", "hh", "ss", "ee", "a", "i", "u", "e", "o", "s", "t", "m",
    "n", "r", "d", "h", "k", "'", "\u2019", "`", " ", "  ", ".", "-", "\n", "\t", "1", "é", "ß", "ﬁ", "\u00a0",
    "\u200b", "\ufeff", "\u00ad", "Ñ", "ç", "Ø", "ÿ", "\u0301",
)
_NAMES = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join),
    st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=3), max_size=8).map(" ".join),
)


@settings(max_examples=80, deadline=None)
@given(names=st.lists(_NAMES, min_size=1, max_size=50))
def test_sql_agrees_with_name_key(duck: duckdb.DuckDBPyConnection, names: list[str | None]) -> None:
    assert _sql_keys(duck, names) == [name_key(n) for n in names]


@settings(max_examples=400, deadline=None)
@given(name=_NAMES)
def test_name_key_is_idempotent(name: str | None) -> None:
    key = name_key(name)
    assert re.fullmatch(r"([A-Z]+( [A-Z]+)*)?", key)
    assert name_key(key) == key
    assert sorted_key(key) == sorted_key(name)


# ----------------------------------------------------------------------------------------------
# Word-level similarity: initials and Monge-Elkan over Jaro-Winkler (the name levels of linking).

@pytest.mark.parametrize("a, b, agree", [
    ("A ROZAK", "ABDUL ROZAK", True),
    ("HARYANTO S", "HARYANTO SLAMET", True),
    ("LESTARI SRI W", "LESTARI SRI WAHYUNI", True),
    ("A B SANTOSO", "AGUS BUDI SANTOSO", True),
    ("B ROZAK", "ABDUL ROZAK", False),  # the initial agrees with no word
    ("A S", "ABDUL SALIM", False),  # initials only: no whole word shared
    ("ROZAK", "ABDUL ROZAK", False),  # no initial used: a dropped word, another level
    ("A ROZAK", "ABDUL ROZAK", True),
    ("", "ABDUL ROZAK", False),
])
def test_initials_agree(a: str, b: str, agree: bool) -> None:
    assert initials_agree(a, b) is agree and initials_agree(b, a) is agree


@pytest.mark.parametrize("a, b, low, high", [
    ("RIMA", "KURNIAWATI RISMA", 0.94, 0.95),  # one word, a typo, found in a longer name
    ("INDAH", "NDAH PUTRI", 0.93, 0.94),
    ("A ROZAK", "ABDUL ROZAK", 1.0, 1.0),  # an initial counts as its word
    ("BAYU PRAKA", "BAYU PRAYA SAPUTRO", 0.95, 0.97),
    ("BAMBANG", "AMINAH SITI", 0.6, 0.7),
    ("", "SITI", 0.0, 0.0),
])
def test_monge_elkan(a: str, b: str, low: float, high: float) -> None:
    assert low <= monge_elkan(a, b) <= high
    assert monge_elkan(a, b) == monge_elkan(b, a)


_WORDS = st.lists(st.sampled_from(["A", "S", "SRI", "SITI", "WAHYUNI", "WAHYUNINGSIH", "RIMA", "RISMA", "BUDI",
                                   "BUDIONO", "INDAH", "NDAH", "ROZAK", "ABDUL", "PRAYA", "SANTOSO", "TOSO"]),
                  min_size=1, max_size=4).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(_WORDS, _WORDS), min_size=1, max_size=40))
def test_monge_elkan_sql_equals_python(duck: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]]) -> None:
    duck.register("name_pairs", pa.table({"i": list(range(len(pairs))), "a": [p[0] for p in pairs],
                                          "b": [p[1] for p in pairs]}))
    try:
        got = [r[0] for r in DuckDBBackend(duck).rows(
            "SELECT ucj_monge_elkan(split(a, ' '), split(b, ' ')) FROM name_pairs ORDER BY i")]
    finally:
        duck.unregister("name_pairs")
    assert got == pytest.approx([monge_elkan(a, b) for a, b in pairs], abs=1e-9)  # rounded to 10 decimals
