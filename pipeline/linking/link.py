"""The linking stage: blocking -> comparison levels -> model -> decisions -> explained links.

Input tables: residents, memberships. Output tables:
- `scored_pairs`: every link, review pair and near miss (probability >= NEAR_MISS_PROBABILITY), with
  every comparison's level and weight, the blocking rule, the probability and the explanation;
- `links`: the links and review pairs among them;
- `member_outcomes`: one row per membership: linked, review or unlinked;
- `verification_hints`: per resident, the KPJ an officer should check ("perlu verifikasi"): every
  review pair, and every weak match on the name alone (no NIK and no birth date to compare);
- `blocking_stats`, and `link_model` (the trained parameters as JSON, also in `LinkingResult`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from pipeline.config import Config, LinkingConfig, project_root
from pipeline.errors import ConfigError, LinkingError
from pipeline.linking.assignment import apply_answers, assign
from pipeline.linking.backends import Backend, as_backend
from pipeline.linking.blocking import build_candidate_pairs
from pipeline.linking.comparisons import COMPARISONS, level_columns, levels_sql, prepare_link_tables
from pipeline.linking.explain import explanation_sql, level_label_sql
from pipeline.linking.model import STRONG_NAME_LEVELS, ModelParams, score_pairs, train
from pipeline.sqltext import sql_literal
from pipeline.stopwatch import Laps
from pipeline.warehouse import scalar

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["LinkingResult", "link", "link_warehouse", "load_model", "compare_regencies", "inputs_fingerprint",
           "keep_regency_pairs", "check_regency_pairs", "compare_warehouse", "NEAR_MISS_PROBABILITY", "REGENCY"]

# Pairs this likely or more are kept (with their explanation) even when not linked, so an auditor
# can see the memberships a resident nearly matched.
NEAR_MISS_PROBABILITY = 0.001

log = logging.getLogger(__name__)


@dataclass
class LinkingResult:
    pairs_per_rule: list[tuple[str, int]]
    candidate_pairs: int
    decisions: dict[str, int]
    members_linked: int
    members_review: int
    members_unlinked: int
    params: ModelParams
    seconds: dict[str, float] = field(default_factory=dict)


def link(con: duckdb.DuckDBPyConnection | Backend, config: LinkingConfig,
         progress: Callable[[str], None] | None = None, *, from_regencies: bool = False) -> LinkingResult:
    """Run the whole linking stage on `residents` x `memberships` (see module doc), in DuckDB or
    on another backend (`pipeline.linking.backends`). With `from_regencies`, blocking and comparisons
    are not run here: their results are those `compare_regencies` kept per regency (`regency_pairs`,
    checked by `check_regency_pairs`), and this is the global step over all of them: the model, the
    one-to-one assignment (a person who moved is a candidate of several regencies) and the links."""
    say = progress or (lambda _msg: None)
    laps = Laps()
    lap = laps.lap

    db = as_backend(con)
    prepare_link_tables(db)
    if from_regencies:
        say("candidate pairs and their comparisons from the regency partitions")
        stats = _pairs_from_regencies(db)
        lap("regency_pairs")
    else:
        stats = _pairs_and_levels(db, config, say, lap)
    if config.model_file:
        say("reusing the model weights of " + Path(config.model_file).name)
        params = load_model(Path(config.model_file))
        # m and u describe names and errors; the prior per resident is this register's own.
        params.residents = int(db.scalar("SELECT count(*) FROM residents"))
    else:
        say("estimating model weights (u from random pairs, m by EM)")
        params = train(db, sample_pairs=config.u_sample_pairs, seed=config.seed,
                       max_iterations=config.em_max_iterations, tolerance=config.em_tolerance,
                       tf_cap_bits=config.name_tf_cap_bits)
    lap("training")
    score_pairs(db, params, nik_date_floor_probability=config.nik_date_floor_probability,
                other_region_max_probability=config.other_region_max_probability)
    decisions = assign(db, link_threshold=config.link_threshold, review_threshold=config.review_threshold)
    settled = apply_answers(db)  # officers' answers beat the model
    if any(settled.values()):
        say(f"officers' answers: {settled['confirmed']} pairs confirmed, {settled['rejected']} rejected")
        decisions = dict(db.rows("SELECT decision, count(*) FROM pair_decisions WHERE decision <> 'no_link' "
                                 "GROUP BY decision"))
    lap("scoring_and_assignment")
    _links_table(db)
    # Kept beside the links, so the publication can write the model it used.
    db.register("link_model_row", pa.table({"model": [json.dumps(params.to_dict(), sort_keys=True)]}))
    try:
        db.create_table("link_model", "SELECT model FROM link_model_row")
    finally:
        db.unregister("link_model_row")
    outcomes = dict(db.rows("SELECT outcome, count(*) FROM member_outcomes GROUP BY outcome"))
    lap("explanations")
    log.info("linking done: %s", decisions)
    return LinkingResult(
        pairs_per_rule=stats, candidate_pairs=sum(n for _, n in stats), decisions=decisions,
        members_linked=outcomes.get("linked", 0), members_review=outcomes.get("review", 0),
        members_unlinked=outcomes.get("unlinked", 0), params=params, seconds=laps.seconds,
    )


REGENCY = "left(kelurahan_code, 4)"
"""A resident's kabupaten/kota: the first four digits of the desa/kelurahan code where they live now."""


