"""The DTSEN register extract `dtsen_kota_madiun.csv` and its truth table (one row per data row).

Columns are written as real files write them: upper-case names, DD-MM-YYYY dates (some ISO),
zero-padded RT/RW, kelurahan and kecamatan mostly by proper name with ~10% variants, occupation
labels with ~5% wild spellings, SHDK labels, desil 1-10. Dirt (recorded in the truth): invalid
NIKs, exact duplicate rows, and titles in names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.reference import KELURAHAN, SHDK, region_name

from .days import DMY_DASH, ISO, format_dates
from .identifiers import as_text
from .noise import duplicate_index
from .occupations import occupation_label
from .population import Families, People
from .profiles import Profile
from .regions import kecamatan_spellings, kelurahan_spellings
from .spelling import add_title
from .writers import write_csv, write_parquet

__all__ = ["REGISTER_FILE", "REGISTER_HEADER", "RegisterInput", "write_register"]

REGISTER_FILE = "dtsen_kota_madiun.csv"
REGISTER_HEADER = (
    "NIK",
    "NO KK",
    "NAMA LENGKAP",
    "TGL LAHIR",
    "JENIS KELAMIN",
    "ALAMAT",
    "RT",
    "RW",
    "KELURAHAN",
    "KECAMATAN",
    "PEKERJAAN",
    "HUB KELUARGA",
    "DESIL",
)
_LETTERS = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}


@dataclass
class RegisterInput:
    """Everything the register needs about the residents."""

    families: Families
    people: People
    names: np.ndarray  # registered names (object array of str)
    occupation: np.ndarray  # int64 occupation codes
    desil: np.ndarray  # int64 per family
    nik: np.ndarray  # int64 per person
    kk: np.ndarray  # int64 per family
    status: np.ndarray  # true coverage status per person
    kabupaten_column: bool = False  # write KABUPATEN (a run over several kabupaten/kota)


def _invalid(nik: str, u: float, v: float) -> str:
    i = int(v * 16)
    if u < 0.5:
        return nik[:i] + nik[i + 1 :]  # 15 digits
    for j in [*range(i, 16), *range(0, i)]:
        if nik[j] in _LETTERS:
            return nik[:j] + _LETTERS[nik[j]] + nik[j + 1 :]
    return nik[:15]


def write_register(path: Path, truth_path: Path, data: RegisterInput, rng: np.random.Generator, prof: Profile) -> int:
    """Write the register CSV and `truth/residents.parquet`; return the number of data rows."""
    p, f = data.people, data.families
    n = len(p.family)
    fam = p.family
    nik_txt = as_text(data.nik).tolist()
    kk_txt = as_text(data.kk).tolist()
    dates = format_dates(p.birth, np.where(rng.random(n) < 0.05, ISO, DMY_DASH))
    places = f.places or KELURAHAN
    kel_sp, kec_sp = kelurahan_spellings(f.places), kecamatan_spellings(f.places)
    kab_name = {k.kabupaten_code: region_name(k.kabupaten_code) for k in places}
    kel = f.kelurahan[fam]
    kel_v = np.where(rng.random(n) < prof.register_region_variant, rng.integers(1, 5, n), 0)
    kec_v = np.where(rng.random(n) < prof.register_region_variant, rng.integers(1, 5, n), 0)
    occ_v = np.where(rng.random(n) < prof.register_occupation_variant, rng.random(n), -1.0)
    titled = rng.random(n) < prof.register_title
    invalid = rng.random(n) < prof.register_invalid_nik
    u = rng.random((n, 4))
    female = p.female.tolist()

    def row(i: int) -> list[str]:
        fi, k = int(fam[i]), int(kel[i])
        name = str(data.names[i])
        if titled[i]:
            name = add_title(name, not female[i], u[i, 0], u[i, 1])
        nik = _invalid(nik_txt[i], u[i, 2], u[i, 3]) if invalid[i] else nik_txt[i]
        return [
            nik,
            kk_txt[fi],
            name,
            dates[i],
            "PEREMPUAN" if female[i] else "LAKI-LAKI",
            f.address[fi],
            f"{f.rt[fi]:03d}",
            f"{f.rw[fi]:03d}",
            kel_sp[k][kel_v[i]],
            kec_sp[places[k].kecamatan_code][kec_v[i]],
            *([kab_name[places[k].kabupaten_code]] if data.kabupaten_column else []),
            occupation_label(int(data.occupation[i]), occ_v[i]),
            SHDK[int(p.role[i])],
            str(int(data.desil[fi])),
        ]

    index, is_dup = duplicate_index(rng, n, prof.register_duplicate)
    header = REGISTER_HEADER
    if data.kabupaten_column:
        header = (*REGISTER_HEADER[:10], "KABUPATEN/KOTA", *REGISTER_HEADER[10:])
    write_csv(path, header, (row(j) for j in index.tolist()), delimiter=";", encoding="utf-8-sig")
    dirt_txt = [
        ",".join(t for t, on in (("title", titled[j]), ("invalid_nik", invalid[j]), ("duplicate_row", d)) if on)
        for j, d in zip(index.tolist(), is_dup.tolist(), strict=True)
    ]
    kel_codes = np.array([k.code for k in places], dtype=object)
    write_parquet(
        truth_path,
        {
            "source_row": pa.array(np.arange(2, len(index) + 2), pa.int64()),
            "person_id": pa.array(index + 1, pa.int64()),
            "nik": pa.array(np.asarray(nik_txt, dtype=object)[index].tolist(), pa.string()),
            "is_dirty": pa.array([bool(t) for t in dirt_txt], pa.bool_()),
            "dirt": pa.array(dirt_txt, pa.string()),
            "true_status": pa.array(data.status[index].tolist(), pa.string()),
            "kk": pa.array(np.asarray(kk_txt, dtype=object)[fam[index]].tolist(), pa.string()),
            "kelurahan_code": pa.array(kel_codes[kel[index]].tolist(), pa.string()),
            "occupation_code": pa.array(data.occupation[index], pa.int64()),
            "sex": pa.array(np.where(p.female[index], "P", "L").tolist(), pa.string()),
            "birth_date": pa.array(p.birth[index].astype("int32"), pa.date32()),
            "age": pa.array(p.age[index], pa.int64()),
        },
    )
    return len(index)
