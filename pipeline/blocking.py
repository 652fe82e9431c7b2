"""Candidate generation: which (membership, resident) pairs get compared at all.

Blocking rules are data: a name, a sentence for explanations, and the SQL selecting pairs. Rules run
in order; a pair found by an earlier rule is not counted again for a later one, so
`blocking_stats` tells how many new comparisons each rule adds. Every member is blocked by every
rule (not only members whose NIK failed), so a wrong exact-NIK hit can still lose to a better pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

__all__ = ["BlockingRule", "BLOCKING_RULES", "build_candidate_pairs"]


@dataclass(frozen=True)
class BlockingRule:
    name: str
    description: str  # Indonesian, shown in explanations
    sql: str  # SELECT member_id, resident_id ...


_DOB_KEYS = """
    SELECT member_id, birth_date AS d FROM memberships WHERE birth_date IS NOT NULL
    UNION SELECT member_id, nik_birth_date FROM memberships WHERE nik_birth_date IS NOT NULL
    UNION SELECT member_id, try(make_date(year(birth_date), day(birth_date), month(birth_date)))
          FROM memberships WHERE birth_date IS NOT NULL AND day(birth_date) <= 12
"""

BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(
        "nik_exact", "NIK sama",
        "SELECT m.member_id, r.resident_id FROM memberships m JOIN residents r ON m.nik = r.nik",
    ),
    BlockingRule(
        "nik_first15", "15 digit pertama NIK sama (digit terakhir hilang di Excel atau salah ketik)",
        """SELECT m.member_id, r.resident_id FROM memberships m JOIN residents r ON m.nik15 = left(r.nik, 15)
        UNION SELECT m.member_id, r.resident_id FROM memberships m JOIN residents r
        ON m.nik15 = CAST((CAST(r.nik AS BIGINT) + 5) // 10 AS VARCHAR)""",
    ),
    BlockingRule(
        "nik_one_digit", "NIK berbeda satu digit",
        """WITH pos AS (SELECT unnest(range(1, 17)) AS i),
        mk AS (SELECT member_id, i, left(nik, i - 1) || substr(nik, i + 1) AS k
               FROM memberships, pos WHERE nik IS NOT NULL),
        rk AS (SELECT resident_id, i, left(nik, i - 1) || substr(nik, i + 1) AS k FROM residents, pos)
        SELECT DISTINCT mk.member_id, rk.resident_id FROM mk JOIN rk ON mk.i = rk.i AND mk.k = rk.k""",
    ),
    BlockingRule(
        "nik_transposed", "dua digit NIK yang bersebelahan tertukar",
        """WITH pos AS (SELECT unnest(range(1, 16)) AS i),
        mt AS (SELECT member_id, left(nik, i - 1) || substr(nik, i + 1, 1) || substr(nik, i, 1) || substr(nik, i + 2) AS t
               FROM memberships, pos WHERE nik IS NOT NULL AND substr(nik, i, 1) <> substr(nik, i + 1, 1))
        SELECT DISTINCT mt.member_id, r.resident_id FROM mt JOIN residents r ON r.nik = mt.t""",
    ),
    BlockingRule(
        "nik_is_kk", "yang tertulis di kolom NIK adalah nomor KK keluarganya",
        "SELECT m.member_id, r.resident_id FROM memberships m JOIN residents r ON m.nik = r.no_kk",
    ),
    BlockingRule(
        "birth_date", "tanggal lahir sama (termasuk tanggal dari NIK, atau hari dan bulan tertukar)",
        f"""WITH d AS ({_DOB_KEYS})
        SELECT DISTINCT d.member_id, r.resident_id FROM d JOIN residents r ON r.birth_date = d.d""",
    ),
    BlockingRule(
        "name_birth_year", "nama sama dan tahun lahir berbeda paling banyak satu",
        """WITH y AS (
            SELECT member_id, name_sorted, unnest([year(birth_date) - 1, year(birth_date), year(birth_date) + 1]) AS yr
            FROM memberships WHERE birth_date IS NOT NULL AND name_sorted <> ''
            UNION
            SELECT member_id, name_sorted, year(nik_birth_date) FROM memberships
            WHERE nik_birth_date IS NOT NULL AND name_sorted <> '')
        SELECT DISTINCT y.member_id, r.resident_id FROM y
        JOIN residents r ON r.name_sorted = y.name_sorted AND year(r.birth_date) = y.yr""",
    ),
    BlockingRule(
        "name_month_day", "nama sama, hari dan bulan lahir sama",
        """SELECT DISTINCT m.member_id, r.resident_id FROM memberships m JOIN residents r
        ON r.name_sorted = m.name_sorted AND month(r.birth_date) = month(m.birth_date)
        AND day(r.birth_date) = day(m.birth_date) WHERE m.name_sorted <> ''""",
    ),
)


def build_candidate_pairs(con: duckdb.DuckDBPyConnection,
                          rules: tuple[BlockingRule, ...] = BLOCKING_RULES) -> list[tuple[str, int]]:
    """(Re)create `candidate_pairs(member_id, resident_id, rule)` and `blocking_stats`.

    Returns (rule, new pairs) in rule order.
    """
    union = "\nUNION ALL\n".join(
        f"SELECT member_id, resident_id, {order} AS rule_order FROM ({rule.sql})"
        for order, rule in enumerate(rules)
    )
    names = ", ".join(f"'{r.name}'" for r in rules)
    con.execute(f"""
    CREATE OR REPLACE TABLE candidate_pairs AS
    SELECT member_id, resident_id, ([{names}])[min(rule_order) + 1] AS rule
    FROM ({union})
    GROUP BY member_id, resident_id
    ORDER BY member_id, resident_id
    """)
    counts = dict(con.execute("SELECT rule, count(*) FROM candidate_pairs GROUP BY rule").fetchall())
    stats = [(rule.name, int(counts.get(rule.name, 0))) for rule in rules]
    con.execute("CREATE OR REPLACE TABLE blocking_stats (rule VARCHAR, rule_order INTEGER, new_pairs BIGINT, description VARCHAR)")
    con.executemany("INSERT INTO blocking_stats VALUES (?, ?, ?, ?)",
                    [[r.name, i, n, r.description] for i, (r, (_, n)) in enumerate(zip(rules, stats, strict=True))])
    return stats
