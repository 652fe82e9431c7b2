"""Reference tables: Kemendagri region codes of all Indonesia (`wilayah`, Kota Madiun's as the default
region), Dukcapil occupation and family-relation codes (sources in ../shared/domain.md §2, §1.4, §7).

These are facts, not settings: the occupation *grouping* and *work risk* below are this project's
defaults and can be overridden in the config file (see `pipeline.config`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.reference.wilayah import (
    Kelurahan,
    Region,
    desa_kelurahan_of,
    kabupaten_codes,
    load_wilayah,
    region_code,
    region_codes,
    region_government,
    region_kind,
    region_name,
    region_title,
    region_view,
    wilayah,
)

__all__ = [
    "DEFAULT_REGION_CODES",
    "Region",
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
    "Kelurahan",
    "KELURAHAN",
    "KECAMATAN",
    "Occupation",
    "OCCUPATIONS",
    "OCCUPATION_GROUPS",
    "SHDK",
    "SHDK_SYNONYMS",
    "OCCUPATION_SYNONYMS",
    "PROVINCE_CODES",
    "KOTA_MADIUN_CODE",
]

KOTA_MADIUN_CODE = "3577"
DEFAULT_REGION_CODES: tuple[str, ...] = ("3577",)
"""The regions a run covers when the config names none: Kota Madiun, the demo city."""



def __getattr__(name: str) -> object:
    """Kota Madiun's tables, `KELURAHAN` (its 27 kelurahan) and `KECAMATAN` (code -> name), are a view
    of the national reference file, read on first use so that importing this module stays cheap."""
    if name == "KELURAHAN":
        return desa_kelurahan_of([KOTA_MADIUN_CODE])
    if name == "KECAMATAN":
        return {k.kecamatan_code: k.kecamatan for k in desa_kelurahan_of([KOTA_MADIUN_CODE])}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# Province codes in force (38 provinces, 93-96 are the 2022 Papua splits).
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(c) for c in range(11, 20)] + ["21"] + [str(c) for c in range(31, 37)]
    + ["51", "52", "53"] + [str(c) for c in range(61, 66)] + [str(c) for c in range(71, 77)]
    + ["81", "82"] + [str(c) for c in range(91, 97)]
)

# Status hubungan dalam keluarga (SIAK list, as used by OpenSID SHDKEnum).
SHDK: dict[int, str] = {
    1: "KEPALA KELUARGA", 2: "SUAMI", 3: "ISTRI", 4: "ANAK", 5: "MENANTU", 6: "CUCU",
    7: "ORANGTUA", 8: "MERTUA", 9: "FAMILI LAIN", 10: "PEMBANTU", 11: "LAINNYA",
}

# Occupation groups decide the track (issue 5): target informal work, formal employment,
# other social-security schemes (Taspen/Asabri), not working.
OCCUPATION_GROUPS = ("informal", "formal", "other_scheme", "not_working")


@dataclass(frozen=True)
class Occupation:
    code: int
    label: str
    group: str  # one of OCCUPATION_GROUPS
    work_risk: int  # 0 none, 1 low, 2 medium, 3 high (accident exposure, for priority)


def _occ(code: int, label: str, group: str, risk: int) -> Occupation:
    return Occupation(code, label, group, risk)


# The 89 KTP/KK occupation values (OpenSID PekerjaanEnum). Grouping and risk are project defaults.
OCCUPATIONS: tuple[Occupation, ...] = (
    _occ(1, "BELUM/TIDAK BEKERJA", "not_working", 0),
    _occ(2, "MENGURUS RUMAH TANGGA", "not_working", 0),
    _occ(3, "PELAJAR/MAHASISWA", "not_working", 0),
    _occ(4, "PENSIUNAN", "not_working", 0),
    _occ(5, "PEGAWAI NEGERI SIPIL (PNS)", "other_scheme", 1),
    _occ(6, "TENTARA NASIONAL INDONESIA (TNI)", "other_scheme", 2),
    _occ(7, "KEPOLISIAN RI (POLRI)", "other_scheme", 2),
    _occ(8, "PERDAGANGAN", "informal", 2),
    _occ(9, "PETANI/PEKEBUN", "informal", 3),
    _occ(10, "PETERNAK", "informal", 3),
    _occ(11, "NELAYAN/PERIKANAN", "informal", 3),
    _occ(12, "INDUSTRI", "formal", 2),
    _occ(13, "KONSTRUKSI", "informal", 3),
    _occ(14, "TRANSPORTASI", "informal", 3),
    _occ(15, "KARYAWAN SWASTA", "formal", 1),
    _occ(16, "KARYAWAN BUMN", "formal", 1),
    _occ(17, "KARYAWAN BUMD", "formal", 1),
    _occ(18, "KARYAWAN HONORER", "formal", 1),
    _occ(19, "BURUH HARIAN LEPAS", "informal", 3),
    _occ(20, "BURUH TANI/PERKEBUNAN", "informal", 3),
    _occ(21, "BURUH NELAYAN/PERIKANAN", "informal", 3),
    _occ(22, "BURUH PETERNAKAN", "informal", 3),
    _occ(23, "PEMBANTU RUMAH TANGGA", "informal", 2),
    _occ(24, "TUKANG CUKUR", "informal", 2),
    _occ(25, "TUKANG LISTRIK", "informal", 3),
    _occ(26, "TUKANG BATU", "informal", 3),
    _occ(27, "TUKANG KAYU", "informal", 3),
    _occ(28, "TUKANG SOL SEPATU", "informal", 2),
    _occ(29, "TUKANG LAS/PANDAI BESI", "informal", 3),
    _occ(30, "TUKANG JAHIT", "informal", 2),
    _occ(31, "TUKANG GIGI", "informal", 2),
    _occ(32, "PENATA RIAS", "informal", 1),
    _occ(33, "PENATA BUSANA", "informal", 1),
    _occ(34, "PENATA RAMBUT", "informal", 1),
    _occ(35, "MEKANIK", "informal", 3),
    _occ(36, "SENIMAN", "informal", 1),
    _occ(37, "TABIB", "informal", 1),
    _occ(38, "PARAJI", "informal", 1),
    _occ(39, "PERANCANG BUSANA", "informal", 1),
    _occ(40, "PENTERJEMAH", "informal", 1),
    _occ(41, "IMAM MASJID", "informal", 1),
    _occ(42, "PENDETA", "informal", 1),
    _occ(43, "PASTOR", "informal", 1),
    _occ(44, "WARTAWAN", "informal", 2),
    _occ(45, "USTADZ/MUBALIGH", "informal", 1),
    _occ(46, "JURU MASAK", "informal", 2),
    _occ(47, "PROMOTOR ACARA", "informal", 1),
    _occ(48, "ANGGOTA DPR-RI", "other_scheme", 0),
    _occ(49, "ANGGOTA DPD", "other_scheme", 0),
    _occ(50, "ANGGOTA BPK", "other_scheme", 0),
    _occ(51, "PRESIDEN", "other_scheme", 0),
    _occ(52, "WAKIL PRESIDEN", "other_scheme", 0),
    _occ(53, "ANGGOTA MAHKAMAH KONSTITUSI", "other_scheme", 0),
    _occ(54, "ANGGOTA KABINET/KEMENTERIAN", "other_scheme", 0),
    _occ(55, "DUTA BESAR", "other_scheme", 0),
    _occ(56, "GUBERNUR", "other_scheme", 0),
    _occ(57, "WAKIL GUBERNUR", "other_scheme", 0),
    _occ(58, "BUPATI", "other_scheme", 0),
    _occ(59, "WAKIL BUPATI", "other_scheme", 0),
    _occ(60, "WALIKOTA", "other_scheme", 0),
    _occ(61, "WAKIL WALIKOTA", "other_scheme", 0),
    _occ(62, "ANGGOTA DPRD PROVINSI", "other_scheme", 0),
    _occ(63, "ANGGOTA DPRD KABUPATEN/KOTA", "other_scheme", 0),
    _occ(64, "DOSEN", "formal", 1),
    _occ(65, "GURU", "formal", 1),
    _occ(66, "PILOT", "formal", 2),
    _occ(67, "PENGACARA", "informal", 1),
    _occ(68, "NOTARIS", "informal", 1),
    _occ(69, "ARSITEK", "informal", 1),
    _occ(70, "AKUNTAN", "informal", 1),
    _occ(71, "KONSULTAN", "informal", 1),
    _occ(72, "DOKTER", "informal", 1),
    _occ(73, "BIDAN", "formal", 1),
    _occ(74, "PERAWAT", "formal", 1),
    _occ(75, "APOTEKER", "formal", 1),
    _occ(76, "PSIKIATER/PSIKOLOG", "informal", 1),
    _occ(77, "PENYIAR TELEVISI", "formal", 1),
    _occ(78, "PENYIAR RADIO", "formal", 1),
    _occ(79, "PELAUT", "formal", 3),
    _occ(80, "PENELITI", "formal", 1),
    _occ(81, "SOPIR", "informal", 3),
    _occ(82, "PIALANG", "informal", 1),
    _occ(83, "PARANORMAL", "informal", 1),
    _occ(84, "PEDAGANG", "informal", 2),
    _occ(85, "PERANGKAT DESA", "formal", 1),
    _occ(86, "KEPALA DESA", "formal", 1),
    _occ(87, "BIARAWATI", "not_working", 0),
    _occ(88, "WIRASWASTA", "informal", 2),
    _occ(89, "LAINNYA", "informal", 2),
)


def _key(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


# Spellings seen in the wild (domain.md §7) mapped to a code; compared after removing non-alphanumerics.
OCCUPATION_SYNONYMS: dict[str, int] = {
    _key(k): v for k, v in {
        "BELUM BEKERJA": 1, "TIDAK BEKERJA": 1, "BELUM/TIDAK BEKERJA": 1, "IRT": 2, "IBU RUMAH TANGGA": 2,
        "PELAJAR": 3, "MAHASISWA": 3, "APARATUR SIPIL NEGARA (ASN)": 5, "ASN": 5, "PNS": 5, "TNI": 6,
        "POLRI": 7, "PETANI": 9, "KARYAWAN": 15, "SWASTA": 15, "HONORER": 18, "BURUH": 19,
        "PRT": 23, "BIARAWAN/BIARAWATI": 87, "WIRAUSAHA": 88, "PEKERJAAN LAINNYA": 89,
        "LAINNYA, SEBUTKAN": 89, "LAIN-LAIN": 89, "LAINNYA": 89,
    }.items()
}

SHDK_SYNONYMS: dict[str, int] = {
    _key(k): v for k, v in {
        "KK": 1, "KEPALA RUMAH TANGGA": 1, "KRT": 1, "ISTERI": 3, "SUAMI/ISTRI": 3, "ANAK KANDUNG": 4,
        "ANAK TIRI": 4, "ANAK ANGKAT": 4, "ORANG TUA": 7, "FAMILI": 9, "LAINNYA": 11,
    }.items()
}
