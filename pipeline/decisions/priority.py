"""Priority of each candidate: a transparent points score, its parts, a one-line Indonesian reason,
ranks city-wide and within each kelurahan (per track), and the yearly cost to the city.

score = desil_points        desil_weight x (11 - desil); 0 when the desil is unknown
      + risk_points         work_risk_weight x work risk of the occupation (0-3, pipeline.reference)
      + breadwinner_points  breadwinner_points for the head of the family (SHDK KEPALA KELUARGA)
      + children_points     school_child_points x min(2, school-age children): the JKM scholarship
                            reaches at most two children (domain.md §4.3)
      + age_points          age_points_per_year_over_40 x max(0, age - 40)
Each part is rounded to 2 decimals (DECIMAL), so the parts add up to the score exactly.
School-age children are the ANAK of the same KK aged school_age_min..school_age_max on the reference
date, counted for the head of the family and the spouse (SHDK 1-3) only.

Ranks: `priority_rank` within the track city-wide, `kelurahan_rank` within the track and kelurahan;
both 1..n without gaps. Ties are broken by lower desil, then older age, then NIK (unique), so the
order depends on the data only, never on input order.
"""

from __future__ import annotations

from datetime import date

import duckdb

from pipeline.config import CostConfig, PriorityConfig
from pipeline.decisions.tracks import CANDIDATE_TRACKS, age_sql

__all__ = ["build_candidates", "SCHOLARSHIP_CHILDREN", "RANK_ORDER"]

SCHOLARSHIP_CHILDREN = 2
"""Children the JKM scholarship reaches (Permenaker 5/2021; domain.md §4.3)."""

RANK_ORDER = "priority_score DESC, desil ASC NULLS LAST, age DESC, nik ASC, resident_id ASC"
"""The total order of candidates within a track (and kelurahan)."""

_RISK_WORDS = {0: "tanpa risiko kerja khusus", 1: "risiko kerja rendah", 2: "risiko kerja sedang",
               3: "risiko kerja tinggi"}


def _points(expr: str) -> str:
    """Points as Indonesian text: 2 decimals at most, trailing zeros dropped, decimal comma."""
    return f"'+' || replace(rtrim(rtrim(printf('%.2f', {expr}), '0'), '.'), '.', ',')"


_RISK_CASE = "CASE work_risk " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in _RISK_WORDS.items()) + " END"

_REASON = f"""'skor ' || replace(rtrim(rtrim(printf('%.2f', priority_score), '0'), '.'), '.', ',') || ' = '
    || concat_ws(' + ',
        coalesce('desil ' || desil, 'desil tidak diketahui') || ' (' || {_points('desil_points')} || ')',
        coalesce({_RISK_CASE}, 'risiko kerja tidak diketahui') || coalesce(', ' || occupation, '')
            || ' (' || {_points('risk_points')} || ')',
        CASE WHEN breadwinner_points > 0 THEN 'kepala keluarga (' || {_points('breadwinner_points')} || ')' END,
        CASE WHEN school_children > 0 THEN school_children || ' anak usia sekolah'
            || CASE WHEN school_children > {SCHOLARSHIP_CHILDREN} THEN ', dihitung {SCHOLARSHIP_CHILDREN}' ELSE '' END
            || ' (' || {_points('children_points')} || ')' END,
        'usia ' || age || ' tahun (' || {_points('age_points')} || ')')"""

