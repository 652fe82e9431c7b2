"""Comparisons as data: each is an ordered list of levels, each level a SQL predicate over one
membership row `m` and one resident row `r`, with a label and an Indonesian phrase for
explanations. The first true level wins; `null_sql` true means "not comparable" (weight 0).

A comparison may be `given` another: the NIK holds the birth date, and NIKs are unique, so a NIK
that differs in one digit from a resident born the same day is weak evidence (a neighbour's
serial), while the same difference between people born on different days is strong. When the
birth dates agree, NIK weights come from the EM session run on pairs that agree on birth date,
whose u is conditional on that agreement (`pipeline.linking.model`).

`levels_sql` compiles everything into one SELECT giving, per pair, the level index of every
comparison (`g_<name>`, -1 for null), the EM anchors, and the name frequencies the term-frequency
adjustment needs. The SQL is the portable kind of `pipeline.linking.backends` (its `ucj_*` string
scores run natively in DuckDB, where a CASE evaluates them only for the pairs no earlier level took,
and as RapidFuzz over Arrow batches on Spark).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipeline.linking.backends import Backend, as_backend
from pipeline.normalise.names import WORDS_SIMILAR

__all__ = ["Level", "Comparison", "Given", "WORK", "COMPARISONS", "ANCHORS", "PAIR_FLAGS", "NIK15_ROUNDED",
           "NIK_PREFIX_AGREES", "PLACEHOLDER_DATE", "level_columns", "levels_sql", "prepare_link_tables"]


@dataclass(frozen=True)
class Level:
    label: str
    phrase: str  # Indonesian, completes "<field>: <phrase>"
    sql: str
    tf_adjusted: bool = False


@dataclass(frozen=True)
class Given:
    comparison: str  # the comparison this one depends on
    levels: tuple[str, ...]  # its levels that count as agreement
    session: str  # the EM anchor (ANCHORS key) whose m and u apply under that agreement
    phrase: str  # Indonesian, shown in explanations


@dataclass(frozen=True)
class Comparison:
    name: str
    title: str  # Indonesian name of the field
    null_sql: str
    levels: tuple[Level, ...]
    given: Given | None = None


_M_TOKENS = "m.name_tokens"
_R_TOKENS = "r.name_tokens"
_NICKNAME = ("(NOT contains({a}.name_sorted, ' ') AND length({a}.name_sorted) >= 3 "
             "AND contains({b}.name_sorted, {a}.name_sorted))")
_HAS_INITIAL = "regexp_like({}.name_sorted, '(^| )[A-Z]( |$)')"

# Computed once per pair before the levels, which refer to them by name: the costly string
# functions then run only where a cheap feature says they can matter.
PAIR_FEATURES: dict[str, str] = {
    "name_jw": "greatest(ucj_jw(m.name_key, r.name_key), ucj_jw(m.name_sorted, r.name_sorted))",
    "name_common": f"arrays_overlap({_M_TOKENS}, {_R_TOKENS})",
}

# The export's "3.57703E+15": the digits Excel kept are the resident's NIK rounded to as many digits.
NIK_PREFIX_AGREES = ("m.nik_prefix IS NOT NULL AND m.nik_prefix = CAST(ucj_div(CAST(r.nik AS BIGINT) "
                     "+ 5 * CAST(power(10, 15 - length(m.nik_prefix)) AS BIGINT), "
                     "CAST(power(10, 16 - length(m.nik_prefix)) AS BIGINT)) AS STRING)")

_ONE_NIK_TYPO = ("ucj_hamming(m.nik, r.nik) = 1 "
                 "OR (ucj_hamming(m.nik, r.nik) = 2 AND ucj_damerau_levenshtein(m.nik, r.nik) = 1)")

NIK = Comparison(
    "nik", "NIK",
    "m.nik IS NULL AND m.nik15 IS NULL AND m.nik_prefix IS NULL",
    (
        Level("is_kk", "berisi nomor KK keluarganya", "m.nik = r.no_kk"),
        Level("exact", "sama persis", "m.nik = r.nik"),
        # Excel keeps 15 significant digits: digit 16 is lost (typed) or rounded into digit 15 (float).
        # A sheet saved as text keeps the rounding but not the number cell: a NIK ending in 0 may be it.
        Level("first15", "sama sampai digit ke-15 (digit terakhir hilang di Excel)",
              "(m.nik IS NULL AND (m.nik15 = left(r.nik, 15) OR m.nik15 = r.nik15_rounded)) "
              "OR (right(m.nik, 1) = '0' AND m.nik15 = r.nik15_rounded)"),
        # A typo inside the birth-date digits (7-12) while region, serial and sex (day + 40) agree:
        # the stated birth date, not the NIK's, is then what matches.
        Level("date_digit", "beda satu digit pada bagian tanggal lahir",
              "left(m.nik, 6) = left(r.nik, 6) AND right(m.nik, 4) = right(r.nik, 4) "
              "AND (substr(m.nik, 7, 1) >= '4') = (substr(r.nik, 7, 1) >= '4') "
              "AND ucj_damerau_levenshtein(substr(m.nik, 7, 6), substr(r.nik, 7, 6)) = 1"),
        Level("one_digit", "beda satu digit atau dua digit tertukar",
              f"{_ONE_NIK_TYPO}"),
        # "3.57702E+15" shows the NIK rounded to a few significant digits.
        Level("prefix", "angka yang tersisa setelah rusak di Excel cocok", NIK_PREFIX_AGREES),
        Level("different", "berbeda", "m.nik IS NULL OR m.nik_status <> 'valid' OR left(m.nik, 4) = left(r.nik, 4)"),
        # A valid NIK of another regency is someone else's: a namesake born the same day elsewhere.
        # Last, so no agreement level is floored at its (strongly negative) weight.
        Level("other_region", "berbeda, NIK dari kabupaten/kota lain", "TRUE"),
    ),
    given=Given("birth_date", ("exact", "nik_date"), "same_birth_date", "tanggal lahir sama"),
)

NAME = Comparison(
    "name", "nama",
    "m.name_sorted = '' OR r.name_sorted = ''",
    (
        Level("exact", "sama (setelah ejaan dan gelar diseragamkan)", "m.name_sorted = r.name_sorted", True),
        # One edit keeps Jaro-Winkler above 0.8 for names of four letters or more.
        Level("one_typo", "beda satu huruf",
              "name_jw >= 0.8 AND (levenshtein(m.name_key, r.name_key) <= 1 "
              "OR levenshtein(m.name_sorted, r.name_sorted) <= 1)", True),
        Level("near", "hampir sama", "name_jw >= 0.92", True),
        Level("subset", "satu nama (dua kata atau lebih) termuat dalam nama yang lain",
              f"name_common AND least(size({_M_TOKENS}), size({_R_TOKENS})) >= 2 AND "
              f"(ucj_holds_all({_M_TOKENS}, {_R_TOKENS}) OR ucj_holds_all({_R_TOKENS}, {_M_TOKENS}))", True),
        # "A. ROZAK" / "ABDUL ROZAK", "SRI W. LESTARI" / "SRI WAHYUNI LESTARI".
        Level("initials", "ditulis dengan inisial (huruf pertama kata nama yang lain)",
              f"({_HAS_INITIAL.format('m')} OR {_HAS_INITIAL.format('r')}) "
              "AND ucj_initials_agree(m.name_sorted, r.name_sorted)", True),
        Level("one_word", "satu kata nama termuat dalam nama yang lain",
              f"name_common AND (ucj_holds_all({_M_TOKENS}, {_R_TOKENS}) OR ucj_holds_all({_R_TOKENS}, {_M_TOKENS}))",
              True),
        # A one-word name found inside a word of the other: Javanese nicknames keep the last
        # syllables ("YUNI" for WAHYUNI, "BOWO" for WIBOWO, "TOSO" for SANTOSO).
        Level("nickname", "nama panggilan: termuat di dalam kata nama yang lain",
              f"{_NICKNAME.format(a='m', b='r')} OR {_NICKNAME.format(a='r', b='m')}", True),
        # Each word of the shorter name close to a word of the longer: dropped or added words with
        # typos ("NDAH PUTRI" / "INDAH", "RIMA" / "RISMA KURNIAWATI").
        Level("words_similar", "setiap kata nama yang lebih pendek mirip dengan kata nama yang lain",
              f"ucj_monge_elkan({_M_TOKENS}, {_R_TOKENS}) >= {WORDS_SIMILAR}", True),
        Level("similar", "mirip",
              "name_jw >= 0.85 OR (name_common AND ucj_token_set_ratio(m.name_key, r.name_key) >= 85)", True),
        Level("different", "berbeda", "TRUE"),
    ),
)

# A birth date on 1 January or 1 July: what offices write when only the year is known.
PLACEHOLDER_DATE = "(day({d}) = 1 AND month({d}) IN (1, 7))"

# The stated date is the export NIK's own date, and that NIK differs from the resident's only in the
# date digits: the date digits were not mistyped (two fields agree on them), so they are another
# person's (a neighbour born another day, same serial), and a near date is no near miss.
_OWN_NIK_DATE = ("coalesce(m.birth_date = m.nik_birth_date AND m.nik <> r.nik AND left(m.nik, 6) = left(r.nik, 6) "
                 "AND right(m.nik, 4) = right(r.nik, 4), FALSE)")

BIRTH_DATE = Comparison(
    "birth_date", "tanggal lahir",
    # No date of its own: the NIK's date is no independent evidence when the NIKs are equal, nor when
    # they are one typo apart and that typo is what makes the dates differ (the NIK comparison has
    # already weighed that digit; counting it again as a wrong birth date would punish one typo twice).
    # Nor when the "NIK" is the family's KK number: its date digits are the card's issue date.
    "m.birth_date IS NULL AND (m.nik_birth_date IS NULL OR m.nik = r.nik OR m.nik = r.no_kk "
    f"OR (m.nik_birth_date <> r.birth_date AND ({_ONE_NIK_TYPO})))",
    (
        Level("exact", "sama", "m.birth_date = r.birth_date"),
        # The stated dates disagree (or one is missing) but the date inside one NIK matches. Not
        # when the NIKs are equal: then the NIK comparison already counted those digits.
        Level("nik_date", "sama dengan tanggal yang tertulis di NIK",
              "m.nik IS DISTINCT FROM r.nik AND ((m.nik_birth_date = r.birth_date "
              "AND NOT coalesce(m.nik = r.no_kk, FALSE)) OR m.birth_date = r.nik_birth_date)"),
        Level("swapped", "hari dan bulan tertukar",
              "m.birth_year = r.birth_year AND m.birth_month = r.birth_day AND m.birth_day = r.birth_month "
              "AND NOT " + _OWN_NIK_DATE),
        Level("year_off_one", "tahun beda satu",
              "m.birth_month = r.birth_month AND m.birth_day = r.birth_day AND abs(m.birth_year - r.birth_year) = 1 "
              "AND NOT " + _OWN_NIK_DATE),
        Level("one_field", "hari atau bulan berbeda",
              "m.birth_year = r.birth_year AND (m.birth_month = r.birth_month OR m.birth_day = r.birth_day) "
              "AND NOT " + _OWN_NIK_DATE),
        # 1 January or 1 July written when the day was not known (domain.md §1.3): only the year is a
        # date then, and it agrees. How much that says is EM's to learn, as for every level.
        Level("placeholder", "tahun sama, tanggal 1 Januari atau 1 Juli (tanggal pengganti)",
              f"m.birth_year = r.birth_year AND ({PLACEHOLDER_DATE.format(d='m.birth_date')} "
              f"OR {PLACEHOLDER_DATE.format(d='r.birth_date')}) AND NOT " + _OWN_NIK_DATE),
        Level("different", "berbeda", "TRUE"),
    ),
)

# The export's segment against the register's occupation: a wage earner's card (PU) belongs more
# often to someone the register lists with a formal job, an own-account card (BPU, construction) to
# someone working informally, and seldom to someone the register says does not work. How much
# each says is EM's to learn (nothing when the register's occupations are stale); it decides
# between namesakes when no NIK tells them apart. Migrant workers' (PMI) and unknown segments, and
# residents without a known occupation, are not compared.
WORK = Comparison(
    "work", "pekerjaan",
    "m.segment IS NULL OR m.segment NOT IN ('PU', 'BPU', 'JAKON') "
    "OR r.occupation_group IS NULL OR r.occupation_group NOT IN ('formal', 'informal', 'other_scheme', 'not_working')",
    (
        Level("matches", "segmen kepesertaan sesuai dengan pekerjaan di register",
              "(m.segment = 'PU' AND r.occupation_group = 'formal') "
              "OR (m.segment IN ('BPU', 'JAKON') AND r.occupation_group = 'informal')"),
        Level("other_work", "bekerja, tetapi jenis pekerjaan di register lain dari segmennya",
              "r.occupation_group <> 'not_working'"),
        Level("different", "register mencatatnya tidak bekerja", "TRUE"),
    ),
)

COMPARISONS: tuple[Comparison, ...] = (NIK, NAME, BIRTH_DATE, WORK)

# Pair predicates that anchor the EM sessions (`pipeline.linking.model.TRAINING_SESSIONS`).
ANCHORS: dict[str, str] = {
    "same_birth_date": "m.birth_date = r.birth_date",
    "same_name": "m.name_sorted = r.name_sorted",
}


# Pair facts the model reads besides the levels. The NIK holds the birth date: the same 16 digits with a
# birth date that agrees (or none stated) is the strongest evidence these files hold
# (`pipeline.linking.model`: a name comparison alone cannot veto it).
PAIR_FLAGS: dict[str, str] = {
    "nik_date_agree": "m.nik = r.nik AND (m.birth_date IS NULL OR m.birth_date = r.birth_date "
                      "OR m.birth_date = r.nik_birth_date)",
}


# A 16-digit NIK rounded to 15 significant digits, as Excel's floats keep it.
NIK15_ROUNDED = "CAST(ucj_div(CAST({nik} AS BIGINT) + 5, 10) AS STRING)"


def _level_case(comparison: Comparison) -> str:
    whens = " ".join(f"WHEN {lvl.sql} THEN {i}" for i, lvl in enumerate(comparison.levels))
    return f"CASE WHEN {comparison.null_sql} THEN -1 {whens} END"


def prepare_link_tables(con: duckdb.DuckDBPyConnection | Backend) -> None:
    """`link_members` / `link_residents`: the columns comparisons read, computed once per record
    (name tokens, date parts, name frequency) instead of once per pair. Temporary: each linking step
    makes them again in a moment, cheaper than writing them to the warehouse."""
    db = as_backend(con)
    db.create_table("name_frequencies", """
        SELECT name_sorted, count(*) / (SELECT count(*) FROM residents) AS tf FROM residents GROUP BY name_sorted""",
                    temporary=True)
    floor = "(SELECT 1.0 / count(*) FROM residents)"
    for target, source, key, extra in (
        ("link_members", "memberships", "member_id",
         "x.nik, x.nik_status, x.nik15, x.nik_prefix, x.nik_birth_date, x.segment"),
        ("link_residents", "residents", "resident_id",
         f"x.nik, x.no_kk, x.nik_birth_date, {NIK15_ROUNDED.format(nik='x.nik')} AS nik15_rounded, "
         "x.occupation_group"),
    ):
        db.create_table(target, f"""
            SELECT x.{key}, {extra}, x.name_key, x.name_sorted, split(x.name_sorted, ' ') AS name_tokens,
                x.birth_date, year(x.birth_date) AS birth_year, month(x.birth_date) AS birth_month,
                day(x.birth_date) AS birth_day, coalesce(f.tf, {floor}) AS name_tf
            FROM {source} x LEFT JOIN name_frequencies f ON f.name_sorted = x.name_sorted""", order_by=f"x.{key}",
                        temporary=True)


def level_columns(comparisons: tuple[Comparison, ...] = COMPARISONS) -> list[str]:
    """The columns `levels_sql` selects, in its order."""
    return ["member_id", "resident_id", *PAIR_FEATURES, *(f"g_{c.name}" for c in comparisons),
            *(f"anchor_{name}" for name in ANCHORS), *PAIR_FLAGS, "name_tf_shorter", "name_tf"]


def levels_sql(pairs_table: str, comparisons: tuple[Comparison, ...] = COMPARISONS) -> str:
    """SELECT member_id, resident_id, g_<comparison>..., anchor_<name>..., <PAIR_FLAGS>..., name_tf,
    name_tf_shorter.

    `name_tf` is the share of residents carrying the resident's name; `name_tf_shorter` that of the
    shorter of the two names (for the subset levels). Needs `prepare_link_tables`.
    """
    features = ",\n        ".join(f"{sql} AS {name}" for name, sql in PAIR_FEATURES.items())
    gammas = ",\n        ".join(f"CAST({_level_case(c)} AS TINYINT) AS g_{c.name}" for c in comparisons)
    anchors = ",\n        ".join(f"coalesce({sql}, FALSE) AS anchor_{name}" for name, sql in ANCHORS.items())
    flags = ",\n        ".join(f"coalesce({sql}, FALSE) AS {name}" for name, sql in PAIR_FLAGS.items())
    return f"""
    SELECT p.member_id, p.resident_id,
        {features},
        {gammas},
        {anchors},
        {flags},
        CASE WHEN length(m.name_sorted) < length(r.name_sorted) THEN m.name_tf ELSE r.name_tf END
            AS name_tf_shorter,
        r.name_tf
    FROM {pairs_table} p
    JOIN link_members m ON m.member_id = p.member_id
    JOIN link_residents r ON r.resident_id = p.resident_id
    """
