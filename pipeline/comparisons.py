"""Comparisons as data: each is an ordered list of levels, each level a SQL predicate over one
membership row `m` and one resident row `r`, with a label and an Indonesian phrase for
explanations. The first true level wins; `null_sql` true means "not comparable" (weight 0).

`levels_sql` compiles them into one SELECT giving, per pair, the level index of every comparison
(`g_<name>`, -1 for null) plus the name frequency used by the term-frequency adjustment.
RapidFuzz's token-set ratio runs inside DuckDB as a vectorised (Arrow) function.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
from rapidfuzz import fuzz, process

__all__ = ["Level", "Comparison", "COMPARISONS", "ANCHORS", "levels_sql", "prepare_link_tables", "register_functions"]


@dataclass(frozen=True)
class Level:
    label: str
    phrase: str  # Indonesian, completes "…: <phrase>"
    sql: str
    tf_adjusted: bool = False


@dataclass(frozen=True)
class Comparison:
    name: str
    title: str  # Indonesian name of the field
    null_sql: str
    levels: tuple[Level, ...]


_M_TOKENS = "m.name_tokens"
_R_TOKENS = "r.name_tokens"
_JW = ("greatest(jaro_winkler_similarity(m.name_key, r.name_key), "
       "jaro_winkler_similarity(m.name_sorted, r.name_sorted))")

# The NIK is compared on its region (digits 1-6) and serial (13-16) only: its birth-date digits
# (7-12) are evidence the birth-date comparison already weighs (`nik_date` level). Comparing all 16
# digits would count the date twice, and would make two people born the same day in neighbouring
# kecamatan look like a one-digit typo of each other.
_M10, _R10 = "m.nik_region || m.nik_serial", "r.nik_region || r.nik_serial"
NIK = Comparison(
    "nik", "NIK",
    "m.nik_region IS NULL AND m.nik_prefix IS NULL",
    (
        Level("is_kk", "berisi nomor KK keluarganya", "m.nik = r.no_kk"),
        Level("exact", "sama (kode wilayah dan nomor urut)", f"{_M10} = {_R10}"),
        # Excel keeps 15 significant digits: digit 16 is lost (typed) or rounded into digit 15 (float).
        Level("first15", "sama sampai digit ke-15 (digit terakhir hilang di Excel)",
              "m.nik_serial IS NULL AND m.nik_region = r.nik_region "
              "AND (m.nik_serial3 = left(r.nik_serial, 3) OR m.nik_serial3 = right(r.nik15_rounded, 3))"),
        Level("one_digit", "beda satu digit atau dua digit tertukar",
              f"hamming({_M10}, {_R10}) = 1 OR (hamming({_M10}, {_R10}) = 2 AND damerau_levenshtein({_M10}, {_R10}) = 1)"),
        # "3.57702E+15" shows the NIK rounded to a few significant digits.
        Level("prefix", "angka yang tersisa setelah rusak di Excel cocok",
              "m.nik_prefix IS NOT NULL AND m.nik_prefix = CAST((CAST(r.nik AS BIGINT) "
              "+ 5 * CAST(10 ** (15 - length(m.nik_prefix)) AS BIGINT)) "
              "// CAST(10 ** (16 - length(m.nik_prefix)) AS BIGINT) AS VARCHAR)"),
        Level("different", "berbeda", "TRUE"),
    ),
)

# Pair predicates that anchor the EM sessions (`pipeline.model.TRAINING_SESSIONS`).
ANCHORS: dict[str, str] = {
    "same_birth_date": "m.birth_date = r.birth_date",
    "same_nik": "m.nik = r.nik",
    "same_name": "m.name_sorted = r.name_sorted",
}

NAME = Comparison(
    "name", "nama",
    "m.name_sorted = '' OR r.name_sorted = ''",
    (
        Level("exact", "sama (setelah ejaan dan gelar diseragamkan)", "m.name_sorted = r.name_sorted", True),
        Level("one_typo", "beda satu huruf",
              "levenshtein(m.name_key, r.name_key) <= 1 OR levenshtein(m.name_sorted, r.name_sorted) <= 1", True),
        Level("near", "hampir sama", f"{_JW} >= 0.92", True),
        Level("subset", "satu nama memuat nama yang lain",
              f"list_has_all({_M_TOKENS}, {_R_TOKENS}) OR list_has_all({_R_TOKENS}, {_M_TOKENS})", True),
        Level("similar", "mirip", f"rf_token_set_ratio(m.name_key, r.name_key) >= 85 OR {_JW} >= 0.88", True),
        Level("different", "berbeda", "TRUE"),
    ),
)

_MB, _RB = "m.birth_date", "r.birth_date"
BIRTH_DATE = Comparison(
    "birth_date", "tanggal lahir",
    "m.birth_date IS NULL AND m.nik_birth_date IS NULL",
    (
        Level("exact", "sama", f"{_MB} = {_RB}"),
        # The stated dates disagree (or one is missing) but the date inside one NIK matches.
        Level("nik_date", "sama dengan tanggal yang tertulis di NIK",
              f"m.nik_birth_date = {_RB} OR {_MB} = r.nik_birth_date"),
        Level("swapped", "hari dan bulan tertukar",
              "m.birth_year = r.birth_year AND m.birth_month = r.birth_day AND m.birth_day = r.birth_month"),
        Level("year_off_one", "tahun beda satu",
              "m.birth_month = r.birth_month AND m.birth_day = r.birth_day AND abs(m.birth_year - r.birth_year) = 1"),
        Level("one_field", "hari atau bulan berbeda",
              "m.birth_year = r.birth_year AND (m.birth_month = r.birth_month OR m.birth_day = r.birth_day)"),
        Level("different", "berbeda", "TRUE"),
    ),
)

COMPARISONS: tuple[Comparison, ...] = (NIK, NAME, BIRTH_DATE)


def _token_set_ratio(left: pa.Array, right: pa.Array) -> pa.Array:
    scores = process.cpdist(left.to_pylist(), right.to_pylist(), scorer=fuzz.token_set_ratio, workers=-1)
    return pa.array(scores, type=pa.float64())


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the RapidFuzz scorers used by the levels (idempotent per connection)."""
    try:
        con.create_function("rf_token_set_ratio", _token_set_ratio, ["VARCHAR", "VARCHAR"], "DOUBLE",
                            type="arrow", null_handling="special", side_effects=False)
    except (duckdb.CatalogException, duckdb.NotImplementedException):
        pass  # already registered on this connection