_SQL = f"""
CREATE OR REPLACE TABLE candidates AS
WITH children AS (
    SELECT no_kk, count(*) AS school_children
    FROM residents
    WHERE shdk_code = 4 AND no_kk IS NOT NULL
      AND {age_sql('birth_date', '$ref')} BETWEEN $school_age_min AND $school_age_max
    GROUP BY no_kk
), verify AS (  -- a review pair or a weak name-only match: the KPJ an officer settles with one call
    SELECT resident_id, string_agg(kpj, ', ' ORDER BY kpj) AS verify_kpj FROM verification_hints GROUP BY 1
), base AS (
    SELECT r.resident_id, r.nik, r.kelurahan_code, r.desil, r.work_risk, r.shdk_code, r.occupation,
        t.track, t.track_reason, t.age, t.employer_npp, t.employer_name,
        CASE WHEN r.shdk_code IN (1, 2, 3) THEN coalesce(ch.school_children, 0) ELSE 0 END AS school_children,
        v.verify_kpj
    FROM residents r
    JOIN tracks t USING (resident_id)
    LEFT JOIN children ch ON ch.no_kk = r.no_kk
    LEFT JOIN verify v ON v.resident_id = r.resident_id
    WHERE list_contains($tracks, t.track)
), parts AS (
    SELECT *,
        CAST(coalesce((11 - desil) * $desil_weight, 0) AS DECIMAL(12, 2)) AS desil_points,
        CAST(work_risk * $work_risk_weight AS DECIMAL(12, 2)) AS risk_points,
        CAST(CASE WHEN shdk_code = 1 THEN $breadwinner_points ELSE 0 END AS DECIMAL(12, 2)) AS breadwinner_points,
        CAST(least(school_children, {SCHOLARSHIP_CHILDREN}) * $school_child_points AS DECIMAL(12, 2))
            AS children_points,
        CAST(greatest(age - 40, 0) * $age_points_per_year AS DECIMAL(12, 2)) AS age_points
    FROM base
), scored AS (
    SELECT *, CAST(desil_points + risk_points + breadwinner_points + children_points + age_points
                   AS DECIMAL(12, 2)) AS priority_score
    FROM parts
)
SELECT resident_id, track, track_reason, age, priority_score, desil_points, risk_points, breadwinner_points,
    children_points, age_points, school_children, {_REASON} AS priority_reason,
    row_number() OVER (PARTITION BY track ORDER BY {RANK_ORDER}) AS priority_rank,
    row_number() OVER (PARTITION BY track, kelurahan_code ORDER BY {RANK_ORDER}) AS kelurahan_rank,
    CASE WHEN track = 'pro_jkk_jkm'  -- the kabupaten/kota's own rate ([cost.regions]), else the default row
         THEN coalesce($region_yearly[list_position($region_codes, substr(kelurahan_code, 1, 4))], $yearly_cost)
         ELSE 0 END AS yearly_cost_rp,
    employer_npp, employer_name, verify_kpj,
    CASE WHEN verify_kpj IS NOT NULL THEN 'perlu verifikasi: cek KPJ ' || verify_kpj END AS verification,
    CASE WHEN employer_npp IS NOT NULL OR employer_name IS NOT NULL
         THEN count(*) OVER (PARTITION BY track, employer_npp, employer_name) END AS employer_workers
FROM scored
ORDER BY track, priority_rank
"""


def build_candidates(con: duckdb.DuckDBPyConnection, priority: PriorityConfig, cost: CostConfig,
                     reference_date: date) -> dict[str, int]:
    """(Re)create `candidates` (one row per resident in a candidate track of `tracks`); return counts
    per track."""
    p = priority
    # Written by linking; absent when candidates are built from hand-made tables.
    con.execute("CREATE TABLE IF NOT EXISTS verification_hints (resident_id INTEGER, kpj VARCHAR, reason VARCHAR, "
                "probability DOUBLE)")
    con.execute(_SQL, {
        "ref": reference_date,
        "tracks": list(CANDIDATE_TRACKS),
        "school_age_min": int(p.school_age_min),
        "school_age_max": int(p.school_age_max),
        "desil_weight": float(p.desil_weight),
        "work_risk_weight": float(p.work_risk_weight),
        "breadwinner_points": float(p.breadwinner_points),
        "school_child_points": float(p.school_child_points),
        "age_points_per_year": float(p.age_points_per_year_over_40),
        "yearly_cost": int(cost.bpu_monthly_rp) * int(cost.months_per_year),
        # never empty lists (their type would be unknown to DuckDB): '' is no kabupaten/kota code
        "region_codes": sorted(cost.regions) or [""],
        "region_yearly": [cost.for_region(c).yearly_rp for c in sorted(cost.regions)] or [cost.yearly_rp],
    })
    rows = con.execute("SELECT track, count(*) FROM candidates GROUP BY 1 ORDER BY 1").fetchall()
    return {str(track): int(n) for track, n in rows}
