"""Who entered and who left the candidate list since the previous publication, and why.

Compared by NIK against the previous publication's `candidates.parquet` and `coverage.parquet`:
- entered: new_in_register, membership_lapsed (was covered), came_of_age, became_eligible
- left:    enrolled (now covered), moved (no longer in the register), aged_out, out_of_scope (with
           today's reason)
- changed_track: still listed, in another track
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.config import EligibilityConfig
from pipeline.sqltext import sql_literal

__all__ = ["build_changes", "CHANGE_REASONS"]

CHANGE_REASONS = {
    "new_in_register": "baru tercatat di register",
    "membership_lapsed": "kepesertaan sebelumnya aktif, kini tidak",
    "came_of_age": "kini mencapai usia minimal",
    "became_eligible": "kini memenuhi syarat (pekerjaan, desil atau data lain berubah)",
    "enrolled": "kini terdaftar aktif di BPJS Ketenagakerjaan",
    "moved": "tidak lagi tercatat di register (pindah atau meninggal)",
    "aged_out": "melewati usia maksimal",
    "out_of_scope": "kini di luar sasaran",
    "changed_track": "jalur berubah",
    "verified_by_officer": "diverifikasi petugas",
    "enrolled_reported": "terdaftar (dilaporkan petugas)",
}

_EMPTY = """CREATE OR REPLACE TABLE changes (nik VARCHAR, nama VARCHAR, kelurahan_code VARCHAR, kelurahan VARCHAR,
    change VARCHAR, reason_code VARCHAR, reason VARCHAR, previous_track VARCHAR, current_track VARCHAR,
    previous_publication VARCHAR)"""


def build_changes(con: duckdb.DuckDBPyConnection, previous: Path | None, previous_id: str | None,
                  eligibility: EligibilityConfig) -> dict[str, int]:
    """(Re)create `changes` against the previous publication folder (empty when there is none)."""
    con.execute(_EMPTY)
    if previous is None or not (previous / "candidates.parquet").is_file():
        return {}
    reasons = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CHANGE_REASONS.items())
    prev_candidates = sql_literal(previous / "candidates.parquet")
    prev_coverage = sql_literal(previous / "coverage.parquet")
    con.execute(f"""
    INSERT INTO changes
    WITH prev_c AS (SELECT nik, nama, kelurahan_code, kelurahan, track FROM read_parquet({prev_candidates})),
    prev_r AS (SELECT nik, coverage_status, track, age FROM read_parquet({prev_coverage})),
    now_c AS (SELECT r.nik, r.nama, r.kelurahan_code, r.kelurahan, c.track, t.field_answer
              FROM candidates c JOIN residents r USING (resident_id) JOIN tracks t USING (resident_id)),
    now_r AS (SELECT r.nik, r.nama, r.kelurahan_code, r.kelurahan, v.coverage_status, t.track, t.track_reason, t.age,
                     v.link_rule, t.field_answer
              FROM residents r JOIN coverage v USING (resident_id) JOIN tracks t USING (resident_id)),
    entered AS (
        SELECT n.nik, n.nama, n.kelurahan_code, n.kelurahan, 'entered' AS change,
            CASE WHEN pr.nik IS NULL THEN 'new_in_register'
                 WHEN n.field_answer = 'pair_different' THEN 'verified_by_officer'
                 WHEN pr.coverage_status = 'covered' THEN 'membership_lapsed'
                 WHEN pr.age < {int(eligibility.min_age)} THEN 'came_of_age'
                 ELSE 'became_eligible' END AS reason_code,
            pr.track AS previous_track, n.track AS current_track
        FROM now_c n LEFT JOIN prev_c pc USING (nik) LEFT JOIN prev_r pr USING (nik)
        WHERE pc.nik IS NULL),
    left_list AS (
        SELECT p.nik, p.nama, p.kelurahan_code, p.kelurahan, 'left' AS change,
            CASE WHEN nr.nik IS NULL THEN 'moved'
                 WHEN nr.coverage_status = 'covered' AND nr.link_rule = 'verified' THEN 'verified_by_officer'
                 WHEN nr.track = 'covered' AND nr.field_answer = 'enrolled' THEN 'enrolled_reported'
                 WHEN nr.coverage_status = 'covered' THEN 'enrolled'
                 WHEN nr.age > {int(eligibility.max_age)} THEN 'aged_out'
                 ELSE 'out_of_scope' END AS reason_code,
            p.track AS previous_track, nr.track AS current_track
        FROM prev_c p LEFT JOIN now_c nc USING (nik) LEFT JOIN now_r nr USING (nik)
        WHERE nc.nik IS NULL),
    moved_track AS (
        SELECT n.nik, n.nama, n.kelurahan_code, n.kelurahan, 'changed_track', 'changed_track', p.track, n.track
        FROM now_c n JOIN prev_c p USING (nik) WHERE n.track <> p.track)
    SELECT nik, nama, kelurahan_code, kelurahan, change, reason_code,
        CASE reason_code {reasons} END
          || CASE WHEN reason_code = 'out_of_scope' THEN ': ' || coalesce((SELECT track_reason FROM now_r
               WHERE now_r.nik = u.nik), '') ELSE '' END AS reason,
        previous_track, current_track, ? AS previous_publication
    FROM (SELECT * FROM entered UNION ALL SELECT * FROM left_list UNION ALL SELECT * FROM moved_track) u
    ORDER BY change, kelurahan_code, nik
    """, [previous_id])
    return dict(con.execute("SELECT reason_code, count(*) FROM changes GROUP BY 1").fetchall())
