"""Residents per kabupaten/kota, to size a synthetic population (`ucj generate --region`).

`penduduk_dukcapil_2024.csv` beside this module: residents of each of the 514 kabupaten/kota by
Ditjen Dukcapil Kemendagri, Data Kependudukan Semester II (December) 2024, as compiled in
cahyadsn/wilayah `db/wilayah_penduduk.sql` (MIT, LICENSE-wilayah.txt). These are the administrative
counts of registered residents; BPS's mid-year projections differ by a few percent (Kota Madiun:
Dukcapil 201,733, BPS mid-2022 199,192; domain.md §2.2). Jawa Timur sums to 41,919,906.

A region below the kabupaten/kota (a kecamatan) has no count here: it gets an estimate, the
kabupaten/kota's count times its share of the desa/kelurahan, and says so.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.reference.wilayah import desa_kelurahan_of, kabupaten_codes, region_codes

__all__ = ["POPULATION_FILE", "POPULATION_SOURCE", "RegionPopulation", "kabupaten_population", "region_population"]

POPULATION_FILE = Path(__file__).with_name("penduduk_dukcapil_2024.csv")
POPULATION_SOURCE = ("Ditjen Dukcapil Kemendagri, Data Kependudukan Semester II 2024 "
                     "(cahyadsn/wilayah db/wilayah_penduduk.sql)")


@dataclass(frozen=True)
class RegionPopulation:
    kabupaten_code: str  # 4 digits
    residents: int  # residents of the part of the kabupaten/kota the regions cover
    estimated: bool  # True when not a published count (a kecamatan's share of its kabupaten/kota)
    places: int  # desa/kelurahan covered


@lru_cache(maxsize=1)
def _counts() -> dict[str, int]:
    with POPULATION_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["kode"].replace(".", ""): int(row["total"]) for row in csv.DictReader(handle)}


def kabupaten_population(code: str) -> int | None:
    """Residents of one kabupaten/kota (4-digit code), None when the table has no count."""
    return _counts().get(code.replace(".", ""))


def region_population(codes: Iterable[str]) -> tuple[RegionPopulation, ...]:
    """Residents per kabupaten/kota covered by the chosen regions, in code order."""
    chosen = region_codes(codes)
    covered = desa_kelurahan_of(chosen)
    out = []
    for kab in kabupaten_codes(chosen):
        mine = sum(1 for k in covered if k.kabupaten_code == kab)
        whole = len(desa_kelurahan_of([kab]))
        count = kabupaten_population(kab)
        # national mean residents per desa/kelurahan when the table has no count (none missing today)
        base = count if count is not None else round(whole * 284_973_643 / 83_762)
        partial = mine < whole
        out.append(RegionPopulation(kab, round(base * mine / whole) if partial else base,
                                    count is None or partial, mine))
    return tuple(out)
