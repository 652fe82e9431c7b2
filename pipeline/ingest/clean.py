"""Clean, validate and parse raw rows into `residents` and `memberships`; everything else goes to
`rejects` with a reason. Counts reconcile per file: rows_in = used + rejected (`reconciliation`).

All of it is SQL over the raw tables; reference tables come from `pipeline.reference`.
"""

from __future__ import annotations

import re
from datetime import date

import duckdb

from pipeline.config import Config
from pipeline.ingest.regions import resolve_places
from pipeline.normalise.dates import TRAILING_DATE, date_sql, plausible_birth_sql, stated_date_sql, trailing_date_sql
from pipeline.normalise.names import name_key_sql, name_sorted_sql
from pipeline.normalise.nik import nik_prepare_sql, nik_sql
from pipeline.reference import OCCUPATION_SYNONYMS, OCCUPATIONS, SHDK, SHDK_SYNONYMS, region_view
from pipeline.warehouse import scalar

__all__ = ["clean_register", "clean_members", "build_rejects", "REJECT_REASONS"]

# reason_code -> (column, human explanation). Shown to the data team in rejects.parquet.
REJECT_REASONS: dict[str, tuple[str | None, str]] = {
    "unreadable_row": (None, "the row does not split into the header's columns"),
    "nik_missing": ("nik", "NIK is empty"),
    "nik_invalid": ("nik", "NIK is not 16 digits (letters, wrong length or Excel scientific notation)"),
    "name_missing": ("nama", "name is empty"),
    "name_placeholder": ("nama", "name is a placeholder (N/A, NULL, -, TIDAK ADA, ...), not a name"),
    "name_formula": ("nama", "name is a spreadsheet formula (starts with =), not a name"),
    "name_too_long": ("nama", "name is longer than 150 characters (a cell cut at the spreadsheet limit of "
                              "32,767 characters, or several values run together?)"),
    "birth_date_invalid": ("tgl_lahir", "birth date is unreadable or implausible (in the future or more than "
                                        "115 years back) and the NIK holds no valid date"),
    "kelurahan_unknown": ("kelurahan", "desa/kelurahan is not one of the regions of the run ([region] codes)"),
    "kelurahan_kecamatan_mismatch": ("kecamatan", "this desa/kelurahan name is not in the given kecamatan or "
                                                  "kabupaten/kota (a village of the same name elsewhere?)"),
    "kelurahan_ambiguous": ("kelurahan", "this desa/kelurahan name is in several kecamatan of the region: "
                                         "give the kecamatan or the code"),
    "kelurahan_not_desa_code": ("kelurahan", "a kecamatan or kabupaten/kota code where the desa/kelurahan "
                                             "code (10 digits) belongs"),
    "duplicate_row": (None, "exact copy of another row, which is kept"),
    "duplicate_nik": ("nik", "NIK already used by an earlier register row with other details (after Excel, two "
                             "NIKs rounded to the same number also collide: export the NIK column as text)"),
    "kpj_missing": ("kpj", "KPJ (participant number) is empty or not a number"),
    "status_unknown": ("status", "status is neither active nor non-active (see [ingest] status values)"),
    "no_identity": ("nik", "neither a usable NIK nor a full name (two words or more) or a name with a birth "
                            "date to link on"),
    "duplicate_kpj": ("kpj", "KPJ appears again in a later row or export, which is kept"),
}


