"""Priority of each candidate: a transparent points score, its parts, a one-line Indonesian reason,
ranks city-wide and within each kelurahan (per track), and the yearly cost to the city.

score = desil_weight x (11 - desil)                       lower desil first
      + work_risk_weight x work risk of the occupation (0-3)
      + breadwinner_points if head of the family
      + school_child_points x min(2, school-age children)   the JKM scholarship reaches two children
      + age_points_per_year_over_40 x max(0, age - 40)
Children are counted for heads of family and spouses (their ANAK in the same KK). Ties are broken by
lower desil, then older age, then NIK, so the order is deterministic.
"""

from __future__ import annotations

from datetime import date

import duckdb

from pipeline.config import CostConfig, EligibilityConfig, PriorityConfig
from pipeline.tracks import CANDIDATE_TRACKS

__all__ = ["build_candidates"]

_RISK_WORDS = {0: "tanpa risiko kerja khusus", 1: "risiko kerja rendah", 2: "risiko kerja sedang",
               3: "risiko kerja tinggi"}


def build_candidates(con: duckdb.DuckDBPyConnection, priority: PriorityConfig, cost: CostConfig,
                     eligibility: EligibilityConfig, reference_date: date) -> dict[str, int]:
    """(Re)create `candidates` (one row per resident in a candidate track); return counts per track."""
    p = priority
    ref = f"DATE '{reference_date.isoformat()}'"
    yearly = int(cost.bpu_monthly_rp) * int(cost.months_per_year)
    risk_words = " ".join(f"WHEN {k} THEN '{v}'" for k, v in _RISK_WORDS.items())
    tracks = ", ".join(f"'{t}'" for t in CANDIDATE_TRACKS)
    con.execute(f"""
    CREATE OR REPLACE TABLE candidates AS
    WITH children AS (
        SELECT no_kk, count(*) AS school_children FROM residents
        WHERE shdk_code = 4 AND date_sub('year', birth_date, {ref}) BETWEEN {int(p.school_age_min)} AND {int(p.school_age_max)}
          AND no_kk IS NOT NULL
        GROUP BY 1
    ), parts AS (
        SELECT r.resident_id, t.track, t.track_reason, t.age,
            CASE WHEN r.shdk_code IN (1, 2, 3) THEN coalesce(ch.school_children, 0) ELSE 0 END AS school_children,
            round(coalesce((11 - r.desil) * {p.desil_weight!r}, 0), 2) AS desil_points,
            round(r.work_risk * {p.work_risk_weight!r}, 2) AS risk_points,
            CASE WHEN r.shdk_code = 1 THEN {p.breadwinner_points!r} ELSE 0.0 END AS breadwinner_points,
            round(greatest(t.age - 40, 0) * {p.age_points_per_year_over_40!r}, 2) AS age_points,
            r.desil, r.work_risk, r.shdk_code, r.occupation, r.nik, r.kelurahan_code
        FROM residents r
        JOIN tracks t USING (resident_id)
        LEFT JOIN children ch ON ch.no_kk = r.no_kk
        WHERE t.track IN ({tracks})
    ), scored AS (
        SELECT *, round(least(school_children, 2) * {p.school_child_points!r}, 2) AS children_points FROM parts
    ), totals AS (
        SELECT *, round(desil_points + risk_points + breadwinner_points + children_points + age_points, 2)
                  AS priority_score
        FROM scored
    )
    SELECT resident_id, track, track_reason, age, priority_score, desil_points, risk_points, breadwinner_points,
        children_points, age_points, school_children,
        concat_ws('; ',
            'desil ' || coalesce(CAST(desil AS VARCHAR), 'tidak diketahui'),
            CASE work_risk {risk_words} END || ' (' || lower(occupation) || ')',
            CASE WHEN shdk_code = 1 THEN 'kepala keluarga' END,
            CASE WHEN school_children > 0 THEN school_children || ' anak usia sekolah' END,
            'usia ' || age || ' tahun') AS priority_reason,
        row_number() OVER (PARTITION BY track ORDER BY priority_score DESC, desil ASC NULLS LAST, age DESC, nik)
            AS priority_rank,
        row_number() OVER (PARTITION BY track, kelurahan_code
                           ORDER BY priority_score DESC, desil ASC NULLS LAST, age DESC, nik) AS kelurahan_rank,
        CASE WHEN track = 'pro_jkk_jkm' THEN {yearly} ELSE 0 END AS yearly_cost_rp
    FROM totals
    ORDER BY track, priority_rank
    """)
    return dict(con.execute("SELECT track, count(*) FROM candidates GROUP BY 1").fetchall())
