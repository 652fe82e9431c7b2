"""Candidate generation: which (membership, resident) pairs get compared at all.

Blocking rules are data: a name, a sentence for explanations, and the SQL selecting pairs from
`{members}`. Rules run in order; a pair found by an earlier rule is not counted again for a later
one, so `blocking_stats` tells how many new comparisons each rule adds.

Exact NIK first, then the fuzzy rules: a membership whose NIK equals a resident's and whose name
agrees with that resident's is *settled*, and the NIK-typo and name rules skip it (scope "open").
An exact NIK whose name disagrees (a typo that landed on a neighbour's NIK) is not settled, so its
true owner can still be found.

The rules are equi-joins on keys that hold few residents however large the register: a birth date
with a name key (a word, or its first or last three letters), an uncommon word (or the whole name)
with two of the three date fields, a NIK or its one-typo variants. The birth-date rule looks within
the regency of a whole, valid NIK (its first four digits, kept from the first registration, so people
who moved are still found); rows without one meet every regency. A province is then blocked
regency by regency instead of pairing everyone born the same day. `birth_date_training` pairs an
evenly spread sample of memberships with everyone born the same day: the model learns from those
pairs what non-matches look like (the sample shrinks as more residents share a birth date).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipeline.linking.backends import Backend, as_backend
from pipeline.linking.comparisons import NIK15_ROUNDED, NIK_PREFIX_AGREES, PLACEHOLDER_DATE
from pipeline.normalise.names import WORDS_SIMILAR

__all__ = ["BlockingRule", "BLOCKING_RULES", "build_candidate_pairs"]


@dataclass(frozen=True)
class BlockingRule:
    name: str
    description: str  # Indonesian, shown in explanations
    sql: str  # SELECT member_id, resident_id ... FROM {members} m ...
    scope: str = "all"  # "all" memberships, the "open" ones only, or a "sample" of all (for training)


# About how many pairs the training rule may add (see `build_candidate_pairs`).
TRAINING_PAIRS_MAX = 2_000_000

# Residents sharing a name beyond which a name-only row is not compared with them (review would be
# all an officer could do, and the pairs would grow with the square of the city).
NAME_ONLY_MAX_CARRIERS = 5
# Residents carrying a word beyond which it cannot find a name-only row's close names (a typo, a word
# dropped): a rare word holds a handful of residents however large the register.
NAME_ONLY_WORD_CARRIERS = 20

_M_WORDS, _R_WORDS = "split(m.name_sorted, ' ')", "split(r.name_sorted, ' ')"

# Two names worth comparing: a word shared, the whole close, a word of one close to a word of the
# other (a dropped word and a typo: "FARHN" / "AGUS FARHAN SAPUTRO"), or a nickname held in the other.
_SOME_WORD_CLOSE = f"ucj_best_word_jw({_M_WORDS}, {_R_WORDS}) >= {WORDS_SIMILAR}"
_NAMES_RELATED = f"""(arrays_overlap({_M_WORDS}, {_R_WORDS})
           OR ucj_jw(m.name_sorted, r.name_sorted) >= 0.75
           OR (NOT contains(m.name_sorted, ' ') AND length(m.name_sorted) >= 3
               AND contains(r.name_sorted, m.name_sorted))
           OR {_SOME_WORD_CLOSE})"""

# For pairs already sharing a word: the names as wholes are close (a typo), or the shorter has all
# its words in (or each close to a word of) the longer.
_NAMES_CLOSE = f"""(ucj_jw(m.name_sorted, r.name_sorted) >= 0.9
           OR ucj_holds_all({_M_WORDS}, {_R_WORDS}) OR ucj_holds_all({_R_WORDS}, {_M_WORDS})
           OR ucj_monge_elkan({_M_WORDS}, {_R_WORDS}) >= {WORDS_SIMILAR})"""


def _name_keys(source: str, columns: str) -> str:
    """Blocking keys of the names in `source` (with its `columns`, one of them `name_sorted`): each
    word, and its first and last three letters (a typo further in, or a nickname that keeps the last
    syllables: "WOYO" / SISWOYO). Joined together with a birth date, a key holds about the same few
    residents however large the city."""
    words = f"(SELECT {columns}, explode(split(name_sorted, ' ')) AS w FROM {source})"
    return (f"SELECT {columns}, w AS k FROM {words} UNION SELECT {columns}, '<' || left(w, 3) FROM {words} "
            f"UNION SELECT {columns}, '>' || right(w, 3) FROM {words}")

# Words more residents carry than this are no key on their own in the rules below (SRI, MUHAMAD,
# NUR in a city, many more in a province): a key then holds a handful of residents per year and
# month however large the register. A name of only such words is keyed by itself, whole.
COMMON_WORD_CARRIERS = 5_000

# The regency of an export row's NIK when the NIK is whole and well formed: the birth-date rule looks for
# its owner among residents whose NIK was issued in the same regency (a NIK keeps the regency of
# first registration, so people who moved are still found). A typo in the regency digits is the
# NIK-typo rules' to find. Rows without such a NIK meet residents of every regency.
_MEMBER_REGION = "CASE WHEN m.nik_status = 'valid' THEN left(m.nik, 4) END"


def _regional(keys: str, residents: str, on: str) -> str:
    """Pairs of `keys` (member_id, region, ...) and `residents` (resident_id, region, ...) joined
    `on`, within the row's regency when it has one: two equi-joins, so a province is blocked per
    regency instead of filtered after the join."""
    return f"""SELECT k.member_id, x.resident_id FROM {keys} k JOIN {residents} x ON {on} AND x.region = k.region
        UNION ALL SELECT k.member_id, x.resident_id FROM {keys} k JOIN {residents} x ON {on} WHERE k.region IS NULL"""


_DOB_KEYS = """
    SELECT member_id, birth_date AS d FROM {members} WHERE birth_date IS NOT NULL
    UNION SELECT member_id, nik_birth_date FROM {members} WHERE nik_birth_date IS NOT NULL
    UNION SELECT member_id, make_date(year(birth_date), day(birth_date), month(birth_date)) AS d
          FROM {members} WHERE birth_date IS NOT NULL AND day(birth_date) <= 12