def _load_reference(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    region_view(con, config.region.codes)  # ref_kelurahan: the desa/kelurahan of the chosen regions
    overrides = config.eligibility.occupation_groups
    occ = [[o.code, o.label, overrides.get(str(o.code), o.group), o.work_risk] for o in OCCUPATIONS]
    con.execute("CREATE OR REPLACE TABLE ref_occupation (code INTEGER, label VARCHAR, grp VARCHAR, work_risk INTEGER)")
    con.executemany("INSERT INTO ref_occupation VALUES (?, ?, ?, ?)", occ)
    occ_keys = {_py_key(o.label): o.code for o in OCCUPATIONS} | OCCUPATION_SYNONYMS
    con.execute("CREATE OR REPLACE TABLE ref_occupation_key (k VARCHAR, code INTEGER)")
    con.executemany("INSERT INTO ref_occupation_key VALUES (?, ?)", sorted(occ_keys.items()))
    shdk_keys = {_py_key(label): code for code, label in SHDK.items()} | SHDK_SYNONYMS
    con.execute("CREATE OR REPLACE TABLE ref_shdk (code INTEGER, label VARCHAR)")
    con.executemany("INSERT INTO ref_shdk VALUES (?, ?)", sorted(SHDK.items()))
    con.execute("CREATE OR REPLACE TABLE ref_shdk_key (k VARCHAR, code INTEGER)")
    con.executemany("INSERT INTO ref_shdk_key VALUES (?, ?)", sorted(shdk_keys.items()))


_PLACEHOLDERS = ("NA", "N A", "NULL", "NONE", "NIL", "NAN", "KOSONG", "TIDAK ADA", "TIDAK DIKETAHUI", "BELUM ADA",
                 "TANPA NAMA", "XXX", "TEST")


def _name_problem_sql(column: str) -> str:
    """Reject code of a name that is not a name (NULL when it may be one): a formula, a placeholder, or
    a value far longer than any name (150 characters; a cut 32,767-character cell is the usual case)."""
    text = f"trim(coalesce({column}, ''))"
    words = f"trim(regexp_replace(upper({text}), '[^A-Z0-9]+', ' ', 'g'))"
    placeholders = ", ".join(f"'{p}'" for p in _PLACEHOLDERS)
    return f"""CASE WHEN {text} = '' THEN NULL
        WHEN starts_with({text}, '=') THEN 'name_formula'
        WHEN length({text}) > 150 THEN 'name_too_long'
        WHEN {words} IN ({placeholders}) OR NOT regexp_matches({text}, '\\p{{L}}') THEN 'name_placeholder'
    END"""


def _status_key(value: str) -> str:
    """A status value as compared: upper case, letters and digits only (as `status_key` in SQL)."""
    return re.sub(r"[^A-Z0-9]", "", value.upper())


def _py_key(text: str) -> str:
    return "".join(ch for ch in text.upper() if "A" <= ch <= "Z")


def _code_or_key(column: str, key_alias: str, max_code: int) -> str:
    """Code for a label or number written in `column`: the number itself, else the code found by the
    LEFT JOIN aliased `key_alias` on `_label_key(column)` (NULL when unknown)."""
    number = f"TRY_CAST(regexp_replace(trim({column}), '[.,]0+$', '') AS INTEGER)"
    return f"coalesce(CASE WHEN {number} BETWEEN 1 AND {max_code} THEN {number} END, {key_alias}.code)"


def _label_key(column: str) -> str:
    return f"regexp_replace(upper(coalesce({column}, '')), '[^A-Z]', '', 'g')"


def _distinct_name_keys(source: str, column: str = "nama") -> str:
    """Name keys of the distinct names of `source` (names repeat: each is normalised once)."""
    return (f"SELECT nama_text, {name_key_sql('nama_text')} AS name_key "
            f"FROM (SELECT DISTINCT coalesce({column}, '') AS nama_text FROM {source})")


def _select(columns: dict[str, str]) -> str:
    return ",\n    ".join(f"{expr} AS {name}" for name, expr in columns.items())


def _clean_register(con: duckdb.DuckDBPyConnection, reference_date: date) -> None:
    ref_year = reference_date.year
    # each distinct way of writing a desa/kelurahan, kecamatan and kabupaten, resolved once
    resolve_places(con, "(SELECT kelurahan AS kel_text, kecamatan AS kec_text, kabupaten AS kab_text "
                        "FROM raw_register)")
    prepared = {"*": "*", **nik_prepare_sql("r.nik")}
    nik = nik_sql(stated_birth_date="stated_birth_date", ref_year=ref_year)
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE register_parsed AS
    WITH base AS (
        SELECT r.* EXCLUDE (nik), r.nik AS nik_raw, {stated_date_sql('r.tgl_lahir', ref_year)} AS stated_date_read,
               {plausible_birth_sql(stated_date_sql('r.tgl_lahir', ref_year), reference_date)} AS stated_birth_date,
               {_name_problem_sql('r.nama')} AS name_problem,
               {_select({k: v for k, v in prepared.items() if k != '*'})}
        FROM raw_register r
    ), parsed AS (
        SELECT base.*, {_select(nik)},
            CASE WHEN upper(trim(coalesce(jenis_kelamin, '')))
                      IN ('L', 'LK', 'LAKI-LAKI', 'LAKI LAKI', 'LAKI', 'PRIA', 'M', '1')
                 THEN 'L'
                 WHEN upper(trim(coalesce(jenis_kelamin, ''))) IN ('P', 'PR', 'PEREMPUAN', 'WANITA', 'F', '2') THEN 'P'
            END AS stated_sex,
            TRY_CAST(regexp_replace(trim(desil), '[.,]0+$', '') AS INTEGER) AS desil_value
        FROM base
    ), names AS ({_distinct_name_keys('raw_register')})
    SELECT p.*, n.name_key, a.kelurahan_code, a.kel_name_known, a.problem AS place_problem,
        a.candidates AS place_candidates,
        {_code_or_key('p.pekerjaan', 'o', 89)} AS occupation_code,
        {_code_or_key('p.shdk', 's', 11)} AS shdk_code
    FROM parsed p
    JOIN names n ON n.nama_text = coalesce(p.nama, '')
    JOIN place_resolution a ON a.kel_text = coalesce(p.kelurahan, '') AND a.kec_text = coalesce(p.kecamatan, '')
        AND a.kab_text = coalesce(p.kabupaten, '')
    LEFT JOIN ref_occupation_key o ON o.k = {_label_key('p.pekerjaan')}
    LEFT JOIN ref_shdk_key s ON s.k = {_label_key('p.shdk')}
    """)
    base = """CASE
        WHEN read_problem IS NOT NULL THEN 'unreadable_row'
        WHEN _nik_raw = '' THEN 'nik_missing'
        WHEN NOT regexp_matches(_nik_digits, '^[0-9]{16}$') THEN 'nik_invalid'
        WHEN name_problem IS NOT NULL THEN name_problem
        WHEN name_key = '' THEN 'name_missing'
        WHEN coalesce(stated_birth_date, nik_birth_date) IS NULL THEN 'birth_date_invalid'
        WHEN kelurahan_code IS NULL THEN place_problem
    END"""
    _judge(con, "register_parsed", "register_judged", base,
           all_fields="nik_raw, no_kk, nama, tgl_lahir, jenis_kelamin, alamat, rt, rw, kelurahan, kecamatan, "
                      "pekerjaan, shdk, desil",
           key="_nik_digits", key_code="duplicate_nik", key_order="file_id, source_row",
           rejected="register_rejected", rejected_columns=", place_candidates, _nik_digits")


def _judge(con: duckdb.DuckDBPyConnection, source: str, target: str, base_reason: str, *, all_fields: str,
           key: str, key_code: str, key_order: str, rejected: str, rejected_columns: str = "") -> None:
    """Reject code per row: the first failing rule, then duplicates among the rows still standing.
    Exact copies are found by an MD5 of the row's fields (one key to partition on instead of a dozen).

    `target` (every row, every column) is temporary: writing it to the warehouse would cost more than
    all the rules. What later steps read of it, the rejected rows and why, is kept in `rejected`."""
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE {target} AS
    WITH a AS (SELECT *, {base_reason} AS base_code,
                      md5(CAST(to_json(list_value({all_fields})) AS VARCHAR)) AS row_digest
               FROM {source})
    SELECT a.* EXCLUDE (base_code, row_digest), coalesce(base_code, CASE
        WHEN row_number() OVER (PARTITION BY base_code IS NULL, row_digest ORDER BY {key_order}) > 1
            THEN 'duplicate_row'
        WHEN row_number() OVER (PARTITION BY base_code IS NULL, {key} ORDER BY {key_order}) > 1 THEN '{key_code}'
    END) AS reject_code
    FROM a
    """)
    con.execute(f"DROP TABLE {source}")
    con.execute(f"""CREATE OR REPLACE TABLE {rejected} AS
        SELECT file_id, source_row, reject_code, read_problem{rejected_columns} FROM {target}
        WHERE reject_code IS NOT NULL ORDER BY file_id, source_row""")


