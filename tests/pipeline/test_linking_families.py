"""The damage real exports carry (issue 10), on a hand-written register and export that owe nothing to
the generator: one table per family of pairs that must link and pairs that must not (namesakes with
other NIKs, twins, a NIK collision where someone else's typo equals a resident's NIK), the no-veto rule
for an exact NIK with an agreeing birth date, and model.json reused through `ModelParams.from_dict`.

The weights are those EM estimated on a Madiun-sized generated city (rounded), written to a model.json
and loaded back as `ucj run --model` does: the tests pin the model's specification and the levels, not
one training run.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pipeline.config import LinkingConfig
from pipeline.errors import ConfigError
from pipeline.linking.link import link, load_model
from pipeline.linking.model import ModelParams
from tests.pipeline.linking_fixtures import _resident_row, warehouse_with

# m and u per level as EM found them on a 200,000-resident city (hard profile, seed 11), rounded.
MODEL = {
    "m": {"nik": [0.0164, 0.788, 0.0279, 0.0374, 0.0887, 0.0337, 0.00072, 0.0067],
          "name": [0.772, 0.0567, 0.0552, 0.0346, 0.0191, 0.0161, 0.0133, 0.0292, 0.00236, 0.00096],
          "birth_date": [0.911, 0.0109, 0.0283, 0.0171, 0.0324, 6.1e-08, 9.2e-05],
          "work": [0.846, 0.125, 0.0282]},
    "u": {"nik": [4.8e-06, 2.4e-06, 2.4e-06, 5.0e-05, 1.4e-05, 0.0071, 0.725, 0.268],
          "name": [0.0015, 0.00033, 0.0018, 0.00095, 0.00022, 0.0073, 0.00096, 0.0072, 0.012, 0.968],
          "birth_date": [5.6e-05, 1.0e-05, 1.4e-05, 7.3e-05, 0.0015, 7.5e-05, 0.998],
          "work": [0.2, 0.253, 0.547]},
    "m_given": {"nik": [0.0171, 0.787, 0.0277, 0.0386, 0.0862, 0.0349, 0.00074, 0.0079]},
    "u_given": {"nik": [4.4e-05, 0.0028, 0.014, 0.0033, 0.257, 0.0074, 0.455, 0.26]},
    "prior_in_register": 0.86, "residents": 200_000, "name_u_exact": 0.0015, "tf_cap_bits": 4.0,
    "em_iterations": 40, "pattern_count": 300,
}

_GIVEN = ["ADI", "BUDI", "CAHYO", "DEDI", "EKO", "FAJAR", "GALIH", "HERU", "IWAN", "JOKO", "KUSNO", "LUKMAN",
          "MARDI", "NANANG", "OKI", "PURNOMO", "RUDI", "SUGENG", "TEGUH", "WAHYU", "YUDI", "ANI", "DWI", "ENDAH",
          "FITRI", "LILIS", "MAYA", "NINING", "RINA", "SITI", "TUTIK", "WATI", "YULI", "ZAKIAH"]
_FAMILY = ["SANTOSO", "PRASETYO", "WIBISONO", "SETIAWAN", "KURNIAWAN", "HIDAYAT", "NUGROHO", "SAPUTRO",
           "WIJAYANTO", "HARTONO", "SUSANTO", "RAHAYU", "LESTARI", "WULANDARI", "PERTIWI", "HANDAYANI"]


def _nik(kecamatan: int, born: date, serial: int, female: bool = False) -> str:
    day = born.day + (40 if female else 0)
    return f"35770{kecamatan}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def _filler(n: int = 30_000) -> list[tuple]:
    """Residents around the cases: common Javanese given and family names, so that names repeat as
    they do in a city and a name shared by many is weak evidence."""
    rng = random.Random(7)
    rows, seen = [], set()
    while len(rows) < n:
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
        nik = _nik(rng.randint(1, 3), born, rng.randrange(1000, 10_000))
        if nik not in seen:
            seen.add(nik)
            rows.append((nik, f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}", born))
    return rows


def _warehouse(members: list[tuple]) -> duckdb.DuckDBPyConnection:
    """The cases, then the filler residents inserted in bulk (30,000 single inserts take minutes)."""
    con = warehouse_with(members, RESIDENTS)
    start = len(RESIDENTS) + 1
    rows = [_resident_row(i, *r) for i, r in enumerate(_filler(), start=start)]
    columns = ["resident_id", "nik", "no_kk", "nik_birth_date", "nama", "name_key", "name_sorted", "birth_date",
               "occupation_group"]
    filler = pa.table({c: pa.array([row[j] for row in rows], pa.string() if c == "occupation_group" else None)  # noqa: F841 (read by SQL)
                       for j, c in enumerate(columns)})
    con.execute("INSERT INTO residents SELECT * FROM filler")
    return con


D1, D2, D3 = date(1985, 3, 12), date(1990, 7, 5), date(1978, 11, 23)
ROZAK, SLAMET, PRAJA, INDAH, TOTOK = (_nik(1, D1, 1), _nik(2, D1, 2), _nik(3, D1, 3), _nik(1, D1, 4, True),
                                      _nik(2, D1, 5))
HENDRA = _nik(1, D2, 11)
SITI, DEWI = _nik(3, D3, 21, True), _nik(3, D3, 22, True)  # neighbours: born the same day, serials 21/22
KARTINI, AGUS_1, AGUS_2 = _nik(1, D3, 31, True), _nik(2, D2, 32), _nik(3, D1, 33)
RISMA, ABDUL, HASAN, HUSEIN, JOKO = (_nik(2, D2, 41, True), _nik(3, D2, 42), _nik(1, D3, 43), _nik(1, D3, 44),
                                     _nik(2, D3, 45))
TWINS_KK = "3577010101100099"
ENDANG, ENDANG_KK = _nik(2, D3, 51, True), "3577022203120005"  # the KK's date digits: its issue date
SEKAR = _nik(3, D1, 61, True)
BAYU = _nik(2, D2, 17)  # digit 16 is 7: Excel's rounding changes digit 15 too

RESIDENTS: list[tuple] = [
    (ROZAK, "ABDUL ROZAK", D1), (SLAMET, "SLAMET HARYANTO", D1), (PRAJA, "PRAJA BAYU SAPUTRA", D1),
    (INDAH, "INDAH", D1), (TOTOK, "BAMBANG SUTRISNO", D1),
    (HENDRA, "HENDRA GUNAWAN", D2),
    (SITI, "SITI AMINAH", D3), (DEWI, "DEWI ANGGRAINI", D3),
    (KARTINI, "RADEN AJENG KARTINI", D3), (AGUS_1, "AGUS BUDI SANTOSA", D2), (AGUS_2, "AGUS BUDI SANTOSA", D1),
    (RISMA, "RISMA KURNIAWATI", D2), (ABDUL, "ABDURRAHMAN WAHID", D2),
    (HASAN, "HASAN BASRI", D3, TWINS_KK), (HUSEIN, "HUSEIN BASRI", D3, TWINS_KK),
    (JOKO, "JOKO SUSILO", D3), (ENDANG, "ENDANG MURNI", D3, ENDANG_KK), (SEKAR, "SEKAR AYU PRAMESWARI", D1),
    (BAYU, "BAYU SEKTI NUGRAHA", D2),
]


def _one_off(nik: str, position: int, digit: str | None = None) -> str:
    """`nik` with the digit at `position` (1-16) replaced by another digit (or `digit`)."""
    old = nik[position - 1]
    new = digit if digit is not None else str((int(old) + 3) % 10)
    return nik[:position - 1] + new + nik[position:]


def _swap(nik: str, position: int) -> str:
    return nik[:position - 1] + nik[position] + nik[position - 1] + nik[position + 1:]


SWAPPED_D2 = date(D2.year, D2.day, D2.month)

# (case, member (nik, name, birth), resident NIK it must link to, or None: must link to no one)
CASES: list[tuple[str, tuple, str | None]] = [
    # 1. exact NIK and birth date, the name written another way or only a nickname: links
    ("1 initial for the given name", (ROZAK, "A. ROZAK", D1), ROZAK),
    ("1 initial, birth date not stated", (SLAMET, "S. HARYANTO", None), SLAMET),
    ("1 word dropped, spelling", (PRAJA, "BAYU PRADJA", D1), PRAJA),
    ("1 short name with a typo and a word added", (INDAH, "NDAH PUTRI", D1), INDAH),
    ("1 only a nickname", (TOTOK, "TOTOK", D1), TOTOK),
    # ... unless a better candidate exists: someone else's typo equals a resident's NIK (a neighbour
    # born the same day), while the resident whose name agrees has the NIK one digit away
    ("1 NIK collision: typo on a neighbour's NIK", (DEWI, "SITI AMINAH", D3), SITI),
    # 2. NIK one digit off anywhere, birth date missing or day/month swapped, name exact
    ("2 province digit", (_one_off(HENDRA, 1, "2"), "HENDRA GUNAWAN", None), HENDRA),
    ("2 regency digit", (_one_off(HENDRA, 4), "HENDRA GUNAWAN", SWAPPED_D2), HENDRA),
    ("2 kecamatan digit", (_one_off(HENDRA, 6), "HENDRA GUNAWAN", None), HENDRA),
    ("2 16th digit zeroed, stored as text", (HENDRA[:15] + "0", "HENDRA GUNAWAN", SWAPPED_D2), HENDRA),
    ("2 16th digit zeroed by an Excel number cell", (HENDRA[:15] + "0.0", "HENDRA GUNAWAN", None), HENDRA),
    ("2 rounded by Excel into digit 15, saved as text", (str((int(BAYU) + 5) // 10 * 10), "BAYU SEKTI NUGRAHA", SWAPPED_D2),
     BAYU),
    ("2 transposition across the region digits", (_swap(HENDRA, 4), "HENDRA GUNAWAN", None), HENDRA),
    ("2 birth-date digit", (_one_off(HENDRA, 9), "HENDRA GUNAWAN", None), HENDRA),
    # 3. neither NIK nor birth date: a full name only one resident carries links, a shared one does not
    ("3 rare full name", (None, "KARTINI RADEN AJENG", None), KARTINI),
    ("3 rare full name with a typo", (None, "SEKAR AYU PRAMESWARY", None), SEKAR),
    ("3 name two residents carry", (None, "AGUS BUDI SANTOSA", None), None),
    ("3 one-word name", (None, "KARTINI", None), None),
    # 4. abbreviations and dropped words without a NIK
    ("4 title and a dropped word with a typo", (None, "HJ RIMA KURNIAWATI", D2), RISMA),
    ("4 initials without a NIK", (None, "A. WAHID", D2), ABDUL),
    ("4 twins: the other twin's name", (None, "HUSEIN BASRI", D3), HUSEIN),
    # the family's KK number written as the NIK, no birth date: its date digits are no birth date
    ("KK number, no birth date", (ENDANG_KK, "ENDANG MURNI", None), ENDANG),
    # 5. a valid NIK of another regency is someone else's: a namesake born the same day elsewhere
    ("5 namesake from Kabupaten Madiun", ("351902" + JOKO[6:12] + "0107", "JOKO SUSILO", D3), None),
]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.json"
    path.write_text(json.dumps(MODEL), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def linked(model_file: Path) -> duckdb.DuckDBPyConnection:
    con = _warehouse([member for _, member, _ in CASES])
    link(con, replace(LinkingConfig(), model_file=str(model_file), training_sample_members=100))
    return con


def _outcome(con: duckdb.DuckDBPyConnection, member_id: int) -> tuple[str | None, str]:
    row = con.execute("""SELECT r.nik, o.outcome FROM member_outcomes o LEFT JOIN residents r USING (resident_id)
                         WHERE o.member_id = ?""", [member_id]).fetchone()
    return row[0], row[1]


@pytest.mark.parametrize("member_id, case", [(i, c) for i, c in enumerate(CASES, start=1)], ids=[c[0] for c in CASES])
def test_family(linked: duckdb.DuckDBPyConnection, member_id: int, case: tuple) -> None:
    _, _, expected = case
    nik, outcome = _outcome(linked, member_id)
    if expected is None:
        assert outcome != "linked", "must link to no one"
    else:
        assert (nik, outcome) == (expected, "linked")


def test_a_nik_rounded_by_excel_and_saved_as_text_is_weighed_as_excels(linked: duckdb.DuckDBPyConnection) -> None:
    # Digits 15 and 16 both differ, so no typo level holds: only the rounding explains them.
    level = linked.execute("SELECT nik_level FROM links WHERE resident_nik = ?", [BAYU]).fetchone()
    assert level == ("first15",)


def test_exact_nik_with_another_name_is_flagged(linked: duckdb.DuckDBPyConnection) -> None:
    rows = dict(linked.execute("SELECT resident_nik, name_differs FROM links WHERE decision = 'link'").fetchall())
    assert rows[TOTOK] and rows[INDAH]  # "nama berbeda" for the officers
    assert not rows[ROZAK] and not rows[HENDRA]
    text = linked.execute("SELECT explanation FROM links WHERE resident_nik = ?", [TOTOK]).fetchone()[0]
    assert "Nama berbeda" in text and "tidak membatalkan" in text


def test_no_veto_floor_holds_for_any_name(linked: duckdb.DuckDBPyConnection, model_file: Path) -> None:
    # Without the floor the nickname alone would veto an exact NIK and birth date.
    p = linked.execute("SELECT probability, nik_date_floor FROM links WHERE resident_nik = ?", [TOTOK]).fetchone()
    assert p[0] >= 0.9 and p[1] > 0
    con = _warehouse([(TOTOK, "TOTOK", D1)])
    link(con, replace(LinkingConfig(), model_file=str(model_file), nik_date_floor_probability=0.01,
                      training_sample_members=100))
    assert _outcome(con, 1) == (None, "unlinked")


def test_ambiguous_name_only_rows_ask_for_verification(linked: duckdb.DuckDBPyConnection) -> None:
    member = next(i for i, c in enumerate(CASES, start=1) if c[0] == "3 name two residents carry")
    kpj = f"{10000000000 + member}"
    hints = linked.execute("""SELECT r.nik FROM verification_hints h JOIN residents r USING (resident_id)
                              WHERE h.kpj = ? ORDER BY 1""", [kpj]).fetchall()
    assert [h[0] for h in hints] == sorted([AGUS_1, AGUS_2])


def test_rare_name_with_a_typo_is_found_through_its_rare_words(linked: duckdb.DuckDBPyConnection) -> None:
    # Neither NIK nor birth date, and a typo in a name one resident carries: no key of the exact name
    # finds it, its rare words do (and the model weighs the near name and its rarity).
    member = next(i for i, c in enumerate(CASES, start=1) if c[0] == "3 rare full name with a typo")
    pairs = linked.execute("""SELECT r.nik, c.rule FROM candidate_pairs c JOIN residents r USING (resident_id)
                              WHERE c.member_id = ?""", [member]).fetchall()
    assert pairs == [(SEKAR, "name_only")]


def test_model_json_round_trips(linked: duckdb.DuckDBPyConnection) -> None:
    written = json.loads(linked.execute("SELECT model FROM link_model").fetchone()[0])
    again = ModelParams.from_dict(written)
    assert again.to_dict() == written
    assert again.weights == ModelParams.from_dict(MODEL).weights


def test_a_model_of_other_levels_is_refused(tmp_path: Path) -> None:
    broken = dict(MODEL, m={**MODEL["m"], "name": MODEL["m"]["name"][:-1]})
    (tmp_path / "model.json").write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ConfigError, match="other comparison levels"):
        load_model(tmp_path / "model.json")
    (tmp_path / "model.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ConfigError, match="does not hold a model"):
        load_model(tmp_path / "model.json")


def test_the_cap_is_what_keeps_a_namesake_from_elsewhere_unlinked(model_file: Path) -> None:
    # Name and birth date agree exactly, the NIK is a valid one of Kabupaten Madiun. The date rules
    # look only within the NIK's regency, so only the training sample (everyone born that day)
    # compares them; without the cap EM's weights would link the namesake.
    # (The cap must stay below the link threshold, so "without it" is a cap near 1 with a threshold above.)
    elsewhere = ("351902" + JOKO[6:12] + "0107", "JOKO SUSILO", D3)
    default = LinkingConfig()
    for cap, threshold, expected in ((default.other_region_max_probability, default.link_threshold, "review"),
                                     (0.99, 0.995, "review")):
        con = _warehouse([elsewhere])
        link(con, replace(default, model_file=str(model_file), other_region_max_probability=cap,
                          link_threshold=threshold, training_sample_members=100))
        assert _outcome(con, 1)[1] == expected
        probability = con.execute("SELECT max(probability) FROM pair_scores").fetchone()[0]
        assert (probability <= cap) if cap < 0.5 else (probability >= default.link_threshold)
        rules = con.execute("SELECT DISTINCT c.rule FROM candidate_pairs c JOIN residents r USING (resident_id) "
                            "WHERE r.nik = ?", [JOKO]).fetchall()
        assert rules == [("birth_date_training",)]


@pytest.mark.slow
def test_ucj_run_reuses_a_model(small_city, dagster_home: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.main import main

    # A model no training on these files would give: its weights must come back in the publication.
    model = dict(MODEL, m={**MODEL["m"], "name": [0.7, 0.1] + MODEL["m"]["name"][2:]})
    (tmp_path / "model.json").write_text(json.dumps(model), encoding="utf-8")
    out = tmp_path / "published"
    # Only the model is under test here: the generated city's share of NIK-less rows is not.
    (tmp_path / "config.toml").write_text("[checks]\nmax_invalid_nik_share = 0.5\n", encoding="utf-8")
    args = ["run", "--register", str(small_city.register), "--out", str(out), "--warehouse",
            str(tmp_path / "wh.duckdb"), "--reference-date", "2026-01-01", "--config", str(tmp_path / "config.toml")]
    for path in small_city.members:
        args += ["--members", str(path)]
    result = CliRunner().invoke(main, args + ["--model", str(tmp_path / "model.json")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    used = json.loads((out / "latest" / "model.json").read_text(encoding="utf-8"))
    assert used["m"] == model["m"] and used["u"] == model["u"] and used["em_iterations"] == model["em_iterations"]
    resolved = json.loads((out / "latest" / "config.resolved.json").read_text(encoding="utf-8"))
    assert resolved["linking"]["model_file"] == str((tmp_path / "model.json").resolve())

    (tmp_path / "bad.json").write_text(json.dumps(dict(MODEL, m={"nik": [1.0]})), encoding="utf-8")
    refused = CliRunner().invoke(main, args + ["--model", str(tmp_path / "bad.json")])
    assert refused.exit_code != 0 and "other comparison levels" in refused.output
