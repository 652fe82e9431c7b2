"""Eligibility rules and tracks: every register person lands in exactly one track.

Rules (settings in `[eligibility]`), each recorded per person as a yes/no column and a reason in
Indonesian (`resident_reason`, `age_reason`, `work_reason`, `desil_reason`):
- resident: the desa/kelurahan code is one of the desa/kelurahan of the chosen regions (`[region]
  codes`, default Kota Madiun's 27 kelurahan; pipeline.reference), never the NIK prefix (domain.md
  §1.2 rule 6, §9.2): a NIK first registered in another regency says nothing about where one lives;
- age: completed years on the reference date within [min_age, max_age], both inclusive: a person
  is 18 from their 18th birthday and stays in scope up to the day before their 66th birthday; a
  person born on 29 February has birthdays on 1 March in common years;
- work: the occupation group (pipeline.reference.OCCUPATIONS, overridable) is informal or formal;
  `pro_work` (Pro JKK-JKM work) is informal work, or a formal occupation listed as vulnerable
  (`vulnerable_occupation_codes`, default 18 KARYAWAN HONORER);
- desil: DTSEN desil <= pro_jkk_jkm_max_desil (default 5); an unknown desil does not qualify.

The reasons name the scheme of the resident's kabupaten/kota (`[cost] scheme` or its `[cost.regions."PP.KK"]`
row, "Pro JKK-JKM" by default); labels for a list come from `track_wording` (its scheme and who pays:
"Pemkot", "Pemkab", "Pemda"), `TRACKS` and `TRACK_SHORT` are Kota Madiun's.

Tracks, first match wins:
  covered              an active membership (any segment): nothing to do
  out_of_scope         with a reason code (`out_of_scope_reason`): not_resident, birth_date_unknown,
                       under_age, over_age, other_scheme (PNS/TNI/POLRI, officials), student,
                       pensioner, not_working, occupation_unknown
  pro_jkk_jkm          Pro JKK-JKM work and desil within the limit; uncovered, or lapsed when
                       `lapsed_in_pro_jkk_jkm` (default: the city pays for them from now on, their old
                       KPJ is shown so BPJS TK can reuse it)
  employer_compliance  formal employee without an active membership: a referral for BPJS TK's
                       compliance team, grouped by the employer (NPP) of the lapsed membership
                       where the data has one (`EMPLOYER_REFERRALS_QUERY`)
  reactivation         lapsed (only NON AKTIF memberships) informal worker not in Pro JKK-JKM
  self_enrolment       uncovered informal worker, desil above the limit or unknown
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from pipeline.config import CostConfig, EligibilityConfig
from pipeline.reference import (
    DEFAULT_REGION_CODES,
    desa_kelurahan_of,
    kabupaten_codes,
    region_government,
    region_name,
    region_title,
)
from pipeline.sqltext import sql_literal

__all__ = [
    "TRACKS",
    "TRACK_SHORT",
    "TrackWording",
    "track_wording",
    "SEVERAL_SCHEMES",
    "CANDIDATE_TRACKS",
    "OUT_OF_SCOPE_REASONS",
    "OCCUPATION_GROUP_WORDS",
    "EMPLOYER_REFERRALS_QUERY",
    "build_tracks",
    "apply_field_outcomes",
    "FIELD_FLAGS",
    "age_sql",
]

# The track labels; {scheme} and {government} are the region's (`TrackWording`).
_LABELS: dict[str, str] = {
    "covered": "Sudah terlindungi",
    "out_of_scope": "Di luar sasaran",
    "pro_jkk_jkm": "Calon {scheme} (iuran dibayar {government})",
    "employer_compliance": "Kepatuhan pemberi kerja (rujukan ke BPJS Ketenagakerjaan)",
    "reactivation": "Aktifkan kembali kepesertaan",
    "self_enrolment": "Ajak mendaftar mandiri (BPU)",
}
_SHORT: dict[str, str] = {
    "covered": "Sudah terlindungi",
    "out_of_scope": "Di luar sasaran",
    "pro_jkk_jkm": "{scheme}",
    "employer_compliance": "Kepatuhan pemberi kerja",
    "reactivation": "Aktifkan kembali",
    "self_enrolment": "Daftar mandiri (BPU)",
}
SEVERAL_SCHEMES = "JKK-JKM daerah"
"""The scheme's name in a list of several kabupaten/kota whose own schemes are named differently."""


