"""SQL text for what DuckDB cannot take as a bound parameter (a `COPY ... TO` target, `SET allowed_paths`,
a pattern baked into a reusable expression): one quoting rule, so a `'` in a folder name or a label can
never end a literal early. Data and settings go in as parameters, never through here."""

from __future__ import annotations

from pathlib import PurePath

__all__ = ["sql_literal", "sql_double"]


def sql_literal(value: str | PurePath) -> str:
    """A SQL string literal; paths in POSIX form.

    >>> sql_literal("it's"), sql_literal(PurePath("/data/o'brien/x.parquet"))
    ("'it''s'", "'/data/o''brien/x.parquet'")
    """
    text = value.as_posix() if isinstance(value, PurePath) else value
    return "'" + text.replace("'", "''") + "'"


def sql_double(value: float) -> str:
    """A DOUBLE literal. A bare `1.25` is a DECIMAL to DuckDB and to Spark, and Spark keeps decimals
    where DuckDB turns them into doubles (its printf then refuses them).

    >>> sql_double(1.25), sql_double(float("inf"))
    ("CAST('1.25' AS DOUBLE)", "CAST('Infinity' AS DOUBLE)")
    """
    text = "Infinity" if value == float("inf") else "-Infinity" if value == float("-inf") else repr(float(value))
    return f"CAST('{text}' AS DOUBLE)"