def _clean_members(con: duckdb.DuckDBPyConnection, config: Config, reference_date: date) -> None:
    ref_year = reference_date.year
    prepared = nik_prepare_sql("m.nik")
    nik = nik_sql(stated_birth_date="birth_date", ref_year=ref_year)
    status_key = "regexp_replace(upper(coalesce(status, '')), '[^A-Z0-9]', '', 'g')"
    active = ", ".join(f"'{_status_key(v)}'" for v in config.ingest.active_status_values)
    inactive = ", ".join(f"'{_status_key(v)}'" for v in config.ingest.inactive_status_values)
    segment_key = "regexp_replace(upper(coalesce(segmen, '')), '[^A-Z]', '', 'g')"
    kpj = "regexp_replace(regexp_replace(trim(coalesce(kpj, '')), '[.,]0+$', ''), '[^0-9]', '', 'g')"
    # A birth date written at the end of the name cell (name and birth-date columns merged): the stated
    # birth date when the birth-date column gives none, and cut from the name, whose key would keep a
    # month name as a word.
    merged_date = trailing_date_sql("m.nama", ref_year)
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE members_parsed AS
    WITH merged AS (
        SELECT m.*, {merged_date} AS merged_birth_date FROM raw_members m
    ), base AS (
        SELECT m.* EXCLUDE (nik, merged_birth_date), m.nik AS nik_raw,
            {plausible_birth_sql(f"coalesce({stated_date_sql('m.tgl_lahir', ref_year)}, m.merged_birth_date)",
                                 reference_date)} AS birth_date,
            CASE WHEN m.merged_birth_date IS NULL THEN coalesce(m.nama, '')
                 ELSE regexp_replace(m.nama, '{TRAILING_DATE}', '') END AS name_text,
            {_select(prepared)}
        FROM merged m
    ), names AS ({_distinct_name_keys('base', 'name_text')})
    SELECT base.* EXCLUDE (name_text), {_select(nik)},
        nullif({kpj}, '') AS kpj_clean,
        CASE WHEN {_name_problem_sql('base.nama')} IS NULL THEN n.name_key ELSE '' END AS name_key,
        CASE WHEN {status_key} IN ({active}) THEN 'AKTIF' WHEN {status_key} IN ({inactive}) THEN 'NON AKTIF'
        END AS status_clean,
        CASE WHEN {segment_key} IN ('PU', 'PENERIMAUPAH') THEN 'PU'
             WHEN {segment_key} IN ('BPU', 'BUKANPENERIMAUPAH') THEN 'BPU'
             WHEN {segment_key} IN ('JAKON', 'JASAKONSTRUKSI') THEN 'JAKON'
             WHEN {segment_key} IN ('PMI', 'PEKERJAMIGRANINDONESIA', 'PEKERJAMIGRAN') THEN 'PMI'
             WHEN {segment_key} = '' THEN NULL ELSE 'LAINNYA' END AS segment,
        {date_sql('tgl_kepesertaan', ref_year)} AS start_date,
        {date_sql('tgl_nonaktif', ref_year)} AS end_date
    FROM base JOIN names n ON n.nama_text = base.name_text
    """)
    base = """CASE
        WHEN read_problem IS NOT NULL THEN 'unreadable_row'
        WHEN kpj_clean IS NULL THEN 'kpj_missing'
        WHEN status_clean IS NULL THEN 'status_unknown'
        WHEN (name_key = '' AND nik IS NULL)
          OR (nik IS NULL AND nik15 IS NULL AND birth_date IS NULL AND NOT contains(name_key, ' ')) THEN 'no_identity'
    END"""
    # The same KPJ in two rows: the row of the last file (exports sort by date in their names) wins.
    _judge(con, "members_parsed", "members_judged", base,
           all_fields="kpj, nik_raw, nama, tgl_lahir, segmen, status, tgl_kepesertaan, tgl_nonaktif, npp, "
                      "nama_perusahaan",
           key="kpj_clean", key_code="duplicate_kpj", key_order="file_id DESC, source_row",
           rejected="members_rejected")


def _residents_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
    CREATE OR REPLACE TABLE residents AS
    SELECT row_number() OVER (ORDER BY j._nik_digits)::INTEGER AS resident_id,
        j._nik_digits AS nik, j.nik_status,
        nullif(regexp_replace(coalesce(j.no_kk, ''), '[^0-9]', '', 'g'), '') AS no_kk,
        trim(j.nama) AS nama, j.name_key, {name_sorted_sql('j.name_key')} AS name_sorted,
        coalesce(j.stated_birth_date, j.nik_birth_date) AS birth_date, j.nik_birth_date,
        coalesce(j.stated_sex, j.nik_sex) AS sex, j.nik_sex, j.nik_region, j.nik_serial,
        trim(j.alamat) AS alamat, nullif(trim(j.rt), '') AS rt, nullif(trim(j.rw), '') AS rw,
        j.kelurahan_code, k.name AS kelurahan, k.kecamatan_code, k.kecamatan,
        j.occupation_code, o.label AS occupation, coalesce(o.grp, 'unknown') AS occupation_group,
        coalesce(o.work_risk, 0) AS work_risk, j.shdk_code, s.label AS shdk,
        CASE WHEN j.desil_value BETWEEN 1 AND 10 THEN j.desil_value END AS desil,
        list_filter([
            CASE WHEN j.stated_birth_date IS NULL THEN 'birth_date_from_nik' END,
            CASE WHEN j.stated_date_read IS NOT NULL AND j.stated_birth_date IS NULL THEN 'birth_date_implausible' END,
            CASE WHEN j.stated_birth_date <> j.nik_birth_date THEN 'birth_date_differs_from_nik' END,
            CASE WHEN j.stated_sex <> j.nik_sex THEN 'sex_differs_from_nik' END,
            CASE WHEN j.nik_status NOT IN ('valid') THEN 'nik_' || j.nik_status END,
            CASE WHEN j.occupation_code IS NULL THEN 'occupation_unknown' END,
            CASE WHEN NOT coalesce(j.desil_value BETWEEN 1 AND 10, FALSE) THEN 'desil_missing' END
        ], lambda x: x IS NOT NULL) AS flags,
        j.file_id, j.source_row
    FROM register_judged j
    JOIN ref_kelurahan k ON k.code = j.kelurahan_code
    LEFT JOIN ref_occupation o ON o.code = j.occupation_code
    LEFT JOIN ref_shdk s ON s.code = j.shdk_code
    WHERE j.reject_code IS NULL
    ORDER BY resident_id
    """)


