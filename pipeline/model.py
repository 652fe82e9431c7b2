"""Fellegi-Sunter model: u from random pairs, m by EM on the blocked pairs, and a per-membership
posterior that shares probability between namesakes.

- u(level): how often two random records agree at that level, from `u_sample_pairs` random
  (membership, resident) pairs (Laplace-smoothed).
- m(level): how often a true pair agrees at that level, by EM over the counts of distinct agreement
  patterns among blocked pairs (u is a free nuisance parameter there: blocking skews non-matches).
- Bayes factor of a pair: sum of log2(m/u) per comparison, plus a term-frequency adjustment on name
  levels: log2(u_exact / tf(name)) capped at `name_tf_cap_bits`, so SRI counts less than a rare name.
- Posterior: a membership is one of the N residents (prior pi/N each) or nobody in the register
  (1-pi). P(resident i) = (pi/N) 2^w_i / ((1-pi) + (pi/N) sum_j 2^w_j) over its candidates j.
  Two residents with the same name and birth date therefore get about half each, never a link.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.comparisons import COMPARISONS, Comparison, levels_sql
from pipeline.warehouse import scalar

__all__ = ["ModelParams", "train", "score_pairs", "em"]

log = logging.getLogger(__name__)


@dataclass
class ModelParams:
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    prior_in_register: float  # pi
    residents: int
    name_u_exact: float
    tf_cap_bits: float
    em_iterations: int
    pattern_count: int
    weights: dict[str, list[float]] = field(init=False)

    def __post_init__(self) -> None:
        # Any agreement is at least as much evidence as total disagreement (the last level): EM can
        # push a rare level's m to ~0 when its few pairs fall in the non-match class.
        self.weights = {}
        for c in self.m:
            raw = [math.log2(mv / uv) for mv, uv in zip(self.m[c], self.u[c], strict=True)]
            self.weights[c] = [max(w, raw[-1]) for w in raw[:-1]] + [raw[-1]]

    def to_dict(self) -> dict[str, object]:
        return {"m": self.m, "u": self.u, "weights_log2": self.weights, "prior_in_register": self.prior_in_register,
                "residents": self.residents, "name_u_exact": self.name_u_exact, "tf_cap_bits": self.tf_cap_bits,
                "em_iterations": self.em_iterations, "pattern_count": self.pattern_count}


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
    for iteration in range(1, max_iterations + 1):
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


def _pattern_counts(con: duckdb.DuckDBPyConnection, table: str, comparisons: tuple[Comparison, ...],
                    where: str = "TRUE") -> tuple[np.ndarray, np.ndarray]:
    cols = ", ".join(f"g_{c.name}" for c in comparisons)
    rows = con.execute(f"SELECT {cols}, count(*) FROM {table} WHERE {where} GROUP BY ALL ORDER BY ALL").fetchall()
    arr = np.array(rows, dtype=np.int64).reshape(-1, len(comparisons) + 1)
    return arr[:, :-1], arr[:, -1].astype(float)


def _estimate_u(con: duckdb.DuckDBPyConnection, comparisons: tuple[Comparison, ...], sample_pairs: int,
                seed: int) -> tuple[dict[str, list[float]], float]:
    members = scalar(con, "SELECT count(*) FROM memberships")
    residents = scalar(con, "SELECT count(*) FROM residents")
    rng = np.random.default_rng(seed)
    sample = pa.table({"member_id": rng.integers(1, members + 1, sample_pairs, dtype=np.int32),
                       "resident_id": rng.integers(1, residents + 1, sample_pairs, dtype=np.int32)})
    con.register("u_sample_pairs", sample)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE u_sample_levels AS {levels_sql('u_sample_pairs', comparisons)}")
    finally:
        con.unregister("u_sample_pairs")
    u: dict[str, list[float]] = {}
    for c in comparisons:
        counts = dict(con.execute(f"SELECT g_{c.name}, count(*) FROM u_sample_levels WHERE g_{c.name} >= 0 "
                                  f"GROUP BY 1").fetchall())
        n = sum(counts.values())
        u[c.name] = [(counts.get(i, 0) + 1) / (n + len(c.levels)) for i in range(len(c.levels))]
    name_u_exact = u["name"][0] if "name" in u else 1.0
    return u, name_u_exact


# EM sessions (as in Splink): EM runs on the pairs that agree exactly on one comparison, and
# estimates m for the others only. Blocking makes non-matches agree on the blocked field, which a
# single EM over all pairs would mistake for evidence.
# Each session: (anchor predicate from comparisons.ANCHORS, comparisons it must not estimate).
TRAINING_SESSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("same_birth_date", ("birth_date",)),  # estimates nik and name
    ("same_name", ("name",)),  # estimates nik and birth_date
)


def train(con: duckdb.DuckDBPyConnection, *, sample_pairs: int, seed: int, max_iterations: int,
          tolerance: float, tf_cap_bits: float, comparisons: tuple[Comparison, ...] = COMPARISONS) -> ModelParams:
    """Estimate u (random pairs) and m (EM sessions over `pair_levels`)."""
    u, name_u_exact = _estimate_u(con, comparisons, sample_pairs, seed)
    estimates: dict[str, list[np.ndarray]] = {c.name: [] for c in comparisons}
    iterations = patterns_seen = 0
    for anchor, excluded in TRAINING_SESSIONS:
        others = tuple(c for c in comparisons if c.name not in excluded)
        patterns, counts = _pattern_counts(con, "pair_levels", others, f"anchor_{anchor}")
        if counts.size == 0:
            continue
        m_arrays, _, _, its = em(patterns, counts, [len(c.levels) for c in others],
                                 max_iterations=max_iterations, tolerance=tolerance)
        iterations += its
        patterns_seen += len(counts)
        for c, m in zip(others, m_arrays, strict=True):
            estimates[c.name].append(m)
    m_final: dict[str, list[float]] = {}
    for c in comparisons:
        if estimates[c.name]:
            m_final[c.name] = [float(x) for x in np.mean(estimates[c.name], axis=0)]
        else:  # no anchor pairs at all (tiny inputs): a neutral guess
            m_final[c.name] = [0.9] + [0.1 / (len(c.levels) - 1)] * (len(c.levels) - 1)
    residents = scalar(con, "SELECT count(*) FROM residents")
    log.info("EM: %d iterations over %d patterns", iterations, patterns_seen)
    return ModelParams(m=m_final, u=u, prior_in_register=0.8, residents=residents, name_u_exact=name_u_exact,
                       tf_cap_bits=tf_cap_bits, em_iterations=iterations, pattern_count=patterns_seen)


def score_pairs(con: duckdb.DuckDBPyConnection, params: ModelParams,
                comparisons: tuple[Comparison, ...] = COMPARISONS, refine_prior: bool = True) -> None:
    """(Re)create `pair_scores` from `pair_levels`: per-comparison weights, TF adjustment, match
    weight (log2 odds against 'not in register') and the posterior probability."""
    weight_cols = []
    for c in comparisons:
        cases = " ".join(f"WHEN {i} THEN {w!r}" for i, w in enumerate(params.weights[c.name]))
        weight_cols.append(f"CASE g_{c.name} {cases} ELSE 0.0 END AS w_{c.name}")
    name = next(c for c in comparisons if c.name == "name")
    tf_levels = [i for i, lvl in enumerate(name.levels) if lvl.tf_adjusted]
    subset = next(i for i, lvl in enumerate(name.levels) if lvl.label == "subset")
    tf_value = f"CASE WHEN g_name = {subset} THEN name_tf_shorter ELSE name_tf END"
    tf_adj = (f"CASE WHEN g_name IN ({', '.join(map(str, tf_levels))}) THEN "
              f"least(log2({params.name_u_exact!r} / {tf_value}), {params.tf_cap_bits!r}) ELSE 0.0 END")
    w_sum = " + ".join(f"w_{c.name}" for c in comparisons)
    con.execute(f"""
    CREATE OR REPLACE TABLE pair_scores AS
    SELECT *, {w_sum} + tf_name AS bayes_factor_log2 FROM (
        SELECT l.*, {', '.join(weight_cols)}, {tf_adj} AS tf_name FROM pair_levels l
    )
    """)
    pi = params.prior_in_register
    for _ in range(20 if refine_prior else 0):
        new_pi = _posterior(con, pi, params.residents, write=False)
        if abs(new_pi - pi) < 1e-4:
            break
        pi = new_pi
    params.prior_in_register = pi
    _posterior(con, pi, params.residents, write=True)


def _posterior(con: duckdb.DuckDBPyConnection, pi: float, residents: int, *, write: bool) -> float:
    """Posterior per pair given pi; returns the implied pi (expected share of members linked)."""
    base = math.log2(pi / residents)
    none = 1.0 - pi
    sql = f"""
        SELECT *, power(2.0, {base!r} + bayes_factor_log2)
                  / ({none!r} + sum(power(2.0, {base!r} + bayes_factor_log2)) OVER (PARTITION BY member_id))
                  AS probability,
               {base!r} - log2({none!r}) + bayes_factor_log2 AS match_weight
        FROM pair_scores
    """
    if write:
        con.execute(f"CREATE OR REPLACE TABLE pair_scores AS {sql} ORDER BY member_id, resident_id")
        return pi
    members = scalar(con, "SELECT count(*) FROM memberships")
    total = scalar(con, f"SELECT sum(probability) FROM ({sql})") or 0.0
    return min(max(total / max(members, 1), 0.01), 0.99)
