"""Written desa/kelurahan names and codes resolved to Kemendagri codes of the chosen regions.

The register writes where a person lives as text: a code ("3577031001", "35.77.03.1001", a spreadsheet
number "3577031001.0") or a name in many spellings ("Kel. Oro-oro Ombo", "ORO ORO OMBO", "Ds. Kelun",
old spelling "Tjaruban" for "Caruban"), with the kecamatan and the kabupaten/kota when the file has them.
Candidates are the desa/kelurahan of `ref_kelurahan` (the chosen regions, `pipeline.reference.region_view`).

One row per distinct (desa/kelurahan, kecamatan, kabupaten) text, resolved once, in SQL:
- a 10-digit code of the chosen regions is taken as it is; a 4- or 6-digit code (a kabupaten/kota or a
  kecamatan written where the desa/kelurahan belongs) is `kelurahan_not_desa_code`;
- a name is matched on its key (upper case, prefix "Kel."/"Kelurahan"/"Desa"/"Ds." dropped, old
  spelling made new, letters and digits only), then narrowed by the kecamatan and the kabupaten/kota
  when given (by name or code), then by the prefix when it says desa or kelurahan;
- one candidate left: its code. None after narrowing: `kelurahan_kecamatan_mismatch`. Several:
  `kelurahan_ambiguous`, with the candidates named (codes and names of places, never personal data).
  Nothing is picked silently.
"""

from __future__ import annotations

import duckdb

__all__ = ["place_key_sql", "resolve_places", "RESOLUTION_PROBLEMS"]

# problem code -> column it concerns (the explanations are in ingest.clean.REJECT_REASONS)
RESOLUTION_PROBLEMS: dict[str, str] = {
    "kelurahan_unknown": "kelurahan",
    "kelurahan_not_desa_code": "kelurahan",
    "kelurahan_kecamatan_mismatch": "kecamatan",
    "kelurahan_ambiguous": "kelurahan",
}