def _level_case(comparison: Comparison) -> str:
    whens = " ".join(f"WHEN {lvl.sql} THEN {i}" for i, lvl in enumerate(comparison.levels))
    return f"CASE WHEN {comparison.null_sql} THEN -1 {whens} END"


def prepare_link_tables(con: duckdb.DuckDBPyConnection) -> None:
    """`link_members` / `link_residents`: the columns comparisons read, computed once per record
    (name tokens, date parts, name frequency) instead of once per pair."""
    con.execute("""CREATE OR REPLACE TABLE name_frequencies AS
        SELECT name_sorted, count(*) / (SELECT count(*) FROM residents) AS tf FROM residents GROUP BY 1""")
    floor = "(SELECT 1.0 / count(*) FROM residents)"
    for target, source, key, extra in (
        ("link_members", "memberships", "member_id",
         "x.nik, x.nik_prefix, x.nik_birth_date, left(x.nik15, 6) AS nik_region, right(x.nik, 4) AS nik_serial, "
         "substr(x.nik15, 13, 3) AS nik_serial3"),
        ("link_residents", "residents", "resident_id",
         "x.nik, x.no_kk, x.nik_birth_date, left(x.nik, 6) AS nik_region, right(x.nik, 4) AS nik_serial, "
         "CAST((CAST(x.nik AS BIGINT) + 5) // 10 AS VARCHAR) AS nik15_rounded"),
    ):
        con.execute(f"""CREATE OR REPLACE TABLE {target} AS
            SELECT x.{key}, {extra}, x.name_key, x.name_sorted, string_split(x.name_sorted, ' ') AS name_tokens,
                x.birth_date, year(x.birth_date) AS birth_year, month(x.birth_date) AS birth_month,
                day(x.birth_date) AS birth_day, coalesce(f.tf, {floor}) AS name_tf
            FROM {source} x LEFT JOIN name_frequencies f ON f.name_sorted = x.name_sorted
            ORDER BY x.{key}""")


def levels_sql(pairs_table: str, comparisons: tuple[Comparison, ...] = COMPARISONS) -> str:
    """SELECT member_id, resident_id, g_<comparison>..., name_tf for the pairs in `pairs_table`.

    `name_tf` is the share of residents carrying the name an agreement rests on: the resident's
    name, or for the subset level the shorter of the two names. Needs `prepare_link_tables`.
    """
    gammas = ",\n        ".join(f"{_level_case(c)}::TINYINT AS g_{c.name}" for c in comparisons)
    anchors = ",\n        ".join(f"coalesce({sql}, FALSE) AS anchor_{name}" for name, sql in ANCHORS.items())
    return f"""
    SELECT p.member_id, p.resident_id,
        {gammas},
        {anchors},
        CASE WHEN length(m.name_sorted) < length(r.name_sorted) THEN m.name_tf ELSE r.name_tf END
            AS name_tf_shorter,
        r.name_tf
    FROM {pairs_table} p
    JOIN link_members m ON m.member_id = p.member_id
    JOIN link_residents r ON r.resident_id = p.resident_id
    """
