"""Load register and membership files into the warehouse as text, losing nothing.

Each data row lands in `raw_register` / `raw_members` with its file id and spreadsheet row number;
`source_files` records each file's hash, format, header row and counts. Rows that cannot even be
split into the header's columns are kept with a `read_problem` and rejected by `pipeline.ingest.clean`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.config import IngestConfig
from pipeline.errors import InputFileError
from pipeline.ingest.readers import SourceFile, describe, iter_rows, read_csv_fast
from pipeline.ingest.schema import MEMBER_FIELDS, REGISTER_FIELDS, Field, normalise_header, resolve_columns

__all__ = ["LoadedFile", "load_role", "ROLES"]

log = logging.getLogger(__name__)

ROLES: dict[str, tuple[str, tuple[Field, ...]]] = {
    "register": ("raw_register", REGISTER_FIELDS),
    "members": ("raw_members", MEMBER_FIELDS),
}
_HEADER_SEARCH_ROWS = 20
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


def _find_header(
    rows: Iterator[tuple[int, list[str]]], fields: tuple[Field, ...], aliases: dict[str, list[str]], file: str
) -> tuple[int, list[str], dict[str, int]]:
    """The header is the first row naming at least two known fields (title lines above it are skipped)."""
    seen: list[tuple[int, list[str]]] = []
    best: tuple[int, list[str], dict[str, int]] | None = None
    for number, row in rows:
        seen.append((number, row))
        found, missing = resolve_columns(row, fields, aliases)
        if len(found) >= 2:
            if missing:
                field_, tried = missing[0]
                raise InputFileError(
                    f"required column {field_.name!r} ({field_.doc}) is missing; "
                    f"headers tried: {', '.join(tried)}",
                    file=file, row=number, column=field_.name,
                    hint="Rename the column, or add its header to the aliases in the config file "
                         f"([ingest.{'register' if fields is REGISTER_FIELDS else 'member'}_aliases])",
                )
            best = (number, row, found)
            break
        if len(seen) >= _HEADER_SEARCH_ROWS:
            break
    if best is None:
        if not any(any(c.strip() for c in r) for _, r in seen):
            raise InputFileError("the file has no header row and no data", file=file)
        first = next(r for _, r in seen if any(c.strip() for c in r))
        names = ", ".join(f.name for f in fields if f.required)
        raise InputFileError(
            f"no header row naming the required columns ({names}) in the first {_HEADER_SEARCH_ROWS} rows; "
            f"first row reads: {', '.join(normalise_header(c) for c in first[:12])}",
            file=file, row=seen[0][0],
        )
    return best


def _arrow_chunk(names: list[str], columns: list[list[str | None]], file_id: int,
                 row_numbers: list[int], problems: list[str | None]) -> pa.Table:
    arrays = [pa.array([file_id] * len(row_numbers), pa.int32()), pa.array(row_numbers, pa.int32()),
              pa.array(problems, pa.string())] + [pa.array(c, pa.string()) for c in columns]
    return pa.Table.from_arrays(arrays, names=["file_id", "source_row", "read_problem", *names])


def _load_file(con: duckdb.DuckDBPyConnection, table: str, fields: tuple[Field, ...], file_id: int,
               role: str, source: SourceFile, aliases: dict[str, list[str]]) -> LoadedFile:
    rows = iter_rows(source)
    header_row, header, found = _find_header(rows, fields, aliases, source.name)
    names = [f.name for f in fields]
    index = [found.get(n) for n in names]
    width = len(header)
    fast = read_csv_fast(source, header_row, width) if source.format == "csv" else None
    if fast is not None:
        return _load_table(con, table, names, index, file_id, role, source, header_row, header, found, fast)
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
        problem = None
        if len(row) > width and any(c.strip() for c in row[width:]):
            problem = f"row has {len(row)} fields but the header has {width} (a delimiter inside a value?)"
        elif len(row) < width and source.format == "csv":
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
    used = {i for i in index if i is not None}
    extra = [h for i, h in enumerate(header) if i not in used and h.strip()]
    log.info("loaded %s: %d rows (%d blank rows skipped)", source.name, rows_in, blank)
    return LoadedFile(file_id, role, source, header_row, {n: header[i] for n, i in found.items()},
                      rows_in, blank, extra)


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

    Files are ordered by name and hash, so the same set of files always gets the same ids; register
    files are numbered from 1, membership files from 1001.
    """
    table, fields = ROLES[role]
    if not paths:
        raise InputFileError(f"no {role} file given", file="(none)",
                             hint="Pass at least one file (ucj run --register FILE --members FILE)")
    sources = sorted((describe(p) for p in paths), key=lambda s: (s.name, s.sha256))
    seen: set[str] = set()
    for source in sources:
        if source.sha256 in seen:
            raise InputFileError("the same file content was given twice", file=source.name,
                                 hint="Pass each export once")
        seen.add(source.sha256)
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
    con.execute("DELETE FROM source_files WHERE role = ?", [role])
    con.executemany(
        "INSERT INTO source_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[f.file_id, f.role, f.source.name, f.source.sha256, f.source.size_bytes, f.source.format,
          f.header_row, f.rows_in, f.blank_rows, json.dumps(f.columns, sort_keys=True)] for f in loaded],
    )
    return loaded
