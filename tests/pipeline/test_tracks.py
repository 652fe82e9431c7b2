"""Eligibility rules at their boundaries and the track of every resident, on real files through the engine
(ingest, cleaning, linking, coverage, tracks), plus the rule SQL directly where cleaning makes a case
impossible (a kelurahan outside Kota Madiun, a missing birth date)."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.config import Config, EligibilityConfig, LinkingConfig
from pipeline.decisions.tracks import CANDIDATE_TRACKS, EMPLOYER_REFERRALS_QUERY, TRACKS, age_sql, build_tracks
from pipeline.errors import ConfigError
from pipeline.reference import OCCUPATIONS
from pipeline.runner import run_engine
from pipeline.warehouse import connect
from tests.conftest import REFERENCE_DATE, CityEngine
from tests.pipeline.decision_fixtures import create_decision_tables

REF = REFERENCE_DATE  # 2026-01-01

REGISTER_HEADER = ["NIK", "NO KK", "NAMA LENGKAP", "TGL LAHIR", "JENIS KELAMIN", "ALAMAT", "RT", "RW", "KELURAHAN",
                   "KECAMATAN", "PEKERJAAN", "HUB KELUARGA", "DESIL"]
MEMBER_HEADER = ["No. KPJ", "NIK", "Nama Peserta", "Tanggal Lahir", "Segmen", "Status Kepesertaan",
                 "Tgl Kepesertaan", "Tgl Non Aktif", "NPP", "Nama Perusahaan"]
_NAMES = ["BAMBANG", "SUPARMI", "WAGIMAN", "SRIYATI", "SUTRISNO", "KASIYEM", "PAINO", "TUMINI", "SLAMET", "JUMINAH",
          "SUKARDI", "PARMI", "KATIMIN", "SUNARTI", "DARMAJI", "SUMIATI", "MULYONO", "TUKIYEM", "SARDI", "WARSINI"]


@dataclass(frozen=True)
class Person:
    """One register row (and optionally one BPJS TK membership) written to real files."""
    key: str
    born: date = date(1986, 6, 15)
    occupation: str = "PEDAGANG"
    desil: str = "3"
    shdk: str = "KEPALA KELUARGA"
    kk: str | None = None
    membership: tuple[str, str, str, str] | None = None  # segment, status, npp, employer


def nik_for(index: int, born: date) -> str:
    return f"357701{born:%d%m%y}{index + 1:04d}"


def name_for(index: int) -> str:
    return f"{_NAMES[index % len(_NAMES)]} {_NAMES[(index // len(_NAMES) + 7) % len(_NAMES)]}" + (
        f" {_NAMES[index // (len(_NAMES) ** 2)]}" if index >= len(_NAMES) ** 2 else "")


def write_city(folder: Path, people: list[Person]) -> tuple[Path, Path]:
    """A DTSEN-style register (semicolon CSV) and a BPJS TK export for `people`."""
    folder.mkdir(parents=True, exist_ok=True)
    register, members = folder / "dtsen.csv", folder / "bpjstk.csv"
    with register.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(REGISTER_HEADER)
        for i, p in enumerate(people):
            writer.writerow([nik_for(i, p.born), p.kk or f"3577010101{i + 1:06d}", name_for(i), f"{p.born:%d-%m-%Y}",
                             "LAKI-LAKI", f"JL. MERDEKA NO. {i + 1}", "001", "002", "Oro-oro Ombo", "Kartoharjo",
                             p.occupation, p.shdk, p.desil])
    with members.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(MEMBER_HEADER)
        for i, p in enumerate(people):
            if p.membership:
                segment, status, npp, employer = p.membership
                writer.writerow([f"{90000000000 + i}", nik_for(i, p.born), name_for(i), f"{p.born:%d-%m-%Y}", segment,
                                 status, "01-02-2015", "" if status == "AKTIF" else "31-03-2023", npp, employer])
    return register, members


FAST = Config(linking=LinkingConfig(u_sample_pairs=10_000))
"""A handful of people needs no million-pair sample to estimate u-probabilities (linking is not under test)."""


def run_city(folder: Path, people: list[Person], config: Config = FAST) -> duckdb.DuckDBPyConnection:
    register, members = write_city(folder, people)
    con = connect()
    run_engine(con, register=[register], members=[members], config=config, reference_date=REF)
    return con


def tracks_by_key(con: duckdb.DuckDBPyConnection, people: list[Person]) -> dict[str, dict]:
    result = con.execute("SELECT r.nik, t.*, c.coverage_status FROM tracks t JOIN residents r USING (resident_id) "
                         "JOIN coverage c USING (resident_id)")
    names = [d[0] for d in result.description]
    by_nik = {row[0]: dict(zip(names, row, strict=True)) for row in result.fetchall()}
    return {p.key: by_nik[nik_for(i, p.born)] for i, p in enumerate(people)}


PU_LAPSED = ("PU", "NON AKTIF", "12345678", "PT MAJU JAYA MADIUN")
BPU_LAPSED = ("BPU", "NON AKTIF", "", "")
BPU_ACTIVE = ("BPU", "AKTIF", "", "")

PEOPLE = [
    Person("age_18_on_reference_date", born=date(2008, 1, 1)),
    Person("age_18_day_after", born=date(2008, 1, 2)),          # 17 until tomorrow
    Person("age_18_day_before", born=date(2007, 12, 31)),
    Person("age_65_on_reference_date", born=date(1961, 1, 1)),
    Person("age_66_day_after", born=date(1960, 1, 2)),          # still 65 on the reference date
    Person("age_66_on_reference_date", born=date(1960, 1, 1)),
    Person("age_66_day_before", born=date(1959, 12, 31)),
    Person("desil_5", desil="5"),
    Person("desil_6", desil="6"),
    Person("desil_unknown", desil=""),
    Person("student", born=date(2005, 3, 3), occupation="PELAJAR/MAHASISWA", shdk="ANAK"),
    Person("pensioner", born=date(1964, 3, 3), occupation="PENSIUNAN"),
    Person("pns", occupation="PEGAWAI NEGERI SIPIL (PNS)"),
    Person("tni", occupation="TENTARA NASIONAL INDONESIA (TNI)"),
    Person("polri", occupation="KEPOLISIAN RI (POLRI)"),
    Person("housewife", occupation="MENGURUS RUMAH TANGGA", shdk="ISTRI"),
    Person("not_working", occupation="BELUM/TIDAK BEKERJA"),
    Person("occupation_unknown", occupation="JURU TERBANG ANTARIKSA"),
    Person("formal_uncovered", occupation="KARYAWAN SWASTA"),
    Person("honorer_desil_3", occupation="KARYAWAN HONORER"),
    Person("honorer_desil_8", occupation="KARYAWAN HONORER", desil="8"),
    Person("lapsed_informal_desil_2", desil="2", membership=BPU_LAPSED),
    Person("lapsed_informal_desil_8", desil="8", membership=BPU_LAPSED),
    Person("lapsed_formal", occupation="KARYAWAN SWASTA", desil="7", membership=PU_LAPSED),
    Person("covered_over_age", born=date(1950, 5, 5), membership=BPU_ACTIVE),
    Person("covered_formal", occupation="KARYAWAN SWASTA", membership=("PU", "AKTIF", "87654321", "PT SEHAT")),
]


@pytest.fixture(scope="module")
def city_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    con = run_city(tmp_path_factory.mktemp("tracks"), PEOPLE)
    yield con
    con.close()


@pytest.fixture(scope="module")
def city(city_con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    return tracks_by_key(city_con, PEOPLE)


def retrack(con: duckdb.DuckDBPyConnection, eligibility: EligibilityConfig) -> dict[str, dict]:
    """The tracks of the module's city under other eligibility settings (the cleaning is unchanged)."""
    try:
        build_tracks(con, eligibility, REF)
        return tracks_by_key(con, PEOPLE)
    finally:
        build_tracks(con, EligibilityConfig(), REF)


