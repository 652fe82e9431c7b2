"""Give people names: word count and name style by birth year, Zipf-like token frequencies,
old spelling for part of those born before 1972 (domain.md §6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .names import POOL_NAMES, POOLS
from .spelling import MUHAMMAD_REGISTER_FORMS, to_old_spelling

__all__ = ["PersonNames", "make_names", "copy_namesakes", "OLD_SPELLING_BEFORE", "OLD_SPELLING_SHARE"]

OLD_SPELLING_BEFORE = 1972  # EYD took effect in August 1972
OLD_SPELLING_SHARE = 0.25

# Word-count probabilities (1, 2, 3 words) by birth-year band.
_YEAR_EDGES = [1960, 1975, 1990, 2005]
_WORDS = np.array([[0.70, 0.25, 0.05], [0.40, 0.48, 0.12], [0.15, 0.55, 0.30], [0.06, 0.44, 0.50], [0.03, 0.37, 0.60]])
# Pool probabilities (OLD, FIRST, LAST, MODERN) by [word count][slot][era]; eras: born < 1975,
# 1975-1994, >= 1995.
_ERA_EDGES = [1975, 1995]
_POOL_P = {
    (1, 0): [[0.85, 0.08, 0.07, 0.0], [0.45, 0.25, 0.25, 0.05], [0.10, 0.25, 0.15, 0.50]],
    (2, 0): [[0.30, 0.70, 0.0, 0.0], [0.10, 0.85, 0.0, 0.05], [0.02, 0.58, 0.0, 0.40]],
    (2, 1): [[0.55, 0.0, 0.45, 0.0], [0.20, 0.0, 0.80, 0.0], [0.05, 0.0, 0.75, 0.20]],
    (3, 0): [[0.10, 0.90, 0.0, 0.0], [0.02, 0.93, 0.0, 0.05], [0.0, 0.65, 0.0, 0.35]],
    (3, 1): [[0.30, 0.40, 0.30, 0.0], [0.15, 0.45, 0.30, 0.10], [0.03, 0.32, 0.25, 0.40]],
    (3, 2): [[0.30, 0.0, 0.70, 0.0], [0.10, 0.0, 0.90, 0.0], [0.02, 0.0, 0.88, 0.10]],
}


@dataclass
class PersonNames:
    """Names of a set of people. `modern` is the name in modern spelling; `registered` is the
    name as Dukcapil writes it (old spelling for some older people)."""

    modern: np.ndarray  # object array of str
    registered: np.ndarray  # object array of str
    old_spelling: np.ndarray  # bool


def _zipf(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _draw_tokens(rng: np.random.Generator, female: np.ndarray, pool: np.ndarray, zipf_s: float) -> np.ndarray:
    """One token per person from the given pool index (0..3) and the person's sex."""
    out = np.empty(len(pool), dtype=object)
    for fem, sex in ((False, "L"), (True, "P")):
        for p, pool_name in enumerate(POOL_NAMES):
            sel = np.flatnonzero((female == fem) & (pool == p))
            if len(sel) == 0:
                continue
            toks = np.array(POOLS[sex][pool_name], dtype=object)
            out[sel] = toks[rng.choice(len(toks), size=len(sel), p=_zipf(len(toks), zipf_s))]
    return out


def _muhammad_forms(rng: np.random.Generator, names: list[str]) -> list[str]:
    forms = [f for f, _ in MUHAMMAD_REGISTER_FORMS]
    p = np.array([w for _, w in MUHAMMAD_REGISTER_FORMS])
    pick = rng.choice(len(forms), size=len(names), p=p / p.sum())
    return [
        n.replace("MUHAMMAD", forms[k], 1) if "MUHAMMAD" in n else n for n, k in zip(names, pick.tolist(), strict=True)
    ]


def make_names(
    rng: np.random.Generator, female: np.ndarray, birth_year: np.ndarray, zipf_s: float = 1.0
) -> PersonNames:
    """Draw a name for each person (upper case)."""
    n = len(female)
    female = np.asarray(female, dtype=bool)
    cum = _WORDS.cumsum(axis=1)[np.digitize(birth_year, _YEAR_EDGES)]
    k = (rng.random(n)[:, None] > cum).sum(axis=1) + 1
    era = np.digitize(birth_year, _ERA_EDGES)
    slots: list[np.ndarray] = []
    for slot in range(3):
        pool = np.full(n, -1)
        for words in range(slot + 1, 4):
            sel = k == words
            table = np.array(_POOL_P[(words, slot)]).cumsum(axis=1)[era[sel]]
            pool[sel] = (rng.random(int(sel.sum()))[:, None] > table).sum(axis=1)
        tok = _draw_tokens(rng, female, np.where(pool < 0, 0, pool), zipf_s)
        tok[pool < 0] = None
        slots.append(tok)
    modern: list[str] = []
    for a, b, c in zip(*(s.tolist() for s in slots), strict=True):
        toks = [a] if b is None else ([a, b] if c is None else [a, b, c])
        modern.append(" ".join(dict.fromkeys(toks)))  # drop a repeated token
    modern = _muhammad_forms(rng, modern)
    old = (np.asarray(birth_year) < OLD_SPELLING_BEFORE) & (rng.random(n) < OLD_SPELLING_SHARE)
    registered = [to_old_spelling(m) if o else m for m, o in zip(modern, old.tolist(), strict=True)]
    return PersonNames(np.array(modern, dtype=object), np.array(registered, dtype=object), old)


def copy_namesakes(
    rng: np.random.Generator,
    names: PersonNames,
    female: np.ndarray,
    birth: np.ndarray,
    donors: PersonNames,
    donor_female: np.ndarray,
    donor_birth: np.ndarray,
    donor_ok: np.ndarray,
    share: float,
) -> None:
    """In place: give about `share` of the people the exact name (and sex) of a random eligible
    donor; a third of them also get the donor's birth date (hard namesakes)."""
    pool = np.flatnonzero(donor_ok)
    sel = np.flatnonzero(rng.random(len(female)) < share)
    if len(pool) == 0 or len(sel) == 0:
        return
    donor = pool[rng.integers(0, len(pool), len(sel))]
    names.modern[sel] = donors.modern[donor]
    names.registered[sel] = donors.registered[donor]
    names.old_spelling[sel] = donors.old_spelling[donor]
    female[sel] = donor_female[donor]
    same_day = rng.random(len(sel)) < 1 / 3
    birth[sel[same_day]] = donor_birth[donor[same_day]]
