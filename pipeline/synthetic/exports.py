"""The two BPJS TK membership exports and `truth/members.parquet`.

- `bpjstk_peserta_penerima_upah.xlsx` (PU, JAKON, PMI): KPJ and NIK as text cells, except
  Excel-damaged NIKs (NUMBER cells rounded to 15 significant digits, or the text "3.57701E+15");
  dates as a mix of real date cells, text (DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD) and bare serials.
- `bpjstk_peserta_bpu.csv` (BPU): Windows-1252, comma-separated, dates as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .damage import namesake_labels, odd_date_texts, swap_or_missing, us_date_texts
from .days import DMY_DASH, EXCEL_EPOCH_OFFSET, ISO, MISSING, format_dates, ymd
from .employers import EMPLOYERS, NPP
from .identifiers import as_text
from .membership import SEGMENTS, MemberRows
from .name_noise import noisy_names
from .naming import PersonNames
from .noise import duplicate_index, noisy_births, noisy_niks, typo_nik
from .profiles import Profile
from .writers import XlsxCell, write_csv, write_parquet, write_xlsx

__all__ = ["XLSX_FILE", "CSV_FILE", "XLSX_HEADER", "CSV_HEADER", "MemberPeople", "write_members"]

XLSX_FILE = "bpjstk_peserta_penerima_upah.xlsx"
CSV_FILE = "bpjstk_peserta_bpu.csv"
XLSX_HEADER = (
    "KPJ",
    "NOMOR_IDENTITAS",
    "NAMA_TK",
    "TGL_LAHIR",
    "KODE_SEGMEN",
    "STATUS",
    "TGL_KEPESERTAAN",
    "TGL_NA",
    "NPP",
    "NAMAPRS",
)
CSV_HEADER = (
    "No. KPJ",
    "NIK",
    "Nama Peserta",
    "Tanggal Lahir",
    "Segmen",
    "Status Kepesertaan",
    "Tgl Kepesertaan",
    "Tgl Non Aktif",
    "NPP",
    "Nama Perusahaan",
)
_DATE_CELL, _SERIAL = 3, 4  # XLSX date styles beyond the text styles of `days`
_XLSX_STYLE_P = (0.25, 0.10, 0.10, 0.40, 0.15)  # DMY_DASH, DMY_SLASH, ISO, date cell, serial
_CSV_STYLE_P = (0.50, 0.35, 0.15)


@dataclass
class MemberPeople:
    """Attributes of everyone who may hold a membership row (residents, then outsiders)."""

    nik: np.ndarray  # int64 true NIK
    kk: np.ndarray  # int64 family KK (a made-up one for outsiders)
    names: PersonNames
    female: np.ndarray  # bool
    birth: np.ndarray  # int64 stated birth day
    n_residents: int


def _status_texts(rng: np.random.Generator, active: np.ndarray, rate: float) -> list[str]:
    var = rng.random(len(active)) < rate
    alt = rng.integers(0, 3, len(active))
    out = []
    for a, v, k in zip(active.tolist(), var.tolist(), alt.tolist(), strict=True):
        if not v:
            out.append("AKTIF" if a else "NON AKTIF")
        else:
            out.append("Aktif" if a else ("NONAKTIF", "TIDAK AKTIF", "Non Aktif")[k])
    return out


def _xlsx_date(days: int, text: str, style: int) -> XlsxCell:
    if days == MISSING:
        return None
    if style == _DATE_CELL:
        return int(days + EXCEL_EPOCH_OFFSET)
    if style == _SERIAL:
        return float(days + EXCEL_EPOCH_OFFSET)
    return text


def write_members(
    out_dir: Path, truth_path: Path, rows: MemberRows, people: MemberPeople, rng: np.random.Generator, prof: Profile
) -> tuple[Path, Path, int]:
    """Inject errors, write both exports and the truth table; return (xlsx, csv, data rows)."""
    n = len(rows.person)
    who = rows.person
    nik = noisy_niks(rng, people.nik[who], people.kk[who], prof)
    by = ymd(people.birth[who])[0]
    nm = people.names
    names, name_tags = noisy_names(
        rng, nm.registered[who], nm.modern[who], nm.old_spelling[who], people.female[who], by, prof
    )
    dob, dob_tag = noisy_births(rng, people.birth[who], prof)
    extra: list[list[str]] = [[] for _ in range(n)]
    # One careless entry: NIK one keying error away and the birth date missing or swapped, name exact;
    # or neither NIK nor birth date, only the full name.
    u_family = rng.random(n)
    careless = u_family < prof.nik_typo_dob_damage
    nonid = ~careless & (u_family < prof.nik_typo_dob_damage + prof.no_nik_no_dob)
    typo_vals, typo_tags = typo_nik(rng, people.nik[who])
    bad_dob, bad_dob_tags = swap_or_missing(people.birth[who], rng.random(n))
    for i in np.flatnonzero(careless | nonid).tolist():
        names[i], name_tags[i] = str(nm.registered[who[i]]), []
        if careless[i]:
            nik.text[i], nik.tag[i] = f"{int(typo_vals[i]):016d}", typo_tags[i]
            nik.excel_number[i] = typo_tags[i] == "nik_excel_zeroed"
            dob[i], dob_tag[i] = bad_dob[i], bad_dob_tags[i]
            extra[i].append("nik_typo_dob_damage")
        else:
            nik.text[i], nik.tag[i], nik.excel_number[i] = "", "nik_missing", False
            dob[i], dob_tag[i] = MISSING, "dob_missing"
            extra[i].append("no_nik_no_dob")
    for i, label in enumerate(namesake_labels(nm.registered, people.birth, people.nik, who, people.n_residents)):
        if label:
            extra[i].append(label)
    status = _status_texts(rng, rows.active, prof.status_variant)
    is_bpu = rows.segment == 1
    style = np.where(is_bpu, rng.choice(3, size=n, p=_CSV_STYLE_P), rng.choice(5, size=n, p=_XLSX_STYLE_P))
    text_style = np.where(style > ISO, DMY_DASH, style)
    dob_txt = format_dates(np.where(dob == MISSING, 0, dob), text_style)
    start_txt = format_dates(rows.start, text_style)
    end_txt = format_dates(np.where(rows.end == MISSING, 0, rows.end), text_style)
    # Cell-level damage of real exports: birth dates in other formats (always text cells), a name
    # column that also holds the birth date, KPJ stored as a number.
    u_cell = rng.random((n, 4))
    has_dob = dob != MISSING
    odd = has_dob & (u_cell[:, 0] < prof.dob_odd_format)
    us = has_dob & ~odd & (u_cell[:, 0] < prof.dob_odd_format + prof.dob_us_format)
    merged = has_dob & (u_cell[:, 1] < prof.name_merged_column)
    kpj_number = u_cell[:, 2] < prof.kpj_number
    odd_txt = odd_date_texts(np.where(has_dob, dob, 0), u_cell[:, 3])
    us_txt = us_date_texts(np.where(has_dob, dob, 0))
    dob_text_only = odd | us | merged
    for i in np.flatnonzero(odd | us | merged | kpj_number).tolist():
        if odd[i]:
            dob_txt[i] = odd_txt[i]
            extra[i].append("dob_odd_format")
        elif us[i]:
            dob_txt[i] = us_txt[i]
            extra[i].append("dob_us_format")
        if merged[i]:
            names[i] = f"{names[i]}{(' / ', ', ', ' ')[int(u_cell[i, 3] * 3)]}{dob_txt[i]}"
            extra[i].append("name_merged_column")
        if kpj_number[i] and rows.kpj[i].startswith("0"):
            extra[i].append("kpj_leading_zero")
    curly = rng.random(n) < 0.7
    errors = [",".join(t for t in [a, *b, c, *x] if t)
              for a, b, c, x in zip(nik.tag, name_tags, dob_tag, extra, strict=True)]
    emp = rows.employer.tolist()
    seg = rows.segment.tolist()
    built: list[list[XlsxCell]] = []
    for i in range(n):
        e = emp[i]
        npp, prs = (NPP[e], EMPLOYERS[e][0]) if e >= 0 else ("", "")
        if is_bpu[i]:
            name = names[i].replace("'", "\u2019") if curly[i] else names[i]
            built.append(
                [
                    rows.kpj[i].lstrip("0") if kpj_number[i] else rows.kpj[i],
                    nik.text[i],
                    name,
                    dob_txt[i] if dob[i] != MISSING and not merged[i] else "",
                    SEGMENTS[seg[i]],
                    status[i],
                    start_txt[i],
                    end_txt[i] if rows.end[i] != MISSING else "",
                    npp,
                    prs,
                ]
            )
        else:
            st = int(style[i])
            nik_cell: XlsxCell = float(nik.text[i]) if nik.excel_number[i] else nik.text[i]
            dob_cell = (None if merged[i] else dob_txt[i] if dob_text_only[i]
                        else _xlsx_date(int(dob[i]), dob_txt[i], st))
            built.append(
                [
                    float(rows.kpj[i]) if kpj_number[i] else str(rows.kpj[i]),
                    nik_cell,
                    names[i],
                    dob_cell,
                    SEGMENTS[seg[i]],
                    status[i],
                    _xlsx_date(int(rows.start[i]), start_txt[i], st),
                    _xlsx_date(int(rows.end[i]), end_txt[i], st),
                    npp or None,
                    prs or None,
                ]
            )
    truth: dict[str, list] = {
        k: []
        for k in (
            "source_file",
            "source_row",
            "kpj",
            "person_id",
            "resident_nik",
            "status",
            "errors",
            "segment",
            "true_nik",
        )
    }
    xlsx_path, csv_path = out_dir / XLSX_FILE, out_dir / CSV_FILE
    total = 0
    for fname, sel, key in ((XLSX_FILE, ~is_bpu, "npp"), (CSV_FILE, is_bpu, "kpj")):
        idx = np.flatnonzero(sel)
        sort_key = rows.employer[idx] if key == "npp" else np.zeros(len(idx))
        idx = idx[np.lexsort((rows.kpj[idx], sort_key))]
        order, is_dup = duplicate_index(rng, len(idx), prof.member_duplicate)
        idx = idx[order]
        data = [built[i] for i in idx.tolist()]
        if fname == XLSX_FILE:
            write_xlsx(xlsx_path, "Sheet1", XLSX_HEADER, data)
        else:
            write_csv(csv_path, CSV_HEADER, data, delimiter=",", encoding="cp1252")
        true_nik = as_text(people.nik[who[idx]]).tolist()
        for r, (i, d) in enumerate(zip(idx.tolist(), is_dup.tolist(), strict=True), start=2):
            truth["source_file"].append(fname)
            truth["source_row"].append(r)
            truth["kpj"].append(str(rows.kpj[i]))
            truth["person_id"].append(int(who[i]) + 1)
            truth["resident_nik"].append(true_nik[r - 2] if who[i] < people.n_residents else None)
            truth["status"].append("AKTIF" if rows.active[i] else "NON AKTIF")
            truth["errors"].append(",".join(t for t in (errors[i], "duplicate_row" if d else "") if t))
            truth["segment"].append(SEGMENTS[seg[i]])
            truth["true_nik"].append(true_nik[r - 2])
        total += len(idx)
    schema = {"source_row": pa.int64(), "person_id": pa.int64()}
    write_parquet(truth_path, {k: pa.array(v, schema.get(k, pa.string())) for k, v in truth.items()})
    return xlsx_path, csv_path, total