@dataclass(frozen=True)
class TrackWording:
    """The words that depend on the region a list belongs to: the name of the scheme through which the
    region pays JKK+JKM (`[cost] scheme`, or its `[cost.regions."PP.KK"]` row) and who pays ("Pemkot",
    "Pemkab", "Pemda": `pipeline.reference.region_government`). The default is Kota Madiun's.

    >>> TrackWording().labels["pro_jkk_jkm"], TrackWording("Jamsos Kab", "Pemkab").short["pro_jkk_jkm"]
    ('Calon Pro JKK-JKM (iuran dibayar Pemkot)', 'Jamsos Kab')
    """

    scheme: str = CostConfig().scheme
    government: str = "Pemkot"

    @property
    def labels(self) -> dict[str, str]:
        """Full labels by track (workbooks, exports, the report's track table)."""
        return {k: v.format(scheme=self.scheme, government=self.government) for k, v in _LABELS.items()}

    @property
    def short(self) -> dict[str, str]:
        """Short labels (chart legends, filters, one line of `ucj explain`)."""
        return {k: v.format(scheme=self.scheme, government=self.government) for k, v in _SHORT.items()}


def track_wording(cost: CostConfig, codes: Iterable[str]) -> TrackWording:
    """The wording for a list of the regions `codes` (Kemendagri codes, dotted or not: a desa/kelurahan,
    kecamatan, kabupaten/kota, province, or several): inside one kabupaten/kota its own scheme from
    `cost`; across several their scheme's name if they share one, else `SEVERAL_SCHEMES`, and "Pemda"."""
    digits = {c.replace(".", "") for c in codes}
    kabupaten = kabupaten_codes({c[:4] if len(c) >= 4 else c for c in digits})  # cheap for many desa
    schemes = {cost.for_region(code).scheme for code in kabupaten}
    scheme = schemes.pop() if len(schemes) == 1 else SEVERAL_SCHEMES
    return TrackWording(scheme, region_government(kabupaten))


TRACKS: dict[str, str] = TrackWording().labels
"""Full track labels in Kota Madiun's wording; a list of another region: `track_wording(cost, codes).labels`."""
TRACK_SHORT: dict[str, str] = TrackWording().short
"""Short labels (chart legends, filters, one line of `ucj explain`) in Kota Madiun's wording; `TRACKS`
holds the full ones."""
CANDIDATE_TRACKS = ("pro_jkk_jkm", "employer_compliance", "reactivation", "self_enrolment")

OUT_OF_SCOPE_REASONS: dict[str, str] = {
    "not_resident": "bukan warga wilayah ini menurut kode desa/kelurahan",
    "birth_date_unknown": "tanggal lahir tidak diketahui",
    "under_age": "di bawah usia minimum",
    "over_age": "di atas usia maksimum",
    "other_scheme": "PNS/TNI/POLRI/pejabat negara: dijamin Taspen/Asabri",
    "student": "pelajar/mahasiswa",
    "pensioner": "pensiunan",
    "not_working": "tidak bekerja",
    "occupation_unknown": "pekerjaan tidak diketahui",
    "moved_away": "pindah (dilaporkan petugas)",
    "deceased": "meninggal (dilaporkan petugas)",
}

OCCUPATION_GROUP_WORDS: dict[str, str] = {
    "informal": "pekerja informal",
    "formal": "pekerja penerima upah",
    "other_scheme": "dijamin skema lain (Taspen/Asabri)",
    "not_working": "tidak bekerja",
    "unknown": "pekerjaan tidak diketahui",
}

# One row per employer (NPP, else the employer's name; NULL = not known) of the workers referred to
# BPJS TK's compliance team. Aggregates only: the people are in candidates (track employer_compliance).
EMPLOYER_REFERRALS_QUERY = """
    SELECT t.employer_npp AS npp, t.employer_name AS employer, count(*) AS workers,
        count(*) FILTER (WHERE c.coverage_status = 'lapsed') AS lapsed_memberships,
        count(DISTINCT r.kelurahan_code) AS kelurahan_count,
        string_agg(DISTINCT r.kelurahan, ', ' ORDER BY r.kelurahan) AS kelurahan,
        max(c.membership_end) AS last_membership_end
    FROM tracks t JOIN residents r USING (resident_id) JOIN coverage c USING (resident_id)
    WHERE t.track = 'employer_compliance'
    GROUP BY t.employer_npp, t.employer_name
    ORDER BY t.employer_npp IS NULL AND t.employer_name IS NULL, workers DESC, t.employer_npp NULLS LAST,
        t.employer_name NULLS LAST"""


