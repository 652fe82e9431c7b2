"""Fellegi-Sunter model: u from random pairs, m by EM sessions on the blocked pairs, and a
per-membership posterior that shares probability between namesakes.

- u(level): how often two random records agree at that level, from `u_sample_pairs` random
  (membership, resident) pairs (Laplace-smoothed).
- m(level): how often a true pair agrees at that level, by EM over the counts of distinct agreement
  patterns. As in Splink, each EM session runs on the pairs that agree exactly on one field (its
  anchor) and estimates the other comparisons only: blocking makes non-matches agree on the blocked
  field, which one EM over all pairs would take for evidence.
- A comparison `given` another (the NIK given the birth date) takes, when that other agrees, m and u
  from the session anchored on that agreement: there u is conditional on it.
- Bayes factor of a pair: sum of log2(m/u) per comparison, plus a term-frequency adjustment on name
  levels, log2(u_exact / tf(name)) capped at `name_tf_cap_bits`, so SRI counts less than a rare name.
  The cap keeps a rare name from outweighing a NIK or birth date that disagrees; when the name is the
  only field the pair can compare (an export row with neither NIK nor birth date), its whole rarity
  is the evidence and the cap does not apply: a full name one resident carries links, a name two or
  more carry shares the probability between them and goes to review.
- Posterior: a membership is one of the N residents (prior pi/N each) or nobody in the register
  (1-pi). P(resident i) = (pi/N) 2^w_i / ((1-pi) + (pi/N) sum_j 2^w_j) over its candidates j.
  Two residents with the same name and birth date therefore get about half each, never a link.
  pi is the share of memberships that belong to a resident, found as a fixed point.
- A contradicting NIK: a valid NIK of another regency that is not within one typo of the resident's
  is someone else's identity (a namesake born the same day elsewhere). EM cannot learn this, as such
  namesakes agree on name and date and look like matches, so the pair is capped at
  `other_region_max_probability` on its own (review at most), whatever name and date say.
- No name veto: a pair whose 16-digit NIK agrees exactly, with a birth date that agrees (or none
  stated), keeps at least the Bayes factor that gives it `nik_date_floor_probability` on its own,
  however its names compare. Only a better candidate of the same membership lifts that floor: a
  resident whose name agrees and whose NIK is one typo away (the typo then landed on a neighbour
  born the same day). The floor's bits are kept apart (`floor_bits`) and shown in explanations.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.errors import ConfigError
from pipeline.linking.backends import Backend, as_backend
from pipeline.linking.comparisons import BIRTH_DATE, COMPARISONS, NAME, NIK, Comparison, levels_sql
from pipeline.sqltext import sql_double

__all__ = ["ModelParams", "train", "score_pairs", "em", "TRAINING_SESSIONS", "reference_bayes_factor",
           "reference_posteriors", "STRONG_NAME_LEVELS", "NEAR_NIK_LEVELS"]

log = logging.getLogger(__name__)

# (anchor from comparisons.ANCHORS, comparisons the session must not estimate)
TRAINING_SESSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("same_birth_date", ("birth_date",)),  # estimates nik (given the birth date) and name
    ("same_name", ("name",)),  # estimates nik and birth_date
)


# A better candidate than an exact NIK whose name disagrees: its name agrees at one of these levels,
# its NIK is one typo away, and its birth date does not contradict.
STRONG_NAME_LEVELS = ("exact", "one_typo", "near", "subset", "initials")
NEAR_NIK_LEVELS = ("first15", "date_digit", "one_digit")
_DATE_NOT_CONTRADICTING = ("exact", "nik_date", "swapped")
_NAME_ONLY_SQL = "g_nik < 0 AND g_birth_date < 0"


# Levels that are disagreement (the last ones of each comparison); agreement levels are floored at
# the weakest of them.
_DISAGREEMENT = ("different", "other_region")


def _log2_ratios(m: list[float], u: list[float], disagreements: int = 1) -> list[float]:
    # Any agreement is at least as much evidence as total disagreement: EM can push a rare level's m
    # to ~0 when its few pairs fall in the non-match class.
    raw = [math.log2(mv / uv) for mv, uv in zip(m, u, strict=True)]
    floor = max(raw[-disagreements:])
    return [max(w, floor) for w in raw[:-disagreements]] + raw[-disagreements:]


def _disagreements(name: str) -> int:
    comparison = next((c for c in COMPARISONS if c.name == name), None)
    return sum(lvl.label in _DISAGREEMENT for lvl in comparison.levels) if comparison else 1


def _tables(value: object) -> dict[str, list[float]]:
    if not isinstance(value, dict):
        raise TypeError("probability tables")
    return {str(k): [float(x) for x in v] for k, v in value.items()}


@dataclass
class ModelParams:
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    m_given: dict[str, list[float]]
    u_given: dict[str, list[float]]
    prior_in_register: float  # pi
    residents: int
    name_u_exact: float
    tf_cap_bits: float
    em_iterations: int
    pattern_count: int
    weights: dict[str, list[float]] = field(init=False)
    weights_given: dict[str, list[float]] = field(init=False)

    def __post_init__(self) -> None:
        self.weights = {c: _log2_ratios(self.m[c], self.u[c], _disagreements(c)) for c in self.m}
        self.weights_given = {c: _log2_ratios(self.m_given[c], self.u_given[c], _disagreements(c))
                              for c in self.m_given}

    def to_dict(self) -> dict[str, object]:
        return {"m": self.m, "u": self.u, "m_given": self.m_given, "u_given": self.u_given,
                "weights_log2": self.weights, "weights_log2_given": self.weights_given,
                "prior_in_register": self.prior_in_register, "residents": self.residents,
                "name_u_exact": self.name_u_exact, "tf_cap_bits": self.tf_cap_bits,
                "em_iterations": self.em_iterations, "pattern_count": self.pattern_count}

    @classmethod
    def from_dict(cls, data: dict[str, object], comparisons: tuple[Comparison, ...] = COMPARISONS) -> ModelParams:
        """The inverse of `to_dict` (a publication's `model.json`), checked against today's comparisons:
        a model trained on other levels cannot be reused."""
        try:
            tables = {key: _tables(data[key]) for key in ("m", "u", "m_given", "u_given")}
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"model file is not a model.json of this engine: {exc!r} missing or wrong") from exc
        for c in comparisons:
            for key in ("m", "u") + (("m_given", "u_given") if c.given else ()):
                found = len(tables[key].get(c.name, []))
                if found != len(c.levels):
                    raise ConfigError(f"model file was trained with other comparison levels for {c.title!r} "
                                      f"({found} levels, this engine has {len(c.levels)}): train a new model "
                                      "(run without --model)")
        try:
            params = cls(**tables, prior_in_register=float(data["prior_in_register"]),  # type: ignore[arg-type]
                         residents=int(data["residents"]), name_u_exact=float(data["name_u_exact"]),  # type: ignore[arg-type]
                         tf_cap_bits=float(data["tf_cap_bits"]), em_iterations=int(data["em_iterations"]),  # type: ignore[arg-type]
                         pattern_count=int(data["pattern_count"]))  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"model file is not a model.json of this engine: {exc!r} missing or wrong") from exc
        return params


def em(patterns: np.ndarray, counts: np.ndarray, n_levels: list[int], *, max_iterations: int = 200,
       tolerance: float = 1e-6) -> tuple[list[np.ndarray], list[np.ndarray], float, int]:
    """EM for a two-class mixture with conditionally independent comparisons.

    patterns: (K, C) level indices, -1 = missing. counts: (K,) pairs per pattern.
    Returns (m per comparison, u per comparison, match share, iterations).
    """
    k, c = patterns.shape
    m = [np.r_[0.9, np.full(n - 1, 0.1 / (n - 1))] for n in n_levels]
    u = [np.r_[np.full(n - 1, 0.1 / (n - 1)), 0.9] for n in n_levels]
    lam = 0.3
    one_hot = [np.stack([(patterns[:, j] == lvl) for lvl in range(n_levels[j])], axis=1).astype(float)
               for j in range(c)]
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (returned: how many were needed)
        log_m = np.full(k, math.log(lam))
        log_u = np.full(k, math.log(1 - lam))
        for j in range(c):
            present = patterns[:, j] >= 0
            idx = np.where(present, patterns[:, j], 0)
            log_m += np.where(present, np.log(m[j][idx]), 0.0)
            log_u += np.where(present, np.log(u[j][idx]), 0.0)
        post = 1.0 / (1.0 + np.exp(np.clip(log_u - log_m, -700, 700)))
        wm, wu = counts * post, counts * (1 - post)
        new_m = [(one_hot[j].T @ wm + 1e-3) / (one_hot[j].T @ wm + 1e-3).sum() for j in range(c)]
        new_u = [(one_hot[j].T @ wu + 1e-3) / (one_hot[j].T @ wu + 1e-3).sum() for j in range(c)]
        new_lam = float(wm.sum() / counts.sum())
        delta = max(max(np.abs(a - b).max() for a, b in zip(new_m, m, strict=True)), abs(new_lam - lam))
        m, u, lam = new_m, new_u, min(max(new_lam, 1e-6), 1 - 1e-6)
        if delta < tolerance:
            break
    return m, u, lam, iteration


def _pattern_counts(db: Backend, table: str, comparisons: tuple[Comparison, ...],
                    where: str = "TRUE") -> tuple[np.ndarray, np.ndarray]:
    cols = ", ".join(f"g_{c.name}" for c in comparisons)
    rows = db.rows(f"SELECT {cols}, count(*) FROM {table} WHERE {where} GROUP BY {cols} ORDER BY {cols}")
    arr = np.array(rows, dtype=np.int64).reshape(-1, len(comparisons) + 1)
    return arr[:, :-1], arr[:, -1].astype(float)


def _estimate_u(db: Backend, comparisons: tuple[Comparison, ...], sample_pairs: int,
                seed: int) -> dict[str, list[float]]:
    members = db.scalar("SELECT count(*) FROM memberships")
    residents = db.scalar("SELECT count(*) FROM residents")
    rng = np.random.default_rng(seed)
    sample = pa.table({"member_id": rng.integers(1, members + 1, sample_pairs, dtype=np.int32),
                       "resident_id": rng.integers(1, residents + 1, sample_pairs, dtype=np.int32)})
    db.register("u_sample_pairs", sample)
    try:
        db.create_table("u_sample_levels", levels_sql("u_sample_pairs", comparisons), temporary=True)
    finally:
        db.unregister("u_sample_pairs")
    u: dict[str, list[float]] = {}
    for c in comparisons:
        counts = dict(db.rows(f"SELECT g_{c.name}, count(*) FROM u_sample_levels WHERE g_{c.name} >= 0 "
                              f"GROUP BY g_{c.name}"))
        n = sum(counts.values())
        u[c.name] = [(counts.get(i, 0) + 1) / (n + len(c.levels)) for i in range(len(c.levels))]
    return u


def _u_among_clear_non_matches(db: Backend, comparison: Comparison, anchor: str,
                               fallback: list[float]) -> list[float]:
    """u of `comparison` conditional on an anchor (e.g. same birth date): its level shares among the
    anchored pairs whose names disagree completely, which are almost all non-matches. Unlike EM's
    u, this counts NIK typos that land on a neighbour's NIK as the non-matches they are."""
    different = len(NAME.levels) - 1
    counts = dict(db.rows(f"SELECT g_{comparison.name}, count(*) FROM pair_levels WHERE anchor_{anchor} "
                          f"AND g_name = {different} AND g_{comparison.name} >= 0 GROUP BY g_{comparison.name}"))
    n = sum(counts.values())
    if n == 0:
        return fallback
    return [(counts.get(i, 0) + 1) / (n + len(comparison.levels)) for i in range(len(comparison.levels))]


def train(con: duckdb.DuckDBPyConnection | Backend, *, sample_pairs: int, seed: int, max_iterations: int,
          tolerance: float, tf_cap_bits: float, comparisons: tuple[Comparison, ...] = COMPARISONS) -> ModelParams:
    """Estimate u (random pairs) and m (EM sessions over `pair_levels`)."""
    db = as_backend(con)
    u = _estimate_u(db, comparisons, sample_pairs, seed)
    estimates: dict[str, list[np.ndarray]] = {c.name: [] for c in comparisons}
    session_params: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    iterations = patterns_seen = 0
    for anchor, excluded in TRAINING_SESSIONS:
        others = tuple(c for c in comparisons if c.name not in excluded)
        patterns, counts = _pattern_counts(db, "pair_levels", others, f"anchor_{anchor}")
        if counts.size == 0:
            continue
        m_arrays, u_arrays, _, its = em(patterns, counts, [len(c.levels) for c in others],
                                        max_iterations=max_iterations, tolerance=tolerance)
        iterations += its
        patterns_seen += len(counts)
        session_params[anchor] = {c.name: (m_arrays[i], u_arrays[i]) for i, c in enumerate(others)}
        for c, m in zip(others, m_arrays, strict=True):
            estimates[c.name].append(m)
    m_final: dict[str, list[float]] = {}
    for c in comparisons:
        if estimates[c.name]:
            m_final[c.name] = [float(x) for x in np.mean(estimates[c.name], axis=0)]
        else:  # no anchor pairs at all (tiny inputs): a neutral guess
            m_final[c.name] = [0.9] + [0.1 / (len(c.levels) - 1)] * (len(c.levels) - 1)
    m_given: dict[str, list[float]] = {}
    u_given: dict[str, list[float]] = {}
    for c in comparisons:
        if c.given is not None:
            m_s, _ = session_params.get(c.given.session, {}).get(c.name, (m_final[c.name], None))
            m_given[c.name] = [float(x) for x in m_s]
            u_given[c.name] = _u_among_clear_non_matches(db, c, c.given.session, u[c.name])
    log.info("EM: %d iterations over %d patterns", iterations, patterns_seen)
    return ModelParams(m=m_final, u=u, m_given=m_given, u_given=u_given, prior_in_register=0.8,
                       residents=db.scalar("SELECT count(*) FROM residents"), name_u_exact=u["name"][0],
                       tf_cap_bits=tf_cap_bits, em_iterations=iterations, pattern_count=patterns_seen)


def _weight_sql(c: Comparison, params: ModelParams, comparisons: tuple[Comparison, ...]) -> str:
    plain = " ".join(f"WHEN {i} THEN {sql_double(w)}" for i, w in enumerate(params.weights[c.name]))
    expr = f"CASE g_{c.name} {plain} ELSE 0.0 END"
    if c.given is None:
        return expr
    other = next(o for o in comparisons if o.name == c.given.comparison)
    agree = ", ".join(str(i) for i, lvl in enumerate(other.levels) if lvl.label in c.given.levels)
    given = " ".join(f"WHEN {i} THEN {sql_double(w)}" for i, w in enumerate(params.weights_given[c.name]))
    return f"CASE WHEN g_{other.name} IN ({agree}) THEN CASE g_{c.name} {given} ELSE 0.0 END ELSE {expr} END"


def _indices(comparison: Comparison, labels: tuple[str, ...]) -> str:
    return ", ".join(str(i) for i, lvl in enumerate(comparison.levels) if lvl.label in labels)


def score_pairs(con: duckdb.DuckDBPyConnection | Backend, params: ModelParams,
                comparisons: tuple[Comparison, ...] = COMPARISONS, *, nik_date_floor_probability: float = 0.95,
                other_region_max_probability: float = 0.45) -> None:
    """(Re)create `pair_scores` from `pair_levels`: per-comparison weights, TF adjustment, match
    weight (log2 odds against 'not in register'), the no-veto floor and the posterior probability."""
    db = as_backend(con)
    weight_cols = [f"{_weight_sql(c, params, comparisons)} AS w_{c.name}" for c in comparisons]
    name = next(c for c in comparisons if c.name == "name")
    tf_levels = ", ".join(str(i) for i, lvl in enumerate(name.levels) if lvl.tf_adjusted)
    shorter = ", ".join(str(i) for i, lvl in enumerate(name.levels) if lvl.label in ("subset", "one_word"))
    tf_value = f"CASE WHEN g_name IN ({shorter}) THEN name_tf_shorter ELSE name_tf END"
    cap = f"CASE WHEN {_NAME_ONLY_SQL} THEN {sql_double(math.inf)} ELSE {sql_double(params.tf_cap_bits)} END"
    tf_adj = (f"CASE WHEN g_name IN ({tf_levels}) THEN "
              f"least(log2({sql_double(params.name_u_exact)} / {tf_value}), {cap}) ELSE 0.0 END")
    w_sum = " + ".join(f"w_{c.name}" for c in comparisons)
    better = (f"g_name IN ({_indices(NAME, STRONG_NAME_LEVELS)}) AND g_nik IN ({_indices(NIK, NEAR_NIK_LEVELS)}) "
              f"AND (g_birth_date < 0 OR g_birth_date IN ({_indices(BIRTH_DATE, _DATE_NOT_CONTRADICTING)}))")
    db.create_table("pair_weights", f"""
    SELECT *, nik_date_agree AND NOT bool_or({better}) OVER (PARTITION BY member_id) AS floor_eligible,
        g_nik IN ({_indices(NIK, ("other_region",))}) AS ceiling_eligible
    FROM (SELECT *, {w_sum} + tf_name AS bayes_factor_log2 FROM (
        SELECT l.*, {', '.join(weight_cols)}, {tf_adj} AS tf_name FROM pair_levels l
    ))
    """, temporary=True)
    for setting, value in (("nik_date_floor_probability", nik_date_floor_probability),
                           ("other_region_max_probability", other_region_max_probability)):
        if not 0.0 < value < 1.0:
            raise ConfigError(f"linking.{setting} must be between 0 and 1 (exclusive)")
    floor_odds = (math.log2(nik_date_floor_probability / (1.0 - nik_date_floor_probability)),
                  math.log2(other_region_max_probability / (1.0 - other_region_max_probability)))
    pi = params.prior_in_register
    for _ in range(20):
        new_pi = _implied_prior(db, pi, params.residents, floor_odds)
        if abs(new_pi - pi) < 1e-4:
            pi = new_pi
            break
        pi = new_pi
    params.prior_in_register = pi
    db.create_table("pair_scores", _posterior_sql(pi, params.residents, floor_odds), order_by="member_id, resident_id")


def floor_bayes_factor(pi: float, residents: int, odds: float) -> float:
    """The log2 Bayes factor at which a pair alone has log2 odds `odds` of being the membership."""
    return odds - math.log2(pi / residents) + math.log2(1.0 - pi)


def _posterior_sql(pi: float, residents: int, floor_odds: tuple[float, float]) -> str:
    base = math.log2(pi / residents)
    none = 1.0 - pi
    floor = floor_bayes_factor(pi, residents, floor_odds[0])
    ceiling = floor_bayes_factor(pi, residents, floor_odds[1])
    return f"""
        SELECT *, power(2.0, {sql_double(base)} + bayes_factor_log2 + floor_bits)
                  / ({sql_double(none)} + sum(power(2.0, {sql_double(base)} + bayes_factor_log2 + floor_bits))
                     OVER (PARTITION BY member_id))
                  AS probability,
               {sql_double(base)} - log2({sql_double(none)}) + bayes_factor_log2 + floor_bits AS match_weight
        FROM (SELECT *, CASE WHEN floor_eligible THEN greatest({sql_double(floor)} - bayes_factor_log2, 0.0)
                             WHEN ceiling_eligible THEN least({sql_double(ceiling)} - bayes_factor_log2, 0.0)
                             ELSE 0.0 END
                        AS floor_bits FROM pair_weights)
    """


def _implied_prior(db: Backend, pi: float, residents: int,
                   floor_odds: tuple[float, float]) -> float:
    """The share of memberships expected to be in the register, given pi (a fixed-point step)."""
    members = db.scalar("SELECT count(*) FROM memberships")
    # summed as decimals: a parallel sum of doubles differs in the last bit from run to run (model.json
    # must be byte-identical for the same inputs); rounded first, as each probability's own sum over a
    # membership's candidates may differ in its last bit between engines (they add in another order)
    total = float(db.scalar(f"SELECT CAST(sum(CAST(round(probability, 12) AS DECIMAL(38, 18))) AS DOUBLE) "
                            f"FROM ({_posterior_sql(pi, residents, floor_odds)})") or 0.0)
    return float(min(max(total / max(members, 1), 0.01), 0.99))


def reference_bayes_factor(levels: dict[str, int], name_tf: float, name_tf_shorter: float, params: ModelParams,
                           comparisons: tuple[Comparison, ...] = COMPARISONS) -> float:
    """Plain-Python log2 Bayes factor of one pair: the slow, obvious version of `score_pairs`'s SQL,
    for tests. `levels` maps comparison name -> level index (-1 = not comparable)."""
    total = 0.0
    for c in comparisons:
        level = levels.get(c.name, -1)
        if level < 0:
            continue
        weights = params.weights[c.name]
        if c.given is not None:
            other = next(o for o in comparisons if o.name == c.given.comparison)
            other_level = levels[other.name]
            if other_level >= 0 and other.levels[other_level].label in c.given.levels:
                weights = params.weights_given[c.name]
        total += weights[level]
        if c.name == "name" and c.levels[level].tf_adjusted:
            tf = name_tf_shorter if c.levels[level].label in ("subset", "one_word") else name_tf
            name_only = all(levels.get(o, -1) < 0 for o in ("nik", "birth_date"))
            total += min(math.log2(params.name_u_exact / tf), math.inf if name_only else params.tf_cap_bits)
    return total


def reference_posteriors(bayes_factors: dict[int, float], pi: float, residents: int) -> dict[int, float]:
    """Posterior of each candidate resident of one membership (resident id -> log2 Bayes factor)."""
    scaled = {r: (pi / residents) * 2.0 ** w for r, w in bayes_factors.items()}
    denominator = (1.0 - pi) + sum(scaled.values())
    return {r: v / denominator for r, v in scaled.items()}
