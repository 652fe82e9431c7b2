"""Eligibility rules and tracks: every register person lands in exactly one track.

Rules (each recorded per person, settings in `[eligibility]`):
- resident of Kota Madiun by kelurahan code (3577...), never by NIK prefix;
- age on the reference date within [min_age, max_age] (default 18-65);
- an occupation that is work: group informal or formal (pipeline.reference.OCCUPATIONS);
- desil <= pro_jkk_jkm_max_desil (default 5) for Pro JKK-JKM.

Tracks, first match wins:
  covered              an active membership: nothing to do
  out_of_scope         with the reason: under/over age, other scheme (PNS/TNI/POLRI), student,
                       pensioner, not working, occupation unknown, not a Madiun kelurahan
  pro_jkk_jkm          informal work, desil within the limit (uncovered or lapsed): the city can pay
  employer_compliance  formal employee without an active membership: a referral to BPJS TK's
                       compliance team, grouped by employer when a lapsed membership names one
  reactivation         lapsed (only NON AKTIF memberships), informal, desil above the limit or unknown
  self_enrolment       uncovered informal worker, desil above the limit or unknown
"""

from __future__ import annotations

from datetime import date

import duckdb

from pipeline.config import EligibilityConfig
from pipeline.reference import KOTA_MADIUN_CODE

__all__ = ["TRACKS", "CANDIDATE_TRACKS", "build_tracks"]

TRACKS: dict[str, str] = {
    "covered": "Sudah terlindungi",
    "out_of_scope": "Di luar sasaran",
    "pro_jkk_jkm": "Calon Pro JKK-JKM (iuran dibayar Pemkot)",
    "employer_compliance": "Kepatuhan pemberi kerja (rujukan ke BPJS Ketenagakerjaan)",
    "reactivation": "Aktifkan kembali kepesertaan",
    "self_enrolment": "Ajak mendaftar mandiri (BPU)",
}
CANDIDATE_TRACKS = ("pro_jkk_jkm", "employer_compliance", "reactivation", "self_enrolment")


def build_tracks(con: duckdb.DuckDBPyConnection, config: EligibilityConfig, reference_date: date) -> dict[str, int]:
    """(Re)create `tracks` (one row per resident); return counts per track."""
    ref = f"DATE '{reference_date.isoformat()}'"
    lo, hi, max_desil = int(config.min_age), int(config.max_age), int(config.pro_jkk_jkm_max_desil)
    con.execute(f"""
    CREATE OR REPLACE TABLE tracks AS
    WITH facts AS (
        SELECT r.resident_id, c.coverage_status,
            date_sub('year', r.birth_date, {ref}) AS age,
            starts_with(r.kelurahan_code, '{KOTA_MADIUN_CODE}') AS is_resident,
            r.occupation_code, r.occupation, r.occupation_group, r.desil, r.kelurahan,
            r.occupation_group IN ('informal', 'formal') AS works,
            coalesce(r.desil <= {max_desil}, FALSE) AS desil_eligible
        FROM residents r JOIN coverage c USING (resident_id)
    ), judged AS (
        SELECT *, age BETWEEN {lo} AND {hi} AS age_eligible,
        CASE
            WHEN coverage_status = 'covered' THEN 'covered'
            WHEN NOT is_resident THEN 'out_of_scope'
            WHEN age < {lo} OR age > {hi} THEN 'out_of_scope'
            WHEN NOT works THEN 'out_of_scope'
            WHEN occupation_group = 'informal' AND desil_eligible THEN 'pro_jkk_jkm'
            WHEN occupation_group = 'formal' THEN 'employer_compliance'
            WHEN coverage_status = 'lapsed' THEN 'reactivation'
            ELSE 'self_enrolment'
        END AS track
        FROM facts
    )
    SELECT resident_id, track, age, age_eligible, is_resident, works, desil_eligible,
        CASE
            WHEN track = 'covered' THEN 'memiliki kepesertaan BPJS Ketenagakerjaan aktif'
            WHEN NOT is_resident THEN 'bukan kelurahan Kota Madiun'
            WHEN age < {lo} THEN 'usia ' || age || ' tahun, di bawah {lo}'
            WHEN age > {hi} THEN 'usia ' || age || ' tahun, di atas {hi}'
            WHEN occupation_group = 'other_scheme' THEN 'PNS/TNI/POLRI/pejabat negara: dijamin Taspen/Asabri'
            WHEN occupation_code = 3 THEN 'pelajar/mahasiswa'
            WHEN occupation_code = 4 THEN 'pensiunan'
            WHEN occupation_group = 'not_working' THEN 'tidak bekerja (' || lower(occupation) || ')'
            WHEN occupation_group = 'unknown' THEN 'pekerjaan tidak dikenal'
            WHEN track = 'pro_jkk_jkm' THEN 'pekerja informal, desil ' || desil || ' (batas {max_desil})'
            WHEN track = 'employer_compliance' THEN 'pekerja penerima upah tanpa kepesertaan aktif'
            WHEN track = 'reactivation' THEN 'kepesertaan NON AKTIF, desil '
                 || coalesce(CAST(desil AS VARCHAR), 'tidak diketahui')
            ELSE 'pekerja informal, desil ' || coalesce(CAST(desil AS VARCHAR), 'tidak diketahui')
                 || ': mendaftar mandiri'
        END AS track_reason
    FROM judged
    ORDER BY resident_id
    """)
    return dict(con.execute("SELECT track, count(*) FROM tracks GROUP BY 1").fetchall())