EXPECTED = {
    "age_18_on_reference_date": ("pro_jkk_jkm", None, 18),
    "age_18_day_after": ("out_of_scope", "under_age", 17),
    "age_18_day_before": ("pro_jkk_jkm", None, 18),
    "age_65_on_reference_date": ("pro_jkk_jkm", None, 65),
    "age_66_day_after": ("pro_jkk_jkm", None, 65),
    "age_66_on_reference_date": ("out_of_scope", "over_age", 66),
    "age_66_day_before": ("out_of_scope", "over_age", 66),
    "desil_5": ("pro_jkk_jkm", None, None),
    "desil_6": ("self_enrolment", None, None),
    "desil_unknown": ("self_enrolment", None, None),
    "student": ("out_of_scope", "student", 20),
    "pensioner": ("out_of_scope", "pensioner", 61),
    "pns": ("out_of_scope", "other_scheme", None),
    "tni": ("out_of_scope", "other_scheme", None),
    "polri": ("out_of_scope", "other_scheme", None),
    "housewife": ("out_of_scope", "not_working", None),
    "not_working": ("out_of_scope", "not_working", None),
    "occupation_unknown": ("out_of_scope", "occupation_unknown", None),
    "formal_uncovered": ("employer_compliance", None, None),
    "honorer_desil_3": ("pro_jkk_jkm", None, None),
    "honorer_desil_8": ("employer_compliance", None, None),
    "lapsed_informal_desil_2": ("pro_jkk_jkm", None, None),
    "lapsed_informal_desil_8": ("reactivation", None, None),
    "lapsed_formal": ("employer_compliance", None, None),
    "covered_over_age": ("covered", None, 75),
    "covered_formal": ("covered", None, None),
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_each_rule_at_its_boundary(city: dict[str, dict], key: str) -> None:
    track, scope_reason, age = EXPECTED[key]
    row = city[key]
    assert (row["track"], row["out_of_scope_reason"]) == (track, scope_reason)
    if age is not None:
        assert row["age"] == age
    assert row["track_reason"] and row["resident_reason"] and row["age_reason"] and row["work_reason"]
    assert row["desil_reason"]


def test_age_rule_is_inclusive_on_the_reference_date(city: dict[str, dict]) -> None:
    assert city["age_18_on_reference_date"]["age_eligible"] is True
    assert city["age_18_day_after"]["age_eligible"] is False
    assert city["age_66_day_after"]["age_eligible"] is True
    assert city["age_66_on_reference_date"]["age_eligible"] is False
    assert city["age_18_on_reference_date"]["age_reason"] == "usia 18 tahun pada 01-01-2026 (memenuhi 18-65 tahun)"
    assert city["age_18_day_after"]["age_reason"] == "usia 17 tahun pada 01-01-2026 (di luar 18-65 tahun)"
    assert city["age_18_day_after"]["track_reason"] == "usia 17 tahun, di bawah 18"
    assert city["age_66_on_reference_date"]["track_reason"] == "usia 66 tahun, di atas 65"


@pytest.mark.parametrize("born, on, age", [
    (date(2008, 1, 1), date(2026, 1, 1), 18),
    (date(2008, 1, 2), date(2026, 1, 1), 17),
    (date(2008, 2, 29), date(2026, 2, 28), 17),   # a 29 February birthday falls on 1 March in common years
    (date(2008, 2, 29), date(2026, 3, 1), 18),
    (date(2008, 2, 29), date(2028, 2, 29), 20),
    (date(1961, 12, 31), date(2026, 12, 31), 65),
    (date(1961, 12, 31), date(2026, 12, 30), 64),
])
def test_age_sql_counts_completed_years(born: date, on: date, age: int) -> None:
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {age_sql('$born', '$on')}", {"born": born, "on": on}).fetchall()[0][0] == age


def test_desil_rule_at_5_6_and_unknown(city: dict[str, dict]) -> None:
    assert city["desil_5"]["desil_eligible"] is True
    assert city["desil_5"]["desil_reason"] == "desil 5 (Pro JKK-JKM: desil 1-5)"
    assert city["desil_6"]["desil_eligible"] is False
    assert city["desil_6"]["desil_reason"] == "desil 6, di atas batas Pro JKK-JKM 5"
    assert city["desil_unknown"]["desil_eligible"] is False
    assert "desil tidak diketahui" in city["desil_unknown"]["track_reason"]


def test_occupation_groups_and_reasons(city: dict[str, dict]) -> None:
    assert city["formal_uncovered"]["works"] is True and city["formal_uncovered"]["pro_work"] is False
    assert city["honorer_desil_3"]["pro_work"] is True
    assert city["honorer_desil_3"]["work_reason"] == "pekerjaan rentan (KARYAWAN HONORER)"
    assert city["pns"]["works"] is False
    assert city["pns"]["track_reason"] == "PNS/TNI/POLRI/pejabat negara: dijamin Taspen/Asabri"
    assert city["student"]["track_reason"] == "pelajar/mahasiswa"
    assert city["housewife"]["track_reason"] == "tidak bekerja (mengurus rumah tangga)"
    assert city["desil_5"]["work_reason"] == "pekerja informal (PEDAGANG)"


def test_reactivation_only_for_lapsed_memberships(city: dict[str, dict]) -> None:
    assert city["lapsed_informal_desil_8"]["coverage_status"] == "lapsed"
    assert city["lapsed_informal_desil_8"]["track_reason"].startswith("kepesertaan BPU NON AKTIF sejak 31-03-2023")
    assert city["desil_6"]["coverage_status"] == "uncovered"  # the same worker without a membership: self-enrolment
    lapsed_pro = city["lapsed_informal_desil_2"]
    assert lapsed_pro["coverage_status"] == "lapsed" and "didaftarkan lewat Pro JKK-JKM" in lapsed_pro["track_reason"]


def test_employer_compliance_names_the_employer_where_known(city: dict[str, dict]) -> None:
    lapsed = city["lapsed_formal"]
    assert (lapsed["employer_npp"], lapsed["employer_name"]) == ("12345678", "PT MAJU JAYA MADIUN")
    assert "PT MAJU JAYA MADIUN, NPP 12345678" in lapsed["track_reason"]
    unknown = city["formal_uncovered"]
    assert unknown["employer_npp"] is None and "pemberi kerja belum diketahui" in unknown["track_reason"]
    assert city["covered_formal"]["employer_npp"] is None  # covered: no referral


def test_employer_referrals_group_workers_by_employer(tmp_path: Path) -> None:
    people = [Person(f"worker_{i}", occupation="KARYAWAN SWASTA", desil="7", membership=PU_LAPSED) for i in range(3)]
    people += [Person("other_employer", occupation="KARYAWAN SWASTA", desil="7",
                      membership=("PU", "NON AKTIF", "55555555", "CV LAIN"))]
    people += [Person("no_employer", occupation="KARYAWAN SWASTA", desil="7")]
    with run_city(tmp_path, people) as con:
        rows = con.execute(EMPLOYER_REFERRALS_QUERY).fetchall()
        workers = con.execute("SELECT employer_workers FROM candidates WHERE employer_npp = '12345678'").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("12345678", "PT MAJU JAYA MADIUN", 3), ("55555555", "CV LAIN", 1),
                                                  (None, None, 1)]
    assert workers == [(3,)] * 3


