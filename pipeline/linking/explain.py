"""Explanations built from the comparison levels: every link and review pair carries a sentence
an officer or auditor can read, with each comparison's level and weight.

Example: "Ditautkan, peluang 99,9%. NIK: sama persis (+17,3); nama: sama (setelah ejaan dan gelar
diseragamkan) (+8,1, nama umum -2,0); tanggal lahir: sama (+14,5). Ditemukan lewat: NIK sama."
"""

from __future__ import annotations

from pipeline.linking.blocking import BLOCKING_RULES
from pipeline.linking.comparisons import COMPARISONS, NAME, Comparison
from pipeline.linking.model import STRONG_NAME_LEVELS
from pipeline.sqltext import sql_literal

__all__ = ["explanation_sql", "level_label_sql"]


def level_label_sql(comparison: Comparison) -> str:
    """SQL giving the level label ('exact', ..., 'null') of `g_<name>`."""
    whens = " ".join(f"WHEN {i} THEN {sql_literal(lvl.label)}" for i, lvl in enumerate(comparison.levels))
    return f"CASE g_{comparison.name} {whens} ELSE 'null' END"


def _number(expr: str) -> str:
    # Indonesian decimal comma, explicit sign.
    return f"replace(printf('%+.1f', {expr}), '.', ',')"


def _part(comparison: Comparison) -> str:
    whens = " ".join(f"WHEN {i} THEN {sql_literal(lvl.phrase)}" for i, lvl in enumerate(comparison.levels))
    phrase = f"CASE g_{comparison.name} {whens} ELSE 'tidak ada untuk dibandingkan' END"
    weight = f"' (' || {_number(f'w_{comparison.name}')}"
    if comparison.name == "name":
        weight += (" || CASE WHEN abs(tf_name) >= 0.05 THEN ', ' || CASE WHEN tf_name < 0 THEN 'nama umum ' "
                   f"ELSE 'nama jarang ' END || {_number('tf_name')} ELSE '' END")
    return (f"{sql_literal(comparison.title)} || ': ' || {phrase} "
            f"|| CASE WHEN g_{comparison.name} >= 0 THEN {weight} || ')' ELSE '' END")


def explanation_sql() -> str:
    """SQL expression over pair_scores ⟕ pair_decisions ⨝ candidate_pairs columns."""
    decision = ("CASE coalesce(decision, 'no_link') WHEN 'link' THEN 'Ditautkan' "
                "WHEN 'review' THEN CASE WHEN conflict THEN 'Perlu diperiksa (bentrok dengan tautan lain)' "
                "ELSE 'Perlu diperiksa' END ELSE 'Tidak ditautkan' END")
    parts = " || '; ' || ".join(_part(c) for c in COMPARISONS)
    rules = " ".join(f"WHEN {sql_literal(r.name)} THEN {sql_literal(r.description)}" for r in BLOCKING_RULES)
    strong = ", ".join(str(i) for i, lvl in enumerate(NAME.levels) if lvl.label in STRONG_NAME_LEVELS)
    floor = (f"CASE WHEN floor_bits > 0 THEN '. NIK dan tanggal lahir sama: perbedaan nama saja tidak membatalkan ("
             f"' || {_number('floor_bits')} || ')' WHEN floor_bits < 0 THEN '. NIK sah dari kabupaten/kota lain: "
             f"paling tinggi perlu diperiksa (' || {_number('floor_bits')} || ')' ELSE '' END")
    flag = f"CASE WHEN nik_date_agree AND g_name NOT IN ({strong}) THEN ' Nama berbeda.' ELSE '' END"
    return (f"{decision} || ', peluang ' || replace(printf('%.1f', 100 * probability), '.', ',') || '%.' || {flag} "
            f"|| ' ' || {parts} || {floor} || '. Ditemukan lewat: ' || CASE rule {rules} ELSE rule END || '.'")
