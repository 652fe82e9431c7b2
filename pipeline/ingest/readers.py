"""Read CSV, XLSX/XLS and Parquet files as rows of text, with spreadsheet row numbers.

Identifiers must never become numbers, so every cell is returned as text. Number cells from a
spreadsheet keep their float form ("3577010101900000.0"): downstream, the ".0" is the evidence that
Excel held the value as a number and may have rounded digit 16 (see `pipeline.normalise.nik`).
Row numbers are what an officer sees in Excel: the header is row 1 when it is the first line.

CSV records are read line by line: a quoted value may hold a line break only when it closes properly
and the lines it would swallow do not look like records of their own, so a stray `"` in one field
costs that one row (`Row.problem`), never the rest of the file. `count_records` counts the same
records by another method (quote parity per line); the loader takes its figure as "rows in", so the
reconciliation check catches any row the parser loses.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipeline.errors import InputFileError

__all__ = ["SourceFile", "Row", "CsvText", "describe", "iter_rows", "read_csv_fast", "decode_text", "read_text",
           "count_records", "cell_text", "workbook_sheets", "MAX_CELL_CHARS"]

log = logging.getLogger(__name__)

_DELIMITERS = (",", ";", "\t", "|")
SNIFF_LINES = 200  # as many as the header search of pipeline.ingest.load looks at
MAX_CELL_CHARS = 32_767  # what a spreadsheet cell holds; a longer CSV value is a broken row
_MAX_VALUE_LINES = 10  # a quoted value spanning more lines than this is a stray quote, not an address
_LINES = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")  # split after each line end, keeping it (\r\n, \n or \r)
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines breaks there, csv does not
csv.field_size_limit(1 << 30)  # a huge value is judged by MAX_CELL_CHARS, with the row named


@dataclass(frozen=True)
class SourceFile:
    path: Path
    sha256: str
    size_bytes: int
    format: str  # csv | xlsx | parquet
    sheet: str | None = None  # the worksheet to read (None: the first)
    label: str | None = None  # how messages and outputs name it when a workbook has several data sheets

    @property
    def name(self) -> str:
        return self.label or self.path.name


class Row(list):
    """The cells of one row; `problem` says why the row could not be split safely (it is rejected)."""

    problem: str | None = None


@dataclass(frozen=True)
class CsvText:
    text: str
    encoding: str  # as recorded in the manifest: utf-8, utf-8-sig, utf-16, cp1252 or "utf-8 (damaged ...)"
    damaged: bool  # UTF-8 with a few undecodable bytes, each replaced by U+FFFD (those rows are rejected)
    delimiter: str


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


def iter_rows(source: SourceFile, text: CsvText | None = None, width: int | None = None
              ) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells as text) for every row, header included. For CSV, `width` (the
    header's number of fields, once known) lets a quoted value span lines only into a full record."""
    if source.format == "csv":
        return _CsvRows(source, text or read_text(source), width)
    if source.format == "xlsx":
        return _xlsx_rows(source)
    return _parquet_rows(source)


def _row_of(data: bytes, index: int) -> int:
    return data[:index].count(b"\n") + 1


