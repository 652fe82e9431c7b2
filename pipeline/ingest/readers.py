"""Read CSV, XLSX/XLS and Parquet files as rows of text, with spreadsheet row numbers.

Identifiers must never become numbers, so every cell is returned as text. Number cells from a
spreadsheet keep their float form ("3577010101900000.0"): downstream, the ".0" is the evidence that
Excel held the value as a number and may have rounded digit 16 (see `pipeline.normalise.nik`).
Row numbers are what an officer sees in Excel: the header is row 1 when it is the first line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipeline.errors import InputFileError

__all__ = ["SourceFile", "describe", "iter_rows", "read_csv_fast", "decode_text", "cell_text"]

log = logging.getLogger(__name__)

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 20  # as many as the header search of pipeline.ingest.load looks at


@dataclass(frozen=True)
class SourceFile:
    path: Path
    sha256: str
    size_bytes: int
    format: str  # csv | xlsx | parquet

    @property
    def name(self) -> str:
        return self.path.name


def describe(path: Path) -> SourceFile:
    """Hash the file and tell its format from its first bytes (then its extension)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError("file not found", file=str(path), hint="Check the path")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        head = fh.read(8)
        digest.update(head)
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    size = path.stat().st_size
    if size == 0:
        raise InputFileError("the file is empty", file=path.name)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        fmt = "xlsx"
    elif head.startswith(b"PAR1"):
        fmt = "parquet"
    elif path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".parquet", ".pq"):
        raise InputFileError(f"the file is named {path.suffix} but its content is not that format",
                             file=path.name)
    else:
        fmt = "csv"
    return SourceFile(path, digest.hexdigest(), size, fmt)


def iter_rows(source: SourceFile) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells as text) for every row, header included."""
    if source.format == "csv":
        yield from _csv_rows(source)
    elif source.format == "xlsx":
        yield from _xlsx_rows(source)
    else:
        yield from _parquet_rows(source)


def decode_text(data: bytes, file: str) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        if b"\x00" in data:
            row = data[: data.index(b"\x00")].count(b"\n") + 1
            raise InputFileError("the file holds NUL bytes: it is binary or UTF-16 without a byte-order mark",
                                 file=file, row=row)
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            last = exc
    row = data[: last.start].count(b"\n") + 1
    raise InputFileError(f"the text is neither UTF-8 nor Windows-1252 (byte 0x{data[last.start]:02x})",
                         file=file, row=row)


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter used most in the first lines (a title line above the header may hold none)."""
    counts = {d: sum(line.count(d) for line in lines) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _csv_rows(source: SourceFile) -> Iterator[tuple[int, list[str]]]:
    text, encoding = decode_text(source.path.read_bytes(), source.name)
    log.info("reading %s as CSV (%s)", source.name, encoding)
    first_lines = text.split("\n", _SNIFF_LINES)[:_SNIFF_LINES]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_lines))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise InputFileError(f"the CSV cannot be parsed ({exc})", file=source.name,
                             row=reader.line_num) from exc


def read_csv_fast(source: SourceFile, header_row: int, width: int) -> pa.Table | None:
    """The data rows under the header as a table of strings, read by Arrow's multi-threaded CSV
    parser, or None when the file has anything that needs the careful row-by-row path (a ragged row
    or a blank row): only then do Arrow's row positions equal the rows an officer sees in Excel (a
    value with a line break is one row in Excel too, and in both paths)."""
    text, _ = decode_text(source.path.read_bytes(), source.name)
    first_lines = text.split("\n", _SNIFF_LINES)[:_SNIFF_LINES]
    irregular: list[int] = []

    def note(_row: pacsv.InvalidRow) -> str:
        irregular.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(skip_rows=header_row, autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(delimiter=_sniff_delimiter(first_lines), newlines_in_values=True,
                                             ignore_empty_lines=False, invalid_row_handler=note),
            convert_options=pacsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(width)},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if irregular or table.num_columns != width:
        return None
    if table.num_rows:
        blank = None
        for column in table.columns:
            empty = pc.equal(pc.utf8_trim_whitespace(column), "")
            blank = empty if blank is None else pc.and_(blank, empty)
        if pc.any(blank).as_py():
            return None
    return table


def cell_text(value: object) -> str:
    """Text of a spreadsheet/Parquet cell, keeping number provenance (see module doc)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(source: SourceFile) -> Iterator[tuple[int, list[str]]]:
    from python_calamine import CalamineError, load_workbook

    try:
        workbook = load_workbook(str(source.path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except (CalamineError, ValueError, OSError) as exc:
        raise InputFileError(f"the spreadsheet cannot be opened ({type(exc).__name__})", file=source.name) from exc
    for number, row in enumerate(rows, start=1):  # calamine yields from row 1, even when empty
        yield number, [cell_text(v) for v in row]


def _parquet_rows(source: SourceFile) -> Iterator[tuple[int, list[str]]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source.path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise InputFileError(f"the Parquet file cannot be opened ({type(exc).__name__})", file=source.name) from exc
    yield 1, list(parquet.schema_arrow.names)
    number = 1
    for batch in parquet.iter_batches(batch_size=65_536):
        columns = [column.to_pylist() for column in batch.columns]
        for values in zip(*columns, strict=True):
            number += 1
            yield number, [cell_text(v) for v in values]
