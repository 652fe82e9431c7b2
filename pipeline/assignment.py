"""Decisions on scored pairs: three bands and one-to-one assignment.

Each membership row is linked to at most one resident. A resident takes several membership rows
only when those rows are one person holding several KPJ (an old NON AKTIF and a new AKTIF card):
same valid NIK, or the same birth date and names that agree up to a dropped word or a typo. Pairs are taken greedily by probability
(ties by weight, then ids, so the result is deterministic). A pair that would have been linked but
lost its membership or resident to a stronger, incompatible pair goes to review as a conflict.
Pairs in the review band take nothing: every namesake of an ambiguous membership goes to review,
unless the membership already has a confident link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa
from rapidfuzz import fuzz

__all__ = ["assign"]


@dataclass(frozen=True)
class _Row:
    nik: str | None
    nik15: str | None
    name: str
    birth: date | None


def _same_person(a: _Row, b: _Row) -> bool:
    """Two membership rows of one person: same NIK, or same birth date (or NIK digits) and names
    that agree up to a dropped word or a typo."""
    if a.nik is not None and a.nik == b.nik:
        return True
    same_date = (a.birth is not None and a.birth == b.birth) or (a.nik15 is not None and a.nik15 == b.nik15)
    return same_date and a.name != "" and b.name != "" and fuzz.token_set_ratio(a.name, b.name) >= 90


def assign(con: duckdb.DuckDBPyConnection, *, link_threshold: float, review_threshold: float) -> dict[str, int]:
    """(Re)create `pair_decisions(member_id, resident_id, decision, conflict)`; return counts per decision."""
    rows = con.sql(f"""
        SELECT s.member_id, s.resident_id, s.probability, m.nik, m.nik15, m.name_sorted, m.birth_date
        FROM pair_scores s JOIN memberships m USING (member_id)
        WHERE s.probability >= {float(review_threshold)!r}
        ORDER BY s.probability DESC, s.match_weight DESC, s.member_id, s.resident_id
    """).fetchall()
    linked_member: set[int] = set()
    holders: dict[int, list[_Row]] = {}  # resident -> membership rows linked to it
    out_member, out_resident, out_decision, out_conflict = [], [], [], []
    for member, resident, probability, nik, nik15, name, birth in rows:
        row = _Row(nik, nik15, name, birth)
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
    con.register("decided_pairs", result)
    try:
        con.execute("CREATE OR REPLACE TABLE pair_decisions AS SELECT * FROM decided_pairs "
                    "ORDER BY member_id, resident_id")
    finally:
        con.unregister("decided_pairs")
    return dict(con.execute("SELECT decision, count(*) FROM pair_decisions GROUP BY 1").fetchall())