def _case(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in mapping.items())
    return f"CASE {expr} {whens} END"


def age_sql(birth_date: str, reference: str) -> str:
    """Completed years at `reference` (SQL expressions): the birthday itself counts; 29 February
    birthdays fall on 1 March in common years."""
    return (f"(year({reference}) - year({birth_date}) - CASE WHEN month({reference}) * 100 + day({reference})"
            f" < month({birth_date}) * 100 + day({birth_date}) THEN 1 ELSE 0 END)")


_FACTS = f"""
    SELECT r.resident_id, r.kelurahan_code, r.kelurahan, r.occupation_code, r.occupation, r.occupation_group,
        r.desil, c.coverage_status, c.segment, c.membership_end, c.npp, c.employer,
        {age_sql('r.birth_date', '$ref')} AS age,
        rc.code IS NOT NULL AS is_resident,
        r.occupation_group IN ('informal', 'formal') AS works,
        r.occupation_group = 'informal'
            OR (r.occupation_group = 'formal' AND coalesce(list_contains($vulnerable, r.occupation_code), FALSE))
            AS pro_work,
        coalesce(r.desil <= $max_desil, FALSE) AS desil_eligible
    FROM residents r JOIN coverage c USING (resident_id)
    LEFT JOIN (SELECT unnest($kelurahan_codes) AS code) rc ON rc.code = r.kelurahan_code"""

_OUT_OF_SCOPE = """CASE
        WHEN NOT is_resident THEN 'not_resident'
        WHEN age IS NULL THEN 'birth_date_unknown'
        WHEN age < $min_age THEN 'under_age'
        WHEN age > $max_age THEN 'over_age'
        WHEN occupation_group = 'other_scheme' THEN 'other_scheme'
        WHEN occupation_group = 'not_working' AND occupation_code = 3 THEN 'student'
        WHEN occupation_group = 'not_working' AND occupation_code = 4 THEN 'pensioner'
        WHEN occupation_group = 'not_working' THEN 'not_working'
        WHEN NOT works THEN 'occupation_unknown'
    END"""

_TRACK = """CASE
        WHEN coverage_status = 'covered' THEN 'covered'
        WHEN scope_problem IS NOT NULL THEN 'out_of_scope'
        WHEN pro_work AND desil_eligible AND (coverage_status <> 'lapsed' OR $lapsed_pro) THEN 'pro_jkk_jkm'
        WHEN occupation_group = 'formal' THEN 'employer_compliance'
        WHEN coverage_status = 'lapsed' THEN 'reactivation'
        ELSE 'self_enrolment'
    END"""

_DESIL = "coalesce('desil ' || desil, 'desil tidak diketahui')"
_WORK = ("CASE WHEN occupation_group = 'formal' AND pro_work THEN 'pekerjaan rentan' ELSE "
         + _case("occupation_group", OCCUPATION_GROUP_WORDS) + " END"
         + " || coalesce(' (' || occupation || ')', '')")
_LAPSED = ("'kepesertaan ' || coalesce(segment || ' ', '') || 'NON AKTIF'"
           " || coalesce(' sejak ' || strftime(membership_end, '%d-%m-%Y'), '')")
_EMPLOYER = ("CASE WHEN employer IS NULL AND npp IS NULL THEN 'pemberi kerja belum diketahui' ELSE "
             "'pemberi kerja terakhir: ' || concat_ws(', ', employer, 'NPP ' || npp) END")

_KIND = "CASE WHEN substr(kelurahan_code, 7, 1) = '1' THEN 'kelurahan ' ELSE 'desa ' END"
_NOT_RESIDENT = "'kode desa/kelurahan ' || coalesce(kelurahan_code, 'kosong') || ' bukan ' || $region_title"

# the scheme of the resident's kabupaten/kota (that of all the regions for one living elsewhere)
_SCHEME = "coalesce($schemes[list_position($kabupaten_codes, substr(kelurahan_code, 1, 4))], $scheme)"

