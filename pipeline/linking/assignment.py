"""Decisions on scored pairs: three bands and one-to-one assignment.

Each membership row is linked to at most one resident. A resident takes several membership rows
only when those rows are one person holding several KPJ (an old NON AKTIF and a new AKTIF card):
rows that do not contradict each other on birth date or name (`_same_person`). Pairs are taken
greedily by probability (ties by weight, then ids, so the result is deterministic). A pair that would
have been linked but lost its membership or resident to a stronger, incompatible pair goes to review
as a conflict.
Pairs in the review band take nothing: every namesake of an ambiguous membership goes to review,
unless the membership already has a confident link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

from pipeline.linking.backends import Backend, as_backend
from pipeline.normalise.names import may_be_one_name

__all__ = ["assign"]


@dataclass(frozen=True)
class _Row:
    nik: str | None
    name: str
    birth: date | None


def _dates_agree(a: date | None, b: date | None) -> bool:
    """No contradiction: one is missing, they are equal, or they differ in one field or by a swap."""
    if a is None or b is None or a == b:
        return True
    differing = (a.year != b.year) + (a.month != b.month) + (a.day != b.day)
    return differing == 1 or (a.year == b.year and a.month == b.day and a.day == b.month)


def _same_person(a: _Row, b: _Row) -> bool:
    """Two membership rows, both confidently linked to one resident, are one person holding two KPJ
    (an old card and a new one, often written by different hands) unless they contradict each other:
    birth dates beyond a typo, or names that cannot be one person's even up to dropped or added
    words, typos, initials or a nickname. Only stated birth dates count: the date inside a NIK with a
    typo is the typo's. (NIKs are not compared: each row's NIK was already weighed against the
    resident, and a KK number or a typo in one row is common.)"""
    if a.nik is not None and a.nik == b.nik:
        return True
    if not _dates_agree(a.birth, b.birth):
        return False
    return may_be_one_name(a.name, b.name)


def assign(con: duckdb.DuckDBPyConnection | Backend, *, link_threshold: float,
           review_threshold: float) -> dict[str, int]:
    """(Re)create `pair_decisions(member_id, resident_id, decision, conflict)`; return counts per decision."""
    db = as_backend(con)
    rows = db.rows(f"""
        SELECT s.member_id, s.resident_id, s.probability, m.nik, m.name_sorted, m.birth_date
        FROM pair_scores s JOIN memberships m ON m.member_id = s.member_id
        WHERE s.probability >= {float(review_threshold)!r}
        ORDER BY s.probability DESC, s.match_weight DESC, s.member_id, s.resident_id
    """)
    linked_member: set[int] = set()
    holders: dict[int, list[_Row]] = {}  # resident -> membership rows linked to it
    out_member, out_resident, out_decision, out_conflict = [], [], [], []
    for member, resident, probability, nik, name, birth in rows:
        row = _Row(nik, name, birth)
        member_free = member not in linked_member
        resident_free = all(_same_person(row, other) for other in holders.get(resident, []))
        if probability >= link_threshold:
            if member_free and resident_free:
                linked_member.add(member)
                holders.setdefault(resident, []).append(row)
                decision, conflict = "link", False
            else:
                decision, conflict = "review", True
        elif member_free and resident not in holders:
            decision, conflict = "review", False
        else:
            continue
        out_member.append(member)
        out_resident.append(resident)
        out_decision.append(decision)
        out_conflict.append(conflict)
    result = pa.table({"member_id": pa.array(out_member, pa.int32()), "resident_id": pa.array(out_resident, pa.int32()),
                       "decision": pa.array(out_decision, pa.string()), "conflict": pa.array(out_conflict, pa.bool_())})
    db.register("decided_pairs", result)
    try:
        db.create_table("pair_decisions", "SELECT * FROM decided_pairs", order_by="member_id, resident_id")
    finally:
        db.unregister("decided_pairs")
    return dict(db.rows("SELECT decision, count(*) FROM pair_decisions GROUP BY decision"))


def apply_answers(con: duckdb.DuckDBPyConnection | Backend) -> dict[str, int]:
    """Officers' answers beat the model (a separate step after `assign`): a pair they confirmed is
    linked (rule `verified` in the links) and its membership row links no one else; a pair they
    rejected is never linked nor sent to review again. `pair_decisions` gains `model_decision` (what the
    model decided, for `ucj eval --labels`) and the answer's id, author and time. Answers come from
    `pair_answers` (pipeline/ingest/answers.py), matched by NIK and KPJ to scored pairs; an answer
    about a pair this run did not score changes nothing. Returns counts of confirmed and rejected pairs."""
    db = as_backend(con)
    if not db.has_table("pair_answers"):
        columns = ("CAST(NULL AS BIGINT) AS answer_id", *(f"CAST(NULL AS STRING) AS {c}" for c in (
            "resident_nik", "kpj", "answer", "answered_by", "answered_at", "publication_id")))
        db.create_table("pair_answers", f"SELECT {', '.join(columns)} WHERE FALSE")
    db.create_table("answered_pairs", """
    SELECT member_id, resident_id, answer, answer_id, answered_by, answered_at FROM (
        SELECT s.member_id, s.resident_id, a.answer, a.answer_id, a.answered_by, a.answered_at,
            row_number() OVER (PARTITION BY s.member_id, a.answer ORDER BY a.answer_id DESC) AS newest
        FROM pair_answers a
        JOIN residents r ON r.nik = a.resident_nik
        JOIN memberships m ON m.kpj = a.kpj
        JOIN pair_scores s ON s.member_id = m.member_id AND s.resident_id = r.resident_id)
    -- one membership row belongs to one person: the latest confirmation wins
    WHERE answer = 'different' OR newest = 1
    """, temporary=True)
    db.create_table("pair_decisions", """
    WITH confirmed AS (SELECT * FROM answered_pairs WHERE answer = 'same'),
    rejected AS (SELECT * FROM answered_pairs WHERE answer = 'different'),
    kept AS (
        SELECT d.member_id, d.resident_id, d.decision, d.conflict, d.decision AS model_decision,
            CAST(NULL AS STRING) AS answer, CAST(NULL AS BIGINT) AS answer_id, CAST(NULL AS STRING) AS answered_by,
            CAST(NULL AS STRING) AS answered_at
        FROM pair_decisions d
        WHERE NOT EXISTS (SELECT 1 FROM confirmed c WHERE c.member_id = d.member_id)
          AND NOT EXISTS (SELECT 1 FROM rejected x WHERE x.member_id = d.member_id AND x.resident_id = d.resident_id)
    ), settled AS (
        SELECT a.member_id, a.resident_id, CASE a.answer WHEN 'same' THEN 'link' ELSE 'no_link' END AS decision,
            FALSE AS conflict, coalesce(d.decision, 'no_link') AS model_decision, a.answer, a.answer_id,
            a.answered_by, a.answered_at
        FROM answered_pairs a LEFT JOIN pair_decisions d
            ON d.member_id = a.member_id AND d.resident_id = a.resident_id
    )
    SELECT * FROM kept UNION ALL SELECT * FROM settled""", order_by="member_id, resident_id")
    counts = dict(db.rows("SELECT answer, count(*) FROM answered_pairs GROUP BY answer"))
    return {"confirmed": int(counts.get("same", 0)), "rejected": int(counts.get("different", 0))}