# Old (pre-1972 and Dutch-era) spellings still written in place names, made new on both sides.
_OLD_SPELLING = (("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("SJ", "SY"), ("NJ", "NY"), ("CH", "KH"))

_DESA_PREFIX = "DESA|DS"
_KELURAHAN_PREFIX = "KELURAHAN|KEL"
_KECAMATAN_PREFIX = "KECAMATAN|KEC"
_KABUPATEN_PREFIX = "KABUPATEN|KAB"


def place_key_sql(expr: str, prefixes: str = "") -> str:
    """SQL key of a place name: upper case, leading `prefixes` ("A|B", followed by a dot or space)
    dropped, old spelling made new, only letters and digits kept. NULL when nothing is left."""
    text = f"upper(trim(coalesce({expr}, '')))"
    if prefixes:
        text = f"regexp_replace({text}, '^({prefixes})[ .]+', '')"
    for old, new in _OLD_SPELLING:
        text = f"replace({text}, '{old}', '{new}')"
    return f"nullif(regexp_replace({text}, '[^A-Z0-9]', '', 'g'), '')"


def _digits_sql(expr: str) -> str:
    """The digits of a code, without the ".0" of a spreadsheet number cell; '' when it holds a letter."""
    clean = f"regexp_replace(trim(coalesce({expr}, '')), '[.,]0+$', '')"
    return (f"CASE WHEN regexp_matches({clean}, '^[0-9. ]+$') THEN regexp_replace({clean}, '[^0-9]', '', 'g') "
            "ELSE '' END")


def resolve_places(con: duckdb.DuckDBPyConnection, source: str, target: str = "place_resolution") -> None:
    """(Re)create `target`: one row per distinct (kel_text, kec_text, kab_text) of `source` (a table or
    subquery with those three VARCHAR columns, '' for empty) with `kelurahan_code`, `kel_name_known`,
    `problem` (a RESOLUTION_PROBLEMS code or NULL) and `candidates` (text, for an ambiguous name)."""
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE _place_ref AS
    SELECT code, name, kind, kecamatan_code, kecamatan, kabupaten_code, kabupaten,
        {place_key_sql('name')} AS name_key,
        {place_key_sql('kecamatan')} AS kec_key,
        {place_key_sql('kabupaten')} AS kab_key,
        {place_key_sql("regexp_replace(kabupaten, '^(Kabupaten|Kota) ', '')")} AS kab_base_key
    FROM ref_kelurahan
    """)
    con.execute(f"""
    CREATE OR REPLACE TABLE {target} AS
    WITH written AS (
        SELECT kel_text, kec_text, kab_text,
            {_digits_sql('kel_text')} AS kel_digits,
            {place_key_sql('kel_text', f'{_KELURAHAN_PREFIX}|{_DESA_PREFIX}')} AS kel_key,
            CASE WHEN regexp_matches(upper(trim(kel_text)), '^({_DESA_PREFIX})[ .]') THEN 'desa'
                 WHEN regexp_matches(upper(trim(kel_text)), '^({_KELURAHAN_PREFIX})[ .]') THEN 'kelurahan' END
                AS kind_hint,
            {_digits_sql('kec_text')} AS kec_digits, {place_key_sql('kec_text', _KECAMATAN_PREFIX)} AS kec_key,
            {_digits_sql('kab_text')} AS kab_digits,
            -- "Kab. Madiun" and "Kota Madiun" are two regions: the prefix is part of the name
            {place_key_sql(f"regexp_replace(upper(trim(kab_text)), '^({_KABUPATEN_PREFIX})[ .]+', 'KABUPATEN ')")}
                AS kab_key
        FROM (SELECT DISTINCT coalesce(kel_text, '') AS kel_text, coalesce(kec_text, '') AS kec_text,
                     coalesce(kab_text, '') AS kab_text FROM {source})
    ), by_name AS (
        SELECT w.*, p.code, p.name, p.kind, p.kecamatan, p.kabupaten,
            (w.kec_key IS NULL AND length(w.kec_digits) <> 6)
                OR (length(w.kec_digits) = 6 AND w.kec_digits = p.kecamatan_code)
                OR (length(w.kec_digits) <> 6 AND w.kec_key = p.kec_key) AS kec_ok,
            (w.kab_key IS NULL AND length(w.kab_digits) <> 4)
                OR (length(w.kab_digits) = 4 AND w.kab_digits = p.kabupaten_code)
                OR (length(w.kab_digits) <> 4 AND w.kab_key IN (p.kab_key, p.kab_base_key)) AS kab_ok
        FROM written w JOIN _place_ref p ON p.name_key = w.kel_key
        WHERE length(w.kel_digits) NOT IN (4, 6, 10)
    ), narrowed AS (
        SELECT *, count(*) OVER w AS n_left,
            count(*) FILTER (WHERE kind = kind_hint) OVER w AS n_kind
        FROM by_name WHERE kec_ok AND kab_ok
        WINDOW w AS (PARTITION BY kel_text, kec_text, kab_text)
    ), chosen AS (
        SELECT kel_text, kec_text, kab_text,
            CASE WHEN max(n_left) = 1 THEN min(code)
                 WHEN max(n_kind) = 1 THEN min(code) FILTER (WHERE kind = kind_hint) END AS code,
            string_agg(kind || ' ' || name || ' (' || substr(code, 1, 2) || '.' || substr(code, 3, 2) || '.'
                       || substr(code, 5, 2) || '.' || substr(code, 7, 4) || ', Kec. ' || kecamatan || ', '
                       || kabupaten || ')', '; ' ORDER BY code) AS candidates
        FROM narrowed GROUP BY ALL
    ), named AS (
        SELECT DISTINCT kel_text, kec_text, kab_text FROM by_name
    )
    SELECT w.kel_text, w.kec_text, w.kab_text,
        coalesce(k.code, c.code) AS kelurahan_code,
        n.kel_text IS NOT NULL AS kel_name_known,
        CASE WHEN k.code IS NOT NULL OR c.code IS NOT NULL THEN NULL
             WHEN length(w.kel_digits) IN (4, 6) THEN 'kelurahan_not_desa_code'
             WHEN c.kel_text IS NOT NULL THEN 'kelurahan_ambiguous'
             WHEN n.kel_text IS NOT NULL THEN 'kelurahan_kecamatan_mismatch'
             ELSE 'kelurahan_unknown' END AS problem,
        CASE WHEN k.code IS NULL AND c.code IS NULL THEN c.candidates END AS candidates
    FROM written w
    LEFT JOIN _place_ref k ON length(w.kel_digits) = 10 AND k.code = w.kel_digits
    LEFT JOIN chosen c USING (kel_text, kec_text, kab_text)
    LEFT JOIN named n USING (kel_text, kec_text, kab_text)
    """)
    con.execute("DROP TABLE _place_ref")