_REASONS = f"""
    CASE WHEN is_resident THEN {_KIND} || kelurahan || ' (' || kelurahan_code || '), '
              || $kabupaten_names[list_position($kabupaten_codes, substr(kelurahan_code, 1, 4))]
         ELSE {_NOT_RESIDENT} END AS resident_reason,
    CASE WHEN age IS NULL THEN 'tanggal lahir tidak diketahui'
         ELSE 'usia ' || age || ' tahun pada ' || strftime($ref, '%d-%m-%Y')
              || CASE WHEN age_eligible THEN ' (memenuhi ' ELSE ' (di luar ' END || $min_age || '-' || $max_age
              || ' tahun)' END AS age_reason,
    {_WORK} AS work_reason,
    CASE WHEN desil IS NULL THEN 'desil tidak diketahui: tidak memenuhi ' || {_SCHEME}
         WHEN desil_eligible THEN 'desil ' || desil || ' (' || {_SCHEME} || ': desil 1-' || $max_desil || ')'
         ELSE 'desil ' || desil || ', di atas batas ' || {_SCHEME} || ' ' || $max_desil END AS desil_reason,
    CASE track
        WHEN 'covered' THEN 'memiliki kepesertaan BPJS Ketenagakerjaan aktif'
            || coalesce(' (' || segment || ')', '')
        WHEN 'out_of_scope' THEN CASE scope_problem
            WHEN 'not_resident' THEN {_NOT_RESIDENT}
            WHEN 'birth_date_unknown' THEN 'tanggal lahir tidak diketahui'
            WHEN 'under_age' THEN 'usia ' || age || ' tahun, di bawah ' || $min_age
            WHEN 'over_age' THEN 'usia ' || age || ' tahun, di atas ' || $max_age
            WHEN 'not_working' THEN 'tidak bekerja (' || lower(occupation) || ')'
            ELSE {_case('scope_problem', OUT_OF_SCOPE_REASONS)} END
        WHEN 'pro_jkk_jkm' THEN {_WORK} || ', ' || {_DESIL} || ' (batas ' || $max_desil || ')'
            || CASE WHEN coverage_status = 'lapsed' THEN '; ' || {_LAPSED} || ', didaftarkan lewat ' || {_SCHEME}
                    ELSE '' END
        WHEN 'employer_compliance' THEN {_WORK} || ' tanpa kepesertaan aktif'
            || CASE WHEN coverage_status = 'lapsed' THEN ' (' || {_LAPSED} || ')' ELSE '' END || '; ' || {_EMPLOYER}
        WHEN 'reactivation' THEN {_LAPSED} || '; ' || {_WORK} || ', ' || {_DESIL}
            || CASE WHEN desil_eligible AND pro_work THEN ': aktifkan kembali (memenuhi syarat ' || {_SCHEME} || ')'
                    ELSE ': aktifkan kembali dengan iuran sendiri' END
        ELSE {_WORK} || ', ' || {_DESIL}
            || CASE WHEN desil IS NULL THEN '' ELSE ' di atas batas ' || $max_desil END
            || ': ajak mendaftar mandiri sebagai peserta BPU'
    END AS track_reason"""


def _parameters(config: EligibilityConfig, reference_date: date, regions: Sequence[str],
                cost: CostConfig) -> dict[str, Any]:
    kabupaten = kabupaten_codes(regions)
    return {
        "kelurahan_codes": [k.code for k in desa_kelurahan_of(regions)],
        "kabupaten_codes": list(kabupaten),
        "kabupaten_names": [region_name(code) for code in kabupaten],
        "schemes": [cost.for_region(code).scheme for code in kabupaten],
        "scheme": track_wording(cost, regions).scheme,
        "region_title": region_title(regions),
        "ref": reference_date,
        "min_age": int(config.min_age),
        "max_age": int(config.max_age),
        "max_desil": int(config.pro_jkk_jkm_max_desil),
        "vulnerable": [int(c) for c in config.vulnerable_occupation_codes],
        "lapsed_pro": bool(config.lapsed_in_pro_jkk_jkm),
    }


def build_tracks(con: duckdb.DuckDBPyConnection, config: EligibilityConfig, reference_date: date,
                 regions: Sequence[str] = DEFAULT_REGION_CODES, cost: CostConfig | None = None) -> dict[str, int]:
    """(Re)create `tracks` (one row per resident of `residents` ⨝ `coverage`); return counts per track.
    `regions`: the Kemendagri codes whose desa/kelurahan are resident (`[region] codes`); `cost`: the
    scheme each kabupaten/kota's reasons name (`[cost] scheme`, default "Pro JKK-JKM")."""
    con.execute(f"""
    CREATE OR REPLACE TABLE tracks AS
    WITH facts AS ({_FACTS}
    ), scoped AS (
        SELECT *, coalesce(age BETWEEN $min_age AND $max_age, FALSE) AS age_eligible,
            {_OUT_OF_SCOPE} AS scope_problem
        FROM facts
    ), judged AS (
        SELECT *, {_TRACK} AS track FROM scoped
    )
    SELECT resident_id, track, {_REASONS},
        CASE WHEN track = 'out_of_scope' THEN scope_problem END AS out_of_scope_reason,
        age, is_resident, age_eligible, works, pro_work, desil_eligible,
        CASE WHEN track = 'employer_compliance' THEN npp END AS employer_npp,
        CASE WHEN track = 'employer_compliance' THEN employer END AS employer_name
    FROM judged
    ORDER BY resident_id
    """, _parameters(config, reference_date, regions, cost or CostConfig()))
    apply_field_outcomes(con, config, reference_date)
    rows = con.execute("SELECT track, count(*) FROM tracks GROUP BY 1 ORDER BY 1").fetchall()
    return {str(track): int(n) for track, n in rows}