@pytest.mark.parametrize("change, key, track", [
    ({"lapsed_in_pro_jkk_jkm": False}, "lapsed_informal_desil_2", "reactivation"),
    ({"vulnerable_occupation_codes": []}, "honorer_desil_3", "employer_compliance"),
    ({"pro_jkk_jkm_max_desil": 4}, "desil_5", "self_enrolment"),
    ({"pro_jkk_jkm_max_desil": 6}, "desil_6", "pro_jkk_jkm"),
    ({"max_age": 64}, "age_65_on_reference_date", "out_of_scope"),
    ({"min_age": 17}, "age_18_day_after", "pro_jkk_jkm"),
])
def test_rules_follow_the_config(city_con: duckdb.DuckDBPyConnection, change: dict, key: str, track: str) -> None:
    default = tracks_by_key(city_con, PEOPLE)[key]["track"]
    assert default != track
    assert retrack(city_con, EligibilityConfig(**change))[key]["track"] == track


def test_lapsed_worker_kept_out_of_pro_jkk_jkm_says_they_qualify(city_con: duckdb.DuckDBPyConnection) -> None:
    row = retrack(city_con, EligibilityConfig(lapsed_in_pro_jkk_jkm=False))["lapsed_informal_desil_2"]
    assert row["track_reason"].endswith("aktifkan kembali (memenuhi syarat Pro JKK-JKM)")


