"""SQL text for what DuckDB cannot take as a bound parameter (a `COPY ... TO` target, `SET allowed_paths`,
a pattern baked into a reusable expression): one quoting rule, so a `'` in a folder name or a label can
never end a literal early. Data and settings go in as parameters, never through here."""

from __future__ import annotations

from pathlib import PurePath

__all__ = ["sql_literal"]


def sql_literal(value: str | PurePath) -> str:
    """A SQL string literal; paths in POSIX form.

    >>> sql_literal("it's"), sql_literal(PurePath("/data/o'brien/x.parquet"))
    ("'it''s'", "'/data/o''brien/x.parquet'")
    """
    text = value.as_posix() if isinstance(value, PurePath) else value
    return "'" + text.replace("'", "''") + "'"
