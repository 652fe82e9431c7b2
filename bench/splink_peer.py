"""The peer to beat: Splink 5 (DuckDB backend) set up as a careful practitioner would, on the SAME
cleaned tables our engine links (`residents`, `memberships` after `pipeline.ingest.clean`), so the
benchmark compares linking, not parsing.

What Splink gets (both sides, one row per record; `unique_id` = resident_id / member_id):
- `nik`           the 16-digit NIK, or NULL when our cleaning found it unusable;
- `nik15`         its first 15 digits (also set for Excel-rounded NIKs, where digit 16 is lost);
- `name_key`      our normalised name (titles, degrees, Muhammad variants, old spelling removed);
- `name_sorted`   the same with its words sorted; `name_tokens` its words as a list;
- `birth_date`    the stated birth date, or the one in the NIK when none is stated (the register
                  side already does this in `pipeline.ingest.clean`; the member side gets the same rule);
- `birth_year`    for blocking.
Our engine's domain-specific tricks are NOT given to Splink: the NIK holding the No. KK, the NIK
rounded to a few digits in scientific notation, the NIK's date part compared with the stated date,
day/month swaps, token-set ratio, per-membership posterior over namesakes.

Model (Fellegi-Sunter, Splink's comparison library):
- NIK:         null | exact | first 15 digits when one side lost digit 16 (Excel) |
               Damerau-Levenshtein <= 1 | else
- name:        null | exact name_sorted (term-frequency adjusted) | Jaro-Winkler >= 0.95 |
               Jaro-Winkler >= 0.88 (best of name_key and name_sorted) | >= 2 words in common | else
- birth date:  Splink's `DateOfBirthComparison`: null | exact | Levenshtein <= 1 on the date string |
               within 1 month | within 1 year | within 10 years | else
- blocking for predictions: exact NIK; first 15 NIK digits; birth date; name + birth year.
- training: probability two random records match from exact-NIK pairs with recall 0.9; u by
  random sampling (`U_MAX_PAIRS`, seeded); m by EM in two sessions, blocked on NIK (estimates name
  and birth date) and on name + birth date (estimates NIK). A session blocked on birth date alone
  was tried first: there, people born the same day whose NIKs differ in the serial digits (the NIK
  holds the birth date) look like NIK typos, EM takes them for matches, and total name
  disagreement ends up at m = 7 %; list F1 on the tuning seed was 0.9952 instead of 0.9985.
- decisions: predict at `THRESHOLD`, then one-to-one with Splink's `cluster_using_single_best_links`
  with the register duplicate-free (a membership joins at most one resident, its best-scoring one
  above the threshold; a resident may hold several KPJ, e.g. an old NON AKTIF and a new AKTIF card).

`THRESHOLD` was tuned on a separate seed (`python bench/run.py --tune`, table in
bench/splink_tuning.md): the match probability that maximises Splink's own uncovered-list F1.
Splink's match probability depends on the prior (about 1 / residents), so the same threshold is
stricter in effect at scale 5; it is kept fixed, as a user would after tuning once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

__all__ = ["THRESHOLD", "SplinkRun", "prepare_inputs", "settings", "run_splink", "one_to_one", "decide", "score",
           "TUNING_GRID"]

# Tuned on seed 101, scale 1, standard profile (bench/run.py --tune): best uncovered-list F1 (0.9985,
# a plateau from 0.15 to 0.25; below 0.15 outsiders whose NIK is one digit from a resident born the
# same day come in at 0.125).
THRESHOLD = 0.15
TUNING_GRID = (0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)
# Random pairs for u, as Splink's docs advise ("1e7 is often adequate", the 1e6 default warns). Our
# engine samples 1e6; for Splink 1e6 gave the same scores at scale 1 (4 s instead of ~35 s) but at
# scale 5 (1 M residents, NIK-exact u ~ 8e-7) list F1 fell from 0.9972 to 0.9873.
U_MAX_PAIRS = 1e7
# EM sessions: on NIK (estimates name and birth date), on name + birth date (estimates NIK).
EM_BLOCKING: tuple[tuple[str, ...], ...] = (("nik",), ("name_sorted", "birth_date"))
SEED = 42

log = logging.getLogger(__name__)

_COLUMNS = """nik, nik15, nullif(name_key, '') AS name_key, nullif(name_sorted, '') AS name_sorted,
    CASE WHEN name_sorted <> '' THEN string_split(name_sorted, ' ') END AS name_tokens,
    birth_date, year(birth_date) AS birth_year"""


@dataclass
class SplinkRun:
    seconds: dict[str, float] = field(default_factory=dict)
    blocked_pairs: int = 0
    predicted_pairs: int = 0
    links: int = 0
    probability_two_random_records_match: float = 0.0
    threshold: float = THRESHOLD
    model: dict | None = None


def prepare_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """`splink_residents` / `splink_members` from the cleaned `residents` / `memberships`."""
    con.execute(f"""CREATE OR REPLACE TABLE splink_residents AS
        SELECT resident_id AS unique_id, {_COLUMNS.replace('nik15', 'left(nik, 15) AS nik15')}
        FROM residents ORDER BY resident_id""")
    con.execute(f"""CREATE OR REPLACE TABLE splink_members AS
        SELECT member_id AS unique_id, {_COLUMNS.replace('birth_date, year(birth_date)',
            'coalesce(birth_date, nik_birth_date) AS birth_date, year(coalesce(birth_date, nik_birth_date))')}
        FROM memberships ORDER BY member_id""")


def settings():
    """The Splink SettingsCreator (imported lazily: splink is an optional extra)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    nik = cl.CustomComparison(
        [
            cll.NullLevel("nik15"),
            cll.ExactMatchLevel("nik"),
            # nik15 exists for Excel-rounded NIKs (digit 16 lost): a level of its own only then;
            # two full NIKs that share 15 digits are one substitution apart (next level).
            cll.CustomLevel("(nik_l IS NULL OR nik_r IS NULL) AND nik15_l = nik15_r",
                            label_for_charts="first 15 digits equal, digit 16 lost"),
            cll.DamerauLevenshteinLevel("nik", 1),
            cll.ElseLevel(),
        ],
        output_column_name="nik",
    )
    name = cl.CustomComparison(
        [
            cll.NullLevel("name_sorted"),
            cll.ExactMatchLevel("name_sorted", term_frequency_adjustments=True),
            cll.Or(cll.JaroWinklerLevel("name_key", 0.95), cll.JaroWinklerLevel("name_sorted", 0.95)),
            cll.Or(cll.JaroWinklerLevel("name_key", 0.88), cll.JaroWinklerLevel("name_sorted", 0.88)),
            cll.ArrayIntersectLevel("name_tokens", 2),
            cll.ElseLevel(),
        ],
        output_column_name="name",
    )
    dob = cl.DateOfBirthComparison("birth_date", input_is_string=False)
    return SettingsCreator(
        link_type="link_only",
        comparisons=[nik, name, dob],
        blocking_rules_to_generate_predictions=[
            block_on("nik"),
            block_on("nik15"),
            block_on("birth_date"),
            block_on("name_sorted", "birth_year"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def _linker(con: duckdb.DuckDBPyConnection, verbose: bool):
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    residents = db_api.register("splink_residents", dataset_display_name="residents")
    members = db_api.register("splink_members", dataset_display_name="members")
    return Linker([residents, members], settings(), log_level=logging.INFO if verbose else logging.WARNING)


def _ids_sql(table: str) -> str:
    """(member_id, resident_id) from a Splink pair table whichever side each dataset landed on."""
    return f"""SELECT CASE WHEN source_dataset_l = 'members' THEN unique_id_l ELSE unique_id_r END AS member_id,
        CASE WHEN source_dataset_l = 'members' THEN unique_id_r ELSE unique_id_l END AS resident_id, *
        FROM {table}"""


def one_to_one(con: duckdb.DuckDBPyConnection, linker, predictions, threshold: float) -> int:
    """(Re)create `splink_links(member_id, resident_id, match_probability)` at `threshold`."""
    clusters = linker.clustering.cluster_using_single_best_links(
        predictions, duplicate_free_datasets=["residents"], threshold_match_probability=threshold)
    con.execute(f"""CREATE OR REPLACE TABLE splink_links AS
        WITH c AS (SELECT cluster_id, unique_id, source_dataset FROM {clusters.physical_name}),
        pairs AS (
            SELECT m.unique_id AS member_id, r.unique_id AS resident_id
            FROM c m JOIN c r ON r.cluster_id = m.cluster_id AND r.source_dataset = 'residents'
            WHERE m.source_dataset = 'members')
        SELECT p.member_id, p.resident_id, max(s.match_probability) AS match_probability
        FROM pairs p JOIN ({_ids_sql(predictions.physical_name)}) s USING (member_id, resident_id)
        GROUP BY ALL ORDER BY member_id""")
    clusters.drop_table_from_database_and_remove_from_cache()
    return int(con.execute("SELECT count(*) FROM splink_links").fetchall()[0][0])


def run_splink(con: duckdb.DuckDBPyConnection, *, threshold: float = THRESHOLD, predict_floor: float | None = None,
               u_max_pairs: float = U_MAX_PAIRS, seed: int = SEED, verbose: bool = False,
               progress: Callable[[str], None] | None = None, keep=None) -> SplinkRun:
    """Train, predict and make one-to-one links in `con` (needs `residents` and `memberships`).

    Writes `splink_links` and `splink_candidate_pairs` (Splink's blocked pairs, for blocking recall).
    `predict_floor` (default: `threshold`) is the probability predictions are kept from; `keep`, a
    list, receives (linker, predictions) so that other thresholds can be tried (tuning).
    """
    from splink import block_on

    say = progress or (lambda _m: None)
    run = SplinkRun(threshold=threshold)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        run.seconds[name] = round(now - clock, 3)
        clock = now

    prepare_inputs(con)
    linker = _linker(con, verbose)
    lap("prepare")
    say("splink: probability two random records match, u by random sampling")
    linker.training.estimate_probability_two_random_records_match([block_on("nik")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    lap("train_u")
    say("splink: m by EM (sessions blocked on nik, on birth_date)")
    for columns in EM_BLOCKING:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
    lap("train_em")
    say("splink: blocking and predict")
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    lap("blocking")
    predictions = linker.inference.predict(threshold_match_probability=predict_floor or threshold,
                                           warning_mode="never")
    lap("predict")
    say("splink: one-to-one (cluster_using_single_best_links)")
    run.links = one_to_one(con, linker, predictions, threshold)
    lap("one_to_one")
    # Outside the timed stages: what the evaluation needs.
    _candidate_pairs(con, blocked)
    run.blocked_pairs = int(con.execute("SELECT count(*) FROM splink_candidate_pairs").fetchall()[0][0])
    run.predicted_pairs = int(con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchall()[0][0])
    run.probability_two_random_records_match = float(
        linker._settings_obj._probability_two_random_records_match)  # noqa: SLF001
    run.model = linker.misc.save_model_to_json()
    if keep is not None:
        keep.extend([linker, predictions])
    return run


def _candidate_pairs(con: duckdb.DuckDBPyConnection, blocked) -> None:
    """`splink_candidate_pairs(member_id, resident_id)`: Splink's blocked pairs. Its join keys read
    '<dataset>-__-<unique_id>'."""
    con.execute(f"""CREATE OR REPLACE TABLE splink_candidate_pairs AS
        WITH k AS (SELECT split_part(join_key_l, '-__-', 1) AS ds_l,
                          CAST(split_part(join_key_l, '-__-', 2) AS INTEGER) AS id_l,
                          CAST(split_part(join_key_r, '-__-', 2) AS INTEGER) AS id_r
                   FROM {blocked.physical_name})
        SELECT DISTINCT CASE WHEN ds_l = 'members' THEN id_l ELSE id_r END AS member_id,
            CASE WHEN ds_l = 'members' THEN id_r ELSE id_l END AS resident_id
        FROM k""")


def decide(con: duckdb.DuckDBPyConnection, config, reference_date: date, *, candidates: bool = True) -> None:
    """The engine's own decision stage on Splink's links: `links` (from `splink_links`), then
    `coverage`, `tracks` and (optionally) `candidates`, with the same functions `run_engine` calls.
    This connection holds no engine run, so the `links` table here is Splink's."""
    from pipeline.decisions.coverage import build_coverage
    from pipeline.decisions.priority import build_candidates
    from pipeline.decisions.tracks import build_tracks

    con.execute("""CREATE OR REPLACE TABLE links AS
        SELECT member_id, resident_id, 'link' AS decision, match_probability AS probability, 'splink' AS rule
        FROM splink_links""")
    build_coverage(con)
    build_tracks(con, config.eligibility, reference_date, config.region.codes)
    if candidates:
        build_candidates(con, config.priority, config.cost, reference_date)


def score(con: duckdb.DuckDBPyConnection, truth_dir: Path):
    """Score `splink_links` with `pipeline.evaluation.evaluate`, exactly as our engine is scored.

    `evaluate` reads the list from `coverage` (see `decide`) and blocking recall from
    `candidate_pairs`, which here holds Splink's blocked pairs."""
    from pipeline.evaluation import evaluate

    con.execute("CREATE OR REPLACE TABLE candidate_pairs AS SELECT member_id, resident_id FROM splink_candidate_pairs")
    return evaluate(con, truth_dir, predicted_links="splink_links")
