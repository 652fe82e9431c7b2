"""File writers: the register CSV, the two BPJS TK exports (XLSX and cp1252 CSV), and Parquet
truth tables. All output is byte-for-byte reproducible.

XLSX cells are given as Python values: `str` -> text cell, `float` -> number cell (General
format), `int` -> Excel date serial written as a number with a date format (a real date cell),
`None` -> empty cell.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

__all__ = ["write_csv", "write_xlsx", "write_parquet", "FIXED_CREATED"]

FIXED_CREATED = datetime(2026, 1, 2, 8, 0, 0)  # document creation date stored in the XLSX
XlsxCell = str | float | int | None


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *, delimiter: str, encoding: str
) -> None:
    """Write a CSV with CRLF line ends; `encoding` "utf-8-sig" gives a BOM."""
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)


def write_xlsx(
    path: Path, sheet: str, header: Sequence[str], rows: Iterable[Sequence[XlsxCell]], date_format: str = "dd/mm/yyyy"
) -> None:
    """Write one sheet with xlsxwriter in constant-memory mode and a fixed creation date."""
    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    wb.set_properties({"created": FIXED_CREATED, "author": "BPJS Ketenagakerjaan Cabang Madiun"})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True})
    date_fmt = wb.add_format({"num_format": date_format})
    for c, h in enumerate(header):
        ws.write_string(0, c, h, bold)
    write_string, write_number = ws.write_string, ws.write_number
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                write_string(r, c, v)
            elif isinstance(v, float):
                write_number(r, c, v)
            else:
                write_number(r, c, v, date_fmt)
    wb.close()


def write_parquet(path: Path, columns: dict[str, pa.Array | list]) -> None:
    """Write a Parquet table (zstd) from named columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(columns)
    pq.write_table(table, path, compression="zstd")
