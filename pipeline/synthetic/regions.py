"""Places: regions of first NIK registration, Madiun street names, spellings of area names.

Area codes come from `pipeline.reference` (domain.md §2.1). The regencies outside Kota Madiun
are real Kemendagri codes; their kecamatan counts are approximate (kecamatan 01..n are drawn).
"""

from __future__ import annotations

import numpy as np

from pipeline.reference import KECAMATAN, KELURAHAN, Kelurahan

__all__ = [
    "MADIUN_KECAMATAN_CODES",
    "draw_outside_regions",
    "STREETS",
    "kelurahan_spellings",
    "kecamatan_spellings",
]

MADIUN_KECAMATAN_CODES: tuple[int, ...] = tuple(int(c) for c in sorted(KECAMATAN))

# (regency code, number of kecamatan, relative weight) for NIKs first issued outside Kota Madiun.
_OUTSIDE: tuple[tuple[int, int, float], ...] = (
    (3519, 15, 30.0),  # Kab. Madiun
    (3520, 18, 15.0),  # Kab. Magetan
    (3502, 21, 10.0),  # Kab. Ponorogo
    (3521, 19, 8.0),  # Kab. Ngawi
    (3518, 20, 4.0),  # Kab. Nganjuk
    (3501, 12, 3.0),  # Kab. Pacitan
    (3522, 28, 3.0),  # Kab. Bojonegoro
    (3578, 31, 6.0),  # Kota Surabaya
    (3515, 18, 2.0),  # Kab. Sidoarjo
    (3573, 5, 3.0),  # Kota Malang
    (3506, 26, 2.0),  # Kab. Kediri
    (3571, 3, 2.0),  # Kota Kediri
    (3372, 5, 3.0),  # Kota Surakarta
    (3314, 20, 2.0),  # Kab. Sragen
    (3312, 25, 2.0),  # Kab. Wonogiri
    (3374, 16, 3.0),  # Kota Semarang
    (3471, 14, 3.0),  # Kota Yogyakarta
    (3404, 17, 2.0),  # Kab. Sleman
    (3173, 8, 2.0),  # Kota Jakarta Pusat
    (3171, 10, 1.5),  # Kota Jakarta Selatan
    (3273, 30, 1.0),  # Kota Bandung
    (3275, 12, 1.0),  # Kota Bekasi
    (1271, 21, 0.5),  # Kota Medan
    (6471, 6, 0.5),  # Kota Balikpapan
    (7371, 15, 0.5),  # Kota Makassar
    (5171, 4, 0.5),  # Kota Denpasar
)


def draw_outside_regions(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw `n` 6-digit kecamatan codes (int64) outside Kota Madiun, weighted towards the
    neighbouring regencies (Kab. Madiun, Magetan, Ponorogo, Ngawi)."""
    w = np.array([x[2] for x in _OUTSIDE])
    idx = rng.choice(len(_OUTSIDE), size=n, p=w / w.sum())
    regency = np.array([x[0] for x in _OUTSIDE], dtype="int64")[idx]
    n_kec = np.array([x[1] for x in _OUTSIDE], dtype="int64")[idx]
    kec = (rng.random(n) * n_kec).astype("int64") + 1
    return regency * 100 + kec


STREETS: tuple[str, ...] = (
    "JL. DIPONEGORO",
    "JL. PAHLAWAN",
    "JL. SALAK",
    "JL. SERAYU",
    "JL. KOLONEL MARHADI",
    "JL. MAYJEN PANJAITAN",
    "JL. COKROAMINOTO",
    "JL. AGUS SALIM",
    "JL. BASUKI RAHMAT",
    "JL. JENDERAL SUDIRMAN",
    "JL. RA. KARTINI",
    "JL. KALIMANTAN",
    "JL. SUMATRA",
    "JL. BALI",
    "JL. LOMBOK",
    "JL. TIMOR",
    "JL. SULAWESI",
    "JL. SERAYU TIMUR",
    "JL. BENGAWAN SOLO",
    "JL. BRANTAS",
    "JL. MUSI",
    "JL. MAHAKAM",
    "JL. RINJANI",
    "JL. SEMERU",
    "JL. WILIS",
    "JL. LAWU",
    "JL. MERAPI",
    "JL. MERBABU",
    "JL. KELUD",
    "JL. ARGOPURO",
    "JL. ANGGREK",
    "JL. MELATI",
    "JL. MAWAR",
    "JL. KENANGA",
    "JL. CEMPAKA",
    "JL. FLAMBOYAN",
    "JL. MANGGA",
    "JL. JERUK",
    "JL. DURIAN",
    "JL. NANGKA",
    "JL. SRIKAYA",
    "JL. SAWO",
    "JL. APEL",
    "JL. TULUS BESAR",
    "JL. HAYAM WURUK",
    "JL. GAJAH MADA",
    "JL. KI HAJAR DEWANTARA",
    "JL. DR. SUTOMO",
    "JL. TAMAN PRAJA",
    "JL. PANCASILA",
    "JL. KUTAI",
    "JL. YOS SUDARSO",
    "JL. RONGGOWARSITO",
    "JL. MT. HARYONO",
    "JL. S. PARMAN",
    "JL. SUPRAPTO",
    "JL. BOLODEWO",
    "JL. THAMRIN",
    "JL. SETIA BUDI",
    "JL. MH. THAMRIN",
    "JL. PERINTIS KEMERDEKAAN",
    "JL. TIRTA RAYA",
    "JL. KAPTEN TENDEAN",
)


def _title(s: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in s.split(" "))


def kelurahan_spellings(places: tuple[Kelurahan, ...] = ()) -> list[list[str]]:
    """For each of the 27 kelurahan (reference order), its spellings: index 0 is the proper
    name ("Oro-oro Ombo"), then "ORO-ORO OMBO", "KEL. ORO-ORO OMBO", "Kelurahan Oro-oro Ombo",
    "Oro Oro Ombo" (or "KELURAHAN ..." when the name has no hyphen). `places` (any desa/kelurahan)
    replaces the 27; a desa is written "DS. ..." and "Desa ..." instead."""
    out = []
    for kel in places or KELURAHAN:
        up = kel.name.upper()
        word, short = ("Desa", "DS.") if kel.is_desa else ("Kelurahan", "KEL.")
        alt = _title(kel.name.replace("-", " ")) if "-" in kel.name else f"{word.upper()} {up}"
        out.append([kel.name, up, f"{short} {up}", f"{word} {kel.name}", alt])
    return out


def kecamatan_spellings(places: tuple[Kelurahan, ...] = ()) -> dict[str, list[str]]:
    """For each kecamatan code, its spellings: proper name first, then "TAMAN", "KEC. TAMAN",
    "Kecamatan Taman", "KECAMATAN TAMAN"."""
    return {
        code: [name, name.upper(), f"KEC. {name.upper()}", f"Kecamatan {name}", f"KECAMATAN {name.upper()}"]
        for code, name in ({k.kecamatan_code: k.kecamatan for k in places} if places else KECAMATAN).items()
    }
