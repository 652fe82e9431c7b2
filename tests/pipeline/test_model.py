"""The model: EM recovers known parameters, and the SQL scorer agrees with the plain-Python reference."""

import random

import numpy as np
import pytest

from pipeline.linking.comparisons import COMPARISONS
from pipeline.linking.model import em, reference_bayes_factor, reference_posteriors
from tests.conftest import CityEngine


def test_em_recovers_the_parameters_of_a_known_mixture() -> None:
    rng = np.random.default_rng(3)
    # Three conditionally independent comparisons make the mixture identifiable.
    m_true = [np.array([0.9, 0.07, 0.03]), np.array([0.8, 0.15, 0.05]), np.array([0.85, 0.1, 0.05])]
    u_true = [np.array([0.02, 0.08, 0.90]), np.array([0.05, 0.15, 0.80]), np.array([0.1, 0.2, 0.7])]
    n, lam = 200_000, 0.2
    is_match = rng.random(n) < lam
    columns = [np.where(is_match, rng.choice(3, n, p=m), rng.choice(3, n, p=u))
               for m, u in zip(m_true, u_true, strict=True)]
    patterns, counts = np.unique(np.stack(columns, axis=1), axis=0, return_counts=True)
    m, u, share, iterations = em(patterns, counts.astype(float), [3, 3, 3])
    assert iterations < 200
    assert share == pytest.approx(lam, abs=0.01)
    for got, want in zip(m + u, m_true + u_true, strict=True):
        assert got == pytest.approx(want, abs=0.02)


def test_missing_levels_do_not_count_in_em() -> None:
    patterns = np.array([[0, -1], [2, -1], [0, 0], [2, 2]])
    counts = np.array([500.0, 500.0, 100.0, 100.0])
    m, u, _, _ = em(patterns, counts, [3, 3])
    assert m[1].sum() == pytest.approx(1.0) and u[1].sum() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def scored(city_engine: CityEngine):
    return city_engine.con, city_engine.run.linking.params


def test_sql_scores_equal_the_reference_on_sampled_pairs(scored) -> None:
    con, params = scored
    names = [c.name for c in COMPARISONS]
    rows = con.execute(f"""SELECT member_id, resident_id, {', '.join('g_' + n for n in names)}, name_tf,
                           name_tf_shorter, bayes_factor_log2, floor_bits, probability FROM pair_scores""").fetchall()
    by_member: dict[int, dict[int, float]] = {}
    sql_probability = {}
    for row in rows:
        member, resident = row[0], row[1]
        levels = dict(zip(names, row[2:2 + len(names)], strict=True))
        name_tf, name_tf_shorter, bayes_factor, floor_bits, probability = row[2 + len(names):]
        expected = reference_bayes_factor(levels, name_tf, name_tf_shorter, params)
        # The no-veto floor and the other-regency cap act on the total (tests/pipeline/test_linking_families.py)
        by_member.setdefault(member, {})[resident] = expected + floor_bits
        sql_probability[(member, resident)] = probability
        assert bayes_factor == pytest.approx(expected, abs=1e-9)
    for member in random.Random(5).sample(sorted(by_member), 300):
        posteriors = reference_posteriors(by_member[member], params.prior_in_register, params.residents)
        for resident, p in posteriors.items():
            assert sql_probability[(member, resident)] == pytest.approx(p, rel=1e-9, abs=1e-12)
