"""The publications the portal reads: `latest` (resolved once per request), the dated history with
manifests and check results, and the published per-kelurahan workbooks.

Only publication folders are read, never the warehouse. Names that come from a request (a
publication id, a workbook file name) are checked against a strict pattern and against the folder
listing before any path is built from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.decisions.tracks import TrackWording, track_wording
from pipeline.errors import UcjError
from pipeline.privacy import NIK_VISIBLE_DIGITS
from pipeline.published.budget import publication_cost, publication_regions
from pipeline.published.person import resolve_publication
from pipeline.sqltext import sql_literal

__all__ = ["PublicationInfo", "sandboxed_views", "NoPublication", "current", "history", "find", "published_workbooks",
           "workbook_path", "PublishedWorkbook", "safe_name"]

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
_WORKBOOK = re.compile(r"^(\d{10})-[A-Za-z0-9._-]+\.xlsx$")


class NoPublication(UcjError):
    """Nothing has been published in the publication root yet."""

    hint = "Run the pipeline (ucj run or ucj demo) first"


@dataclass(frozen=True)
class PublicationInfo:
    folder: Path
    publication_id: str
    manifest: dict[str, Any]

    @property
    def candidates(self) -> Path:
        return self.folder / "candidates.parquet"

    @property
    def workbook_nik_digits(self) -> int:
        """NIK digits the publication's own workbooks show, from its resolved config (12 before the
        masking rule of pipeline/privacy.py, and when the config cannot be read)."""
        try:
            config = json.loads((self.folder / "config.resolved.json").read_text(encoding="utf-8"))
            return int(config["publication"]["nik_visible_digits"])
        except (OSError, ValueError, KeyError, TypeError):
            return 12

    @property
    def nik_visible_digits(self) -> int:
        """NIK digits the portal shows of this publication: what its workbooks show, never more than
        the region code (an older publication's 12 digits leave the hidden serial guessable)."""
        return max(min(self.workbook_nik_digits, NIK_VISIBLE_DIGITS), 0)

    def wording(self, codes: Iterable[str] | None = None) -> TrackWording:
        """How tracks and who pays are named for a list of the desa/kelurahan `codes` (default: all of
        the publication's regions): one kabupaten/kota's own scheme and "Pemkot"/"Pemkab", several "Pemda"."""
        return track_wording(publication_cost(self.folder), publication_regions(self.folder) if codes is None
                             else codes)


@dataclass(frozen=True)
class PublishedWorkbook:
    name: str
    kelurahan_code: str
    rows: int | None
    sha256: str | None
    relative: str = ""  # path under the publication's kelurahan/ folder


def safe_name(name: str) -> bool:
    """One plain file or folder name: no separators, no '..', not absolute, no leading dot.

    Examples:

    >>> [safe_name(n) for n in ("a.xlsx", "../a", "/etc/passwd", "..", ".hidden", "a/b", "a\\\\b")]
    [True, False, False, False, False, False, False]
    """
    return bool(_SAFE_NAME.match(name)) and ".." not in name


def _read(folder: Path) -> PublicationInfo:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return PublicationInfo(folder, str(manifest.get("publication_id") or folder.name), manifest)


def current(root: Path) -> PublicationInfo:
    """The publication `root/latest` points at now."""
    try:
        folder = resolve_publication(root)
    except UcjError:
        raise NoPublication("no publication yet") from None
    return _read(folder)


def history(root: Path) -> list[PublicationInfo]:
    """Every complete publication under `root` (staging folders and `latest` left out), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [_read(p) for p in root.iterdir()
             if p.is_dir() and not p.is_symlink() and safe_name(p.name) and (p / "manifest.json").is_file()]
    return sorted(found, key=lambda p: p.folder.name, reverse=True)


def find(root: Path, publication_id: str) -> PublicationInfo | None:
    """A publication by id, if that id is a plain name of a complete publication under `root`."""
    if not safe_name(publication_id) or publication_id == "latest":
        return None
    return next((p for p in history(root) if p.folder.name == publication_id), None)


def published_workbooks(publication: PublicationInfo, codes: tuple[str, ...]) -> list[PublishedWorkbook]:
    """The publication's own officer workbooks for these kelurahan codes; none when they show more
    of the NIK than lists may (published before the masking rule: officers download the list instead)."""
    if publication.workbook_nik_digits > NIK_VISIBLE_DIGITS:
        return []
    outputs = publication.manifest.get("outputs", {})
    folder = publication.folder / "kelurahan"
    found = []
    # in <kabupaten/kota>/<kecamatan>/ folders; a name starts with its 10-digit code, so it is unique
    for path in sorted(folder.rglob("*.xlsx")) if folder.is_dir() else []:
        match = _WORKBOOK.match(path.name)
        if match and match.group(1) in codes:
            relative = path.relative_to(folder).as_posix()
            meta = outputs.get(f"kelurahan/{relative}", {})
            found.append(PublishedWorkbook(path.name, match.group(1), meta.get("rows"), meta.get("sha256"), relative))
    return found


def workbook_path(publication: PublicationInfo, name: str, codes: tuple[str, ...]) -> PublishedWorkbook | None:
    """The workbook called `name` if it is one of `published_workbooks(publication, codes)`."""
    if not safe_name(name):
        return None
    return next((w for w in published_workbooks(publication, codes) if w.name == name), None)


@contextmanager
def sandboxed_views(tables: dict[str, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with one view per Parquet file (name -> file) that may read those files and
    nothing else: a request cannot reach the warehouse, another file or the network."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET allowed_paths = [{', '.join(sql_literal(p) for p in tables.values())}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        for name, path in tables.items():
            con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet({sql_literal(path)})")
        yield con
    finally:
        con.close()
