"""`changes.csv`: who entered or left the candidate list since the previous publication, and why. Two
nights on real files through the engine: one person per reason, changed between the nights as life
changes them (an export that lapses, a birthday, a new job, a move), plus one who stays as they were."""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.decisions.changes import CHANGE_REASONS, build_changes
from pipeline.publish.publish import publish
from pipeline.runner import run_engine
from pipeline.warehouse import connect
from tests.pipeline.test_tracks import FAST, MEMBER_HEADER, REGISTER_HEADER

FIRST_NIGHT, SECOND_NIGHT = date(2026, 1, 1), date(2026, 7, 1)
PREVIOUS_ID = "20260101T010000-malam1"


@dataclass(frozen=True)
class Resident:
    index: int
    name: str
    born: date = date(1980, 5, 5)
    occupation: str = "PEDAGANG"
    desil: str = "3"
    membership: str | None = None  # "AKTIF" or "NON AKTIF" (a BPU membership)

    @property
    def nik(self) -> str:  # Kartoharjo, the birth date, a serial
        return f"357701{self.born:%d%m%y}{self.index + 1:04d}"


def _people(n: int) -> list[Resident]:
    names = ["BAMBANG SUTRISNO", "SUPARMI WATI", "WAGIMAN HADI", "SRIYATI NINGSIH", "KASIYEM RAHAYU", "PAINO SANTOSO",
             "TUMINI ASIH", "SLAMET RIYADI", "JUMINAH SARI", "SUKARDI PRAWIRO", "PARMI LESTARI", "KATIMIN JOYO"]
    return [Resident(index=i, name=names[i]) for i in range(n)]


def _write(folder: Path, people: list[Resident]) -> tuple[Path, Path]:
    folder.mkdir(parents=True)
    register, members = folder / "dtsen.csv", folder / "bpjstk.csv"
    with register.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(REGISTER_HEADER)
        for i, p in enumerate(people):
            writer.writerow([p.nik, f"3577010101{i + 1:06d}", p.name, f"{p.born:%d-%m-%Y}", "LAKI-LAKI",
                             f"JL. MERDEKA NO. {i + 1}", "001", "002", "Oro-oro Ombo", "Kartoharjo", p.occupation,
                             "KEPALA KELUARGA", p.desil])
    with members.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(MEMBER_HEADER)
        for i, p in enumerate(people):
            if p.membership:
                writer.writerow([f"{90000000000 + i}", p.nik, p.name, f"{p.born:%d-%m-%Y}", "BPU", p.membership,
                                 "01-02-2015", "" if p.membership == "AKTIF" else "31-03-2026", "", ""])
    return register, members


def _night(folder: Path, root: Path, publication_id: str, people: list[Resident], reference_date: date,
           previous: Path | None) -> Path:
    register, members = _write(folder, people)
    with connect() as con:
        run_engine(con, register=[register], members=[members], config=FAST, reference_date=reference_date)
        build_changes(con, previous, PREVIOUS_ID if previous else None, FAST.eligibility)
        return publish(con, root, publication_id=publication_id, manifest={}, extra_files={},
                       created=datetime.combine(reference_date, datetime.min.time()), nik_visible_digits=6).path


# key -> (first night, second night); None = not in the register that night
p = _people(12)
STORY: dict[str, tuple[Resident | None, Resident | None]] = {
    "new_in_register": (None, p[0]),
    "membership_lapsed": (replace(p[1], membership="AKTIF"), replace(p[1], membership="NON AKTIF")),
    "came_of_age": (replace(p[2], born=date(2008, 3, 1)), replace(p[2], born=date(2008, 3, 1))),  # 17, then 18
    "became_eligible": (replace(p[3], occupation="BELUM/TIDAK BEKERJA"), p[3]),
    "enrolled": (p[4], replace(p[4], membership="AKTIF")),
    "moved": (p[5], None),
    "aged_out": (replace(p[6], born=date(1960, 3, 1)), replace(p[6], born=date(1960, 3, 1))),  # 65, then 66
    "out_of_scope": (p[7], replace(p[7], occupation="PEGAWAI NEGERI SIPIL (PNS)")),
    "changed_track": (p[8], replace(p[8], desil="8")),  # Pro JKK-JKM, then self-enrolment (above desil 5)
    "unchanged": (p[9], p[9]),
}
EXPECTED = {  # key -> (change, reason_code, previous_track, current_track)
    "new_in_register": ("entered", "new_in_register", None, "pro_jkk_jkm"),
    "membership_lapsed": ("entered", "membership_lapsed", "covered", "pro_jkk_jkm"),
    "came_of_age": ("entered", "came_of_age", "out_of_scope", "pro_jkk_jkm"),
    "became_eligible": ("entered", "became_eligible", "out_of_scope", "pro_jkk_jkm"),
    "enrolled": ("left", "enrolled", "pro_jkk_jkm", "covered"),
    "moved": ("left", "moved", "pro_jkk_jkm", None),
    "aged_out": ("left", "aged_out", "pro_jkk_jkm", "out_of_scope"),
    "out_of_scope": ("left", "out_of_scope", "pro_jkk_jkm", "out_of_scope"),
    "changed_track": ("changed_track", "changed_track", "pro_jkk_jkm", "self_enrolment"),
}


@pytest.fixture(scope="module")
def changes(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], Path]:
    tmp = tmp_path_factory.mktemp("changes")
    root = tmp / "published"
    first = _night(tmp / "night1", root, PREVIOUS_ID, [a for a, _ in STORY.values() if a], FIRST_NIGHT, None)
    assert (first / "changes.csv").read_text(encoding="utf-8").count("\n") == 1  # nothing to compare with: header
    second = _night(tmp / "night2", root, "20260701T010000-malam2", [b for _, b in STORY.values() if b],
                    SECOND_NIGHT, first)
    with (second / "changes.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    by_nik = {row["nik"]: row for row in rows}
    assert len(by_nik) == len(rows)
    key_of = {(a or b).nik: key for key, (a, b) in STORY.items()}
    return {key_of[nik]: row for nik, row in by_nik.items()}, second


def test_each_reason_is_given_to_the_person_it_describes(changes: tuple[dict[str, dict], Path]) -> None:
    rows, _ = changes
    got = {key: (r["change"], r["reason_code"], r["previous_track"] or None, r["current_track"] or None)
           for key, r in rows.items()}
    assert got == EXPECTED  # "unchanged" is not in it


def test_reasons_are_explained_in_indonesian(changes: tuple[dict[str, dict], Path]) -> None:
    rows, _ = changes
    for key, row in rows.items():
        assert row["reason"].startswith(CHANGE_REASONS[row["reason_code"]]), key
        assert row["previous_publication"] == PREVIOUS_ID
    assert rows["out_of_scope"]["reason"] != CHANGE_REASONS["out_of_scope"]  # today's reason is appended
    assert rows["out_of_scope"]["reason"].startswith(CHANGE_REASONS["out_of_scope"] + ": ")


def test_changes_parquet_holds_the_same_rows(changes: tuple[dict[str, dict], Path]) -> None:
    rows, folder = changes
    with duckdb.connect() as con:
        parquet = con.execute("SELECT nik, change, reason_code FROM read_parquet(?) ORDER BY nik",
                              [(folder / "changes.parquet").as_posix()]).fetchall()
    assert sorted((r["nik"], r["change"], r["reason_code"]) for r in rows.values()) == parquet
