"""Load register and membership files into the warehouse as text, losing nothing.

Each data row lands in `raw_register` / `raw_members` with its file id and spreadsheet row number;
`source_files` records each file's hash, format, encoding, header row and counts. Rows that cannot
even be split into the header's columns are kept with a `read_problem` and rejected by
`pipeline.ingest.clean`. A workbook is read sheet by sheet: each sheet holding data is an input of its
own (`book.xlsx [Sheet2]`), so none is ignored; a data sheet without the header stops the run.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.config import IngestConfig
from pipeline.errors import InputFileError
from pipeline.ingest.readers import (
    SNIFF_LINES,
    CsvText,
    SourceFile,
    count_records,
    describe,
    iter_rows,
    read_csv_fast,
    read_text,
    workbook_sheets,
)
from pipeline.ingest.schema import MEMBER_FIELDS, REGISTER_FIELDS, Field, resolve_columns, same_role_columns
from pipeline.normalise.dates import parse_date

__all__ = ["LoadedFile", "load_role", "ROLES"]

log = logging.getLogger(__name__)

ROLES: dict[str, tuple[str, tuple[Field, ...]]] = {
    "register": ("raw_register", REGISTER_FIELDS),
    "members": ("raw_members", MEMBER_FIELDS),
}
_HEADER_SEARCH_ROWS = SNIFF_LINES  # a title block of a few dozen lines above the header is common
_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class LoadedFile:
    file_id: int
    role: str
    source: SourceFile
    header_row: int
    columns: dict[str, str]  # canonical field -> header as written in the file
    rows_in: int  # data rows after the header, blank rows excluded
    blank_rows: int
    extra_columns: list[str] = field(default_factory=list)
    encoding: str | None = None  # CSV only: the text encoding used


def _describe_row(row: list[str]) -> str:
    """What a row looks like, without any of its values (they may be a NIK, a name, an address)."""
    filled = [i for i, c in enumerate(row, start=1) if c.strip()]
    niks = [i for i in filled if re.fullmatch(r"[0-9]{16}", re.sub(r"[.,]0+$|[\s.\-]", "", row[i - 1].strip()))]
    dates = [i for i in filled if i not in niks and not re.fullmatch(r"[0-9.,]+", row[i - 1].strip())
             and parse_date(row[i - 1]) is not None]  # a bare number is no evidence of a date
    parts = [f"{len(row)} fields, {len(filled)} filled"]
    for columns, one, many in ((niks, "looks like a 16-digit NIK", "look like 16-digit NIKs"),
                               (dates, "looks like a date", "look like dates")):
        if columns:
            parts.append(f"field {columns[0]} {one}" if len(columns) == 1 else
                         f"fields {', '.join(map(str, columns))} {many}")
    return "; ".join(parts)


def _find_header(
    rows: Iterator[tuple[int, list[str]]], fields: tuple[Field, ...], aliases: dict[str, list[str]], file: str,
    sheet_of_several: bool = False,
) -> tuple[int, list[str], dict[str, int]]:
    """The header is the first row naming at least two known fields (title lines above it are skipped)."""
    seen = 0
    first: tuple[int, list[str]] | None = None  # the first non-empty row, described if no header is found
    best: tuple[int, list[str], dict[str, int]] | None = None
    role = "register" if fields is REGISTER_FIELDS else "member"
    for number, row in rows:
        seen += 1
        if first is None and any(c.strip() for c in row):
            first = (number, row)
        found, missing = resolve_columns(row, fields, aliases)
        if len(found) >= 2:
            if missing:
                field_, tried = missing[0]
                raise InputFileError(
                    f"required column {field_.name!r} ({field_.doc}) is missing; "
                    f"headers tried: {', '.join(tried)}",
                    file=file, row=number, column=field_.name,
                    hint="Rename the column, or add its header to the aliases in the config file "
                         f"([ingest.{role}_aliases])",
                )
            for field_, columns in same_role_columns(row, fields, aliases):
                named = " and ".join(f"column {i + 1} {row[i].strip()!r}" for i in columns)
                raise InputFileError(
                    f"{named} are both the {field_.name!r} column ({field_.doc}); which one holds the right "
                    "values cannot be guessed", file=file, row=number, column=field_.name,
                    hint="Delete or rename the column that is not to be used, then run again")
            best = (number, row, found)
            break
        if seen >= _HEADER_SEARCH_ROWS:
            break
    if best is None:
        if first is None and not any(any(c.strip() for c in r) for _, r in rows):
            raise InputFileError("the file has no header row and no data", file=file)
        names = ", ".join(f.name for f in fields if f.required)
        where = first[0] if first else seen + 1
        shape = (f"the first non-empty row (row {where}) has {_describe_row(first[1])}" if first else
                 f"the first {seen} rows are empty")
        raise InputFileError(
            f"no header row naming the required columns ({names}) in the first {_HEADER_SEARCH_ROWS} rows; "
            f"{shape}; no row names two known columns", file=file, row=where,
            hint="Every sheet holding data is read: give this sheet the header row, or move it out of the workbook"
                 if sheet_of_several else "Add the header row the export lost (or export again with headers)")
    return best


def _arrow_chunk(names: list[str], columns: list[list[str | None]], file_id: int,
                 row_numbers: list[int], problems: list[str | None]) -> pa.Table:
    arrays = [pa.array([file_id] * len(row_numbers), pa.int32()), pa.array(row_numbers, pa.int32()),
              pa.array(problems, pa.string())] + [pa.array(c, pa.string()) for c in columns]
    return pa.Table.from_arrays(arrays, names=["file_id", "source_row", "read_problem", *names])


def _load_file(con: duckdb.DuckDBPyConnection, table: str, fields: tuple[Field, ...], file_id: int,
               role: str, source: SourceFile, aliases: dict[str, list[str]]) -> LoadedFile:
    text: CsvText | None = read_text(source) if source.format == "csv" else None
    rows = iter_rows(source, text)
    header_row, header, found = _find_header(rows, fields, aliases, source.name, source.label is not None)
    names = [f.name for f in fields]
    index = [found.get(n) for n in names]
    width = len(header)
    if text is not None:
        rows.width = width  # type: ignore[attr-defined]  (a quoted value may now span lines only into a record)
    encoding = text.encoding if text is not None else None
    fast = read_csv_fast(source, header_row, width, text) if text is not None else None
    if fast is not None:
        loaded = _load_table(con, table, names, index, file_id, role, source, header_row, header, found, fast)
        return replace(loaded, encoding=encoding)
    rows_in = blank = 0
    columns: list[list[str | None]] = [[] for _ in names]
    numbers: list[int] = []
    problems: list[str | None] = []

    def flush() -> None:
        if numbers:
            chunk = _arrow_chunk(names, columns, file_id, numbers, problems)  # noqa: F841 (read by the SQL)
            con.execute(f"INSERT INTO {table} SELECT * FROM chunk")
            for c in columns:
                c.clear()
            numbers.clear()
            problems.clear()

    for number, row in rows:
        if not any(cell.strip() for cell in row):
            blank += 1
            continue
        rows_in += 1
        problem = getattr(row, "problem", None)
        if problem is None and len(row) > width and any(c.strip() for c in row[width:]):
            problem = f"row has {len(row)} fields but the header has {width} (a delimiter inside a value?)"
        elif problem is None and len(row) < width and source.format == "csv":
            problem = f"row has {len(row)} fields but the header has {width}"
        numbers.append(number)
        problems.append(problem)
        for values, i in zip(columns, index, strict=True):
            values.append(None if problem or i is None or i >= len(row) else row[i])
        if len(numbers) >= _CHUNK_ROWS:
            flush()
    flush()
    if rows_in == 0:
        raise InputFileError("the file has a header but no data rows", file=source.name, row=header_row)
    if text is not None:
        counted = count_records(text, header_row, width)
        if counted != rows_in:  # rows in is the independent count: the reconciliation check then fails
            log.warning("%s: %d records counted by line, %d read by the parser", source.name, counted, rows_in)
            rows_in = counted
    used = {i for i in index if i is not None}
    extra = [h for i, h in enumerate(header) if i not in used and h.strip()]
    log.info("loaded %s: %d rows (%d blank rows skipped)", source.name, rows_in, blank)
    return LoadedFile(file_id, role, source, header_row, {n: header[i] for n, i in found.items()},
                      rows_in, blank, extra, encoding)


def _sheets(source: SourceFile) -> list[SourceFile]:
    """One input per worksheet holding data (named "book.xlsx [sheet]" when there are several)."""
    if source.format != "xlsx":
        return [source]
    sheets = workbook_sheets(source)
    data = [name for name, filled in sheets if filled]
    if len(data) <= 1:
        return [replace(source, sheet=data[0] if data else None)]
    log.info("%s: reading %d sheets (%s)", source.name, len(data), ", ".join(data))
    return [replace(source, sheet=name, label=f"{source.path.name} [{name}]") for name in data]


def _load_table(con: duckdb.DuckDBPyConnection, table: str, names: list[str], index: list[int | None],
                file_id: int, role: str, source: SourceFile, header_row: int, header: list[str],
                found: dict[str, int], rows: pa.Table) -> LoadedFile:
    """The fast path of `_load_file`: a regular CSV already parsed by Arrow (`read_csv_fast`)."""
    n = rows.num_rows
    if n == 0:
        raise InputFileError("the file has a header but no data rows", file=source.name, row=header_row)
    columns = [rows.column(i) if i is not None else pa.nulls(n, pa.string()) for i in index]
    chunk = pa.Table.from_arrays(  # noqa: F841 (read by the SQL below, by name)
        [pa.array([file_id] * n, pa.int32()), pa.array(range(header_row + 1, header_row + 1 + n), pa.int32()),
         pa.nulls(n, pa.string()), *columns],
        names=["file_id", "source_row", "read_problem", *names])
    con.execute(f"INSERT INTO {table} SELECT * FROM chunk")
    used = {i for i in index if i is not None}
    extra = [h for i, h in enumerate(header) if i not in used and h.strip()]
    log.info("loaded %s: %d rows", source.name, n)
    return LoadedFile(file_id, role, source, header_row, {k: header[i] for k, i in found.items()}, n, 0, extra)


def load_role(
    con: duckdb.DuckDBPyConnection,
    role: str,
    paths: list[Path],
    config: IngestConfig,
    progress: Callable[[str], None] | None = None,
) -> list[LoadedFile]:
    """(Re)create the raw table of `role` ("register" or "members") and its rows of `source_files`.

    Files are ordered by name and hash (a workbook's data sheets in workbook order), so the same set
    of files always gets the same ids; register files are numbered from 1, membership files from 1001.
    """
    table, fields = ROLES[role]
    if not paths:
        raise InputFileError(f"no {role} file given", file="(none)",
                             hint="Pass at least one file (ucj run --register FILE --members FILE)")
    files = sorted((describe(p) for p in paths), key=lambda s: (s.name, s.sha256))
    seen: set[str] = set()
    for source in files:
        if source.sha256 in seen:
            raise InputFileError("the same file content was given twice", file=source.name,
                                 hint="Pass each export once")
        seen.add(source.sha256)
    sources = [sheet for source in files for sheet in _sheets(source)]
    first_id = 1 if role == "register" else 1001
    columns = ", ".join(f"{f.name} VARCHAR" for f in fields)
    con.execute(f"CREATE OR REPLACE TABLE {table} (file_id INTEGER, source_row INTEGER, "
                f"read_problem VARCHAR, {columns})")
    aliases = config.register_aliases if role == "register" else config.member_aliases
    loaded = []
    for i, source in enumerate(sources):
        if progress:
            progress(f"reading {source.name}")
        loaded.append(_load_file(con, table, fields, first_id + i, role, source, aliases))
    con.execute("""CREATE TABLE IF NOT EXISTS source_files (file_id INTEGER, role VARCHAR, file_name VARCHAR,
        sha256 VARCHAR, size_bytes BIGINT, format VARCHAR, header_row INTEGER, rows_in BIGINT,
        blank_rows BIGINT, columns VARCHAR)""")
    con.execute("ALTER TABLE source_files ADD COLUMN IF NOT EXISTS encoding VARCHAR")  # warehouses of older runs
    con.execute("DELETE FROM source_files WHERE role = ?", [role])
    con.executemany(
        "INSERT INTO source_files (file_id, role, file_name, sha256, size_bytes, format, header_row, rows_in, "
        "blank_rows, columns, encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[f.file_id, f.role, f.source.name, f.source.sha256, f.source.size_bytes, f.source.format,
          f.header_row, f.rows_in, f.blank_rows, json.dumps(f.columns, sort_keys=True), f.encoding] for f in loaded],
    )
    return loaded