FIELD_FLAGS: dict[str, str] = {
    "enrolment_reported": "terdaftar menurut petugas, menunggu konfirmasi ekspor BPJS TK",
    "enrolment_confirmed": "pendaftaran yang dilaporkan petugas terkonfirmasi ekspor BPJS TK",
    "enrolment_contradicted": "pendaftaran yang dilaporkan petugas dibantah ekspor BPJS TK (KPJ NON AKTIF)",
    "enrolment_unconfirmed": "pendaftaran yang dilaporkan petugas belum terkonfirmasi setelah masa tenggang",
}

_BY = "' (petugas ' || o_by || ', ' || strftime(outcome_date, '%d-%m-%Y') || ')'"
_OUTCOME_WORDS = {"refused": "menolak", "unreachable": "tidak dapat dihubungi"}

_FIELD_SQL = f"""
CREATE OR REPLACE TABLE tracks AS
WITH o AS (
    SELECT r.resident_id, f.outcome, f.outcome_date, f.new_kpj, f.answer_id AS o_id, f.answered_by AS o_by,
        f.answered_at AS o_at, f.attempts
    FROM field_outcomes f JOIN residents r ON r.nik = f.resident_nik
), kpj AS (
    SELECT kpj, bool_or(is_active) AS active FROM memberships GROUP BY kpj
), p AS (  -- the latest settled pair of each resident (pipeline/linking/assignment.py apply_answers)
    SELECT resident_id, arg_max(CASE WHEN decision = 'link' THEN 'pair_same' ELSE 'pair_different' END, answer_id)
            AS p_answer, max(answer_id) AS p_id, arg_max(answered_by, answer_id) AS p_by,
        arg_max(answered_at, answer_id) AS p_at
    FROM {{pairs}} WHERE answer_id IS NOT NULL GROUP BY resident_id
), joined AS (
    SELECT t.*, o.* EXCLUDE (resident_id), p.* EXCLUDE (resident_id), k.active AS kpj_active,
        list_contains($candidate_tracks, t.track) AS listed,
        CASE WHEN o.outcome = 'enrolled' THEN CASE
            WHEN t.track = 'covered' OR k.active THEN 'enrolment_confirmed'
            WHEN NOT k.active THEN 'enrolment_contradicted'
            WHEN $ref <= o.outcome_date + $grace THEN 'enrolment_reported'
            ELSE 'enrolment_unconfirmed' END END AS enrol_state
    FROM tracks t LEFT JOIN o USING (resident_id) LEFT JOIN p USING (resident_id)
    LEFT JOIN kpj k ON k.kpj = o.new_kpj
), decided AS (
    SELECT *,
        CASE WHEN listed AND enrol_state IN ('enrolment_confirmed', 'enrolment_reported') THEN 'covered'
             WHEN listed AND outcome IN ('moved', 'deceased', 'not_working') THEN 'out_of_scope'
             ELSE track END AS new_track
    FROM joined
)
SELECT * EXCLUDE (outcome, outcome_date, new_kpj, o_id, o_by, o_at, attempts, p_answer, p_id, p_by, p_at,
                  kpj_active, listed, enrol_state, new_track)
    REPLACE (
    new_track AS track,
    CASE
        WHEN NOT listed OR outcome IS NULL THEN track_reason
        WHEN enrol_state = 'enrolment_reported' THEN 'terdaftar menurut laporan petugas ' || o_by || ' ('
            || strftime(outcome_date, '%d-%m-%Y') || ', KPJ ' || new_kpj || '); menunggu konfirmasi ekspor BPJS TK '
            || 'sampai ' || strftime(outcome_date + $grace, '%d-%m-%Y')
        WHEN enrol_state = 'enrolment_confirmed' THEN 'terdaftar menurut laporan petugas ' || o_by || ' ('
            || strftime(outcome_date, '%d-%m-%Y') || '); KPJ ' || new_kpj || ' AKTIF di ekspor BPJS TK'
        WHEN enrol_state = 'enrolment_contradicted' THEN track_reason || '; petugas melaporkan terdaftar dengan KPJ '
            || new_kpj || {_BY} || ', tetapi ekspor BPJS TK mencatat KPJ itu NON AKTIF: periksa kembali'
        WHEN enrol_state = 'enrolment_unconfirmed' THEN track_reason || '; petugas melaporkan terdaftar dengan KPJ '
            || new_kpj || {_BY} || ', belum terlihat di ekspor BPJS TK setelah ' || $grace || ' hari: periksa kembali'
        WHEN outcome = 'moved' THEN 'pindah' || replace({_BY}, ' (petugas', ' (dilaporkan petugas')
        WHEN outcome = 'deceased' THEN 'meninggal' || replace({_BY}, ' (petugas', ' (dilaporkan petugas')
        WHEN outcome = 'not_working' THEN 'tidak bekerja' || replace({_BY}, ' (petugas', ' (dilaporkan petugas')
        ELSE track_reason || '; dihubungi ' || attempts || ' kali, terakhir: '
            || {_case('outcome', _OUTCOME_WORDS)} || {_BY}
    END AS track_reason,
    CASE WHEN listed AND outcome IN ('moved', 'deceased', 'not_working')
         THEN CASE outcome WHEN 'moved' THEN 'moved_away' ELSE outcome END
         ELSE out_of_scope_reason END AS out_of_scope_reason,
    CASE WHEN new_track = 'employer_compliance' THEN employer_npp END AS employer_npp,
    CASE WHEN new_track = 'employer_compliance' THEN employer_name END AS employer_name
    ),
    coalesce(outcome, p_answer) AS field_answer,
    CASE WHEN outcome IS NOT NULL THEN o_id ELSE p_id END AS field_answer_id,
    CASE WHEN outcome IS NOT NULL THEN o_by ELSE p_by END AS field_answered_by,
    CASE WHEN outcome IS NOT NULL THEN o_at ELSE p_at END AS field_answered_at,
    attempts AS field_attempts,
    enrol_state AS field_flag
FROM decided
ORDER BY resident_id
"""