def test_occupation_group_override_from_config(tmp_path: Path) -> None:
    config = dataclasses.replace(FAST, eligibility=EligibilityConfig(occupation_groups={"2": "informal"}))
    with run_city(tmp_path, PEOPLE, config) as con:
        assert tracks_by_key(con, PEOPLE)["housewife"]["track"] == "pro_jkk_jkm"


def _expected_track(group: str, code: int) -> tuple[str, str | None]:
    if group == "informal" or code == 18:
        return "pro_jkk_jkm", None
    if group == "formal":
        return "employer_compliance", None
    if group == "other_scheme":
        return "out_of_scope", "other_scheme"
    return "out_of_scope", {3: "student", 4: "pensioner"}.get(code, "not_working")


def test_every_one_of_the_89_occupations_lands_in_its_groups_track(tmp_path: Path) -> None:
    people = [Person(f"occupation_{o.code}", occupation=o.label) for o in OCCUPATIONS]
    people.append(Person("covered", membership=BPU_ACTIVE))  # a members file needs one row
    with run_city(tmp_path, people) as con:
        rows = tracks_by_key(con, people)
    for o in OCCUPATIONS:
        row = rows[f"occupation_{o.code}"]
        assert (row["track"], row["out_of_scope_reason"]) == _expected_track(o.group, o.code), o.label


