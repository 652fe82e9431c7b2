"""Hostile and damaged input files (issue 11): each is made here from a generated city, then read by
the real ingest (load, clean, rejects, checks) or the real `ucj run`; assertions on counts, reasons,
messages and outputs. Every message an ingest error produces is scanned for the file's NIKs and names."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from click.testing import CliRunner

from pipeline.checks import counts_reconcile, reject_share
from pipeline.config import ChecksConfig, Config, IngestConfig
from pipeline.errors import InputFileError
from pipeline.ingest.clean import build_rejects, clean_members, clean_register
from pipeline.ingest.load import load_role
from pipeline.ingest.readers import decode_text
from pipeline.ingest.reconcile import reconciliation
from pipeline.normalise.names import name_key as name_key_of
from pipeline.synthetic import GeneratedFiles
from pipeline.warehouse import connect

REF = date(2026, 1, 1)
NAME = 2  # column of NAMA LENGKAP in the generated register
BIRTH = 3  # column of TGL LAHIR


@dataclass
class Register:
    header: list[str]
    rows: list[list[str]]

    def niks(self) -> set[str]:
        return {r[0] for r in self.rows} | {r[1] for r in self.rows}

    def names(self) -> set[str]:
        return {r[NAME] for r in self.rows if len(r[NAME]) > 6}

    def write(self, path: Path, *, encoding: str = "utf-8", bom: bool = False, header: bool = True,
              lines_above: str = "") -> Path:
        lines = ([";".join(self.header)] if header else []) + [";".join(r) for r in self.rows]
        data = (lines_above + "\r\n".join(lines) + "\r\n").encode(encoding)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return path


def register_of(city: GeneratedFiles) -> Register:
    lines = city.register.read_text(encoding="utf-8-sig").splitlines()
    return Register(lines[0].split(";"), [line.split(";") for line in lines[1:]])


@pytest.fixture
def register(small_city: GeneratedFiles) -> Register:
    return register_of(small_city)


def assert_no_personal_data(text: str, reg: Register) -> None:
    """No NIK, KK number or name of the file appears (nor any 16-digit run)."""
    assert not re.search(r"\d{16}", text), text
    assert not [n for n in reg.names() if n in text], text


def expect_error(con: duckdb.DuckDBPyConnection, role: str, path: Path, pattern: str, reg: Register | None = None
                 ) -> InputFileError:
    with pytest.raises(InputFileError, match=pattern) as info:
        load_role(con, role, [path], IngestConfig())
    assert info.value.file.startswith(path.name)
    if reg is not None:
        assert_no_personal_data(str(info.value), reg)
    return info.value


@dataclass
class Ingest:
    con: duckdb.DuckDBPyConnection

    def rejects(self, code: str | None = None) -> list[tuple[str, int, str, str]]:
        return self.con.execute("""SELECT f.file_name, j.source_row, j.reason_code, j.reason FROM rejects j
            JOIN source_files f USING (file_id) WHERE ? IS NULL OR j.reason_code = ?
            ORDER BY j.file_id, j.source_row""", [code, code]).fetchall()

    def files(self) -> list[tuple]:
        return self.con.execute("SELECT file_name, rows_in, encoding, header_row FROM source_files "
                                "ORDER BY file_id").fetchall()

    def resident(self, source_row: int) -> tuple:
        return self.con.execute("SELECT nama, birth_date, nik_birth_date, flags FROM residents "
                                "WHERE file_id = 1 AND source_row = ?", [source_row]).fetchone()


def ingest(con: duckdb.DuckDBPyConnection, register: list[Path], members: list[Path]) -> Ingest:
    config = Config()
    load_role(con, "register", register, config.ingest)
    load_role(con, "members", members, config.ingest)
    clean_register(con, config, REF)
    clean_members(con, config, REF)
    build_rejects(con)
    return Ingest(con)


@pytest.fixture
def con():
    connection = connect()
    yield connection
    connection.close()


# ----------------------------------------------------------------------------------------------
# Rows lost without a word

def test_stray_quote_costs_one_row_and_a_quoted_line_break_stays(con, register: Register, small_city, tmp_path):
    reg = register
    reg.rows[99][NAME] = '"' + reg.rows[99][NAME]  # an unclosed quote at the start of a name ...
    reg.rows[249][NAME] = '"' + reg.rows[249][NAME]  # ... and another 150 rows later, in the same column
    reg.rows[400][NAME] = '"SITI\nAMINAH"'  # properly quoted, with a line break: one valid row
    path = reg.write(tmp_path / "dtsen_quote.csv", bom=True)
    run = ingest(con, [path], [small_city.members[1]])

    (register_file, _members_file) = run.files()
    assert register_file[1] == len(reg.rows)  # rows in: every record of the file
    assert all(r.balanced for r in reconciliation(con))
    unreadable = run.rejects("unreadable_row")
    assert [(r[1], "unclosed double quote" in r[3]) for r in unreadable] == [(101, True), (251, True)]
    assert run.resident(402)[0] == "SITI\nAMINAH"  # the embedded line break is kept, in the right row
    assert run.resident(403) is not None and run.resident(102) is not None  # the rows after each quote are kept


def test_reconciliation_catches_a_parser_that_swallows_rows(con, register: Register, small_city, tmp_path,
                                                            monkeypatch):
    import pipeline.ingest.load as load
    import pipeline.ingest.readers as readers

    def greedy(self, lines, i):  # what a plain CSV parser does: the open quote runs to the next quote
        reader = csv.reader(io.StringIO("".join(lines[i:]), newline=""), delimiter=self.text.delimiter)
        return next(reader), reader.line_num

    monkeypatch.setattr(readers._CsvRows, "_join", greedy)
    monkeypatch.setattr(load, "read_csv_fast", lambda *args: None)
    reg = register
    reg.rows[99][NAME] = '"' + reg.rows[99][NAME]
    reg.rows[249][NAME] = '"' + reg.rows[249][NAME]
    path = reg.write(tmp_path / "dtsen_quote.csv")
    ingest(con, [path], [small_city.members[1]])
    passed, message, _ = counts_reconcile(con, ChecksConfig(), None)
    assert not passed
    assert f"dtsen_quote.csv: {len(reg.rows)} rows in" in message


def _members_rows(city: GeneratedFiles) -> tuple[list[str], list[list[str]]]:
    text, _ = decode_text(city.members[1].read_bytes(), city.members[1].name)  # the export is Windows-1252
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def _workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value)
    book.close()
    return path


def test_every_sheet_of_a_workbook_is_read(con, small_city, tmp_path):
    header, rows = _members_rows(small_city)
    path = _workbook(tmp_path / "peserta.xlsx", {"Nov": [header] + rows[:300], "Kosong": [],
                                                 "Des": [["PESERTA DESEMBER"], header] + rows[300:]})
    ingest(con, [small_city.register], [path])
    inputs = [(name, rows_in, header_row) for name, rows_in, _, header_row in Ingest(con).files()[1:]]
    assert inputs == [("peserta.xlsx [Nov]", 300, 1), ("peserta.xlsx [Des]", len(rows) - 300, 2)]
    assert all(r.balanced for r in reconciliation(con))
    assert con.execute("SELECT count(*) FROM memberships").fetchone()[0] + len(Ingest(con).rejects()) >= len(rows)


def test_a_data_sheet_without_the_header_is_refused_by_name(con, small_city, tmp_path):
    header, rows = _members_rows(small_city)
    path = _workbook(tmp_path / "peserta.xlsx", {"Nov": [header] + rows[:300], "Des": rows[300:]})
    error = expect_error(con, "members", path, r"^peserta\.xlsx \[Des\], row 1: no header row")
    assert "Every sheet holding data is read" in str(error)


# ----------------------------------------------------------------------------------------------
# Personal data in a message

def test_register_without_its_header_is_described_not_quoted(con, register: Register, tmp_path):
    path = register.write(tmp_path / "dtsen_tanpa_header.csv", header=False)
    error = expect_error(con, "register", path, r"^dtsen_tanpa_header\.csv, row 1: no header row", register)
    message = str(error)
    assert "13 fields" in message and "fields 1, 2 look like 16-digit NIKs" in message
    assert "field 4 looks like a date" in message


# ----------------------------------------------------------------------------------------------
# Wrong results published: encodings, birth dates, an Excel-damaged register

def test_one_latin1_byte_in_a_utf8_file_costs_that_row_only(con, register: Register, small_city, tmp_path):
    reg = register
    for i in range(0, 60, 3):
        reg.rows[i][NAME] = "RENÉ " + reg.rows[i][NAME]
    text = ("\r\n".join([";".join(reg.header)] + [";".join(r) for r in reg.rows]) + "\r\n").encode("utf-8")
    damaged = text.replace(reg.rows[30][NAME].encode("utf-8"), reg.rows[30][NAME].encode("latin-1"), 1)
    path = tmp_path / "dtsen_latin1.csv"
    path.write_bytes(damaged)
    run = ingest(con, [path], [small_city.members[1]])
    assert run.files()[0][2] == "utf-8 (1 undecodable byte sequence; their rows rejected)"
    assert [(r[1], r[2]) for r in run.rejects("unreadable_row")] == [(32, "unreadable_row")]
    assert "not UTF-8" in run.rejects("unreadable_row")[0][3]
    assert run.resident(2)[0].startswith("RENÉ ")  # not RENÃ‰
    assert all(r.balanced for r in reconciliation(con))


def test_bom_with_windows_1252_text_is_read_as_windows_1252(con, register: Register, small_city, tmp_path):
    reg = register
    reg.rows[0][NAME] = "MA\u2019RUF " + reg.rows[0][NAME]
    reg.rows[1][NAME] = "RENÉ " + reg.rows[1][NAME]
    path = reg.write(tmp_path / "dtsen_bom_1252.csv", encoding="cp1252", bom=True)
    run = ingest(con, [path], [small_city.members[1]])
    assert run.files()[0][2] == "cp1252"
    assert run.resident(2)[0].startswith("MA\u2019RUF ") and run.resident(3)[0].startswith("RENÉ ")


def test_undecodable_byte_is_named_right(con, register: Register, tmp_path):
    reg = register
    reg.rows[4][NAME] = "MA\u2019RUF"
    path = reg.write(tmp_path / "dtsen_bad.csv", encoding="cp1252", bom=True)
    path.write_bytes(path.read_bytes().replace(b"\x92", b"\x81"))
    expect_error(con, "register", path, r"^dtsen_bad\.csv, row 6: the text is neither UTF-8 nor Windows-1252 "
                                        r"\(byte 0x81\)", reg)


def test_header_below_a_long_title_block_is_found(con, register: Register, small_city, tmp_path):
    title = "".join(f"LAPORAN DTSEN KOTA MADIUN BAGIAN {i}\r\n" for i in range(24))
    path = register.write(tmp_path / "dtsen_judul.csv", lines_above=title)
    run = ingest(con, [path], [small_city.members[1]])
    assert run.files()[0][1::2] == (len(register.rows), 25)


def test_inbox_knows_a_register_with_a_long_title_block(register: Register, tmp_path):
    from pipeline.ingest.inbox import classify_file

    title = "".join(f"LAPORAN DTSEN KOTA MADIUN BAGIAN {i}\r\n" for i in range(24))
    path = register.write(tmp_path / "dtsen_judul.csv", lines_above=title)
    assert classify_file(path)[0] == "register"


def test_implausible_birth_dates_fall_back_to_the_nik(con, register: Register, small_city, tmp_path):
    reg = register
    reg.rows[0][BIRTH] = "2099-01-01"
    reg.rows[1][BIRTH] = "1900-01-01"
    reg.rows[2][BIRTH] = "01-01-1900"
    reg.rows[3][0] = reg.rows[3][0][:6] + "99" + reg.rows[3][0][8:]  # NIK with no valid date ...
    reg.rows[3][BIRTH] = "2099-01-01"  # ... and a future birth date: nothing to fall back on
    path = reg.write(tmp_path / "dtsen_tanggal.csv")
    run = ingest(con, [path], [small_city.members[1]])
    for source_row in (2, 3, 4):
        _, birth, nik_birth, flags = run.resident(source_row)
        assert birth == nik_birth and date(1911, 1, 1) < birth <= REF
        assert "birth_date_implausible" in flags and "birth_date_from_nik" in flags
    assert [r[1:3] for r in run.rejects("birth_date_invalid")] == [(5, "birth_date_invalid")]
    ages = con.execute("SELECT min(date_diff('year', birth_date, DATE '2026-01-01')), "
                       "max(date_diff('year', birth_date, DATE '2026-01-01')) FROM residents").fetchone()
    assert ages[0] >= 0 and ages[1] <= 115


def _excel_rounded_register(reg: Register, path: Path) -> Path:
    """The register as an office's workbook: NIK and KK typed as numbers, Excel keeping 15 digits."""
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, reg.header)
    for r, row in enumerate(reg.rows, start=1):
        for c, value in enumerate(row):
            if c in (0, 1) and value.isdigit():
                sheet.write_number(r, c, float(int(value) // 10 * 10))
            else:
                sheet.write_string(r, c, value)
    book.close()
    return path


def test_excel_damaged_register_fails_the_reject_check(con, register: Register, small_city, tmp_path):
    path = _excel_rounded_register(register, tmp_path / "dtsen_excel.xlsx")
    ingest(con, [path], [small_city.members[1]])
    duplicates = con.execute("SELECT count(*) FROM rejects WHERE reason_code = 'duplicate_nik'").fetchone()[0]
    assert duplicates >= 10 and duplicates / len(register.rows) < ChecksConfig().max_reject_share
    passed, message, metadata = reject_share(con, ChecksConfig(), None)
    assert not passed
    assert "dtsen_excel.xlsx: the file looks Excel-damaged" in message
    assert metadata["excel_damaged_files"][0]["duplicate_nik"] == duplicates


def test_real_duplicates_do_not_look_excel_damaged(con, register: Register, small_city, tmp_path):
    reg = register
    for i in range(12):  # twelve NIKs typed twice for other people: real duplicates, not Excel's rounding
        reg.rows[100 + i][0] = reg.rows[i][0]
    path = reg.write(tmp_path / "dtsen_dobel.csv")
    ingest(con, [path], [small_city.members[1]])
    assert con.execute("SELECT count(*) FROM rejects WHERE reason_code = 'duplicate_nik'").fetchone()[0] == 12
    assert reject_share(con, ChecksConfig(), None)[0]


# ----------------------------------------------------------------------------------------------
# Messages that say where

def _encrypted(source: Path, path: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with source.open("rb") as fh, path.open("wb") as out:
        OOXMLFile(fh).encrypt("rahasia", out)
    return path


def _truncated(source: Path, path: Path) -> Path:
    path.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return path


def _zip_renamed(_source: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("laporan.txt", "bukan workbook")
    return path


def _corrupt_parquet(source: Path, path: Path) -> Path:
    text, _ = decode_text(source.read_bytes(), source.name)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    table = pa.table({h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])})
    pq.write_table(table, path, compression="none")
    data = bytearray(path.read_bytes())
    data[4:40] = b"\xff" * 36  # the first page header garbled; magic bytes and footer intact
    path.write_bytes(bytes(data))
    return path


DAMAGED_MEMBERS = {
    "password": (_encrypted, "peserta.xlsx", r"peserta\.xlsx: the workbook is protected by a password"),
    "truncated-xlsx": (_truncated, "peserta.xlsx", r"peserta\.xlsx: the spreadsheet cannot be opened"),
    "zip-renamed": (_zip_renamed, "peserta.xlsx", r"peserta\.xlsx: the spreadsheet cannot be opened"),
    "corrupt-parquet": (_corrupt_parquet, "peserta.parquet", r"peserta\.parquet(, row \d+)?: the Parquet file"),
}


@pytest.mark.parametrize("kind", list(DAMAGED_MEMBERS), ids=list(DAMAGED_MEMBERS))
def test_damaged_file_error_names_the_file(con, small_city, tmp_path, kind):
    make, name, pattern = DAMAGED_MEMBERS[kind]
    source = small_city.members[1] if kind == "corrupt-parquet" else small_city.members[0]
    path = make(source, tmp_path / name)
    expect_error(con, "members", path, "^" + pattern)


def _with_filler(source: Path, path: Path, size: int) -> Path:
    """The workbook with one more part of `size` zero bytes, which packs about a thousand to one."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for part in old.infolist():
            new.writestr(part, old.read(part))
        new.writestr("xl/media/filler.bin", bytes(size))
    return path


def _lying_about_its_size(source: Path, path: Path) -> Path:
    """The workbook with the sheet's central-directory entry claiming a tenth of its real size."""
    data = bytearray(source.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = int.from_bytes(data[at + 28:at + 30], "little")
        if bytes(data[at + 46:at + 46 + name_length]).startswith(b"xl/worksheets/"):
            size = int.from_bytes(data[at + 24:at + 28], "little")
            data[at + 24:at + 28] = (size // 10).to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def no_sheet_parsing(monkeypatch):
    """The spreadsheet parser must not be reached."""
    import python_calamine

    def refuse(*_args, **_kwargs):
        pytest.fail("the workbook reached the sheet parser")  # a BaseException: no `except Exception` hides it

    monkeypatch.setattr(python_calamine, "load_workbook", refuse)


def test_zip_bomb_workbook_is_refused_before_parsing(con, small_city, tmp_path, monkeypatch, no_sheet_parsing):
    from pipeline.ingest import readers

    monkeypatch.setattr(readers, "_RATIO_FROM_BYTES", 1 << 20)  # the limits scaled down to a test's size
    path = _with_filler(small_city.members[0], tmp_path / "peserta.xlsx", 8 << 20)
    error = expect_error(con, "members", path, r"^peserta\.xlsx: the workbook is refused: a part packs [\d,]+ to one")
    assert "zip bomb" in str(error)


def test_workbook_unpacking_beyond_the_limit_is_refused(con, small_city, tmp_path, monkeypatch, no_sheet_parsing):
    from pipeline.ingest import readers

    with zipfile.ZipFile(small_city.members[0]) as z:
        total = sum(p.file_size for p in z.infolist())
    monkeypatch.setattr(readers, "MAX_UNPACKED_BYTES", total - 1)
    readers._check_unpacked_size.cache_clear()  # the same file may have passed the check in another test
    expect_error(con, "members", small_city.members[0], r"the workbook is refused: it would unpack to [\d.]+ GB")


def test_workbook_lying_about_its_size_is_refused_as_damaged(con, small_city, tmp_path, no_sheet_parsing):
    path = _lying_about_its_size(small_city.members[0], tmp_path / "peserta.xlsx")
    expect_error(con, "members", path, r"^peserta\.xlsx: the spreadsheet cannot be opened: it is damaged")


def test_huge_value_and_ragged_row_cost_their_rows(con, register: Register, small_city, tmp_path):
    reg = register
    reg.rows[10][5] = "JL. " + "X" * 200_000  # an address of 200,000 characters
    reg.rows[20] = reg.rows[20][:7]  # a ragged row
    path = reg.write(tmp_path / "dtsen_raksasa.csv")
    run = ingest(con, [path], [small_city.members[1]])
    assert [(r[1], r[2]) for r in run.rejects("unreadable_row")] == [(12, "unreadable_row"), (22, "unreadable_row")]
    assert "200,004 characters" in run.rejects("unreadable_row")[0][3]
    assert all(r.balanced for r in reconciliation(con))


def test_two_nik_columns_are_refused_naming_both(con, register: Register, tmp_path):
    reg = register
    reg.header.append("NO KTP")
    for row in reg.rows:
        row.append(row[0][:-1] + "9")
    path = reg.write(tmp_path / "dtsen_dua_nik.csv")
    expect_error(con, "register", path, r"^dtsen_dua_nik\.csv, row 1, column 'nik': column 1 'NIK' and "
                                        r"column 14 'NO KTP' are both the 'nik' column", reg)


def test_name_and_code_columns_of_one_place_are_not_a_conflict(con, register: Register, small_city, tmp_path):
    reg = register
    reg.header.append("KODE KECAMATAN")
    for row in reg.rows:
        row.append("")
    path = reg.write(tmp_path / "dtsen_kode.csv")
    ingest(con, [path], [small_city.members[1]])


def test_names_that_are_not_names_are_rejected_with_reasons(con, register: Register, small_city, tmp_path):
    reg = register
    values = {0: "=1+1", 1: "N/A", 2: "NULL", 3: "-", 4: "A" * 32_767, 5: "=HYPERLINK(\"http://x\",\"y\")"}
    for i, value in values.items():
        reg.rows[i][NAME] = value
    path = reg.write(tmp_path / "dtsen_nama.csv")
    run = ingest(con, [path], [small_city.members[1]])
    got = {r[1]: r[2] for r in run.rejects() if r[1] <= 7}
    assert got == {2: "name_formula", 3: "name_placeholder", 4: "name_placeholder", 5: "name_placeholder",
                   6: "name_too_long", 7: "name_formula"}
    reasons = {r[2]: r[3] for r in run.rejects()}
    assert "formula" in reasons["name_formula"] and "32,767" in reasons["name_too_long"]


def test_workbook_names_that_are_formulas_or_cut_cells_are_rejected(con, register: Register, small_city, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()  # openpyxl writes a formula without its computed value, as some tools do
    sheet = book.active
    sheet.append(register.header)
    for row in register.rows[:50]:
        sheet.append(row)
    sheet.cell(row=2, column=NAME + 1).value = "=1+1"
    sheet.cell(row=3, column=NAME + 1).value = "B" * 32_767  # a cell cut at the spreadsheet limit
    path = tmp_path / "dtsen_rumus.xlsx"
    book.save(path)
    run = ingest(con, [path], [small_city.members[1]])
    assert [(r[1], r[2]) for r in run.rejects() if r[1] <= 3] == [(2, "name_formula"), (3, "name_too_long")]
    assert all(r.balanced for r in reconciliation(con))


def test_member_with_a_placeholder_name_is_matched_on_nik_only(con, small_city, tmp_path):
    header, rows = _members_rows(small_city)
    rows[0][2] = "N/A"
    path = tmp_path / "peserta.csv"
    path.write_text("\n".join(",".join(r) for r in [header] + rows) + "\n", encoding="utf-8")
    ingest(con, [small_city.register], [path])
    assert con.execute("SELECT name_key FROM memberships WHERE source_row = 2").fetchone() == ("",)


@pytest.mark.parametrize("cell, expected", [
    ("MADIUN, 05-08-1985", date(1985, 8, 5)),
    ("Madiun 5 Agustus 1985", date(1985, 8, 5)),
    ("MADIUN", None),
])
def test_place_and_date_of_birth_in_one_column_gives_the_date(con, small_city, tmp_path, cell, expected):
    header, rows = _members_rows(small_city)
    header[3] = "Tempat/Tgl Lahir"
    rows[0][3] = cell
    path = tmp_path / "peserta.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header] + rows)
    ingest(con, [small_city.register], [path])
    assert con.execute("SELECT birth_date FROM memberships WHERE source_row = 2").fetchone() == (expected,)


@pytest.mark.parametrize("cell, birth_cell, expected", [
    ("SITI AMINAH / 5 Agustus 1985", "", date(1985, 8, 5)),
    ("SITI AMINAH, 05-08-1985", "", date(1985, 8, 5)),
    ("Hj. Siti Aminah, S.Pd. (19850805)", "", date(1985, 8, 5)),
    ("SITI AMINAH / 5 Agustus 1985", "06-09-1986", date(1986, 9, 6)),  # the birth-date column comes first
    ("SITI AMINAH 31 Juni 1985", "", None),  # no date: the name stays as written
])
def test_birth_date_merged_into_the_name_cell_is_read_and_cut(con, small_city, tmp_path, cell, birth_cell, expected):
    header, rows = _members_rows(small_city)
    assert header[2:4] == ["Nama Peserta", "Tanggal Lahir"]
    rows[0][2], rows[0][3] = cell, birth_cell
    path = tmp_path / "peserta.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header] + rows)
    ingest(con, [small_city.register], [path])
    name_key, birth = con.execute("SELECT name_key, birth_date FROM memberships WHERE source_row = 2").fetchone()
    assert birth == expected
    assert name_key == (name_key_of("SITI AMINAH") if expected else name_key_of(cell))


# ----------------------------------------------------------------------------------------------
# The real `ucj run`: what the user sees last, and what Dagster keeps

def _ucj_run(register: Path, members: list[Path], tmp_path: Path, config: str | None = None):
    from cli.main import main

    args = ["run", "--register", str(register), "--out", str(tmp_path / "published"),
            "--warehouse", str(tmp_path / "wh.duckdb"), "--reference-date", "2026-01-01"]
    if config is not None:
        (tmp_path / "config.toml").write_text(config, encoding="utf-8")
        args += ["--config", str(tmp_path / "config.toml")]
    for path in members:
        args += ["--members", str(path)]
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(DAMAGED_MEMBERS), ids=list(DAMAGED_MEMBERS))
def test_ucj_run_stops_at_the_pipelines_own_error(small_city, dagster_home, tmp_path, kind):
    make, name, pattern = DAMAGED_MEMBERS[kind]
    source = small_city.members[1] if kind == "corrupt-parquet" else small_city.members[0]
    path = make(source, tmp_path / name)
    result = _ucj_run(small_city.register, [path, small_city.members[1]] if kind != "corrupt-parquet"
                      else [path, small_city.members[0]], tmp_path)
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert re.match(pattern, last), last
    assert "calamine" not in last and "pyarrow" not in last and "Error:" not in last


def _dagster_texts(home: Path) -> list[str]:
    """Everything Dagster kept about the last run: event log entries and compute log files."""
    import dagster as dg

    texts = []
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        for event in instance.all_logs(run.run_id):
            texts.append(event.user_message or "")
            if event.is_dagster_event:
                texts.append(json.dumps(str(event.dagster_event.event_specific_data)))
    logs = [p for p in (home / "logs").rglob("*") if p.is_file()]
    assert logs, "no compute logs to scan"
    return texts + [p.read_text(errors="replace") for p in logs]


@pytest.mark.slow
def test_header_less_register_leaks_nothing_into_dagster(small_city, dagster_home, register: Register, tmp_path):
    path = register.write(tmp_path / "dtsen_tanpa_header.csv", header=False)
    result = _ucj_run(path, list(small_city.members), tmp_path)
    assert result.exit_code == 1
    assert "dtsen_tanpa_header.csv, row 1: no header row" in result.output.strip().splitlines()[-1]
    texts = _dagster_texts(dagster_home)
    assert any("no header row" in t for t in texts)  # the failure itself was recorded
    for text in texts + [result.output]:
        assert_no_personal_data(text, register)


@pytest.mark.slow
def test_hostile_register_publishes_the_right_rows(small_city, dagster_home, register: Register, tmp_path):
    """One run over a register with a stray quote, a Latin-1 byte among UTF-8 names, a future and a
    1900 birth date: nothing lost, names decoded right, no impossible age, the encoding in the manifest."""
    reg = register
    for i in range(0, 60, 3):
        reg.rows[i][NAME] = "RENÉ " + reg.rows[i][NAME]
    reg.rows[99][NAME] = '"' + reg.rows[99][NAME]
    reg.rows[249][NAME] = '"' + reg.rows[249][NAME]
    reg.rows[1][BIRTH], reg.rows[2][BIRTH] = "2099-01-01", "1900-01-01"
    text = ("\r\n".join([";".join(reg.header)] + [";".join(r) for r in reg.rows]) + "\r\n").encode("utf-8")
    bad = reg.rows[30][NAME].encode("utf-8")
    path = tmp_path / "dtsen_campur.csv"
    path.write_bytes(text.replace(bad, bad.decode("utf-8").encode("latin-1"), 1))

    # the membership files are not under test here: their NIK bound is kept out of the way
    result = _ucj_run(path, list(small_city.members), tmp_path, config="[checks]\nmax_invalid_nik_share = 1.0\n")
    assert result.exit_code == 0, result.output
    latest = tmp_path / "published" / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    (reg_input,) = [i for i in manifest["inputs"] if i["role"] == "register"]
    assert reg_input["rows_in"] == len(reg.rows) == reg_input["rows_used"] + reg_input["rows_rejected"]
    assert reg_input["encoding"].startswith("utf-8 (1 undecodable")
    assert {i["encoding"] for i in manifest["inputs"] if i["file_name"].endswith(".xlsx")} == {None}
    rejects = pq.read_table(latest / "rejects.parquet").to_pylist()
    assert sorted(r["source_row"] for r in rejects if r["reason_code"] == "unreadable_row") == [32, 101, 251]
    coverage = pq.read_table(latest / "coverage.parquet").to_pylist()
    names = {c["nama"] for c in coverage}
    assert reg.rows[0][NAME] in names and not any("Ã" in n for n in names)
    assert all(0 <= c["age"] <= 115 for c in coverage)


@pytest.mark.slow
def test_ucj_run_refuses_an_excel_damaged_register_saying_why(small_city, dagster_home, register: Register,
                                                              tmp_path):
    path = _excel_rounded_register(register, tmp_path / "dtsen_excel.xlsx")
    # the membership files are not under test here: their NIK bound is kept out of the way
    result = _ucj_run(path, list(small_city.members), tmp_path, config="[checks]\nmax_invalid_nik_share = 1.0\n")
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert "check reject_share failed" in last and "dtsen_excel.xlsx: the file looks Excel-damaged" in last
    assert not (tmp_path / "published" / "latest").exists()
