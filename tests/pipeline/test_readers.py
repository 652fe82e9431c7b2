"""pipeline.ingest.readers: every file type really written, read back as text rows with spreadsheet row numbers."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from pipeline.errors import InputFileError
from pipeline.ingest.readers import cell_text, decode_text, describe, iter_rows

ROWS = [["NIK", "NAMA", "TGL_LAHIR"], ["3577014305900001", "Siti Aminah", "03-05-1990"],
        ["3577010305900001", "Budi Santoso", "1990-05-03"]]


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    return list(iter_rows(describe(path)))


def _write_text(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    path.write_bytes("".join(delimiter.join(r) + "\r\n" for r in rows).encode(encoding))
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le-bom"])
def test_csv_encodings_and_delimiters(tmp_path: Path, delimiter: str, encoding: str) -> None:
    path = tmp_path / "data.csv"
    if encoding == "utf-16-le-bom":
        path.write_bytes(b"\xff\xfe" + "".join(delimiter.join(r) + "\n" for r in ROWS).encode("utf-16-le"))
    else:
        _write_text(path, ROWS, delimiter, encoding)
    source = describe(path)
    assert source.format == "csv"
    assert source.size_bytes == path.stat().st_size
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert _rows(path) == [(i, r) for i, r in enumerate(ROWS, start=1)]


def test_windows_1252_right_quote(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    path.write_bytes(b"NIK;NAMA\r\n3577014305900001;Ma\x92ruf Amin\r\n")
    assert _rows(path)[1] == (2, ["3577014305900001", "Ma\u2019ruf Amin"])
    assert decode_text(path.read_bytes(), "cp1252.csv") == ("NIK;NAMA\r\n3577014305900001;Ma\u2019ruf Amin\r\n",
                                                            "cp1252")


def test_utf8_wins_over_windows_1252(tmp_path: Path) -> None:
    assert decode_text("Ma\u2019ruf".encode(), "x.csv") == ("Ma\u2019ruf", "utf-8")
    assert decode_text("\ufeffNIK".encode(), "x.csv") == ("NIK", "utf-8-sig")


def test_quoted_values_keep_delimiters_and_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text('NIK;NAMA;ALAMAT\n3577014305900001;"Budi; S.H.";"Jl. Merpati 3\nRT 01"\n'
                    '3577010305900001;Ani;Jl. Kenari\n', encoding="utf-8")
    # Row numbers are records, as Excel shows them, not text lines.
    assert _rows(path) == [(1, ["NIK", "NAMA", "ALAMAT"]),
                           (2, ["3577014305900001", "Budi; S.H.", "Jl. Merpati 3\nRT 01"]),
                           (3, ["3577010305900001", "Ani", "Jl. Kenari"])]


def test_delimiter_found_below_a_title_line(tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text("DATA PESERTA BPJS KETENAGAKERJAAN KOTA MADIUN\n\nKPJ;NIK;NAMA\n"
                    "19012345678;3577014305900001;Siti, S.Pd.\n", encoding="utf-8")
    assert _rows(path) == [(1, ["DATA PESERTA BPJS KETENAGAKERJAAN KOTA MADIUN"]), (2, []),
                           (3, ["KPJ", "NIK", "NAMA"]), (4, ["19012345678", "3577014305900001", "Siti, S.Pd."])]


def test_blank_lines_are_rows(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("NIK,NAMA\n\n3577014305900001,Ani\n,\n", encoding="utf-8")
    assert _rows(path) == [(1, ["NIK", "NAMA"]), (2, []), (3, ["3577014305900001", "Ani"]), (4, ["", ""])]


def _xlsx(path: Path) -> Path:
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Peserta")
    day = book.add_format({"num_format": "dd-mm-yyyy"})
    sheet.write_string(0, 0, "DATA DTSEN KOTA MADIUN 2025")  # title; row 2 stays empty
    sheet.write_row(2, 0, ["NIK", "NAMA", "TGL_LAHIR", "TGL_KEPESERTAAN", "DESIL", "AKTIF"])
    sheet.write_number(3, 0, 3577014305900001)
    sheet.write_string(3, 1, "Siti Aminah")
    sheet.write_datetime(3, 2, datetime(1990, 5, 3), day)
    sheet.write_number(3, 3, 45000)
    sheet.write_number(3, 4, 3)
    sheet.write_boolean(3, 5, True)
    sheet.write_number(4, 0, 3577014305900010)
    sheet.write_string(4, 1, "Budi")
    sheet.write_number(4, 2, 32996)
    sheet.write_datetime(4, 3, datetime(2024, 1, 2, 8, 30), day)
    sheet.write_string(5, 0, "'3577010305900001")
    book.close()
    return path


def test_xlsx_cells_as_text_with_row_numbers(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "dtsen.xlsx")
    assert describe(path).format == "xlsx"
    assert _rows(path) == [
        (1, ["DATA DTSEN KOTA MADIUN 2025", "", "", "", "", ""]),
        (2, ["", "", "", "", "", ""]),
        (3, ["NIK", "NAMA", "TGL_LAHIR", "TGL_KEPESERTAAN", "DESIL", "AKTIF"]),
        (4, ["3577014305900001.0", "Siti Aminah", "1990-05-03", "45000.0", "3.0", "TRUE"]),
        (5, ["3577014305900010.0", "Budi", "32996.0", "2024-01-02 08:30:00", "", ""]),
        (6, ["'3577010305900001", "", "", "", "", ""]),
    ]


def test_xlsx_named_file_that_is_text(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "export.xlsx", ROWS)
    with pytest.raises(InputFileError, match=r"export\.xlsx: the file is named \.xlsx but its content is not"):
        describe(path)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    with pytest.raises(InputFileError, match=r"broken\.xlsx: the spreadsheet cannot be opened") as info:
        _rows(path)
    assert info.value.file == "broken.xlsx"


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "members.parquet"
    pq.write_table(pa.table({
        "KPJ": pa.array([19012345678, None], pa.int64()),
        "NIK": pa.array(["3577014305900001", "3.57701E+15"]),
        "TGL_LAHIR": pa.array([date(1990, 5, 3), None], pa.date32()),
        "UPAH": pa.array([2500000.0, 1.5]),
        "AKTIF": pa.array([True, False]),
        "TGL_UPDATE": pa.array([datetime(2025, 1, 2, 3, 4, 5), datetime(2025, 1, 2)], pa.timestamp("s")),
    }), path)
    assert describe(path).format == "parquet"
    assert _rows(path) == [
        (1, ["KPJ", "NIK", "TGL_LAHIR", "UPAH", "AKTIF", "TGL_UPDATE"]),
        (2, ["19012345678", "3577014305900001", "1990-05-03", "2500000.0", "TRUE", "2025-01-02 03:04:05"]),
        (3, ["", "3.57701E+15", "", "1.5", "FALSE", "2025-01-02"]),
    ]


def test_parquet_named_file_that_is_not(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="named .parquet"):
        describe(_write_text(tmp_path / "x.parquet", ROWS))


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"empty\.csv: the file is empty"):
        describe(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="file not found"):
        describe(tmp_path / "nowhere.csv")


def test_binary_file_names_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"NIK,NAMA\n3577014305900001,Ani\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputFileError, match=r"photo\.csv, row 5: the file holds NUL bytes") as info:
        _rows(path)  # the PNG signature holds two line breaks: the NUL is on row 5
    assert (info.value.file, info.value.row) == ("photo.csv", 5)


def test_utf16_without_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("NIK,NAMA\n".encode("utf-16-le"))
    with pytest.raises(InputFileError, match="UTF-16 without a byte-order mark"):
        _rows(path)


def test_undecodable_bytes_name_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"NIK,NAMA\n3577014305900001,Ani\n3577010305900001,B\x81udi\n")
    with pytest.raises(InputFileError, match=r"odd\.csv, row 3: .*neither UTF-8 nor Windows-1252 \(byte 0x81\)"):
        _rows(path)


CELLS = [
    (None, ""),
    ("Siti", "Siti"),
    (True, "TRUE"),
    (False, "FALSE"),
    (3577014305900010.0, "3577014305900010.0"),
    (3.0, "3.0"),
    (19012345678, "19012345678"),
    (date(1990, 5, 3), "1990-05-03"),
    (datetime(1990, 5, 3), "1990-05-03"),
    (datetime(1990, 5, 3, 10, 30), "1990-05-03 10:30:00"),
]


@pytest.mark.parametrize(("value", "text"), CELLS, ids=[repr(c[0]) for c in CELLS])
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


# The encoding is decided on the whole file's evidence (issue 11).

def test_utf8_with_one_latin1_byte_stays_utf8() -> None:
    data = ("NIK;NAMA\r\n" + "".join(f"35770143059{i:05d};RENÉ {i}\r\n" for i in range(20))).encode("utf-8")
    data = data.replace("RENÉ 7".encode(), "RENÉ 7".encode("latin-1"))
    text, encoding = decode_text(data, "x.csv")
    assert encoding == "utf-8 (1 undecodable byte sequence; their rows rejected)"
    assert text.count("RENÉ") == 19 and text.count("\ufffd") == 1 and "Ã" not in text


def test_windows_1252_behind_a_utf8_bom() -> None:
    text, encoding = decode_text(b"\xef\xbb\xbfNIK;NAMA\r\n1;MA\x92RUF REN\xc9\r\n", "x.csv")
    assert (text, encoding) == ("NIK;NAMA\r\n1;MA\u2019RUF REN\u00c9\r\n", "cp1252")


def test_undecodable_byte_behind_a_bom_is_named() -> None:
    with pytest.raises(InputFileError, match=r"x\.csv, row 3: .*\(byte 0x8d\)"):
        decode_text(b"\xef\xbb\xbfNIK;NAMA\r\n1;A\x92\r\n2;B\x8d\r\n", "x.csv")


def test_mostly_windows_1252_is_windows_1252() -> None:
    data = "NIK;NAMA\r\n1;MA\u2019RUF\r\n2;RENÉ\r\n".encode("cp1252") + "3;JOSÉ\r\n".encode()
    text, encoding = decode_text(data + "4;MA\u2019RUF\r\n".encode("cp1252"), "x.csv")
    assert encoding == "cp1252" and "MA\u2019RUF" in text
