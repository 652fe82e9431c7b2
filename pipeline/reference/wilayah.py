"""Every Kemendagri region code of Indonesia (Kepmendagri No 300.2.2-2138 Tahun 2025), bundled.

`wilayah_kepmendagri_2025.csv.gz` beside this module holds 38 provinsi, 514 kabupaten/kota, 7,285
kecamatan and 83,762 desa/kelurahan (source and MIT licence: README.md and LICENSE-wilayah.txt here).
Codes are used without dots everywhere in the engine: `35` province, `3577` kabupaten/kota, `357701`
kecamatan, `3577011001` desa/kelurahan (the 7th digit: 1 kelurahan, 2 desa, 3 desa adat).

- `wilayah()`: the file as a dict, read once per process;
- `load_wilayah(con)`: the file as the DuckDB table `ref_wilayah`, loaded once per warehouse;
- `region_view(con, codes)`: `ref_kelurahan`, the desa/kelurahan of the chosen regions, as a view of it.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb

from pipeline.errors import ConfigError

__all__ = [
    "WILAYAH_FILE",
    "Region",
    "Kelurahan",
    "wilayah",
    "region_code",
    "region_codes",
    "region_name",
    "region_title",
    "region_kind",
    "region_government",
    "kabupaten_codes",
    "desa_kelurahan_of",
    "load_wilayah",
    "region_view",
]

WILAYAH_FILE = Path(__file__).with_name("wilayah_kepmendagri_2025.csv.gz")
_LEVELS = {2: "provinsi", 4: "kabupaten_kota", 6: "kecamatan", 10: "desa_kelurahan"}


@dataclass(frozen=True)
class Region:
    code: str  # digits only: 35, 3577, 357701, 3577011001
    name: str
    level: str  # provinsi, kabupaten_kota, kecamatan, desa_kelurahan


@dataclass(frozen=True)
class Kelurahan:
    """One desa or kelurahan (the name is historical: kelurahan were all Kota Madiun had)."""

    code: str  # 10 digits, no dots: 3577011001
    name: str
    kecamatan_code: str  # 6 digits
    kecamatan: str

    @property
    def dotted_code(self) -> str:
        c = self.code
        return f"{c[0:2]}.{c[2:4]}.{c[4:6]}.{c[6:10]}"

    @property
    def kabupaten_code(self) -> str:
        return self.code[:4]

    @property
    def is_desa(self) -> bool:
        """Kelurahan codes start with 1 after the kecamatan; desa with 2 (3: desa adat, in Papua)."""
        return self.code[6] != "1"


@lru_cache(maxsize=64)
def _desa_kelurahan(prefix: str) -> tuple[Kelurahan, ...]:
    table = wilayah()
    return tuple(Kelurahan(code, region.name, code[:6], table[code[:6]].name)
                 for code, region in table.items() if region.level == "desa_kelurahan" and code.startswith(prefix))


@lru_cache(maxsize=1)
def wilayah() -> dict[str, Region]:
    """Every region by its undotted code, in file order (codes sorted)."""
    with gzip.open(WILAYAH_FILE, "rt", encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        if next(rows) != ["kode", "nama", "tingkat"]:
            raise ValueError(f"{WILAYAH_FILE.name}: unexpected header")
        return {code: Region(code, name, level) for kode, name, level in rows for code in [kode.replace(".", "")]}


def region_code(text: str) -> str:
    """A region code as the engine writes it (no dots), checked against the reference file.

    >>> region_code("35.77")
    '3577'
    """
    code = "".join(ch for ch in str(text).strip() if ch != ".")
    if not code.isdigit() or len(code) not in _LEVELS:
        raise ConfigError(f"region code {text!r} is not a Kemendagri code (PP, PP.KK, PP.KK.CC or PP.KK.CC.DDDD)")
    if code not in wilayah():
        raise ConfigError(f"region code {text!r} is not in the Kemendagri 2025 reference")
    return code


def region_codes(texts: Iterable[str]) -> tuple[str, ...]:
    """Chosen regions, undotted, sorted, without duplicates or codes inside another chosen code."""
    codes = sorted({region_code(t) for t in texts})
    if not codes:
        raise ConfigError("[region] codes must name at least one region")
    return tuple(c for c in codes if not any(c != o and c.startswith(o) for o in codes))


def region_name(code: str) -> str:
    """The official name ("Kota Madiun", "Jawa Timur", "Oro-oro Ombo"), or the code when unknown."""
    region = wilayah().get(code.replace(".", ""))
    return region.name if region else code


def region_title(codes: Iterable[str]) -> str:
    """How a report names its regions: "Kota Madiun", "Kota Madiun dan Kabupaten Madiun", "Provinsi Jawa Timur"."""
    names = []
    for code in codes:
        name = region_name(code)
        names.append(f"Provinsi {name}" if len(code) == 2 else f"Kecamatan {name}" if len(code) == 6 else name)
    if len(names) <= 2:
        return " dan ".join(names)
    return ", ".join(names[:-1]) + " dan " + names[-1]


def region_kind(codes: Iterable[str]) -> str:
    """What the regions are, in a sentence: "kota" when they lie in one kota, "kabupaten" in one
    kabupaten, "kabupaten/kota" when they span several (or a whole province).

    >>> region_kind(["35.77"]), region_kind(["3519112009"]), region_kind(["35"])
    ('kota', 'kabupaten', 'kabupaten/kota')
    """
    kabupaten = kabupaten_codes(codes)
    if len(kabupaten) != 1:
        return "kabupaten/kota"
    return "kota" if region_name(kabupaten[0]).split()[0].upper() == "KOTA" else "kabupaten"


def region_government(codes: Iterable[str]) -> str:
    """Who pays, as a report names it: "Pemkot" when the regions lie in one kota, "Pemkab" in one
    kabupaten, "Pemda" when they span several kabupaten/kota (or a whole province).

    >>> region_government(["35.77"]), region_government(["351901"]), region_government(["3519", "3577"])
    ('Pemkot', 'Pemkab', 'Pemda')
    """
    return {"kota": "Pemkot", "kabupaten": "Pemkab"}.get(region_kind(codes), "Pemda")


def kabupaten_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """The kabupaten/kota (4 digits) that the chosen regions cover, sorted."""
    chosen = region_codes(codes)
    out = {c[:4] for c in chosen if len(c) >= 4}
    provinces = tuple(c for c in chosen if len(c) == 2)
    if provinces:  # only then the whole reference is read (a lookup per desa/kelurahan stays cheap)
        out |= {c for c, r in wilayah().items() if r.level == "kabupaten_kota" and c.startswith(provinces)}
    return tuple(sorted(out))


def desa_kelurahan_of(codes: Iterable[str]) -> tuple[Kelurahan, ...]:
    """Every desa/kelurahan inside the chosen regions, in code order."""
    return tuple(k for c in region_codes(codes) for k in _desa_kelurahan(c))


def load_wilayah(con: duckdb.DuckDBPyConnection) -> None:
    """`ref_wilayah` (code, name, level, province_code, kabupaten_code, kecamatan_code), loaded from the
    bundled file the first time a warehouse needs it and kept (the reference does not change in a run)."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ref_wilayah' "
                         "AND schema_name = current_schema()").fetchall()
    if exists[0][0]:
        return
    import pyarrow as pa  # only here: most callers of this module never build the table

    regions = list(wilayah().values())
    arrow = pa.table({
        "code": [r.code for r in regions], "name": [r.name for r in regions], "level": [r.level for r in regions],
        "province_code": [r.code[:2] for r in regions],
        "kabupaten_code": [r.code[:4] if len(r.code) >= 4 else None for r in regions],
        "kecamatan_code": [r.code[:6] if len(r.code) >= 6 else None for r in regions],
    })
    con.register("_wilayah_arrow", arrow)
    con.execute("CREATE TABLE ref_wilayah AS SELECT * FROM _wilayah_arrow ORDER BY code")
    con.unregister("_wilayah_arrow")


def region_view(con: duckdb.DuckDBPyConnection, codes: Iterable[str]) -> tuple[str, ...]:
    """(Re)create the view `ref_kelurahan` (code, name, kecamatan_code, kecamatan, kabupaten_code, kabupaten,
    kind): the desa/kelurahan of the chosen regions. Returns the chosen codes as used."""
    chosen = region_codes(codes)
    load_wilayah(con)
    # Codes are digits checked against the reference file above, so they can be SQL literals.
    where = " OR ".join(f"d.code LIKE '{c}%'" for c in chosen)
    con.execute(f"""
    CREATE OR REPLACE VIEW ref_kelurahan AS
    SELECT d.code, d.name, d.kecamatan_code, kc.name AS kecamatan, d.kabupaten_code, kb.name AS kabupaten,
        CASE WHEN substr(d.code, 7, 1) = '1' THEN 'kelurahan' ELSE 'desa' END AS kind
    FROM ref_wilayah d
    JOIN ref_wilayah kc ON kc.code = d.kecamatan_code
    JOIN ref_wilayah kb ON kb.code = d.kabupaten_code
    WHERE d.level = 'desa_kelurahan' AND ({where})
    """)
    return chosen