def _pairs_and_levels(db: Backend, config: LinkingConfig, say: Callable[[str], None],
                      lap: Callable[[str], None], residents: str = "residents") -> list[tuple[str, int]]:
    say("blocking: generating candidate pairs")
    stats = build_candidate_pairs(db, training_sample=config.training_sample_members, residents=residents)
    lap("blocking")
    say(f"comparing {sum(n for _, n in stats):,} candidate pairs")
    db.create_table("pair_levels", levels_sql("candidate_pairs"))
    lap("comparisons")
    return stats


def compare_regencies(con: duckdb.DuckDBPyConnection | Backend, config: LinkingConfig, regencies: list[str],
                      progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Blocking and comparisons for the residents living in `regencies` (kabupaten/kota codes), into
    `regency_pairs_new` (each pair with its rule and its resident's regency) and `regency_blocking`.
    A regency's pairs are the same whether it is compared alone or with every other (the rules
    read the register's frequencies, see `build_candidate_pairs`), so one regency can be re-run.
    Returns the seconds per stage."""
    db = as_backend(con)
    laps = Laps()
    everyone = [row[0] for row in db.rows(f"SELECT DISTINCT {REGENCY} FROM residents ORDER BY 1")]
    residents = "residents"
    if not set(everyone) <= set(regencies):
        codes = ", ".join(sql_literal(code) for code in sorted(regencies))
        db.create_table("regency_residents", f"SELECT * FROM residents WHERE {REGENCY} IN ({codes})",
                        temporary=True)
        residents = "regency_residents"
    prepare_link_tables(db)
    _pairs_and_levels(db, config, progress or (lambda _msg: None), laps.lap, residents)
    db.create_table("regency_pairs_new", f"""
        SELECT p.*, c.rule, {REGENCY} AS regency FROM pair_levels p
        JOIN candidate_pairs c ON c.member_id = p.member_id AND c.resident_id = p.resident_id
        JOIN residents r ON r.resident_id = p.resident_id""", order_by="member_id, resident_id")
    db.create_table("regency_blocking",
                    "SELECT rule, rule_order, scope, members_blocked, description FROM blocking_stats")
    return laps.seconds


def inputs_fingerprint(con: duckdb.DuckDBPyConnection, config: LinkingConfig) -> str:
    """What a regency's pairs were made from: the residents, the memberships and the blocking settings.
    Pairs of another fingerprint are stale (resident and member ids move when an input changes)."""
    parts = [str(row) for table in ("residents", "memberships")
             for row in con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {table} t").fetchall()]
    parts.append(str(config.training_sample_members))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def keep_regency_pairs(con: duckdb.DuckDBPyConnection, regencies: list[str], fingerprint: str) -> int:
    """`regency_pairs_new` in place of the stored pairs of `regencies` (`regency_pairs`, with
    `regency_pairs_made` recording each regency's fingerprint); returns the pairs kept."""
    codes = ", ".join(sql_literal(code) for code in sorted(regencies))
    new_columns, old_columns = ([row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database() "
        "ORDER BY column_index",
        [table]).fetchall()] for table in ("regency_pairs_new", "regency_pairs"))
    con.execute("BEGIN TRANSACTION")
    try:
        if old_columns != new_columns:  # none yet, or made by another version of the comparisons
            con.execute("CREATE OR REPLACE TABLE regency_pairs AS SELECT * FROM regency_pairs_new LIMIT 0")
            con.execute("CREATE OR REPLACE TABLE regency_pairs_made (regency VARCHAR, fingerprint VARCHAR)")
        con.execute(f"DELETE FROM regency_pairs WHERE regency IN ({codes})")
        con.execute("INSERT INTO regency_pairs SELECT * FROM regency_pairs_new")
        con.execute(f"DELETE FROM regency_pairs_made WHERE regency IN ({codes})")
        con.executemany("INSERT INTO regency_pairs_made VALUES (?, ?)", [[code, fingerprint] for code in regencies])
        con.execute("DROP TABLE regency_pairs_new")  # kept in regency_pairs: no second copy of every pair
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return int(scalar(con, f"SELECT count(*) FROM regency_pairs WHERE regency IN ({codes})"))


def check_regency_pairs(con: duckdb.DuckDBPyConnection, fingerprint: str) -> None:
    """Refuse to link from the regency partitions unless every regency with residents has its pairs,
    made from the current inputs."""
    if not scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'regency_pairs_made'"):
        raise LinkingError("no regency partition of the linking has been made yet: materialise regency_pairs")
    missing = [row[0] for row in con.execute(f"""
        SELECT DISTINCT {REGENCY} FROM residents WHERE {REGENCY} NOT IN (
            SELECT regency FROM regency_pairs_made WHERE fingerprint = ?) ORDER BY 1""", [fingerprint]).fetchall()]
    if missing:
        raise LinkingError(f"the candidate pairs of {len(missing)} kabupaten/kota ({', '.join(missing[:10])}) are "
                            "missing or were made from other inputs: materialise regency_pairs for them")


def _pairs_from_regencies(db: Backend) -> list[tuple[str, int]]:
    """`candidate_pairs`, `pair_levels` and `blocking_stats` as one blocking of the whole register
    would have made them, from the regencies' own."""
    db.create_table("candidate_pairs", "SELECT member_id, resident_id, rule FROM regency_pairs",
                    order_by="member_id, resident_id")
    db.create_table("pair_levels", f"SELECT {', '.join(level_columns())} FROM regency_pairs",
                    order_by="member_id, resident_id")
    db.create_table("blocking_stats", """
        SELECT b.rule, b.rule_order, coalesce(n.new_pairs, 0) AS new_pairs, b.scope, b.members_blocked, b.description
        FROM regency_blocking b LEFT JOIN (SELECT rule, count(*) AS new_pairs FROM candidate_pairs GROUP BY rule) n
        ON n.rule = b.rule""", order_by="b.rule_order")
    return [(str(rule), int(n))
            for rule, n in db.rows("SELECT rule, new_pairs FROM blocking_stats ORDER BY rule_order")]


def link_warehouse(con: duckdb.DuckDBPyConnection, config: Config, progress: Callable[[str], None] | None = None,
                   spark: SparkSession | None = None, *, from_regencies: bool = False) -> LinkingResult:
    """The linking stage for the warehouse `con` on the backend `config.engine` names. On Spark, `spark`
    is the session to use; without one, a session is started for the stage (and stopped after it
    unless it is a Spark Connect client). `from_regencies`: the global step over the pairs
    `compare_warehouse` kept per regency, refused unless every regency's are there and current."""
    if from_regencies:
        check_regency_pairs(con, inputs_fingerprint(con, config.linking))
    if config.engine.backend != "spark":
        return link(con, config.linking, progress, from_regencies=from_regencies)
    from pipeline.linking.spark import SparkBackend, link_on_spark

    with _spark_session(config, spark) as session:
        return link_on_spark(con, SparkBackend(session, config.engine.work_dir(project_root())), config.linking,
                             progress, from_regencies=from_regencies)


def compare_warehouse(con: duckdb.DuckDBPyConnection, config: Config, regencies: list[str],
                      progress: Callable[[str], None] | None = None, spark: SparkSession | None = None
                      ) -> tuple[int, dict[str, float]]:
    """`compare_regencies` for the warehouse `con` on the configured backend, its pairs kept in the
    warehouse (`keep_regency_pairs`); returns the pairs kept and the seconds per stage."""
    if config.engine.backend != "spark":
        seconds = compare_regencies(con, config.linking, regencies, progress)
    else:
        from pipeline.linking.spark import LINK_INPUTS, REGENCY_OUTPUTS, SparkBackend, on_spark

        with _spark_session(config, spark) as session:
            seconds = on_spark(con, SparkBackend(session, config.engine.work_dir(project_root())),
                               lambda db: compare_regencies(db, config.linking, regencies, progress), LINK_INPUTS,
                               REGENCY_OUTPUTS)
    return keep_regency_pairs(con, regencies, inputs_fingerprint(con, config.linking)), seconds


@contextlib.contextmanager
def _spark_session(config: Config, spark: SparkSession | None) -> Iterator[SparkSession]:
    from pipeline.linking.spark import engine_session

    session = spark or engine_session(config.engine)
    try:
        yield session
    finally:
        if spark is None and not config.engine.spark_remote:
            session.stop()


def _strong_name_levels() -> str:
    name = next(c for c in COMPARISONS if c.name == "name")
    return ", ".join(str(i) for i, lvl in enumerate(name.levels) if lvl.label in STRONG_NAME_LEVELS)


def load_model(path: Path) -> ModelParams:
    """The weights of a `model.json` (as a publication writes it), to score a run without training."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read model file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"model file {path} does not hold a model (a JSON object)")
    return ModelParams.from_dict(data)


def _links_table(db: Backend) -> None:
    labels = ", ".join(f"{level_label_sql(c)} AS {c.name}_level" for c in COMPARISONS)
    weights = ", ".join(f"round(w_{c.name}, 3) AS {c.name}_weight" for c in COMPARISONS)
    db.create_table("scored_pairs", f"""
    SELECT s.member_id, m.kpj, s.resident_id, r.nik AS resident_nik, coalesce(d.decision, 'no_link') AS decision,
        coalesce(d.conflict, FALSE) AS conflict, CASE WHEN d.answer = 'same' THEN 'verified' ELSE c.rule END AS rule,
        round(s.probability, 6) AS probability, round(s.match_weight, 3) AS match_weight,
        {labels}, {weights}, round(s.tf_name, 3) AS name_tf_adjustment, round(s.floor_bits, 3) AS nik_date_floor,
        s.nik_date_agree AND s.g_name NOT IN ({_strong_name_levels()}) AS name_differs,
        {explanation_sql()} || coalesce(' Petugas ' || d.answered_by || ' (' || left(d.answered_at, 16) || ' UTC): '
            || CASE d.answer WHEN 'same' THEN 'sama orang.' ELSE 'bukan orang yang sama.' END, '') AS explanation,
        coalesce(d.model_decision, 'no_link') AS model_decision, d.answer_id, d.answered_by, d.answered_at
    FROM pair_scores s
    LEFT JOIN pair_decisions d ON d.member_id = s.member_id AND d.resident_id = s.resident_id
    JOIN candidate_pairs c ON c.member_id = s.member_id AND c.resident_id = s.resident_id
    JOIN memberships m ON m.member_id = s.member_id
    JOIN residents r ON r.resident_id = s.resident_id
    WHERE d.decision IS NOT NULL OR s.probability >= {NEAR_MISS_PROBABILITY}""", order_by="s.member_id, s.resident_id")
    db.create_table("links", "SELECT * FROM scored_pairs WHERE decision <> 'no_link'",
                    order_by="member_id, resident_id")
    # Weak name-only matches: nothing but the name could be compared, and it agrees.
    db.create_table("verification_hints", f"""
    SELECT s.resident_id, m.kpj, any_value(CASE WHEN d.decision = 'review' THEN 'review' ELSE 'name_only' END)
               AS reason, max(s.probability) AS probability
    FROM pair_scores s
    LEFT JOIN pair_decisions d ON d.member_id = s.member_id AND d.resident_id = s.resident_id
    JOIN memberships m ON m.member_id = s.member_id
    LEFT JOIN (SELECT DISTINCT member_id FROM pair_decisions WHERE decision = 'link') o ON o.member_id = s.member_id
    WHERE d.decision = 'review'
       OR (d.decision IS NULL AND s.g_nik < 0 AND s.g_birth_date < 0 AND s.g_name IN ({_strong_name_levels()})
           AND o.member_id IS NULL)
    GROUP BY s.resident_id, m.kpj""", order_by="s.resident_id, m.kpj")
    db.create_table("member_outcomes", """
    SELECT m.member_id,
        CASE WHEN bool_or(l.decision = 'link') THEN 'linked'
             WHEN bool_or(l.decision = 'review') THEN 'review' ELSE 'unlinked' END AS outcome,
        max(CASE WHEN l.decision = 'link' THEN l.resident_id END) AS resident_id
    FROM memberships m LEFT JOIN links l ON l.member_id = m.member_id
    GROUP BY m.member_id""", order_by="m.member_id")
