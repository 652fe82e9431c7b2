"""The inbox with several register extracts: the last by name is used (extracts are named by date), older
ones are ignored with a reason, every membership export is used, and the run's assets read exactly that."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import xlsxwriter

from assets.ingest import raw_register
from assets.resources import PipelineSettings, WarehouseResource
from assets.sources import inbox_register
from pipeline.ingest.inbox import scan_inbox
from tests.pipeline.test_tracks import MEMBER_HEADER, REGISTER_HEADER


def _register_row(i: int) -> list[str]:
    return [f"35770105058{i:05d}", f"3577010101{i:06d}", "BAMBANG SUTRISNO", "05-05-1980", "LAKI-LAKI",
            "JL. MERDEKA", "001", "002", "Oro-oro Ombo", "Kartoharjo", "PEDAGANG", "KEPALA KELUARGA", "3"]


def _csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ";") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _xlsx(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        for r, row in enumerate([header, *rows]):
            sheet.write_row(r, 0, row)
    return path


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    # Three extracts of the register, in two formats, written newest first so file times do not decide.
    _csv(folder / "dtsen_2026-01.csv", REGISTER_HEADER, [_register_row(i) for i in range(3)])
    _xlsx(folder / "dtsen_2025-12.xlsx", REGISTER_HEADER, [_register_row(i) for i in range(5)])
    _csv(folder / "dtsen_2025-10.csv", REGISTER_HEADER, [_register_row(i) for i in range(7)])
    os.utime(folder / "dtsen_2025-10.csv", (2_000_000_000, 2_000_000_000))  # the most recently touched
    member = ["90000000001", "3577010505800001", "BAMBANG SUTRISNO", "05-05-1980", "BPU", "AKTIF", "01-02-2015",
              "", "", ""]
    _csv(folder / "bpjstk_bpu.csv", MEMBER_HEADER, [member], delimiter=",")
    _xlsx(folder / "bpjstk_pu.xlsx", MEMBER_HEADER, [member])
    (folder / "catatan.txt").write_text("kiriman Dinsos bulan Januari\n", encoding="utf-8")
    return folder


def test_the_last_register_by_name_is_used_and_the_others_say_why_not(inbox: Path) -> None:
    contents = scan_inbox(inbox)
    assert contents.register == [inbox / "dtsen_2026-01.csv"]
    assert contents.members == [inbox / "bpjstk_bpu.csv", inbox / "bpjstk_pu.xlsx"]
    ignored = dict(contents.ignored)
    assert set(ignored) == {"dtsen_2025-10.csv", "dtsen_2025-12.xlsx", "catatan.txt"}
    assert ignored["dtsen_2025-10.csv"] == ignored["dtsen_2025-12.xlsx"] == (
        "an older register extract (the last by name is used)")
    assert ignored["catatan.txt"] != ignored["dtsen_2025-10.csv"]  # not an export at all, and told so


def test_one_register_alone_is_used(inbox: Path) -> None:
    for old in ("dtsen_2025-10.csv", "dtsen_2025-12.xlsx"):
        (inbox / old).unlink()
    contents = scan_inbox(inbox)
    assert contents.register == [inbox / "dtsen_2026-01.csv"]
    assert all("older register" not in reason for _, reason in contents.ignored)


def test_a_run_on_the_inbox_loads_only_the_chosen_register(inbox: Path, tmp_path: Path, dagster_home: Path) -> None:
    settings = PipelineSettings(inbox_dir=str(inbox))
    assert settings.inputs() == ([inbox / "dtsen_2026-01.csv"], [inbox / "bpjstk_bpu.csv", inbox / "bpjstk_pu.xlsx"])
    database = tmp_path / "wh.duckdb"
    result = dg.materialize([inbox_register, raw_register], selection=[raw_register.key],
                            resources={"warehouse": WarehouseResource(database=str(database)), "settings": settings})
    assert result.success
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT file_name, rows_in FROM source_files WHERE role = 'register'").fetchall() == [
            ("dtsen_2026-01.csv", 3)]


def test_inbox_and_manifest_fingerprints_agree_whatever_the_order(tmp_path: Path) -> None:
    from pipeline.ingest.inbox import files_fingerprint, fingerprint
    from pipeline.ingest.readers import describe

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("NIK\n1\n", encoding="utf-8")
    b.write_text("NIK\n2\n", encoding="utf-8")
    listed = [{"file_name": p.name, "sha256": describe(p).sha256} for p in (b, a)]
    assert files_fingerprint([a, b]) == fingerprint((i["file_name"], i["sha256"]) for i in listed)
    b.write_text("NIK\n3\n", encoding="utf-8")
    assert files_fingerprint([a, b]) != fingerprint((i["file_name"], i["sha256"]) for i in listed)
