"""One XLSX per desa/kelurahan for officers who work in Excel: Indonesian headers, header row frozen,
filters on, NIK stored as text and masked to its region digits (pipeline/privacy.py), tracks in priority order.

Workbooks are reproducible: the document date is fixed to the publication's reference date, so the
same data gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import duckdb
import xlsxwriter

from pipeline.decisions.tracks import CANDIDATE_TRACKS, TRACKS
from pipeline.pause import pause_point
from pipeline.privacy import check_visible_digits, mask_nik

__all__ = ["write_kelurahan_workbooks", "write_officer_workbook", "OFFICER_COLUMNS"]

# (header, SQL expression over candidates k ⨝ residents r ⨝ coverage c, width, kind)
OFFICER_COLUMNS: tuple[tuple[str, str, int, str], ...] = (
    ("Peringkat di desa/kelurahan", "k.kelurahan_rank", 10, "int"),
    ("Jalur", "k.track", 34, "track"),
    ("NIK", "r.nik", 19, "nik"),
    ("Nama", "r.nama", 28, "text"),
    ("L/P", "r.sex", 5, "text"),
    ("Usia", "k.age", 6, "int"),
    ("Alamat", "r.alamat", 28, "text"),
    ("RT", "r.rt", 5, "text"),
    ("RW", "r.rw", 5, "text"),
    ("Pekerjaan", "r.occupation", 24, "text"),
    ("Desil", "r.desil", 6, "int"),
    ("Status kepesertaan", "CASE c.coverage_status WHEN 'lapsed' THEN 'Non aktif' ELSE 'Belum terdaftar' END",
     16, "text"),
    ("KPJ lama", "c.kpj", 14, "text"),
    ("Skor prioritas", "k.priority_score", 10, "num"),
    ("Alasan prioritas", "k.priority_reason", 60, "text"),
    ("Perlu verifikasi", "coalesce(k.verification, '')", 30, "text"),
    ("Iuran Pemkot per tahun (Rp)", "k.yearly_cost_rp", 14, "rp"),
)


def _file_part(name: str) -> str:
    """A place name as part of a file name: spaces become '_', anything but letters, digits, '-', '.'
    and '_' is dropped ("Lubuk Pakam I,II" -> "Lubuk_Pakam_III")."""
    return re.sub(r"[^A-Za-z0-9._-]", "", name.replace(" ", "_")) or "_"


def write_kelurahan_workbooks(con: duckdb.DuckDBPyConnection, folder: Path, *, created: datetime,
                              nik_visible_digits: int) -> dict[str, int]:
    """Write one workbook per desa/kelurahan of the chosen regions (`ref_kelurahan`, even when a list is
    empty), in `<kabupaten/kota>/<kecamatan>/` folders; return rows per file (paths relative to `folder`)."""
    check_visible_digits(nik_visible_digits)  # before anything is written
    folder.mkdir(parents=True, exist_ok=True)
    order = " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(CANDIDATE_TRACKS))
    select = ", ".join(expr for _, expr, _, _ in OFFICER_COLUMNS)
    rows = con.execute(f"""
        SELECT r.kelurahan_code, {select}
        FROM candidates k JOIN residents r USING (resident_id) JOIN coverage c USING (resident_id)
        ORDER BY r.kelurahan_code, CASE k.track {order} END, k.kelurahan_rank
    """).fetchall()
    by_code: dict[str, list[tuple]] = {}
    for row in rows:
        by_code.setdefault(row[0], []).append(row[1:])
    places = con.execute("SELECT code, name, kind, kecamatan_code, kecamatan, kabupaten_code, kabupaten "
                         "FROM ref_kelurahan ORDER BY code").fetchall()
    written: dict[str, int] = {}
    for code, name, kind, kec_code, kecamatan, kab_code, kabupaten in places:
        # a folder per kabupaten/kota and kecamatan: a province has 8,494 desa/kelurahan
        relative = (f"{kab_code}-{_file_part(kabupaten)}/{kec_code}-{_file_part(kecamatan)}/"
                    f"{code}-{_file_part(name)}.xlsx")
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        label = "Desa" if kind == "desa" else "Kel."
        write_officer_workbook(folder / relative, f"{label} {name}, Kec. {kecamatan}, {kabupaten}",
                               by_code.get(code, []), created=created,
                               nik_text=lambda nik: mask_nik(nik, nik_visible_digits))
        written[relative] = len(by_code.get(code, []))
        if len(written) == 1:
            pause_point("workbooks")  # the kill test's handle (pipeline/pause.py): one written, more to come
    return written


Column = tuple[str, str, int, str]  # (header, SQL expression, width, kind)


def write_officer_workbook(target: Path | BinaryIO, title: str, rows: list[tuple], *, created: datetime,
                           nik_text: Callable[[str], str], columns: tuple[Column, ...] = OFFICER_COLUMNS) -> None:
    """One officer workbook (a file path, or a binary buffer for a download): Indonesian headers, header
    row frozen, filters on, text columns stored as text, NIK as `nik_text` shows it."""
    in_memory = not isinstance(target, (str, Path))
    workbook = xlsxwriter.Workbook(target if in_memory else str(target),
                                   {"in_memory": in_memory, "strings_to_numbers": False, "strings_to_formulas": False,
                                    "strings_to_urls": False})
    workbook.set_properties({"title": f"Daftar calon peserta Jamsostek - {title}", "created": created,
                             "author": "UCJ Kota Madiun"})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"})
    text = workbook.add_format({"num_format": "@"})
    money = workbook.add_format({"num_format": "#,##0"})
    sheet = workbook.add_worksheet("Calon peserta")
    for col, (header, _, width, kind) in enumerate(columns):
        sheet.write_string(0, col, header, bold)
        sheet.set_column(col, col, width, text if kind in ("nik", "text") else None)
    for r, row in enumerate(rows, start=1):
        for col, ((_, _, _, kind), value) in enumerate(zip(columns, row, strict=True)):
            if value is None:
                continue
            if kind == "nik":
                sheet.write_string(r, col, nik_text(value), text)
            elif kind == "track":
                sheet.write_string(r, col, TRACKS.get(value, value))
            elif kind in ("int", "num"):
                sheet.write_number(r, col, float(value) if isinstance(value, Decimal) else value)
            elif kind == "rp":
                sheet.write_number(r, col, value, money)
            else:
                sheet.write_string(r, col, str(value), text)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
    workbook.close()
