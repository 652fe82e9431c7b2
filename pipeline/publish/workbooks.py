"""One XLSX per desa/kelurahan for officers who work in Excel: Indonesian headers, header row frozen,
filters on, NIK stored as text and masked to its region digits (pipeline/privacy.py), tracks in priority order.
Each workbook speaks its kabupaten/kota's words (`pipeline.decisions.tracks.track_wording`): its own scheme's
name in the track labels and who pays in the contribution column ("Pro JKK-JKM" and "Pemkot" in Kota Madiun).

Workbooks are reproducible: the document date is fixed to the publication's reference date, so the
same data gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import duckdb

from pipeline.config import CostConfig
from pipeline.decisions.tracks import CANDIDATE_TRACKS, TrackWording, track_wording
from pipeline.pause import pause_point
from pipeline.privacy import check_visible_digits, mask_nik
from pipeline.publish import xlsx
from pipeline.publish.xlsx import write_table

__all__ = ["write_kelurahan_workbooks", "write_officer_workbook", "officer_columns", "OFFICER_COLUMNS"]

Column = tuple[str, str, int, str]  # (header, SQL expression, width, kind)


def officer_columns(wording: TrackWording) -> tuple[Column, ...]:
    """The officer workbook's columns, headed in the region's words (`OFFICER_COLUMNS`: Kota Madiun's)."""
    return tuple((header.format(government=wording.government), expr, width, kind)
                 for header, expr, width, kind in _COLUMNS)


# (header, SQL expression over candidates k ⨝ residents r ⨝ coverage c, width, kind); {government} in a
# header is who pays in the region (`officer_columns`)
_COLUMNS: tuple[Column, ...] = (
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
    ("Iuran {government} per tahun (Rp)", "k.yearly_cost_rp", 14, "rp"),
)
_MADIUN = TrackWording()
OFFICER_COLUMNS: tuple[Column, ...] = officer_columns(_MADIUN)
"""The columns in Kota Madiun's words ("Iuran Pemkot per tahun (Rp)")."""


def _file_part(name: str) -> str:
    """A place name as part of a file name: spaces become '_', anything but letters, digits, '-', '.'
    and '_' is dropped ("Lubuk Pakam I,II" -> "Lubuk_Pakam_III")."""
    return re.sub(r"[^A-Za-z0-9._-]", "", name.replace(" ", "_")) or "_"


def write_kelurahan_workbooks(con: duckdb.DuckDBPyConnection, folder: Path, *, created: datetime,
                              nik_visible_digits: int, cost: CostConfig | None = None) -> dict[str, int]:
    """Write one workbook per desa/kelurahan of the chosen regions (`ref_kelurahan`, even when a list is
    empty), in `<kabupaten/kota>/<kecamatan>/` folders; return rows per file (paths relative to `folder`).
    `cost`: the schemes the workbooks name ([cost] and its regions; default Kota Madiun's)."""
    check_visible_digits(nik_visible_digits)  # before anything is written
    folder.mkdir(parents=True, exist_ok=True)
    order = " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(CANDIDATE_TRACKS))
    select = ", ".join(expr for _, expr, _, _ in _COLUMNS)
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
    wordings: dict[str, TrackWording] = {}
    for code, name, kind, kec_code, kecamatan, kab_code, kabupaten in places:
        if kab_code not in wordings:
            wordings[kab_code] = track_wording(cost or CostConfig(), [kab_code])
        # a folder per kabupaten/kota and kecamatan: a province has 8,494 desa/kelurahan
        relative = (f"{kab_code}-{_file_part(kabupaten)}/{kec_code}-{_file_part(kecamatan)}/"
                    f"{code}-{_file_part(name)}.xlsx")
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        label = "Desa" if kind == "desa" else "Kel."
        write_officer_workbook(folder / relative, f"{label} {name}, Kec. {kecamatan}, {kabupaten}",
                               by_code.get(code, []), created=created,
                               nik_text=lambda nik: mask_nik(nik, nik_visible_digits), wording=wordings[kab_code],
                               author=f"UCJ {kabupaten}")
        written[relative] = len(by_code.get(code, []))
        if len(written) == 1:
            pause_point("workbooks")  # the kill test's handle (pipeline/pause.py): one written, more to come
    return written


def write_officer_workbook(target: Path | BinaryIO, title: str, rows: list[tuple], *, created: datetime,
                           nik_text: Callable[[str], str], wording: TrackWording = _MADIUN,
                           columns: tuple[Column, ...] | None = None, author: str = "UCJ Kota Madiun") -> None:
    """One officer workbook (a file path, or a binary buffer for a download): Indonesian headers, header
    row frozen, filters on, text columns stored as text, NIK as `nik_text` shows it, tracks and the
    contribution column in `wording` (`columns` default: `officer_columns(wording)`)."""
    columns = officer_columns(wording) if columns is None else columns
    labels = wording.labels
    kinds = [_KINDS[kind] for _, _, _, kind in columns]
    converters = [(i, nik_text) for i, (_, _, _, kind) in enumerate(columns) if kind == "nik"]
    converters += [(i, lambda v: labels.get(v, v)) for i, (_, _, _, kind) in enumerate(columns) if kind == "track"]

    def cells(row: tuple) -> tuple:
        if not converters:
            return row
        values = list(row)
        for i, convert in converters:
            if values[i] is not None:
                values[i] = convert(values[i])
        return values

    write_table(target, sheet_name="Calon peserta", headers=[c[0] for c in columns], widths=[c[2] for c in columns],
                kinds=kinds, rows=map(cells, rows), title=f"Daftar calon peserta Jamsostek - {title}",
                author=author, created=created)


# officer column kind -> how the sheet stores it (NIK and text as text, the track as its label)
_KINDS = {"nik": xlsx.TEXT, "text": xlsx.TEXT, "track": xlsx.PLAIN, "int": xlsx.NUMBER, "num": xlsx.NUMBER,
          "rp": xlsx.MONEY}