def _memberships_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
    CREATE OR REPLACE TABLE memberships AS
    SELECT row_number() OVER (ORDER BY j.file_id, j.source_row)::INTEGER AS member_id,
        j.kpj_clean AS kpj, j.nik_status, j.nik, j.nik15, j.nik_prefix, j.nik_region, j.nik_serial,
        j.nik_birth_date, j.nik_sex,
        trim(j.nama) AS nama, j.name_key, {name_sorted_sql('j.name_key')} AS name_sorted, j.birth_date,
        j.segment, j.status_clean AS status, j.status_clean = 'AKTIF' AS is_active, j.start_date, j.end_date,
        nullif(trim(j.npp), '') AS npp, nullif(trim(j.nama_perusahaan), '') AS employer,
        j.file_id, j.source_row
    FROM members_judged j
    WHERE j.reject_code IS NULL
    ORDER BY member_id
    """)


def build_rejects(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)create `rejects` from both judged tables; return counts per reason code."""
    cases = " ".join(f"WHEN '{code}' THEN '{text.replace(chr(39), chr(39) * 2)}'"
                     for code, (_, text) in REJECT_REASONS.items())
    columns = " ".join(f"WHEN '{code}' THEN '{col}'" for code, (col, _) in REJECT_REASONS.items() if col)
    con.execute(f"""
    CREATE OR REPLACE TABLE rejects AS
    SELECT role, file_id, source_row, reject_code AS reason_code,
        CASE reject_code {cases} END || coalesce(' (' || read_problem || ')', '') AS reason,
        CASE reject_code {columns} END AS column_name
    FROM (
        SELECT 'register' AS role, file_id, source_row, reject_code,
            coalesce(read_problem, CASE WHEN reject_code = 'kelurahan_ambiguous' THEN 'kandidat: ' || place_candidates
                                   END) AS read_problem FROM register_rejected
        UNION ALL
        SELECT 'members', file_id, source_row, reject_code, read_problem FROM members_rejected
    )
    ORDER BY file_id, source_row
    """)
    return dict(con.execute("SELECT reason_code, count(*) FROM rejects GROUP BY 1").fetchall())


def clean_register(con: duckdb.DuckDBPyConnection, config: Config, reference_date: date) -> int:
    """Build `residents` (and the reference tables) from `raw_register`; return residents kept."""
    _load_reference(con, config)
    _clean_register(con, reference_date)
    _residents_table(con)
    con.execute("DROP TABLE register_judged")
    return int(scalar(con, "SELECT count(*) FROM residents"))


def clean_members(con: duckdb.DuckDBPyConnection, config: Config, reference_date: date) -> int:
    """Build `memberships` from `raw_members`; return memberships kept."""
    _clean_members(con, config, reference_date)
    _memberships_table(con)
    con.execute("DROP TABLE members_judged")
    return int(scalar(con, "SELECT count(*) FROM memberships"))
