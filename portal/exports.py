"""Downloads of a filtered list: XLSX in the officer workbook format (`pipeline.publish.workbooks`
columns, a Kelurahan column in front) and CSV for Excel in an Indonesian locale (UTF-8 with BOM, `;`
between fields, decimal comma), tracks and who pays named in the scope's words (`PublicationInfo.wording`).
NIKs are masked unless the account allows full NIK; text that a spreadsheet would run as a formula is
defused. File names are built here from safe parts only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.decisions.tracks import TrackWording
from pipeline.privacy import mask_nik
from pipeline.publish.workbooks import Column, officer_columns, write_officer_workbook
from pipeline.spreadsheet import defuse_formula
from portal.candidates import CandidateFilter, export_rows
from portal.publications import PublicationInfo
from portal.scope import KELURAHAN_NAMES, Scope

__all__ = ["Export", "EXPORT_COLUMNS", "FORMATS", "build_export", "export_columns", "export_file_name"]

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}

# candidates.parquet names the joined tables' columns plainly; only the old KPJ is renamed
_RENAMED = {"kpj": "previous_kpj"}


def _on_candidates(expression: str) -> str:
    """Examples:

    >>> _on_candidates("CASE WHEN c.review_pending THEN 'Ya' ELSE '' END")
    "CASE WHEN review_pending THEN 'Ya' ELSE '' END"
    >>> _on_candidates("c.kpj")
    'previous_kpj'
    """
    return re.sub(r"\b[krc]\.(\w+)", lambda m: _RENAMED.get(m.group(1), m.group(1)), expression)


def export_columns(wording: TrackWording) -> tuple[Column, ...]:
    """The officer workbook's columns over candidates.parquet, a Kelurahan column in front."""
    return (("Kelurahan", "kelurahan", 18, "text"),
            *((header, _on_candidates(expr), width, kind) for header, expr, width, kind in officer_columns(wording)))


EXPORT_COLUMNS: tuple[Column, ...] = export_columns(TrackWording())
"""The columns in Kota Madiun's words."""


@dataclass(frozen=True)
class Export:
    file_name: str
    media_type: str
    content: bytes
    rows: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def export_file_name(publication: PublicationInfo, scope: Scope, f: CandidateFilter, fmt: str) -> str:
    """Like `calon-3577011001-20260101T020000-abcd1234.xlsx` or `calon-357701-<publication>-filter.csv`."""
    if scope.single:
        area = scope.single
    elif scope.user.role == "kecamatan" and scope.user.area_code:
        area = scope.user.area_code
    else:
        area = "kota"
    suffix = "-filter" if f.query_args() else ""
    name = f"calon-{area}-{publication.publication_id}{suffix}.{fmt}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _area_title(scope: Scope) -> str:
    if scope.single:
        return f"Kel. {KELURAHAN_NAMES[scope.single]}"
    if scope.user.role == "kecamatan":
        return scope.user.area_label
    return "semua wilayah publikasi"


def _nik(value: Any, scope: Scope, visible: int) -> str:
    return str(value) if scope.full_nik else mask_nik(value, visible)


def _xlsx(rows: list[tuple[Any, ...]], scope: Scope, visible: int, title: str, created: datetime,
          wording: TrackWording) -> bytes:
    buffer = io.BytesIO()
    write_officer_workbook(buffer, title, rows, created=created, columns=export_columns(wording), wording=wording,
                           nik_text=lambda nik: _nik(nik, scope, visible))
    return buffer.getvalue()


def _csv_cell(value: Any, kind: str, scope: Scope, visible: int, labels: dict[str, str] | None = None) -> str:
    if value is None:
        return ""
    if kind == "nik":
        return _nik(value, scope, visible)
    if kind == "track":
        return (TrackWording().labels if labels is None else labels).get(value, value)
    if kind in ("int", "num", "rp"):
        return str(value).replace(".", ",")
    return defuse_formula(str(value))


def _csv(rows: list[tuple[Any, ...]], scope: Scope, visible: int, wording: TrackWording) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    columns, labels = export_columns(wording), wording.labels
    writer.writerow([header for header, _, _, _ in columns])
    for row in rows:
        writer.writerow([_csv_cell(value, kind, scope, visible, labels)
                         for (_, _, _, kind), value in zip(columns, row, strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def build_export(publication: PublicationInfo, scope: Scope, f: CandidateFilter, fmt: str) -> Export:
    """The whole filtered list of the scope as one file."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    rows = export_rows(publication, scope, f, [expr for _, expr, _, _ in EXPORT_COLUMNS])
    visible = publication.nik_visible_digits
    wording = publication.wording(scope.codes)
    if fmt == "xlsx":
        reference = str(publication.manifest.get("reference_date") or "2000-01-01")
        content = _xlsx(rows, scope, visible, _area_title(scope), datetime.fromisoformat(reference[:10]), wording)
    else:
        content = _csv(rows, scope, visible, wording)
    return Export(export_file_name(publication, scope, f, fmt), FORMATS[fmt], content, len(rows))