def apply_field_outcomes(con: duckdb.DuckDBPyConnection, config: EligibilityConfig, reference_date: date) -> None:
    """Officers' outcomes of outreach (`field_outcomes`, pipeline/ingest/answers.py) on `tracks`, for
    people the rules put in a candidate track:
    - enrolled: covered while BPJS TK's export has not caught up, up to `reported_enrolment_grace_days`
      after the reported date; confirmed when the new KPJ is AKTIF in the export; listed again and
      flagged when the export shows it NON AKTIF (contradicted) or the grace period is over;
    - moved, deceased, not working: out of scope with that reason;
    - refused, not reachable: still a candidate, with the number of attempts.
    Every row an answer changed (an outcome, or a settled pair) names it: `field_answer`,
    `field_answer_id`, `field_answered_by`, `field_answered_at` (UTC), plus `field_attempts`, `field_flag`."""
    con.execute("CREATE TABLE IF NOT EXISTS field_outcomes (answer_id BIGINT, resident_nik VARCHAR, "
                "outcome VARCHAR, outcome_date DATE, new_kpj VARCHAR, answered_by VARCHAR, answered_at VARCHAR, "
                "publication_id VARCHAR, attempts INTEGER)")
    pair_columns = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'scored_pairs'").fetchall()}
    # hand-made tables (tests of the decisions alone) may have no scored pairs with answers
    pairs = "scored_pairs" if "answer_id" in pair_columns else (
        "(SELECT NULL::INTEGER AS resident_id, NULL::VARCHAR AS decision, NULL::BIGINT AS answer_id, "
        "NULL::VARCHAR AS answered_by, NULL::VARCHAR AS answered_at WHERE FALSE)")
    has_memberships = con.execute("SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_name = 'memberships'").fetchall()[0][0]
    sql = _FIELD_SQL.replace("{pairs}", pairs)
    if not has_memberships:
        sql = sql.replace("FROM memberships", "FROM (SELECT NULL::VARCHAR AS kpj, NULL::BOOLEAN AS is_active) m")
    con.execute(sql, {"candidate_tracks": list(CANDIDATE_TRACKS), "ref": reference_date,
                      "grace": int(config.reported_enrolment_grace_days)})