"""

# Open memberships' uncommon words (or whole name) and a birth date (stated, else the NIK's), for
# the rules that take a date off by one field *and* a name written another way. They meet every
# regency: a row whose date and name are both damaged often has a damaged NIK too (restricted to the
# NIK's regency, these rules lost true pairs and the EM estimates of rare date levels with them).
_WORD_DATE_KEYS = """
    WITH y AS (SELECT member_id, name_sorted, coalesce(birth_date, nik_birth_date) AS d FROM {members}
               WHERE coalesce(birth_date, nik_birth_date) IS NOT NULL AND name_sorted <> ''),
    mw AS (SELECT DISTINCT t.member_id, t.d, t.w
           FROM (SELECT member_id, d, explode(split(name_sorted, ' ')) AS w FROM y) t
           JOIN block_word_commonness s ON s.w = t.w WHERE s.carriers <= """ + str(COMMON_WORD_CARRIERS) + """
           UNION SELECT member_id, d, '=' || name_sorted FROM y)
"""


def _positions(last: int) -> str:
    """The positions 1..last as a table `pos(i)` (both engines read VALUES alike)."""
    return "SELECT i FROM (VALUES " + ", ".join(f"({i})" for i in range(1, last + 1)) + ") AS pos(i)"


BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(
        "nik_exact", "NIK sama",
        "SELECT m.member_id, r.resident_id FROM {members} m JOIN {residents} r ON m.nik = r.nik",
    ),
    BlockingRule(
        "nik_is_kk", "yang tertulis di kolom NIK adalah nomor KK keluarganya",
        "SELECT m.member_id, r.resident_id FROM {members} m JOIN {residents} r ON m.nik = r.no_kk",
    ),
    BlockingRule(
        "birth_date", "tanggal lahir sama (termasuk tanggal dari NIK, atau hari dan bulan tertukar) dan nama mirip",
        # Everyone born that day would grow with the square of the city: an open membership only
        # meets those whose name shares a word with its own, is close to it, or holds it (a nickname).
        f"""WITH d AS ({_DOB_KEYS}),
        keys AS ({_name_keys("{members}", "member_id, nik, nik_status")}),
        mk AS (SELECT DISTINCT d.member_id, d.d, m.k, {_MEMBER_REGION} AS region
               FROM d JOIN keys m ON m.member_id = d.member_id),
        hits AS ({_regional("mk", "block_resident_keys", "x.birth_date = k.d AND x.k = k.k")})
        SELECT DISTINCT h.member_id, h.resident_id FROM hits h
        JOIN {{members}} m ON m.member_id = h.member_id JOIN {{residents}} r ON r.resident_id = h.resident_id
        WHERE {_NAMES_RELATED}""",
        scope="open",
    ),
    BlockingRule(
        "birth_date_training", "tanggal lahir sama (contoh untuk melatih model)",
        # Everyone born the same day, for a sample: the model learns from these non-matches.
        f"""WITH d AS ({_DOB_KEYS})
        SELECT DISTINCT d.member_id, r.resident_id FROM d JOIN {{residents}} r ON r.birth_date = d.d""",
        scope="sample",
    ),
    BlockingRule(
        "nik_first15", "15 digit pertama NIK sama (digit terakhir hilang di Excel atau salah ketik)",
        f"""SELECT m.member_id, r.resident_id FROM {{members}} m JOIN {{residents}} r ON m.nik15 = left(r.nik, 15)
        UNION SELECT m.member_id, r.resident_id FROM {{members}} m JOIN {{residents}} r
        ON m.nik15 = {NIK15_ROUNDED.format(nik="r.nik")}""",
        scope="open",
    ),
    BlockingRule(
        "nik_prefix_name", "nama sama dan angka NIK yang tersisa setelah rusak di Excel cocok",
        # "3.57703E+15" and no birth date: the kept digits (the kecamatan, often) narrow the residents
        # carrying the same name to those whose NIK they round.
        f"""SELECT m.member_id, r.resident_id FROM {{members}} m JOIN {{residents}} r ON r.name_sorted = m.name_sorted
        WHERE m.nik_prefix IS NOT NULL AND m.birth_date IS NULL AND m.name_sorted <> '' AND {NIK_PREFIX_AGREES}""",
        scope="open",
    ),
    BlockingRule(
        "nik_one_digit", "NIK berbeda satu digit",
        f"""WITH pos AS ({_positions(16)}),
        mk AS (SELECT member_id, i, left(nik, i - 1) || substr(nik, i + 1) AS k
               FROM {{members}}, pos WHERE nik IS NOT NULL),
        rk AS (SELECT resident_id, i, left(nik, i - 1) || substr(nik, i + 1) AS k FROM {{residents}}, pos)
        SELECT DISTINCT mk.member_id, rk.resident_id FROM mk JOIN rk ON mk.i = rk.i AND mk.k = rk.k""",
        scope="open",
    ),
    BlockingRule(
        "nik_transposed", "dua digit NIK yang bersebelahan tertukar",
        f"""WITH pos AS ({_positions(15)}),
        mt AS (SELECT member_id,
                      left(nik, i - 1) || substr(nik, i + 1, 1) || substr(nik, i, 1) || substr(nik, i + 2) AS t
               FROM {{members}}, pos WHERE nik IS NOT NULL AND substr(nik, i, 1) <> substr(nik, i + 1, 1))
        SELECT DISTINCT mt.member_id, r.resident_id FROM mt JOIN {{residents}} r ON r.nik = mt.t""",
        scope="open",
    ),
    BlockingRule(
        "name_year", "satu kata nama sama dan nama mirip, tahun lahir sama, dan hari atau bulan lahir sama "
        "(atau salah satu tanggal 1 Januari/1 Juli, tanggal pengganti)",
        f"""{_WORD_DATE_KEYS}
        SELECT DISTINCT k.member_id, x.resident_id FROM mw k JOIN block_resident_words x ON x.w = k.w
            AND year(x.birth_date) = year(k.d) AND (month(x.birth_date) = month(k.d) OR day(x.birth_date) = day(k.d)
                OR {PLACEHOLDER_DATE.format(d="k.d")} OR {PLACEHOLDER_DATE.format(d="x.birth_date")})
        JOIN {{members}} m ON m.member_id = k.member_id JOIN {{residents}} r ON r.resident_id = x.resident_id
        WHERE {_NAMES_CLOSE}""",
        scope="open",
    ),
    BlockingRule(
        "name_only", "nama lengkap sama atau mirip (tanpa NIK dan tanggal lahir), nama yang jarang di register",
        # Rows with neither a NIK nor a birth date: only the full name (two words or more) is left. A
        # name many residents carry is no evidence, and pairing it with all of them would grow with
        # the square of the city, so only residents whose name at most NAME_ONLY_MAX_CARRIERS carry:
        # the same name, or a close one (a typo, a word dropped) sharing a word at most
        # NAME_ONLY_WORD_CARRIERS residents carry.
        f"""WITH nm AS (SELECT m.member_id, m.name_sorted FROM {{members}} m
            WHERE m.nik IS NULL AND m.nik15 IS NULL AND m.birth_date IS NULL AND m.nik_birth_date IS NULL
              AND contains(m.name_sorted, ' ')),
        rare AS (SELECT name_sorted FROM residents GROUP BY 1 HAVING count(*) <= {NAME_ONLY_MAX_CARRIERS}),
        mw AS (SELECT DISTINCT t.member_id, t.w FROM (SELECT member_id, explode(split(name_sorted, ' ')) AS w FROM nm) t
               JOIN block_word_commonness s ON s.w = t.w WHERE s.carriers <= {NAME_ONLY_WORD_CARRIERS})
        SELECT nm.member_id, r.resident_id FROM nm JOIN rare USING (name_sorted)
        JOIN {{residents}} r ON r.name_sorted = nm.name_sorted
        UNION
        SELECT k.member_id, x.resident_id FROM mw k JOIN block_resident_words x ON x.w = k.w
        JOIN {{members}} m ON m.member_id = k.member_id JOIN {{residents}} r ON r.resident_id = x.resident_id
        JOIN rare ON rare.name_sorted = r.name_sorted
        WHERE r.name_sorted <> m.name_sorted AND {_NAMES_CLOSE}""",
        scope="open",
    ),
    BlockingRule(
        "name_month_day", "satu kata nama sama dan nama mirip, hari dan bulan lahir sama",
        f"""{_WORD_DATE_KEYS}
        SELECT DISTINCT k.member_id, x.resident_id FROM mw k JOIN block_resident_words x ON x.w = k.w
            AND month(x.birth_date) = month(k.d) AND day(x.birth_date) = day(k.d)
        JOIN {{members}} m ON m.member_id = k.member_id JOIN {{residents}} r ON r.resident_id = x.resident_id
        WHERE {_NAMES_CLOSE}""",
        scope="open",
    ),
)


def _build_name_keys(db: Backend, residents: str) -> None:
    """The residents' side of the keyed rules, computed once: name keys with the birth date, word
    commonness (over the whole register, so a regency's pairs do not depend on which others are
    blocked with it), and each resident's uncommon words plus the whole name."""
    db.create_table("block_resident_keys", f"""SELECT DISTINCT resident_id, birth_date, k, left(nik, 4) AS region
        FROM ({_name_keys(residents, "resident_id, birth_date, nik")}) WHERE birth_date IS NOT NULL""",
                    temporary=True)
    db.create_table("block_word_commonness", """
        SELECT w, count(DISTINCT resident_id) AS carriers
        FROM (SELECT resident_id, explode(split(name_sorted, ' ')) AS w FROM residents) GROUP BY w""", temporary=True)
    db.create_table("block_resident_words", f"""
        SELECT DISTINCT t.resident_id, t.birth_date, t.w
        FROM (SELECT resident_id, birth_date, explode(split(name_sorted, ' ')) AS w FROM {residents}) t
        JOIN block_word_commonness s ON s.w = t.w
        WHERE s.carriers <= {COMMON_WORD_CARRIERS} AND t.birth_date IS NOT NULL
        UNION SELECT resident_id, birth_date, '=' || name_sorted FROM {residents}
        WHERE birth_date IS NOT NULL AND name_sorted <> ''""", temporary=True)


