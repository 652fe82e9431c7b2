"""Each resident's coverage status, with the membership it rests on and the rule that decided it.

- covered       a linked AKTIF membership (any segment)
- lapsed        linked memberships, none AKTIF (domain.md §4.5: a non-active KPJ counts as uncovered)
- other_scheme  no active BPJS TK membership, occupation covered by Taspen/Asabri (PNS, TNI, POLRI,
                state officials)
- uncovered     no linked membership

When several memberships link to one resident, the one shown is the active one with the latest
start date (then the lowest KPJ). `review_pending` tells that a possible membership awaits review.
"""

from __future__ import annotations

import duckdb

__all__ = ["build_coverage", "COVERAGE_RULES"]

COVERAGE_RULES = {
    "covered": "terhubung dengan kepesertaan BPJS Ketenagakerjaan yang AKTIF",
    "lapsed": "hanya terhubung dengan kepesertaan yang NON AKTIF",
    "other_scheme": "tidak ada kepesertaan aktif; pekerjaan dijamin skema lain (Taspen/Asabri)",
    "uncovered": "tidak terhubung dengan kepesertaan BPJS Ketenagakerjaan mana pun",
}


def build_coverage(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)create `coverage` (one row per resident); return counts per status."""
    rules = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in COVERAGE_RULES.items())
    con.execute(f"""
    CREATE OR REPLACE TABLE coverage AS
    WITH linked AS (
        SELECT l.resident_id, m.member_id, m.kpj, m.segment, m.status, m.is_active, m.start_date, m.end_date,
               m.npp, m.employer, l.probability, l.rule,
               row_number() OVER (PARTITION BY l.resident_id
                   ORDER BY m.is_active DESC, m.start_date DESC NULLS LAST, m.kpj) AS pick
        FROM links l JOIN memberships m USING (member_id)
        WHERE l.decision = 'link'
    ), review AS (
        SELECT resident_id, count(*) AS review_pairs FROM links WHERE decision = 'review' GROUP BY 1
    ), per_resident AS (
        SELECT r.resident_id, bool_or(l.is_active) AS any_active, count(l.member_id) AS memberships
        FROM residents r LEFT JOIN linked l USING (resident_id) GROUP BY 1
    ), decided AS (
    SELECT r.resident_id, r.nik,
        CASE WHEN p.any_active THEN 'covered'
             WHEN p.memberships > 0 THEN 'lapsed'
             WHEN r.occupation_group = 'other_scheme' THEN 'other_scheme'
             ELSE 'uncovered' END AS coverage_status,
        p.memberships AS linked_memberships,
        l.member_id, l.kpj, l.segment, l.status AS membership_status, l.start_date AS membership_start,
        l.end_date AS membership_end, l.npp, l.employer, l.probability AS link_probability, l.rule AS link_rule,
        coalesce(v.review_pairs, 0) > 0 AS review_pending, coalesce(v.review_pairs, 0) AS review_pairs
    FROM residents r
    JOIN per_resident p USING (resident_id)
    LEFT JOIN linked l ON l.resident_id = r.resident_id AND l.pick = 1
    LEFT JOIN review v ON v.resident_id = r.resident_id
    )
    SELECT *, CASE coverage_status {rules} END AS coverage_rule FROM decided ORDER BY resident_id
    """)
    return dict(con.execute("SELECT coverage_status, count(*) FROM coverage GROUP BY 1").fetchall())
