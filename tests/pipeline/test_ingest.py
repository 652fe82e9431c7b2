"""pipeline.ingest.load.load_role and pipeline.ingest.clean over real files: what is kept, what is rejected and why,
and that every file reconciles (rows in = rows used + rows rejected)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from pipeline.config import Config, IngestConfig
from pipeline.errors import InputFileError
from pipeline.ingest.clean import REJECT_REASONS, build_rejects, clean_members, clean_register
from pipeline.ingest.load import LoadedFile, load_role
from pipeline.ingest.reconcile import reconciliation

REF_DATE = date(2026, 1, 1)
REGISTER_HEADER = ["NIK", "NO_KK", "NAMA", "TGL_LAHIR", "JENIS_KELAMIN", "ALAMAT", "RT", "RW", "KELURAHAN",
                   "KECAMATAN", "PEKERJAAN", "HUB_KELUARGA", "DESIL"]
MEMBER_HEADER = ["KPJ", "NIK", "NAMA", "TGL_LAHIR", "SEGMEN", "STATUS", "TGL_KEPESERTAAN", "TGL_NA", "NPP",
                 "NAMA_PERUSAHAAN"]
SITI = "3577014305900001"  # female, 03-05-1990
BUDI = "3577010112850002"  # male, 01-12-1985


def person(nik: str = SITI, nama: str = "Siti Aminah", tgl_lahir: str = "03-05-1990", **other: str) -> dict[str, str]:
    row = {"NIK": nik, "NO_KK": "3577010101100001", "NAMA": nama, "TGL_LAHIR": tgl_lahir, "JENIS_KELAMIN": "P",
           "ALAMAT": "Jl. Merpati 3", "RT": "01", "RW": "02", "KELURAHAN": "Oro-oro Ombo", "KECAMATAN": "Kartoharjo",
           "PEKERJAAN": "WIRASWASTA", "HUB_KELUARGA": "ISTRI", "DESIL": "3"}
    row.update(other)
    return row


def member(kpj: str = "19012345678", nik: str = SITI, nama: str = "SITI AMINAH", **other: str) -> dict[str, str]:
    row = {"KPJ": kpj, "NIK": nik, "NAMA": nama, "TGL_LAHIR": "03-05-1990", "SEGMEN": "BPU", "STATUS": "AKTIF",
           "TGL_KEPESERTAAN": "01-02-2024", "TGL_NA": "", "NPP": "", "NAMA_PERUSAHAAN": ""}
    row.update(other)
    return row


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], *, delimiter: str = ";",
              encoding: str = "utf-8", lines_above: str = "") -> Path:
    def line(cells: list[str]) -> str:
        return delimiter.join(f'"{c}"' if delimiter in c or "\n" in c else c for c in cells) + "\r\n"

    text = lines_above + line(header) + "".join(line([r.get(h, "") for h in header]) for r in rows)
    path.write_bytes(text.encode(encoding))
    return path


@dataclass
class Run:
    loaded: dict[str, list[LoadedFile]]
    con: duckdb.DuckDBPyConnection

    def rejects(self, role: str | None = None) -> list[tuple[str, int, str, str | None]]:
        """(file name, source row, reason code, column) per rejected row."""
        sql = """SELECT f.file_name, j.source_row, j.reason_code, j.column_name FROM rejects j
                 JOIN source_files f USING (file_id) WHERE ? IS NULL OR j.role = ? ORDER BY j.file_id, j.source_row"""
        return self.con.execute(sql, [role, role]).fetchall()

    def residents(self) -> list[tuple]:
        return self.con.execute("""SELECT nik, nama, name_key, birth_date, sex, kelurahan_code, occupation_code,
            desil, file_id, source_row FROM residents ORDER BY file_id, source_row""").fetchall()

    def memberships(self) -> list[tuple]:
        return self.con.execute("""SELECT kpj, nik_status, nik, name_key, birth_date, status, is_active, file_id,
            source_row FROM memberships ORDER BY file_id, source_row""").fetchall()


def run(con: duckdb.DuckDBPyConnection, tmp_path: Path, *, register: list[Path] | None = None,
        members: list[Path] | None = None, config: Config | None = None) -> Run:
    """Load both roles, clean them, build rejects; every file must reconcile."""
    config = config or Config()
    if register is None:
        register = [write_csv(tmp_path / "default_register.csv", REGISTER_HEADER, [person()])]
    if members is None:
        members = [write_csv(tmp_path / "default_members.csv", MEMBER_HEADER, [member()])]
    loaded = {"register": load_role(con, "register", register, config.ingest),
              "members": load_role(con, "members", members, config.ingest)}
    clean_register(con, config, REF_DATE)
    clean_members(con, config, REF_DATE)
    build_rejects(con)
    recon = reconciliation(con)
    assert sorted(r.file_name for r in recon) == sorted(p.name for p in register + members)
    assert [r for r in recon if not r.balanced] == []
    assert sum(r.rows_in for r in recon) == sum(f.rows_in for files in loaded.values() for f in files)
    return Run(loaded, con)


# ----------------------------------------------------------------------------------------------
# File types: the same two residents written every way an export arrives.

TWO = [person(), person(nik=BUDI, nama="Budi Santoso", tgl_lahir="01-12-1985", JENIS_KELAMIN="L",
                      KELURAHAN="Mojorejo", KECAMATAN="Taman", PEKERJAAN="88", DESIL="1")]
EXPECTED_TWO = [(SITI, "Siti Aminah", "SITI AMINA", date(1990, 5, 3), "P", "3577011001", 88, 3),
                (BUDI, "Budi Santoso", "BUDI SANTOSO", date(1985, 12, 1), "L", "3577031001", 88, 1)]


def _csv_writer(delimiter: str, encoding: str) -> Callable[[Path], tuple[Path, int]]:
    def write(folder: Path) -> tuple[Path, int]:
        return write_csv(folder / "register.csv", REGISTER_HEADER, TWO, delimiter=delimiter, encoding=encoding), 1
    return write


def _xlsx_register(folder: Path) -> tuple[Path, int]:
    path = folder / "register.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_string(0, 0, "DATA DTSEN KOTA MADIUN")  # title row, then an empty row
    sheet.write_row(2, 0, REGISTER_HEADER)
    for r, row in enumerate(TWO, start=3):
        for c, name in enumerate(REGISTER_HEADER):
            sheet.write_string(r, c, row[name])
    sheet.write_number(3, 0, int(SITI))  # NIK as a number cell (ends in 1: exact)
    sheet.write_datetime(3, 3, datetime(1990, 5, 3), day)  # a date cell
    sheet.write_number(4, 3, (date(1985, 12, 1) - date(1899, 12, 30)).days)  # a serial number
    sheet.write_number(4, 12, 1)  # desil as a number: "1.0"
    book.close()
    return path, 3


def _parquet_register(folder: Path) -> tuple[Path, int]:
    path = folder / "register.parquet"
    columns = {h: [r[h] for r in TWO] for h in REGISTER_HEADER}
    table = pa.table({**columns, "NIK": pa.array([int(r["NIK"]) for r in TWO], pa.int64()),
                      "TGL_LAHIR": pa.array([date(1990, 5, 3), date(1985, 12, 1)], pa.date32()),
                      "DESIL": pa.array([3, 1], pa.int32())})
    pq.write_table(table, path)
    return path, 1


WRITERS = {
    "csv-utf8-comma": _csv_writer(",", "utf-8"),
    "csv-utf8-bom-semicolon": _csv_writer(";", "utf-8-sig"),
    "csv-cp1252-tab": _csv_writer("\t", "cp1252"),
    "csv-utf8-pipe": _csv_writer("|", "utf-8"),
    "csv-utf16-bom": _csv_writer(";", "utf-16"),
    "xlsx": _xlsx_register,
    "parquet": _parquet_register,
}


@pytest.mark.parametrize("writer", list(WRITERS), ids=list(WRITERS))
def test_every_file_type_gives_the_same_residents(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                  writer: str) -> None:
    path, header_row = WRITERS[writer](tmp_path)
    result = run(con, tmp_path, register=[path])
    (loaded,) = result.loaded["register"]
    assert (loaded.header_row, loaded.rows_in, loaded.blank_rows) == (header_row, 2, 0)
    assert loaded.columns["nik"] == "NIK" and loaded.extra_columns == []
    assert [r[:8] for r in result.residents()] == EXPECTED_TWO
    assert [r[8:] for r in result.residents()] == [(1, header_row + 1), (1, header_row + 2)]
    assert result.rejects() == []


def test_cp1252_name_with_right_quote(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    text = ";".join(REGISTER_HEADER) + "\r\n" + ";".join(person(nama="Ma\u2019ruf Amin").values()) + "\r\n"
    path.write_bytes(text.encode("cp1252"))
    assert b"\x92" in path.read_bytes()
    result = run(con, tmp_path, register=[path])
    assert [(r[1], r[2]) for r in result.residents()] == [("Ma\u2019ruf Amin", "MARUF AMIN")]


def test_xlsx_nik_rounded_by_excel(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "members.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, MEMBER_HEADER)
    sheet.write_row(1, 0, list(member(kpj="", nik="").values()))
    sheet.write_number(1, 0, 19012345678)
    sheet.write_number(1, 1, 3577014305900010)  # digit 16 zeroed, as Excel does
    book.close()
    result = run(con, tmp_path, members=[path])
    assert result.memberships() == [("19012345678", "excel_rounded", None, "SITI AMINA", date(1990, 5, 3), "AKTIF",
                                     True, 1001, 2)]
    assert con.execute("SELECT nik15 FROM memberships").fetchall() == [("357701430590001",)]


def test_blank_rows_are_skipped_not_rejected(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text(";".join(REGISTER_HEADER) + "\n\n" + ";".join(person().values()) + "\n"
                    + ";" * (len(REGISTER_HEADER) - 1) + "\n", encoding="utf-8")
    result = run(con, tmp_path, register=[path])
    (loaded,) = result.loaded["register"]
    assert (loaded.rows_in, loaded.blank_rows) == (1, 2)
    assert [r[8:] for r in result.residents()] == [(1, 3)]


def test_csv_title_line_above_the_header(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "members.csv", MEMBER_HEADER, [member()],
                     lines_above="DAFTAR PESERTA BPU KOTA MADIUN\nPer 31 Desember 2025\n")
    result = run(con, tmp_path, members=[path])
    assert result.loaded["members"][0].header_row == 3
    assert [m[0] for m in result.memberships()] == ["19012345678"]


# ----------------------------------------------------------------------------------------------
# Headers: aliases as exported, and extra aliases from the config.

def test_member_header_aliases(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = ["No. KPJ", "NOMOR_IDENTITAS", "Nama Peserta", "Tgl. Lahir", "Status Kepesertaan", "Nama Perusahaan",
              "Keterangan"]
    path = tmp_path / "members.csv"
    path.write_text(",".join(header) + "\n19012345678,3577014305900001,SITI AMINAH,03-05-1990,AKTIF,CV Maju,-\n",
                    encoding="utf-8")
    result = run(con, tmp_path, members=[path])
    (loaded,) = result.loaded["members"]
    assert loaded.columns == {"kpj": "No. KPJ", "nik": "NOMOR_IDENTITAS", "nama": "Nama Peserta",
                              "tgl_lahir": "Tgl. Lahir", "status": "Status Kepesertaan",
                              "nama_perusahaan": "Nama Perusahaan"}
    assert loaded.extra_columns == ["Keterangan"]
    assert [m[:4] for m in result.memberships()] == [("19012345678", "valid", SITI, "SITI AMINA")]


def test_register_header_aliases(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = ["NIK KTP", "Nama Lengkap", "Tanggal Lahir", "Desa/Kelurahan", "Pekerjaan Utama", "Desil Nasional"]
    path = tmp_path / "register.csv"
    path.write_text(";".join(header) + "\n3577014305900001;Siti Aminah;03-05-1990;Klegen;WIRASWASTA;3\n",
                    encoding="utf-8")
    result = run(con, tmp_path, register=[path])
    assert [r[5] for r in result.residents()] == ["3577011003"]


def test_extra_alias_from_the_config(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = ["NIK_ART", *REGISTER_HEADER[1:]]
    path = write_csv(tmp_path / "register.csv", header, [{**person(), "NIK_ART": SITI}])
    with pytest.raises(InputFileError, match="required column 'nik'"):
        load_role(con, "register", [path], IngestConfig())
    config = Config(ingest=IngestConfig(register_aliases={"nik": ["nik art"]}))
    result = run(con, tmp_path, register=[path], config=config)
    assert result.loaded["register"][0].columns["nik"] == "NIK_ART"
    assert [r[0] for r in result.residents()] == [SITI]


# ----------------------------------------------------------------------------------------------
# Files that cannot be used at all: one clear error naming the file (and row, column) and what was tried.

def test_missing_required_column(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = [h for h in MEMBER_HEADER if h != "NIK"]
    path = write_csv(tmp_path / "bpu_2025_12.csv", header, [member()])
    with pytest.raises(InputFileError) as info:
        load_role(con, "members", [path], IngestConfig())
    message = str(info.value)
    assert (info.value.file, info.value.row, info.value.column) == ("bpu_2025_12.csv", 1, "nik")
    assert message.startswith("bpu_2025_12.csv, row 1, column 'nik': required column 'nik'")
    for alias in ("NIK", "NO_KTP", "NOMOR_IDENTITAS", "NOMOR_INDUK_KEPENDUDUKAN"):
        assert alias in message
    assert "member_aliases" in message


def test_missing_required_column_lists_config_aliases(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "register.csv", [h for h in REGISTER_HEADER if h != "DESIL"], [person()])
    with pytest.raises(InputFileError, match=r"column 'desil'.*DESIL_NASIONAL.*PERINGKAT_KESEJAHTERAAN.*register_al"):
        load_role(con, "register", [path], IngestConfig(register_aliases={"desil": ["Peringkat Kesejahteraan"]}))


def _expect_error(con: duckdb.DuckDBPyConnection, path: Path, role: str, pattern: str) -> InputFileError:
    with pytest.raises(InputFileError, match=pattern) as info:
        load_role(con, role, [path], IngestConfig())
    assert info.value.file == path.name
    assert_no_personal_data(str(info.value))
    return info.value


def assert_no_personal_data(message: str) -> None:
    """An error describes a row, never echoes it: no NIK-like run of digits, no name of these tests."""
    assert not re.search(r"[0-9]{12}", message), message
    assert not re.search(r"SITI|AMINAH|BUDI|SANTOSO|MA.RUF", message.upper()), message


def test_empty_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(b"")
    _expect_error(con, path, "members", r"^members\.csv: the file is empty")


def test_blank_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text("\n;;;\n\n", encoding="utf-8")
    _expect_error(con, path, "members", r"^members\.csv: the file has no header row and no data")


def test_header_only_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "members.csv", MEMBER_HEADER, [], lines_above="DAFTAR PESERTA\n")
    error = _expect_error(con, path, "members", r"^members\.csv, row 2: the file has a header but no data rows")
    assert error.row == 2


def test_file_without_a_header(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("3577014305900001;Siti;03-05-1990\n3577010112850002;Budi;01-12-1985\n", encoding="utf-8")
    _expect_error(con, path, "register", r"register\.csv, row 1: no header row naming the required columns "
                                         r"\(nik, nama, tgl_lahir, kelurahan, pekerjaan, desil\)")


def test_binary_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(";".join(MEMBER_HEADER).encode() + b"\n19012345678;\x00\x00\x07\xff\n")
    error = _expect_error(con, path, "members", r"^members\.csv, row 2: the file holds NUL bytes")
    assert error.row == 2


def test_undecodable_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(";".join(MEMBER_HEADER).encode() + b"\n19012345678;\x81\x8d\n")
    _expect_error(con, path, "members", r"^members\.csv, row 2: the text is neither UTF-8 nor Windows-1252")


def test_xlsx_that_is_not_a_spreadsheet(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "members.xlsx", MEMBER_HEADER, [member()])
    _expect_error(con, path, "members", r"^members\.xlsx: the file is named \.xlsx but its content is not")


def test_same_file_twice(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bpu_2025_11.csv", MEMBER_HEADER, [member()])
    copy = tmp_path / "bpu_2025_12.csv"
    shutil.copyfile(path, copy)
    for paths in ([path, path], [path, copy]):
        with pytest.raises(InputFileError, match=r"bpu_2025_1[12]\.csv: the same file content was given twice"):
            load_role(con, "members", paths, IngestConfig())


def test_no_file(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputFileError, match="no register file given"):
        load_role(con, "register", [], IngestConfig())


def test_file_ids_follow_names(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    late = write_csv(tmp_path / "bpu_2025_12.csv", MEMBER_HEADER, [member(kpj="2")])
    early = write_csv(tmp_path / "bpu_2025_11.csv", MEMBER_HEADER, [member(kpj="1")])
    loaded = load_role(con, "members", [late, early], IngestConfig())
    assert [(f.file_id, f.source.name) for f in loaded] == [(1001, "bpu_2025_11.csv"), (1002, "bpu_2025_12.csv")]


# ----------------------------------------------------------------------------------------------
# Rows that cannot be used: each goes to rejects with its reason and column, the file still reconciles.

def _nik(i: int) -> str:
    """A distinct valid NIK per table row (male, born 01-12-1985, serial i)."""
    return f"3577010112{85:02d}{i:04d}"


REGISTER_REJECTS = [
    ("non-numeric NIK", dict(nik="3577O14305900001"), "nik_invalid", "nik"),
    ("NIK in scientific notation", dict(nik="3.57701E+15"), "nik_invalid", "nik"),
    ("15-digit NIK", dict(nik=SITI[:15]), "nik_invalid", "nik"),
    ("missing NIK", dict(nik=""), "nik_missing", "nik"),
    ("missing name", dict(nama=""), "name_missing", "nama"),
    ("name of titles only", dict(nama="Hj."), "name_missing", "nama"),
    ("no birth date anywhere", dict(nik="3577013505900001", tgl_lahir="31-02-1990"), "birth_date_invalid",
     "tgl_lahir"),
    ("unknown kelurahan", dict(KELURAHAN="Wungu", KECAMATAN=""), "kelurahan_unknown", "kelurahan"),
    ("empty kelurahan", dict(KELURAHAN=""), "kelurahan_unknown", "kelurahan"),
    ("kelurahan code outside the city", dict(KELURAHAN="3519011001"), "kelurahan_unknown", "kelurahan"),
    ("kelurahan in another kecamatan", dict(KELURAHAN="Mojorejo", KECAMATAN="Kartoharjo"),
     "kelurahan_kecamatan_mismatch", "kecamatan"),
    ("kelurahan in a kecamatan outside the city", dict(KELURAHAN="Kuncen", KECAMATAN="Kec. Wungu"),
     "kelurahan_kecamatan_mismatch", "kecamatan"),
    ("kelurahan in another kecamatan, given by code", dict(KELURAHAN="Mojorejo", KECAMATAN="357701"),
     "kelurahan_kecamatan_mismatch", "kecamatan"),
    ("kelurahan in another kecamatan, dotted code", dict(KELURAHAN="Mojorejo", KECAMATAN="35.77.02"),
     "kelurahan_kecamatan_mismatch", "kecamatan"),
]


def test_register_rows_rejected(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """One row per case after a good row; each case gets its own NIK unless the NIK is the point."""
    rows = [person(nik=BUDI, nama="Budi Santoso", tgl_lahir="01-12-1985")]
    rows += [person(**{"nik": _nik(i), **case[1]}) for i, case in enumerate(REGISTER_REJECTS, start=1)]
    result = run(con, tmp_path, register=[write_csv(tmp_path / "register.csv", REGISTER_HEADER, rows)])
    got = {row: (code, column) for _, row, code, column in result.rejects("register")}
    assert [(case[0], got.get(row)) for row, case in enumerate(REGISTER_REJECTS, start=3)] == [
        (case[0], (case[2], case[3])) for case in REGISTER_REJECTS]
    assert len(got) == len(REGISTER_REJECTS)
    assert all(REJECT_REASONS[code][0] == column for code, column in got.values())
    assert [r[0] for r in result.residents()] == [BUDI]


def test_reject_reason_text(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "register.csv", REGISTER_HEADER, [person(nik="belum ada")])
    result = run(con, tmp_path, register=[path])
    assert result.rejects() == [("register.csv", 2, "nik_invalid", "nik")]
    assert con.execute("SELECT reason FROM rejects").fetchall() == [(REJECT_REASONS["nik_invalid"][1],)]


def test_bad_nik_date_with_a_stated_birth_date_is_kept(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "register.csv", REGISTER_HEADER, [person(nik="3577013505900001")])
    result = run(con, tmp_path, register=[path])
    assert result.rejects() == []
    assert con.execute("SELECT nik_status, birth_date, flags FROM residents").fetchall() == [
        ("bad_date", date(1990, 5, 3), ["nik_bad_date"])]


def test_ragged_csv_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = ";".join(REGISTER_HEADER)
    good = ";".join(person().values())
    short = ";".join(list(person(nik=BUDI).values())[:5])
    long = ";".join(person(nik=BUDI, nama="Budi").values()) + ";Jl. Kenari;RT 2"
    trailing = ";".join(person(nik="3577010112850003", nama="Agus").values()) + ";;"
    path = tmp_path / "register.csv"
    path.write_text("\n".join([header, good, short, long, trailing]) + "\n", encoding="utf-8")
    result = run(con, tmp_path, register=[path])
    assert result.rejects() == [("register.csv", 3, "unreadable_row", None),
                                ("register.csv", 4, "unreadable_row", None)]
    reasons = [r[0] for r in con.execute("SELECT reason FROM rejects ORDER BY source_row").fetchall()]
    assert reasons[0].endswith("(row has 5 fields but the header has 13)")
    assert "row has 15 fields but the header has 13" in reasons[1]
    assert [r[0] for r in result.residents()] == [SITI, "3577010112850003"]  # empty trailing fields are fine


def test_duplicate_register_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [person(), person(nik=BUDI, nama="Budi", tgl_lahir="01-12-1985"), person(),
            person(nama="Siti Aminah Binti Hasan"), person(nik=BUDI, nama="Budi", tgl_lahir="01-12-1985")]
    result = run(con, tmp_path, register=[write_csv(tmp_path / "register.csv", REGISTER_HEADER, rows)])
    assert result.rejects() == [("register.csv", 4, "duplicate_row", None), ("register.csv", 5, "duplicate_nik", "nik"),
                                ("register.csv", 6, "duplicate_row", None)]
    assert [(r[0], r[9]) for r in result.residents()] == [(SITI, 2), (BUDI, 3)]


def test_rows_differing_only_in_which_cell_is_empty_are_not_copies(con: duckdb.DuckDBPyConnection,
                                                                   tmp_path: Path) -> None:
    # Shifted emptiness must not make two rows look identical to the exact-copy detector.
    rows = [person(RT="01", RW=""), person(RT="", RW="01")]
    result = run(con, tmp_path, register=[write_csv(tmp_path / "register.csv", REGISTER_HEADER, rows)])
    assert result.rejects() == [("register.csv", 3, "duplicate_nik", "nik")]
    copies = [person(RT="", RW="01"), person(RT="", RW="01")]
    result = run(con, tmp_path, register=[write_csv(tmp_path / "copies.csv", REGISTER_HEADER, copies)])
    assert [r[2] for r in result.rejects()] == ["duplicate_row"]


def test_duplicate_nik_across_register_files(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "register_a.csv", REGISTER_HEADER, [person()])
    second = write_csv(tmp_path / "register_b.csv", REGISTER_HEADER, [person(ALAMAT="Jl. Kenari 9")])
    result = run(con, tmp_path, register=[second, first])
    assert result.rejects() == [("register_b.csv", 2, "duplicate_nik", "nik")]


MEMBER_REJECTS = [
    ("missing KPJ", member(kpj=""), "kpj_missing", "kpj"),
    ("KPJ without digits", member(kpj="belum ada"), "kpj_missing", "kpj"),
    ("unknown status", member(kpj="3", STATUS="MENINGGAL"), "status_unknown", "status"),
    ("empty status", member(kpj="4", STATUS=""), "status_unknown", "status"),
    ("no NIK, no birth date, one-word name", member(kpj="5", nik="", nama="SITI", TGL_LAHIR=""), "no_identity", "nik"),
    ("unusable NIK, no birth date, one-word name", member(kpj="6", nik="3.57701E+15", nama="AMINAH", TGL_LAHIR="-"),
     "no_identity", "nik"),
    ("no NIK and no name", member(kpj="7", nik="", nama="-"), "no_identity", "nik"),
]


def test_member_rows_rejected(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [member(kpj="1", nik=BUDI, nama="BUDI")] + [case[1] for case in MEMBER_REJECTS]
    result = run(con, tmp_path, members=[write_csv(tmp_path / "members.csv", MEMBER_HEADER, rows)])
    got = {row: (code, column) for _, row, code, column in result.rejects("members")}
    assert [(case[0], got.get(row)) for row, case in enumerate(MEMBER_REJECTS, start=3)] == [
        (case[0], (case[2], case[3])) for case in MEMBER_REJECTS]
    assert len(got) == len(MEMBER_REJECTS)
    assert all(REJECT_REASONS[code][0] == column for code, column in got.values())
    assert [m[0] for m in result.memberships()] == ["1"]


def test_members_kept_without_nik_when_name_and_birth_date_remain(con: duckdb.DuckDBPyConnection,
                                                                   tmp_path: Path) -> None:
    rows = [member(kpj="1", nik=""), member(kpj="2", nik="35770143059"), member(kpj="3", nik="3.57701E+15"),
            member(kpj="4", nik="", TGL_LAHIR="")]  # a full name alone is kept: linking weighs how rare it is
    result = run(con, tmp_path, members=[write_csv(tmp_path / "members.csv", MEMBER_HEADER, rows)])
    assert result.rejects() == []
    assert [(m[0], m[1], m[2]) for m in result.memberships()] == [
        ("1", "missing", None), ("2", "bad_length", None), ("3", "excel_scientific", None), ("4", "missing", None)]


def test_duplicate_kpj_later_export_wins(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    november = write_csv(tmp_path / "bpu_2025_11.csv", MEMBER_HEADER,
                         [member(), member(kpj="19000000002", nik=BUDI, nama="BUDI")])
    december = write_csv(tmp_path / "bpu_2025_12.csv", MEMBER_HEADER,
                         [member(STATUS="NON AKTIF", TGL_NA="01-12-2025")])
    result = run(con, tmp_path, members=[december, november])
    assert result.rejects() == [("bpu_2025_11.csv", 2, "duplicate_kpj", "kpj")]
    assert [(m[0], m[5], m[7], m[8]) for m in result.memberships()] == [
        ("19000000002", "AKTIF", 1001, 3), ("19012345678", "NON AKTIF", 1002, 2)]


def test_duplicate_kpj_in_one_export_first_row_wins(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [member(), member(STATUS="NON AKTIF"), member()]
    result = run(con, tmp_path, members=[write_csv(tmp_path / "members.csv", MEMBER_HEADER, rows)])
    assert result.rejects() == [("members.csv", 3, "duplicate_kpj", "kpj"), ("members.csv", 4, "duplicate_row", None)]
    assert [(m[0], m[5], m[8]) for m in result.memberships()] == [("19012345678", "AKTIF", 2)]


def test_member_unchanged_in_two_exports_is_kept_once(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    november = write_csv(tmp_path / "bpu_2025_11.csv", MEMBER_HEADER, [member()])
    december = write_csv(tmp_path / "bpu_2025_12.csv", MEMBER_HEADER,
                         [member(kpj="19000000002", nik=BUDI, nama="BUDI"), member()])
    result = run(con, tmp_path, members=[november, december])
    assert [m[0] for m in result.memberships()] == ["19000000002", "19012345678"]
    assert [r[2] for r in result.rejects()] == ["duplicate_row"]


# ----------------------------------------------------------------------------------------------
# Kelurahan and status as they are written.

KELURAHAN = [
    ("Kel. Oro-oro Ombo", "", "3577011001"),
    ("ORO ORO OMBO", "KARTOHARJO", "3577011001"),
    ("oro-oro ombo", "Kec. Kartoharjo", "3577011001"),
    ("Kelurahan Nambangan Kidul", "Manguharjo", "3577021009"),
    ("Kel.Nambangan Lor", "", "3577021008"),
    ("Desa Kelun", "", "3577011009"),
    ("3577031001", "", "3577031001"),
    ("35.77.03.1001", "Taman", "3577031001"),
    ("3577031001.0", "", "3577031001"),
    ("Mojorejo", "357703", "3577031001"),
    ("Mojorejo", "35.77.03", "3577031001"),
    ("Taman", "Kecamatan Taman", "3577031009"),
    ("Manguharjo", "Manguharjo", "3577021001"),
]


def test_kelurahan_spellings(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [person(nik=_nik(i), KELURAHAN=kel, KECAMATAN=kec) for i, (kel, kec, _) in enumerate(KELURAHAN, start=1)]
    result = run(con, tmp_path, register=[write_csv(tmp_path / "register.csv", REGISTER_HEADER, rows)])
    got = {r[9]: r[5] for r in result.residents()}
    assert [(kel, kec, got.get(row)) for row, (kel, kec, _) in enumerate(KELURAHAN, start=2)] == KELURAHAN


STATUSES = [("Aktif", "AKTIF", True), ("AKTIF", "AKTIF", True), (" aktif ", "AKTIF", True),
            ("NON AKTIF", "NON AKTIF", False), ("Non-Aktif", "NON AKTIF", False), ("TIDAK AKTIF", "NON AKTIF", False),
            ("NONAKTIF", "NON AKTIF", False), ("NA", "NON AKTIF", False), ("1", "AKTIF", True),
            # an AKTIF column of Y/T (ya/tidak), and memberships ended by leaving or retiring
            ("Y", "AKTIF", True), ("Ya", "AKTIF", True), ("T", "NON AKTIF", False), ("Tidak", "NON AKTIF", False),
            ("KELUAR", "NON AKTIF", False), ("Berhenti", "NON AKTIF", False), ("PENSIUN", "NON AKTIF", False)]


def test_status_variants(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [member(kpj=str(i), STATUS=status) for i, (status, _, _) in enumerate(STATUSES, start=1)]
    result = run(con, tmp_path, members=[write_csv(tmp_path / "members.csv", MEMBER_HEADER, rows)])
    assert [(m[5], m[6]) for m in result.memberships()] == [(s, a) for _, s, a in STATUSES]


def test_status_values_from_the_config_as_written(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    config = Config(ingest=IngestConfig(inactive_status_values=["Non Aktif", "Keluar", "Meninggal Dunia"]))
    rows = [member(kpj="1", STATUS="KELUAR"), member(kpj="2", STATUS="meninggal dunia"),
            member(kpj="3", STATUS="NON-AKTIF"), member(kpj="4", STATUS="TIDAK AKTIF")]
    result = run(con, tmp_path, members=[write_csv(tmp_path / "members.csv", MEMBER_HEADER, rows)], config=config)
    assert [(m[0], m[5]) for m in result.memberships()] == [("1", "NON AKTIF"), ("2", "NON AKTIF"), ("3", "NON AKTIF")]
    assert result.rejects() == [("members.csv", 5, "status_unknown", "status")]


def test_reconciliation_counts_per_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    register = write_csv(tmp_path / "register.csv", REGISTER_HEADER, [person(), person(nik=""), person()])
    members = write_csv(tmp_path / "members.csv", MEMBER_HEADER, [member(), member(kpj="")])
    run(con, tmp_path, register=[register], members=[members])
    assert [(r.file_name, r.role, r.rows_in, r.rows_used, r.rows_rejected) for r in reconciliation(con)] == [
        ("register.csv", "register", 3, 1, 2), ("members.csv", "members", 2, 1, 1)]


# ----------------------------------------------------------------------------------------------
# The fast CSV path (Arrow) against the careful row-by-row path.

def _raw_rows(con: duckdb.DuckDBPyConnection, path: Path, role: str) -> list[tuple]:
    from pipeline.config import IngestConfig
    from pipeline.ingest.load import load_role

    load_role(con, role, [path], IngestConfig())
    table = "raw_register" if role == "register" else "raw_members"
    return con.execute(f"SELECT * FROM {table} ORDER BY source_row").fetchall()


def _both_paths(path: Path, role: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple], list[tuple]]:
    import pipeline.ingest.load
    from pipeline.warehouse import connect

    fast = _raw_rows(connect(), path, role)
    monkeypatch.setattr(pipeline.ingest.load, "read_csv_fast", lambda *args: None)
    slow = _raw_rows(connect(), path, role)
    monkeypatch.undo()
    return fast, slow


def test_fast_csv_path_equals_the_row_by_row_path(small_city, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.ingest.readers import describe, read_csv_fast

    bpu = next(p for p in small_city.members if p.suffix == ".csv")
    for path, role, width in ((small_city.register, "register", 13), (bpu, "members", 10)):
        assert read_csv_fast(describe(path), 1, width) is not None  # the fast path is taken for these files
        fast, slow = _both_paths(path, role, monkeypatch)
        assert fast == slow and len(fast) > 100


def test_a_value_with_a_line_break_is_one_row_in_both_paths(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "members.csv", MEMBER_HEADER,
                     [member(nama="SITI\nAMINAH"), member(kpj="19000000002", nik=BUDI, nama="BUDI")])
    fast, slow = _both_paths(path, "members", monkeypatch)
    assert fast == slow and [row[1] for row in fast] == [2, 3]


@pytest.mark.parametrize("body", [
    "1;2;3\n4;5\n6;7;8\n",  # a ragged row
    "1;2;3\n\n4;5;6\n",  # a blank line
    "1;2;3\n ; ;\n",  # a row of spaces only
])
def test_fast_csv_path_declines_irregular_files(tmp_path: Path, body: str) -> None:
    from pipeline.ingest.readers import describe, read_csv_fast

    path = tmp_path / "x.csv"
    path.write_text("A;B;C\n" + body, encoding="utf-8")
    assert read_csv_fast(describe(path), 1, 3) is None