def build_candidate_pairs(con: duckdb.DuckDBPyConnection | Backend, rules: tuple[BlockingRule, ...] = BLOCKING_RULES,
                          *, training_sample: int = 20_000, residents: str = "residents") -> list[tuple[str, int]]:
    """(Re)create `candidate_pairs(member_id, resident_id, rule)` and `blocking_stats`.

    `training_sample` is about how many memberships the "sample" scope takes. `residents` is the table
    (or view) of the residents to pair, by default all of them: a subset (one regency's) gets exactly
    the pairs of those residents that blocking the whole register gives, since every frequency the
    rules read (common words, rare names, birth dates per day, settled memberships) is the register's.
    Returns (rule, new pairs) in rule order.
    """
    db = as_backend(con)
    _build_name_keys(db, residents)
    db.create_table("open_members", """
        SELECT m.* FROM memberships m LEFT JOIN (
            SELECT DISTINCT s.member_id FROM memberships s JOIN residents r ON r.nik = s.nik
            WHERE r.name_sorted = s.name_sorted OR ucj_jw(r.name_sorted, s.name_sorted) >= 0.9) settled
        ON settled.member_id = m.member_id WHERE settled.member_id IS NULL""", temporary=True)
    all_members = db.scalar("SELECT count(*) FROM memberships")
    open_count = db.scalar("SELECT count(*) FROM open_members")
    # Each sampled membership meets everyone born on its dates (about three): in a province that is
    # hundreds of residents, so the sample shrinks to keep the training pairs about TRAINING_PAIRS_MAX.
    born_per_day = db.scalar("SELECT count(*) / greatest(count(DISTINCT birth_date), 1) FROM residents") or 1.0
    training_sample = min(training_sample, max(100, int(TRAINING_PAIRS_MAX / (3 * born_per_day))))
    step = max(1, -(-all_members // max(training_sample, 1)))  # every step-th membership
    db.create_table("training_members", f"SELECT * FROM memberships WHERE member_id % {step} = 0", temporary=True)
    tables = {"all": "memberships", "open": "open_members", "sample": "training_members"}
    union = "\nUNION ALL\n".join(
        f"SELECT member_id, resident_id, {order} AS rule_order "
        f"FROM ({rule.sql.format(members=tables[rule.scope], residents=residents)})"
        for order, rule in enumerate(rules)
    )
    names = " ".join(f"WHEN {order} THEN '{r.name}'" for order, r in enumerate(rules))
    db.create_table("candidate_pairs", f"""
    SELECT member_id, resident_id, CASE min(rule_order) {names} END AS rule
    FROM ({union})
    GROUP BY member_id, resident_id""", order_by="member_id, resident_id")
    counts = dict(db.rows("SELECT rule, count(*) FROM candidate_pairs GROUP BY rule"))
    stats = [(rule.name, int(counts.get(rule.name, 0))) for rule in rules]
    blocked = {"all": all_members, "open": open_count, "sample": db.scalar("SELECT count(*) FROM training_members")}
    table = pa.table({"rule": [r.name for r in rules], "rule_order": pa.array(range(len(rules)), pa.int32()),
                      "new_pairs": pa.array([n for _, n in stats], pa.int64()), "scope": [r.scope for r in rules],
                      "members_blocked": pa.array([blocked[r.scope] for r in rules], pa.int64()),
                      "description": [r.description for r in rules]})
    db.register("blocking_stats_rows", table)
    try:
        db.create_table("blocking_stats", "SELECT * FROM blocking_stats_rows")
    finally:
        db.unregister("blocking_stats_rows")
    return stats
