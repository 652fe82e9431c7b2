"""The small XLSX writer (pipeline/publish/xlsx.py) against xlsxwriter, the reference it replaced for
speed: the same cells read back (openpyxl and calamine), a frozen header, filters, text stored as text,
numbers as numbers with their formats, and the same bytes for the same table."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import openpyxl
import xlsxwriter
from python_calamine import CalamineWorkbook

from pipeline.publish.xlsx import MONEY, NUMBER, PLAIN, TEXT, write_table

HEADERS = ["Peringkat", "Jalur", "NIK", "Nama", "Skor", "Iuran (Rp)"]
KINDS = [NUMBER, PLAIN, TEXT, TEXT, NUMBER, MONEY]
ROWS = [
    [1, "Pro JKK-JKM", "357701**********", "SITI AMINAH", Decimal("165.5"), 201600],
    [2, "Daftar mandiri", "357701**********", '=HYPERLINK("http://x","y")', 12.25, 0],
    [3, None, "0012", "  spasi di depan & <tag> \"kutip\"", -3, None],
    [4, "Aktifkan kembali", "357702**********", "tab\there, line\nbreak, _x0041_ literal", 0.1, 10**12],
]
CREATED = datetime(2026, 1, 1)


def _ours(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    write_table(buffer, sheet_name="Calon peserta", headers=HEADERS, widths=[10] * len(HEADERS), kinds=KINDS,
                rows=rows, title="uji", author="UCJ", created=CREATED)
    return buffer.getvalue()


def _reference(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet("Calon peserta")
    for col, header in enumerate(HEADERS):
        sheet.write_string(0, col, header)
    for r, row in enumerate(rows, start=1):
        for col, (kind, value) in enumerate(zip(KINDS, row, strict=True)):
            if value is None:
                continue
            if kind in (TEXT, PLAIN):
                sheet.write_string(r, col, value)
            else:
                sheet.write_number(r, col, float(value))
    book.close()
    return buffer.getvalue()


def _calamine(content: bytes) -> list[list[object]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name("Calon peserta").to_python()


def _openpyxl(content: bytes) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_cells_read_back_as_xlsxwriter_writes_them() -> None:
    ours, reference = _ours(ROWS), _reference(ROWS)
    assert _calamine(ours) == _calamine(reference)
    assert _openpyxl(ours) == _openpyxl(reference)


def test_sheet_is_an_officers_list() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(_ours(ROWS))).active
    assert sheet.title == "Calon peserta" and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:F{len(ROWS) + 1}"
    assert [c.value for c in sheet[1]] == HEADERS and all(c.font.b for c in sheet[1])
    formula = sheet.cell(row=3, column=4)
    assert formula.data_type == "s" and formula.value == ROWS[1][3]  # text, never a formula
    assert sheet.cell(row=2, column=3).number_format == "@" and sheet.cell(row=4, column=3).value == "0012"
    assert sheet.cell(row=2, column=6).number_format == "#,##0" and sheet.cell(row=2, column=6).value == 201600
    assert sheet.cell(row=2, column=5).value == 165.5


def test_same_table_same_bytes_and_an_empty_list_is_a_valid_sheet() -> None:
    assert _ours(ROWS) == _ours([list(row) for row in ROWS])
    empty = openpyxl.load_workbook(io.BytesIO(_ours([]))).active
    assert [c.value for c in empty[1]] == HEADERS and empty.max_row == 1
