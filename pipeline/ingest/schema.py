"""Canonical input fields and the alias table that maps real-world headers onto them.

Headers are compared after `normalise_header` (upper case, every run of non-alphanumerics -> "_"),
so "No. KPJ", "NO KPJ" and "no_kpj" are the same alias. Users extend the table in the config file
(`[ingest.register_aliases]` / `[ingest.member_aliases]`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Field", "REGISTER_FIELDS", "MEMBER_FIELDS", "normalise_header", "resolve_columns", "same_role_columns"]


@dataclass(frozen=True)
class Field:
    name: str
    required: bool
    aliases: tuple[str, ...]
    doc: str


def normalise_header(header: str) -> str:
    """Examples:
    >>> normalise_header(" No. KPJ ")
    'NO_KPJ'
    >>> normalise_header("Tgl Non-Aktif")
    'TGL_NON_AKTIF'
    """
    return re.sub(r"[^0-9A-Z]+", "_", header.strip().upper()).strip("_")


_NIK = ("NIK", "NO_NIK", "NOMOR_NIK", "NIK_KTP", "NO_KTP", "NOMOR_KTP", "NOMOR_IDENTITAS",
        "NO_IDENTITAS", "NOMOR_INDUK_KEPENDUDUKAN")
_NAMA = ("NAMA", "NAMA_LENGKAP", "NAMA_TK", "NAMA_PESERTA", "NAMA_ART", "NAMA_ANGGOTA", "NM_TK")
# A "tempat, tanggal lahir" column ("MADIUN, 05-08-1985") is read for the date at its end.
_TGL_LAHIR = ("TGL_LAHIR", "TANGGAL_LAHIR", "TGLLAHIR", "TGL_LHR", "TANGGAL_LHR", "DOB", "TANGGAL_KELAHIRAN",
              "TGL_LAHIR_DD_MM_YYYY", "TANGGAL_LAHIR_DD_MM_YYYY", "TEMPAT_TANGGAL_LAHIR", "TEMPAT_TGL_LAHIR",
              "TEMPAT_DAN_TANGGAL_LAHIR", "TTL")

REGISTER_FIELDS: tuple[Field, ...] = (
    Field("nik", True, _NIK, "Nomor Induk Kependudukan, 16 digits"),
    Field("no_kk", False, ("NO_KK", "NOMOR_KK", "NKK", "NO_KARTU_KELUARGA", "NOMOR_KARTU_KELUARGA"),
          "Nomor Kartu Keluarga, 16 digits"),
    Field("nama", True, _NAMA, "full name as registered"),
    Field("tgl_lahir", True, _TGL_LAHIR, "birth date"),
    Field("jenis_kelamin", False, ("JENIS_KELAMIN", "JK", "KELAMIN", "SEX", "GENDER"), "sex"),
    Field("alamat", False, ("ALAMAT", "ALAMAT_LENGKAP", "ALAMAT_DOMISILI", "JALAN"), "street address"),
    Field("rt", False, ("RT", "NO_RT"), "rukun tetangga"),
    Field("rw", False, ("RW", "NO_RW"), "rukun warga"),
    Field("kelurahan", True, ("KELURAHAN", "KEL", "NAMA_KELURAHAN", "DESA_KELURAHAN", "KELURAHAN_DESA",
                              "KODE_KELURAHAN", "KD_KEL", "DESA"), "desa/kelurahan name or Kemendagri code"),
    Field("kecamatan", False, ("KECAMATAN", "KEC", "NAMA_KECAMATAN", "KODE_KECAMATAN"),
          "kecamatan name or code"),
    Field("kabupaten", False, ("KABUPATEN", "KABUPATEN_KOTA", "KAB_KOTA", "KAB", "KOTA", "NAMA_KABUPATEN",
                               "KODE_KABUPATEN", "KABKOTA"), "kabupaten/kota name or code"),
    Field("pekerjaan", True, ("PEKERJAAN", "JENIS_PEKERJAAN", "PEKERJAAN_UTAMA", "KODE_PEKERJAAN"),
          "Dukcapil occupation label or code (1-89)"),
    Field("shdk", False, ("HUB_KELUARGA", "HUBUNGAN_KELUARGA", "SHDK", "STATUS_HUBUNGAN", "HUB_KK",
                          "STATUS_HUBUNGAN_DALAM_KELUARGA", "HUBUNGAN_DENGAN_KEPALA_KELUARGA"),
          "family relation (SHDK label or code)"),
    Field("desil", True, ("DESIL", "DESIL_NASIONAL", "DESIL_KESEJAHTERAAN", "PERINGKAT_DESIL"),
          "DTSEN welfare decile 1-10"),
)

MEMBER_FIELDS: tuple[Field, ...] = (
    Field("kpj", True, ("KPJ", "NO_KPJ", "NOMOR_KPJ", "NO_PESERTA", "NOMOR_PESERTA", "KPJ_NO"),
          "BPJS Ketenagakerjaan participant number"),
    Field("nik", True, _NIK, "NIK as entered by the employer or participant"),
    Field("nama", True, _NAMA, "participant name"),
    Field("tgl_lahir", True, _TGL_LAHIR, "birth date"),
    Field("segmen", False, ("SEGMEN", "KODE_SEGMEN", "SEGMEN_KEPESERTAAN", "JENIS_KEPESERTAAN"),
          "PU, BPU, JAKON or PMI"),
    Field("status", True, ("STATUS", "STATUS_KEPESERTAAN", "STATUS_PESERTA", "STATUS_AKTIF", "AKTIF"),
          "AKTIF or NON AKTIF"),
    Field("tgl_kepesertaan", False, ("TGL_KEPESERTAAN", "TANGGAL_KEPESERTAAN", "TGL_DAFTAR", "TGL_AKTIF",
                                      "TMT_KEPESERTAAN"), "membership start date"),
    Field("tgl_nonaktif", False, ("TGL_NA", "TGL_NON_AKTIF", "TGL_NONAKTIF", "TANGGAL_NON_AKTIF",
                                   "TGL_BERHENTI"), "date the membership became non-active"),
    Field("npp", False, ("NPP", "NO_NPP", "NOMOR_NPP", "NPP_PERUSAHAAN"), "employer number"),
    Field("nama_perusahaan", False, ("NAMAPRS", "NAMA_PERUSAHAAN", "NAMA_PRS", "PERUSAHAAN",
                                      "NAMA_BADAN_USAHA", "PEMBERI_KERJA"), "employer name"),
)


def resolve_columns(
    headers: list[str], fields: tuple[Field, ...], extra_aliases: dict[str, list[str]] | None = None
) -> tuple[dict[str, int], list[tuple[Field, tuple[str, ...]]]]:
    """Map each canonical field to the index of the first header matching one of its aliases.

    Returns (field name -> column index, [(missing required field, aliases tried)]).
    """
    normalised = [normalise_header(h) for h in headers]
    found: dict[str, int] = {}
    missing: list[tuple[Field, tuple[str, ...]]] = []
    for field in fields:
        aliases = field.aliases + tuple(normalise_header(a) for a in (extra_aliases or {}).get(field.name, []))
        index = next((normalised.index(a) for a in aliases if a in normalised), None)
        if index is not None:
            found[field.name] = index
        elif field.required:
            missing.append((field, aliases))
    return found, missing


def _is_code_header(header: str) -> bool:
    return header.startswith(("KODE_", "KD_")) or header.endswith("_KODE")


def same_role_columns(
    headers: list[str], fields: tuple[Field, ...], extra_aliases: dict[str, list[str]] | None = None
) -> list[tuple[Field, list[int]]]:
    """Fields that two or more columns claim (e.g. "NIK" twice, or "NIK" and "NO_KTP"): which one is
    right cannot be guessed. A name column beside a code column ("KELURAHAN", "KODE_KELURAHAN") is
    the usual pair, not a conflict; the name is used."""
    normalised = [normalise_header(h) for h in headers]
    clashes = []
    for field in fields:
        aliases = set(field.aliases) | {normalise_header(a) for a in (extra_aliases or {}).get(field.name, [])}
        matches = [i for i, h in enumerate(normalised) if h in aliases]
        codes = [i for i in matches if _is_code_header(normalised[i])]
        if len(matches) - len(codes) > 1 or len(codes) > 1:
            clashes.append((field, matches))
    return clashes