# --- the rule SQL directly: cases the cleaning makes impossible -----------------------------------

def _mini_warehouse(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    create_decision_tables(con)
    for i, row in enumerate(rows, start=1):
        con.execute("INSERT INTO residents VALUES (?, ?, NULL, ?, ?, ?, 8, 'PERDAGANGAN', 'informal', 2, 3, 1)",
                    [i, f"35770101018{i:05d}", row.get("born", date(1980, 1, 1)), row["code"], row.get("name")])
        con.execute("INSERT INTO coverage VALUES (?, 'uncovered', NULL, NULL, NULL, NULL)", [i])


def test_residency_is_the_kelurahan_code_not_the_nik_prefix(con: duckdb.DuckDBPyConnection) -> None:
    _mini_warehouse(con, [
        {"code": "3577011001", "name": "Oro-oro Ombo"},
        {"code": "3519012009", "name": "Mojorejo"},      # Mojorejo in Kab. Madiun, same name as a city kelurahan
        {"code": "3577019999", "name": None},            # a 3577 prefix that is no Kota Madiun kelurahan
        {"code": None, "name": None},
    ])
    build_tracks(con, EligibilityConfig(), REF)
    rows = con.execute("SELECT track, out_of_scope_reason, is_resident, resident_reason, track_reason "
                       "FROM tracks ORDER BY resident_id").fetchall()
    assert rows[0][:3] == ("pro_jkk_jkm", None, True)
    assert rows[0][3] == "kelurahan Oro-oro Ombo (3577011001), Kota Madiun"
    for row, code in zip(rows[1:], ["3519012009", "3577019999", "kosong"], strict=True):
        assert row[:3] == ("out_of_scope", "not_resident", False)
        assert row[4] == f"kode desa/kelurahan {code} bukan Kota Madiun"


def test_missing_birth_date_is_out_of_scope(con: duckdb.DuckDBPyConnection) -> None:
    _mini_warehouse(con, [{"code": "3577011001", "name": "Oro-oro Ombo", "born": None}])
    build_tracks(con, EligibilityConfig(), REF)
    assert con.execute("SELECT track, out_of_scope_reason, age_eligible FROM tracks").fetchall() == [
        ("out_of_scope", "birth_date_unknown", False)]


# --- a generated city: every resident exactly once -------------------------------------------------

@pytest.fixture(scope="module")
def engine(city_engine: CityEngine) -> duckdb.DuckDBPyConnection:
    return city_engine.con


def test_every_resident_lands_in_exactly_one_track(engine: duckdb.DuckDBPyConnection) -> None:
    residents = engine.execute("SELECT count(*) FROM residents").fetchall()[0][0]
    tracks = engine.execute("SELECT count(*), count(DISTINCT resident_id), count(track) FROM tracks").fetchall()[0]
    assert tracks == (residents, residents, residents)
    missing = engine.execute("SELECT count(*) FROM residents r ANTI JOIN tracks t USING (resident_id)").fetchall()
    assert missing == [(0,)]
    assert {t for (t,) in engine.execute("SELECT DISTINCT track FROM tracks").fetchall()} <= set(TRACKS)
    listed = engine.execute("SELECT count(*), count(DISTINCT resident_id) FROM candidates").fetchall()[0]
    in_candidate_tracks = engine.execute("SELECT count(*) FROM tracks WHERE list_contains($t, track)",
                                         {"t": list(CANDIDATE_TRACKS)}).fetchall()[0][0]
    assert listed == (in_candidate_tracks, in_candidate_tracks)
    assert residents > 3000 and in_candidate_tracks > 500


def test_tracks_agree_with_their_rules_on_a_generated_city(engine: duckdb.DuckDBPyConnection) -> None:
    broken = engine.execute("""
        SELECT t.track, count(*) FROM tracks t JOIN residents r USING (resident_id) JOIN coverage c USING (resident_id)
        WHERE t.track_reason IS NULL OR t.resident_reason IS NULL OR t.age_reason IS NULL
           OR (t.track = 'covered') <> (c.coverage_status = 'covered')
           OR (t.track = 'out_of_scope') <> (t.out_of_scope_reason IS NOT NULL)
           OR (t.track = 'pro_jkk_jkm' AND NOT (r.desil <= 5 AND t.age BETWEEN 18 AND 65 AND t.pro_work))
           OR (t.track = 'employer_compliance' AND r.occupation_group <> 'formal')
           OR (t.track = 'reactivation' AND c.coverage_status <> 'lapsed')
           OR (t.track = 'self_enrolment' AND (c.coverage_status <> 'uncovered' OR r.occupation_group <> 'informal'
                                               OR coalesce(r.desil <= 5, FALSE)))
           OR (list_contains(['pro_jkk_jkm', 'employer_compliance', 'reactivation', 'self_enrolment'], t.track)
               AND NOT (t.age_eligible AND t.is_resident AND t.works))
        GROUP BY 1""").fetchall()
    assert broken == []
    counts = dict(engine.execute("SELECT track, count(*) FROM tracks GROUP BY 1").fetchall())
    assert all(counts.get(t, 0) > 0 for t in TRACKS), counts


@pytest.mark.parametrize("change, message", [
    ({"min_age": 70}, "min_age"),
    ({"pro_jkk_jkm_max_desil": 11}, "pro_jkk_jkm_max_desil"),
    ({"vulnerable_occupation_codes": ["18"]}, "vulnerable_occupation_codes"),
])
def test_impossible_eligibility_settings_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EligibilityConfig(**change)
