"""Tests of the synthetic city generator (pipeline.synthetic) at a small scale."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook

from pipeline.reference import PROVINCE_CODES
from pipeline.synthetic import CSV_HEADER, REGISTER_HEADER, XLSX_HEADER, GeneratedFiles, generate

SCALE = 0.02
ERROR_TAGS = {
    "nik_missing",
    "nik_substitution",
    "nik_transposition",
    "nik_excel",
    "nik_kk",
    "name_spelling",
    "name_title",
    "name_muhammad",
    "name_double",
    "name_order",
    "name_drop",
    "name_typo",
    "dob_swap",
    "dob_offbyone",
    "dob_year",
    "dob_missing",
    "duplicate_row",
}


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFiles:
    return generate(tmp_path_factory.mktemp("std"), scale=SCALE, seed=7)


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFiles:
    return generate(tmp_path_factory.mktemp("hard"), scale=SCALE, seed=7, profile="hard")


def _files(g: GeneratedFiles) -> list[Path]:
    return [g.register, *g.members, g.truth_residents, g.truth_members]


def _register_rows(g: GeneratedFiles) -> list[list[str]]:
    with open(g.register, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=";"))


def _bpu_rows(g: GeneratedFiles) -> list[list[str]]:
    with open(g.members[1], encoding="cp1252", newline="") as fh:
        return list(csv.reader(fh))


def _xlsx_rows(g: GeneratedFiles) -> list[list[object]]:
    wb = CalamineWorkbook.from_path(str(g.members[0]))
    return wb.get_sheet_by_name(wb.sheet_names[0]).to_python(skip_empty_area=False)


def _nik_date(nik: str) -> tuple[date, bool]:
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    year = 2000 + yy if 2000 + yy <= 2026 else 1900 + yy
    return date(year, month, day - 40 if female else day), female


def test_same_arguments_give_identical_bytes(standard: GeneratedFiles, tmp_path: Path) -> None:
    again = generate(tmp_path, scale=SCALE, seed=7)
    for a, b in zip(_files(standard), _files(again), strict=True):
        assert a.name == b.name
        assert a.read_bytes() == b.read_bytes(), a.name


def test_other_seed_gives_other_files(standard: GeneratedFiles, tmp_path: Path) -> None:
    other = generate(tmp_path, scale=SCALE, seed=8)
    assert other.register.read_bytes() != standard.register.read_bytes()


def test_register_has_bom_and_exact_header(standard: GeneratedFiles) -> None:
    raw = standard.register.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    first = raw[3:].split(b"\r\n", 1)[0].decode("utf-8")
    assert first == ";".join(REGISTER_HEADER)
    assert first == (
        "NIK;NO KK;NAMA LENGKAP;TGL LAHIR;JENIS KELAMIN;ALAMAT;RT;RW;KELURAHAN;KECAMATAN;PEKERJAAN;HUB KELUARGA;DESIL"
    )


def test_register_niks_follow_dukcapil_rules(standard: GeneratedFiles) -> None:
    rows = _register_rows(standard)[1:]
    truth = pq.read_table(standard.truth_residents).to_pylist()
    assert len(rows) == len(truth)
    agree = 0
    for row, t in zip(rows, truth, strict=True):
        nik = row[0]
        if "invalid_nik" in t["dirt"]:
            assert not (len(nik) == 16 and nik.isdigit())
            continue
        assert nik == t["nik"]
        assert len(nik) == 16 and nik.isdigit()
        assert nik[:2] in PROVINCE_CODES
        assert nik[12:] != "0000"
        born, female = _nik_date(nik)
        assert female == (row[4] == "PEREMPUAN")
        stated = row[3]
        y, m, d = (
            stated.split("-") if "-" in stated[:5] and len(stated.split("-")[0]) == 4 else reversed(stated.split("-"))
        )
        agree += date(int(y), int(m), int(d)) == born
    assert agree >= 0.97 * len(rows)  # ~1% legitimate birth-date corrections


def test_kk_numbers_carry_a_recording_date(standard: GeneratedFiles) -> None:
    rows = _register_rows(standard)[1:]
    niks = {r[0] for r in rows}
    for kk in {r[1] for r in rows}:
        assert len(kk) == 16 and kk.isdigit() and kk[:4] == "3577"
        day, month, yy = int(kk[6:8]), int(kk[8:10]), int(kk[10:12])
        assert 1 <= day <= 31 and 1 <= month <= 12 and 5 <= yy <= 25
        date(2000 + yy, month, day)
        assert kk not in niks


def test_truth_counts_equal_data_rows(standard: GeneratedFiles) -> None:
    res = pq.read_table(standard.truth_residents)
    mem = pq.read_table(standard.truth_members).to_pylist()
    assert res.num_rows == len(_register_rows(standard)) - 1 == standard.register_rows
    xlsx, bpu = _xlsx_rows(standard), _bpu_rows(standard)
    assert [str(h) for h in xlsx[0]] == list(XLSX_HEADER)
    assert bpu[0] == list(CSV_HEADER)
    per_file = Counter(m["source_file"] for m in mem)
    assert per_file[standard.members[0].name] == len(xlsx) - 1
    assert per_file[standard.members[1].name] == len(bpu) - 1
    assert len(mem) == standard.member_rows
    assert res.column("source_row").to_pylist() == list(range(2, res.num_rows + 2))


def test_member_truth_is_consistent(standard: GeneratedFiles) -> None:
    mem = pq.read_table(standard.truth_members).to_pylist()
    res = pq.read_table(standard.truth_residents).to_pylist()
    by_id = {r["person_id"]: r["nik"] for r in res}
    xlsx, bpu = _xlsx_rows(standard), _bpu_rows(standard)
    files = {standard.members[0].name: xlsx, standard.members[1].name: bpu}
    kpjs = Counter()
    for m in mem:
        tags = set(filter(None, m["errors"].split(",")))
        assert tags <= ERROR_TAGS
        assert m["resident_nik"] == by_id.get(m["person_id"])
        row = files[m["source_file"]][m["source_row"] - 1]
        assert str(row[0]) == m["kpj"] and len(m["kpj"]) == 11
        kpjs[m["kpj"]] += 1
        nik = row[1]
        if not tags & {"nik_missing", "nik_substitution", "nik_transposition", "nik_excel", "nik_kk"}:
            assert nik == m["true_nik"]
        if "nik_excel" in tags:
            assert isinstance(nik, float) or "E+" in nik or nik.endswith("0")
    dups = sum(1 for m in mem if "duplicate_row" in m["errors"])
    assert sum(c - 1 for c in kpjs.values()) == dups


def test_niks_are_unique_across_everyone(standard: GeneratedFiles) -> None:
    res = pq.read_table(standard.truth_residents).to_pylist()
    mem = pq.read_table(standard.truth_members).to_pylist()
    person_nik = {r["person_id"]: r["nik"] for r in res}
    person_nik.update({m["person_id"]: m["true_nik"] for m in mem})
    assert len(set(person_nik.values())) == len(person_nik)


def test_bpu_csv_is_windows_1252(standard: GeneratedFiles) -> None:
    raw = standard.members[1].read_bytes()
    assert b"\x92" in raw
    assert raw.startswith(",".join(CSV_HEADER).encode("cp1252") + b"\r\n")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def _error_rate(g: GeneratedFiles) -> float:
    mem = pq.read_table(g.truth_members).column("errors").to_pylist()
    return sum(len(list(filter(None, e.split(",")))) for e in mem) / len(mem)


def test_hard_profile_has_more_errors(standard: GeneratedFiles, hard: GeneratedFiles) -> None:
    assert _error_rate(hard) > 2 * _error_rate(standard)
    dirty = [sum(pq.read_table(g.truth_residents).column("is_dirty").to_pylist()) for g in (standard, hard)]
    assert dirty[1] > dirty[0]


def test_counts_are_plausible(standard: GeneratedFiles) -> None:
    scale = SCALE
    assert 180_000 * scale < standard.residents < 225_000 * scale
    assert standard.families == round(59_000 * scale)
    assert 42_000 * scale < standard.member_rows < 60_000 * scale
    statuses = Counter(pq.read_table(standard.truth_residents).column("true_status").to_pylist())
    assert set(statuses) == {"covered", "lapsed", "uncovered"}
