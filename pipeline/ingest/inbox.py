"""Tell register files from membership exports by their header, so a folder of files that arrive
(`data/inbox/`) can be used as it is. Anything that is neither is ignored with a reason."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputFileError
from pipeline.ingest.readers import SNIFF_LINES, describe, iter_rows
from pipeline.ingest.schema import MEMBER_FIELDS, REGISTER_FIELDS, resolve_columns

__all__ = ["InboxContents", "classify_file", "scan_inbox", "EXPORT_SUFFIXES", "fingerprint", "files_fingerprint"]


def fingerprint(files: Iterable[tuple[str, str]]) -> str:
    """One hash for a set of input files given as (file name, content SHA-256): the same for the files in
    the inbox and for the inputs a publication's manifest lists, so the two can be compared."""
    digest = hashlib.sha256()
    for name, sha256 in sorted(files):
        digest.update(f"{name}\0{sha256}\n".encode())
    return digest.hexdigest()


def files_fingerprint(paths: Iterable[Path]) -> str:
    """`fingerprint` of files on disk."""
    return fingerprint((path.name, describe(path).sha256) for path in paths)

EXPORT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")
_HEADER_ROWS = SNIFF_LINES  # as deep as the loader looks for the header (a long title block is common)


@dataclass
class InboxContents:
    register: list[Path] = field(default_factory=list)
    members: list[Path] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)


def classify_file(path: Path) -> tuple[str | None, str]:
    """("register" | "members" | None, reason) from the file's header row."""
    path = Path(path)
    if path.name.startswith(".") or path.suffix.lower() not in EXPORT_SUFFIXES:
        return None, f"not an export file type ({path.suffix or 'no extension'})"
    try:
        rows = iter_rows(describe(path))
        for number, row in rows:
            if number > _HEADER_ROWS:
                break
            register, missing_r = resolve_columns(row, REGISTER_FIELDS)
            members, missing_m = resolve_columns(row, MEMBER_FIELDS)
            if not missing_m and "kpj" in members:
                return "members", "membership export (has KPJ, NIK, name, birth date and status columns)"
            if not missing_r and "desil" in register:
                return "register", "register extract (has NIK, name, birth date, kelurahan, occupation, desil)"
    except InputFileError as exc:
        return None, f"unreadable: {exc}"
    return None, "no header naming the columns of a register or a membership export"


def scan_inbox(folder: Path) -> InboxContents:
    """Classify every file in `folder`. The register is the last register file by name (extracts
    are named by date); every membership export is used."""
    contents = InboxContents()
    registers: list[Path] = []
    for path in sorted(Path(folder).iterdir()) if Path(folder).is_dir() else []:
        if path.is_dir() or path.name == ".gitkeep":
            continue
        role, reason = classify_file(path)
        if role == "register":
            registers.append(path)
        elif role == "members":
            contents.members.append(path)
        else:
            contents.ignored.append((path.name, reason))
    if registers:
        contents.register = [registers[-1]]
        contents.ignored += [(p.name, "an older register extract (the last by name is used)") for p in registers[:-1]]
    return contents
