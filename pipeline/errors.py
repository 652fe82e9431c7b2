"""One exception base for the engine, with per-stage subclasses.

Messages name the file, row and column and say what to do next. They never carry a NIK or a
name: callers pass positions, not values.
"""

from __future__ import annotations

__all__ = ["UcjError", "ConfigError", "IngestError", "InputFileError", "LinkingError", "PublishError"]


class UcjError(Exception):
    """Base of every error the engine raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.hint = hint or self.hint
        super().__init__(f"{message}. {self.hint}".rstrip(". ") + ("." if self.hint else ""))


class ConfigError(UcjError):
    """The configuration file is unreadable or has a wrong value."""

    hint = "Fix the config file (see config.example.toml for every setting and its unit)"


class IngestError(UcjError):
    """A whole input file cannot be used (rows that cannot be used go to rejects instead)."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        row: int | None = None,
        column: str | None = None,
        hint: str = "",
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        where = f"{file}"
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}", hint=hint)


class InputFileError(IngestError):
    """The file cannot be opened or decoded, or lacks a required column."""

    hint = "Export the file again as CSV (UTF-8 or Windows-1252), XLSX or Parquet with a header row"


class LinkingError(UcjError):
    """The linking stage cannot run on what the warehouse holds."""

    hint = "Run the whole job again (ucj run), or materialise the assets the message names"


class PublishError(UcjError):
    """The publication could not be written; the previous publication is untouched."""

    hint = "Check free disk space and permissions of the output folder, then run again"