def decode_text(data: bytes, file: str) -> tuple[str, str]:
    """Decode CSV bytes, deciding on the whole file's evidence: UTF-16 with a BOM; UTF-8 (with or
    without BOM); UTF-8 with a few undecodable bytes when it holds more valid multi-byte characters
    than bad bytes (those bytes become U+FFFD and their rows are rejected); else Windows-1252 (a BOM
    in front of Windows-1252 text is ignored)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputFileError("the text has a UTF-16 byte-order mark but is not UTF-16", file=file) from exc
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    offset = 3 if bom else 0
    if b"\x00" in body:
        raise InputFileError("the file holds NUL bytes: it is binary or UTF-16 without a byte-order mark",
                             file=file, row=_row_of(data, data.index(b"\x00")))
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    lenient = body.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good = len(lenient) - len(lenient.encode("ascii", "ignore")) - bad  # non-ASCII characters UTF-8 decoded
    if good > bad:
        return lenient, f"utf-8 ({bad} undecodable byte sequence{'s' if bad != 1 else ''}; their rows rejected)"
    try:
        return body.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise InputFileError(f"the text is neither UTF-8 nor Windows-1252 (byte 0x{body[exc.start]:02x})",
                             file=file, row=_row_of(data, offset + exc.start)) from None


def read_text(source: SourceFile) -> CsvText:
    text, encoding = decode_text(source.path.read_bytes(), source.name)
    first_lines = text.split("\n", SNIFF_LINES)[:SNIFF_LINES]
    return CsvText(text, encoding, encoding.startswith("utf-8 ("), _sniff_delimiter(first_lines))


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter used most in the first lines (title lines above the header may hold none)."""
    counts = {d: sum(line.count(d) for line in lines) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _split_lines(text: str) -> list[str]:
    """The physical lines as the csv module sees them, each with its line end."""
    if not any(ch in text for ch in _OTHER_BREAKS):  # `in` is much faster than a regex search here
        return text.splitlines(keepends=True)  # the same lines, many times faster than the regex
    return [line for line in _LINES.split(text) if line]


@functools.cache
def _closed_line(delimiter: str) -> re.Pattern[str]:
    """A line whose every quoted value closes on it (the common case, matched at C speed): a value is
    quoted ("..." with "" for a quote, then anything up to the delimiter, as the csv module reads it)
    or does not start with a quote."""
    d = re.escape(delimiter)
    value = f'(?:"[^"]*(?:""[^"]*)*"(?!")[^{d}\r\n]*|[^"{d}\r\n][^{d}\r\n]*|)'
    return re.compile(f"{value}(?:{d}{value})*(?:\r\n|\n|\r)?")


def _ends_in_quotes(line: str, delimiter: str) -> bool:
    """Whether a line ends inside a quoted value, by the csv module's rules (a quote opens a value
    only at its start; "" inside is a quote)."""
    if _closed_line(delimiter).fullmatch(line):
        return False
    inside, start, i, n = False, True, 0, len(line)
    while i < n:
        ch = line[i]
        if inside:
            if ch == '"':
                if i + 1 < n and line[i + 1] == '"':
                    i += 1
                else:
                    inside = False
        elif ch == '"' and start:
            inside = True
        start = ch == delimiter and not inside
        i += 1
    return inside


def _strict_record(text: str, delimiter: str) -> list[str] | None:
    """The one record `text` holds when it parses strictly (quotes closed at a value's end), else None."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    return records[0] if len(records) == 1 else None


def _cells(line: str, delimiter: str) -> list[str]:
    body = line.rstrip("\r\n")
    if '"' not in body:
        return body.split(delimiter) if body else []
    return next(csv.reader([body], delimiter=delimiter), [])


class _CsvRows:
    """Iterator of (record number, Row) over a decoded CSV; `width` may be set once the header is known."""

    def __init__(self, source: SourceFile, text: CsvText, width: int | None) -> None:
        self.source, self.text, self.width = source, text, width
        log.info("reading %s as CSV (%s)", source.name, text.encoding)
        self._iter = self._records()

    def __iter__(self) -> _CsvRows:
        return self

    def __next__(self) -> tuple[int, list[str]]:
        return next(self._iter)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        delimiter = self.text.delimiter
        lines = _split_lines(self.text.text)
        i, number = 0, 0
        while i < len(lines):
            number += 1
            line, span, problem = lines[i], 1, None
            cells: list[str] | None = None
            if '"' in line and _ends_in_quotes(line, delimiter):
                cells, span = self._join(lines, i)
                if cells is None:
                    problem = ('an unclosed double quote (") in a value: the row is read alone, '
                               'the rows after it are kept')
                    cells = _cells(line, delimiter)
            if cells is None:
                cells = _cells(line, delimiter)
            if problem is None and (span > 1 or len(line) > MAX_CELL_CHARS):  # no value is longer than its line
                longest = max((len(c) for c in cells), default=0)
                if longest > MAX_CELL_CHARS:
                    problem = f"a value of {longest:,} characters (a spreadsheet cell holds {MAX_CELL_CHARS:,})"
            if problem is None and self.text.damaged and "\ufffd" in "".join(cells):
                problem = "bytes that are not UTF-8 in a file that is UTF-8 elsewhere"
            if problem is None:
                yield number, cells
            else:
                row = Row(cells)
                row.problem = problem
                yield number, row
            i += span

    def _join(self, lines: list[str], i: int) -> tuple[list[str] | None, int]:
        """A record from line i and the next lines when its open quote closes properly into one record
        (of the header's width, once known) without swallowing a line that is a record of its own."""
        delimiter, joined = self.text.delimiter, lines[i]
        for j in range(i + 1, min(i + _MAX_VALUE_LINES, len(lines))):
            nxt = lines[j]
            if self.width and _looks_like_record(nxt, delimiter, self.width):
                return None, 1
            joined += nxt
            if _ends_in_quotes(joined, delimiter):
                continue
            record = _strict_record(joined, delimiter)
            if record is not None and (not self.width or len(record) == self.width):
                return record, j - i + 1
            return None, 1
        return None, 1


def _looks_like_record(line: str, delimiter: str, width: int) -> bool:
    """A line with balanced quotes and the header's number of fields is a record, not part of a value."""
    return line.count('"') % 2 == 0 and line.count(delimiter) >= width - 1


def count_records(text: CsvText, header_row: int, width: int) -> int:
    """Non-blank records after the header, counted apart from the parser: by lines and quote parity
    (an odd number of quotes opens or closes a value spanning lines), with the same limits on what a
    value may span. The loader reports this figure as rows in."""
    delimiter = text.delimiter
    lines = _split_lines(text.text)
    if '"' not in text.text:
        return sum(1 for line in lines[header_row:] if line.strip(" \t\r\n" + delimiter))
    number = count = i = 0
    while i < len(lines):
        number += 1
        span = 1
        if lines[i].count('"') % 2 == 1:
            for j in range(i + 1, min(i + _MAX_VALUE_LINES, len(lines))):
                if _looks_like_record(lines[j], delimiter, width):
                    break
                if lines[j].count('"') % 2 == 1:
                    record = _strict_record("".join(lines[i:j + 1]), delimiter)
                    span = j - i + 1 if record is not None and len(record) == width else 1
                    break
        if number > header_row and any(line.strip(" \t\r\n" + delimiter) for line in lines[i:i + span]):
            count += 1
        i += span
    return count


def read_csv_fast(source: SourceFile, header_row: int, width: int, text: CsvText | None = None
                  ) -> pa.Table | None:
    """The data rows under the header as a table of strings, read by Arrow's multi-threaded CSV
    parser, or None when the file has anything that needs the careful row-by-row path (a ragged row,
    a blank row, damaged bytes, a value longer than a cell, or a quote that makes Arrow's record count
    differ from `count_records`): only then do Arrow's row positions equal the rows an officer sees in
    Excel (a value with a line break is one row in Excel too, and in both paths)."""
    text = text or read_text(source)
    if text.damaged:
        return None
    irregular: list[int] = []

    def note(_row: pacsv.InvalidRow) -> str:
        irregular.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.text.encode("utf-8")),
            read_options=pacsv.ReadOptions(skip_rows=header_row, autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(delimiter=text.delimiter, newlines_in_values=True,
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
            if pc.max(pc.utf8_length(column)).as_py() > MAX_CELL_CHARS:
                return None
        if pc.any(blank).as_py():
            return None
    if '"' in text.text and count_records(text, header_row, width) != table.num_rows:
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


def _spreadsheet_error(source: SourceFile, exc: Exception) -> InputFileError:
    if type(exc).__name__ == "PasswordError":
        return InputFileError("the workbook is protected by a password", file=source.name,
                              hint="Save it again without a password (or export it as CSV)")
    return InputFileError(f"the spreadsheet cannot be opened: it is damaged or not a workbook ({type(exc).__name__})",
                          file=source.name)


# A zipped workbook (XLSX) may unpack to far more than it weighs: a "zip bomb" of a few megabytes can
# claim gigabytes of sheet XML and take the machine's memory with it. The largest sheet Excel saves
# (1,048,576 rows) of a membership export is under a gigabyte of XML, and sheet XML packs about ten to
# one (rarely past fifty): beyond either limit the file is refused before any cell is parsed.
MAX_UNPACKED_BYTES = 4 << 30
MAX_PACKING_RATIO = 200
_RATIO_FROM_BYTES = 64 << 20  # small parts (styles, empty sheets) pack far better and say nothing


@functools.lru_cache(maxsize=64)  # a workbook is opened twice (its sheets, then its rows): checked once
def _check_unpacked_size(source: SourceFile) -> None:
    """Refuse a zipped workbook whose parts would unpack beyond the limits above. Every part is
    unpacked once here (bounded by its declared size and checked against its CRC), so a part that
    lies about its size is refused as damaged instead of reaching the sheet parser."""
    import zipfile

    try:
        archive = zipfile.ZipFile(source.path)
    except (zipfile.BadZipFile, OSError):
        return  # not zipped (.xls): the spreadsheet reader judges it
    with archive:
        parts = archive.infolist()
        total = sum(p.file_size for p in parts)
        packed = [p for p in parts if p.file_size >= _RATIO_FROM_BYTES
                  and p.file_size > MAX_PACKING_RATIO * max(p.compress_size, 1)]
        if total > MAX_UNPACKED_BYTES or packed:
            why = (f"it would unpack to {total / (1 << 30):.1f} GB (at most {MAX_UNPACKED_BYTES >> 30} GB)"
                   if total > MAX_UNPACKED_BYTES else
                   f"a part packs {packed[0].file_size // max(packed[0].compress_size, 1):,} to one (real sheets "
                   f"pack about 10 to one; at most {MAX_PACKING_RATIO})")
            raise InputFileError(f"the workbook is refused: {why}, as a zip bomb does", file=source.name,
                                 hint="Export the file again from the source system, or as CSV")
        try:
            for part in parts:
                with archive.open(part) as stream:
                    while stream.read(1 << 24):
                        pass
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError,
                RuntimeError) as exc:  # a bad CRC, a truncated or encrypted part
            if "encrypted" in str(exc) or "password" in str(exc).lower():
                return  # the spreadsheet reader names a password-protected workbook
            raise _spreadsheet_error(source, exc) from None


def _open_workbook(source: SourceFile):  # noqa: ANN202 (python_calamine's workbook)
    from python_calamine import load_workbook

    _check_unpacked_size(source)
    try:
        return load_workbook(str(source.path))
    except Exception as exc:  # calamine raises its own errors, ValueError, OSError, zip errors...
        raise _spreadsheet_error(source, exc) from None


_SHEETS: dict[tuple[Path, str], object] = {}  # the sheets `workbook_sheets` parsed, until `_xlsx_rows` reads them


def workbook_sheets(source: SourceFile) -> list[tuple[str, bool]]:
    """(sheet name, holds any non-empty cell) for every worksheet, in workbook order."""
    workbook = _open_workbook(source)
    if len(workbook.sheet_names) == 1:
        return [(workbook.sheet_names[0], True)]
    _SHEETS.clear()
    sheets = []
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
            filled = any(any(cell_text(v).strip() for v in row) for row in sheet.iter_rows())  # stops when found
        except Exception as exc:  # a damaged sheet
            raise _spreadsheet_error(replace(source, label=f"{source.path.name} [{name}]"), exc) from None
        if filled:
            _SHEETS[(source.path, name)] = sheet  # parsed once, not again to be read
        sheets.append((name, filled))
    return sheets


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _uncached_formulas(source: SourceFile, sheet_index: int) -> dict[int, list[tuple[int, str]]]:
    """row -> [(column, formula)] of the formula cells that carry no computed value (a tool wrote the
    formula without calculating it). Such a cell is read as its formula ("=1+1"), so that it is
    rejected as a formula instead of passing for an empty cell."""
    import posixpath
    import xml.etree.ElementTree as ET
    import zipfile

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        with zipfile.ZipFile(source.path) as z:
            sheets = ET.fromstring(z.read("xl/workbook.xml")).find(f"{main}sheets")
            rid = list(sheets)[sheet_index].get(rel)
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next(r.get("Target") for r in rels if r.get("Id") == rid)
            name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            data = z.read(name)
    except Exception:  # not a zipped workbook (.xls) or an unusual layout: calamine's reading stands
        return {}
    if b"<f" not in data:
        return {}
    found: dict[int, list[tuple[int, str]]] = {}
    for _, cell in ET.iterparse(io.BytesIO(data)):
        if cell.tag != f"{main}c":
            continue
        formula, value = cell.find(f"{main}f"), cell.find(f"{main}v")
        if formula is not None and formula.text and (value is None or not value.text):
            ref = re.fullmatch(r"([A-Z]+)([0-9]+)", cell.get("r", ""))
            if ref:
                found.setdefault(int(ref.group(2)), []).append((_column_index(ref.group(1)), "=" + formula.text))
        cell.clear()
    return found


def _xlsx_rows(source: SourceFile) -> Iterator[tuple[int, list[str]]]:
    workbook = _open_workbook(source)
    names = workbook.sheet_names
    formulas = _uncached_formulas(source, names.index(source.sheet) if source.sheet in names else 0)
    try:
        sheet = (_SHEETS.pop((source.path, source.sheet), None) or
                 (workbook.get_sheet_by_index(0) if source.sheet is None else workbook.get_sheet_by_name(source.sheet)))
        rows = sheet.iter_rows()
    except Exception as exc:
        raise _spreadsheet_error(source, exc) from None
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise InputFileError(f"the spreadsheet is damaged after this row ({type(exc).__name__})",
                                 file=source.name, row=number) from None
        number += 1  # calamine yields from row 1, even when empty
        cells = [cell_text(v) for v in row]
        for c, formula in formulas.get(number, ()):
            if c < len(cells) and cells[c] == "":
                cells[c] = formula
        yield number, cells


def _parquet_rows(source: SourceFile) -> Iterator[tuple[int, list[str]]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source.path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise InputFileError(f"the Parquet file cannot be opened: it is damaged ({type(exc).__name__})",
                             file=source.name) from None
    yield 1, list(parquet.schema_arrow.names)
    number = 1
    batches = parquet.iter_batches(batch_size=65_536)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as exc:
            raise InputFileError(f"the Parquet file is damaged after this row ({type(exc).__name__})",
                                 file=source.name, row=number) from None
        columns = [column.to_pylist() for column in batch.columns]
        for values in zip(*columns, strict=True):
            number += 1
            yield number, [cell_text(v) for v in values]
