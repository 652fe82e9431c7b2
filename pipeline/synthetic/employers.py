"""Plausible Madiun employers (badan usaha) with an 8-digit NPP, by category.

The list is fixed (independent of the seed): about 150 names, some real institutions of Kota
Madiun, most invented small businesses. Weights give a few large employers (PT INKA, KAI Daop 7,
hospitals, retail chains) and a long tail of small ones.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EMPLOYERS", "NPP", "PRO_JKK_JKM", "pick_employers"]

PRO_JKK_JKM = "PEMKOT MADIUN - PRO JKK-JKM"

_FIXED: tuple[tuple[str, str, float], ...] = (
    ("PT INKA (PERSERO)", "bumn", 40),
    ("PT KERETA API INDONESIA (PERSERO) DAOP 7 MADIUN", "bumn", 25),
    ("PT BANK RAKYAT INDONESIA (PERSERO) TBK KC MADIUN", "bumn", 10),
    ("PT BANK MANDIRI (PERSERO) TBK KCP MADIUN", "bumn", 5),
    ("PT BANK NEGARA INDONESIA (PERSERO) TBK KC MADIUN", "bumn", 5),
    ("PT PLN (PERSERO) UP3 MADIUN", "bumn", 6),
    ("PT POS INDONESIA (PERSERO) KCU MADIUN", "bumn", 4),
    ("PT PEGADAIAN CABANG MADIUN", "bumn", 3),
    ("PT TELKOM INDONESIA (PERSERO) TBK WITEL MADIUN", "bumn", 4),
    ("PT BANK TABUNGAN NEGARA (PERSERO) TBK KC MADIUN", "bumn", 3),
    ("PERUM BULOG KANTOR CABANG MADIUN", "bumn", 2),
    ("PT REKA INDUSTRI", "bumn", 3),
    ("PT INKA MULTI SOLUSI", "bumn", 5),
    ("PT PERMODALAN NASIONAL MADANI CABANG MADIUN", "bumn", 3),
    ("PERUMDA AIR MINUM TIRTA TAMAN SARI KOTA MADIUN", "bumd", 4),
    ("PT BANK PEMBANGUNAN DAERAH JAWA TIMUR TBK CABANG MADIUN", "bumd", 4),
    ("PT BPR BANK DAERAH KOTA MADIUN", "bumd", 2),
    (PRO_JKK_JKM, "pemkot", 60),
    ("RSUD KOTA MADIUN", "health", 6),
    ("RSUD DR. SOEDONO MADIUN", "health", 12),
    ("RS SANTA CLARA MADIUN", "health", 6),
    ("RS PARU MANGUHARJO", "health", 4),
    ("RS ISLAM SITI AISYAH MADIUN", "health", 5),
    ("RSIA PERMATA BUNDA MADIUN", "health", 2),
    ("KLINIK PRATAMA HUSADA MULIA", "health", 1),
    ("APOTEK SEHAT SENTOSA", "health", 1),
    ("KLINIK UTAMA MATA MADIUN", "health", 1),
    ("UNIVERSITAS PGRI MADIUN", "school", 6),
    ("UNIVERSITAS MERDEKA MADIUN", "school", 3),
    ("POLITEKNIK NEGERI MADIUN", "school", 3),
    ("UNIVERSITAS KATOLIK WIDYA MANDALA MADIUN", "school", 3),
    ("STIKES BHAKTI HUSADA MULIA MADIUN", "school", 2),
    ("SMK PGRI 1 KOTA MADIUN", "school", 2),
    ("SMA MUHAMMADIYAH 1 MADIUN", "school", 2),
    ("YAYASAN PENDIDIKAN ISLAM AL-HIDAYAH", "school", 2),
    ("YAYASAN PONDOK PESANTREN DARUL FALAH", "school", 1),
    ("SD ISLAM TERPADU INSAN KAMIL", "school", 1),
    ("TK AISYIYAH BUSTANUL ATHFAL 3 MADIUN", "school", 1),
    ("YAYASAN KRISTEN WIDYA WACANA", "school", 1),
    ("PT SUMBER ALFARIA TRIJAYA TBK", "retail", 8),
    ("PT INDOMARCO PRISMATAMA", "retail", 8),
    ("PT MATAHARI DEPARTMENT STORE TBK", "retail", 3),
    ("PT SUN CITY MALL MADIUN", "retail", 3),
    ("TOSERBA LARIS MADIUN", "retail", 2),
    ("PT CAHAYA BARU MOTOR MADIUN", "retail", 2),
    ("PT ASTRA INTERNATIONAL TBK - HONDA MADIUN", "retail", 2),
    ("PT GRAND MADIUN ELEKTRONIK", "retail", 1),
    ("HOTEL MERDEKA MADIUN", "service", 2),
    ("HOTEL ADITYA MADIUN", "service", 1),
    ("PT SAMUDERA HOTEL MADIUN", "service", 1),
    ("RM PECEL PINCUK BU SRI", "service", 1),
    ("PT MADIUN TRANS SEJAHTERA", "service", 2),
    ("PT GARDA SATPAM NUSANTARA", "service", 3),
    ("PT ISS INDONESIA CABANG MADIUN", "service", 2),
    ("PT JNE CABANG MADIUN", "service", 2),
    ("PT BANK CENTRAL ASIA TBK KCU MADIUN", "service", 3),
    ("PT BANK DANAMON INDONESIA TBK", "service", 1),
    ("PT ADIRA DINAMIKA MULTI FINANCE TBK", "service", 1),
    ("PT FIF GROUP CABANG MADIUN", "service", 1),
    ("PT MADIUN PUTRA PERKASA", "factory", 3),
    ("PT BREM SUTA KENCANA", "factory", 2),
    ("PT SINAR MADIUN SEJAHTERA", "factory", 3),
    ("PT GARMEN JAYA MADIUN", "factory", 4),
    ("PT KARYA TEKNIK UTAMA", "factory", 2),
    ("PT MADIUN CANVAS INDUSTRI", "factory", 1),
    ("PT KERAMIK ABADI MADIUN", "factory", 1),
    ("PT AGRO PANGAN LESTARI", "factory", 2),
    ("KOPERASI PEGAWAI REPUBLIK INDONESIA KOTA MADIUN", "coop", 1),
    ("KOPERASI SERBA USAHA MITRA USAHA MADIUN", "coop", 1),
    ("KSP SEJAHTERA BERSAMA MADIUN", "coop", 1),
    ("KOPERASI KARYAWAN INKA", "coop", 2),
    ("KOPERASI SIMPAN PINJAM ARTHA MULIA", "coop", 1),
    ("PT WASKITA KARYA (PERSERO) TBK", "construction", 2),
    ("PT ADHI KARYA (PERSERO) TBK", "construction", 2),
    ("CV KARYA BANGUN MANDIRI", "construction", 2),
    ("CV CIPTA KONSTRUKSI MADIUN", "construction", 2),
    ("PT BRANTAS ABIPRAYA (PERSERO)", "construction", 1),
    ("CV TUNGGAL JAYA KONTRAKTOR", "construction", 1),
    ("PT BINA TENAGA KERJA MANDIRI (P3MI)", "p3mi", 2),
    ("PT MITRA SEJATI ABADI (P3MI)", "p3mi", 1),
    ("PT AMANAH GLOBAL KARYA (P3MI)", "p3mi", 1),
    ("PAGUYUBAN PKL KOTA MADIUN", "wadah", 1),
    ("KOPERASI OJEK ONLINE MADIUN", "wadah", 1),
)
_SMALL_HEAD = ("CV", "UD", "PT", "CV", "UD", "TOKO")
_SMALL_WORDS = (
    "SUMBER REJEKI",
    "SINAR JAYA",
    "MAJU MAKMUR",
    "BERKAH ABADI",
    "SURYA MANDIRI",
    "KARYA UTAMA",
    "TUNAS HARAPAN",
    "MITRA SEJAHTERA",
    "CAHAYA TIMUR",
    "RIZKI BAROKAH",
    "ANUGERAH JAYA",
    "SETIA KAWAN",
    "SARI MURNI",
    "BINTANG TERANG",
    "MULIA ABADI",
    "PUTRA MANDIRI",
    "DUTA SELARAS",
    "GEMILANG",
    "SENTOSA",
    "SUMBER MAKMUR",
    "AGUNG PERKASA",
    "NUSA INDAH",
    "LANCAR JAYA",
    "SARANA UTAMA",
    "WIJAYA KUSUMA",
    "SRI REJEKI",
    "TIGA SAUDARA",
    "BUMI ASRI",
    "ARTHA GRAHA",
    "MEKAR SARI",
    "JAYA ABADI",
    "KENCANA",
    "BAROKAH",
    "SINAR MULIA",
    "SAMUDRA",
    "MANDIRI JAYA",
    "HARAPAN BARU",
    "SURYA KENCANA",
    "DWI KARYA",
    "TRI MANUNGGAL",
    "PANCA KARYA",
    "MADIUN INDAH",
    "CANDRA KIRANA",
    "PELANGI",
    "KARUNIA",
    "LESTARI",
    "MAJU BERSAMA",
    "SEJAHTERA",
    "TOTAL BANGUN",
    "PRIMA RASA",
    "ANEKA JAYA",
    "MEGA PERSADA",
    "REJEKI LANCAR",
    "ANDALAN",
    "SAKTI",
    "BERSINAR",
    "GUNUNG MAS",
    "SURYA ABADI",
    "KARYA MANDIRI",
    "BAHAGIA",
)
_SMALL_CATS = ("factory", "retail", "service", "retail", "service", "factory")

EMPLOYERS: tuple[tuple[str, str, float], ...] = _FIXED + tuple(
    (f"{_SMALL_HEAD[i % 6]} {w}", _SMALL_CATS[i % 6], 0.6) for i, w in enumerate(_SMALL_WORDS)
)
"""(name, category, weight) of every employer."""


def _npps() -> tuple[str, ...]:
    rng = np.random.default_rng(20251226)  # fixed: an employer keeps its NPP whatever the seed
    nums = rng.choice(np.arange(10_000_000, 99_999_999), size=len(EMPLOYERS), replace=False)
    return tuple(str(n) for n in nums.tolist())


NPP: tuple[str, ...] = _npps()
"""8-digit NPP of each employer (same order as EMPLOYERS)."""

_PRIVATE = ("retail", "service", "factory", "coop", "health", "school")
_BY_OCC: dict[int, tuple[str, ...]] = {
    16: ("bumn",),
    17: ("bumd",),
    65: ("school",),
    64: ("school",),
    72: ("health",),
    73: ("health",),
    74: ("health",),
    75: ("health",),
    85: ("pemkot",),
    86: ("pemkot",),
}


def _indices(categories: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    idx = np.array([i for i, e in enumerate(EMPLOYERS) if e[1] in categories])
    w = np.array([EMPLOYERS[i][2] for i in idx])
    return idx, w / w.sum()


def pick_employers(rng: np.random.Generator, occ: np.ndarray, category: str | None = None) -> np.ndarray:
    """Employer index for each PU worker: by occupation (BUMN staff at BUMN, teachers at schools,
    honorer mostly with the Pemkot), else spread over private employers by size. With
    `category`, everyone is drawn from that category ("construction", "p3mi", "wadah")."""
    out = np.empty(len(occ), dtype="int64")
    if category is not None:
        idx, w = _indices((category,))
        return idx[rng.choice(len(idx), size=len(occ), p=w)]
    cats = np.array(["private"] * len(occ), dtype=object)
    for code, c in _BY_OCC.items():
        cats[occ == code] = c[0]
    honorer = np.flatnonzero(occ == 18)
    cats[honorer] = np.where(
        rng.random(len(honorer)) < 0.7, "pemkot", np.where(rng.random(len(honorer)) < 0.5, "school", "health")
    )
    for c in ("bumn", "bumd", "school", "health", "pemkot", "private"):
        sel = np.flatnonzero(cats == c)
        idx, w = _indices(_PRIVATE + ("bumn",) if c == "private" else (c,))
        out[sel] = idx[rng.choice(len(idx), size=len(sel), p=w)]
    return out
