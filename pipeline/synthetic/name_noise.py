"""Error injection into names of membership rows (domain.md §6): spelling swaps, titles,
Muhammad forms, doubled letters, word order, dropped words, typos, and formatting noise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .noise import pick
from .profiles import Profile
from .spelling import (
    add_title,
    change_double,
    drop_word,
    has_muhammad,
    reformat,
    replace_muhammad,
    swap_words,
    to_old_spelling,
    typo,
)

__all__ = ["noisy_names", "OLD_SPELLING_ERRORS_BEFORE"]

OLD_SPELLING_ERRORS_BEFORE = 1980  # modern names of people born later are not written the old way


def _step(
    rng: np.random.Generator,
    names: list[str],
    tags: list[list[str]],
    rate: float,
    tag: str,
    rule: Callable[[str, np.ndarray], str],
    applicable: np.ndarray | None = None,
) -> None:
    """Apply `rule` to about `rate` of the rows where it changes the name; record `tag`."""
    n = len(names)
    u = rng.random((n, 3))
    if applicable is None:
        applicable = np.array([rule(s, u[i]) != s for i, s in enumerate(names)], dtype=bool)
    for i in np.flatnonzero(pick(rng, applicable, rate)).tolist():
        new = rule(names[i], u[i])
        if new != names[i]:
            names[i] = new
            tags[i].append(tag)


def noisy_names(
    rng: np.random.Generator,
    registered: np.ndarray,
    modern: np.ndarray,
    old_spelling: np.ndarray,
    female: np.ndarray,
    birth_year: np.ndarray,
    prof: Profile,
) -> tuple[list[str], list[list[str]]]:
    """Names as an employer or BPJS TK office would write them, and the error tags of each row.

    `registered` is the name as Dukcapil writes it; `modern` the same name in modern spelling."""
    names = [str(s) for s in registered]
    tags: list[list[str]] = [[] for _ in names]
    spell_target = [
        str(m) if o else to_old_spelling(str(r))
        for r, m, o in zip(registered, modern, old_spelling.tolist(), strict=True)
    ]
    can_spell = np.array([t != r for t, r in zip(spell_target, names, strict=True)], dtype=bool)
    can_spell &= old_spelling | (np.asarray(birth_year) < OLD_SPELLING_ERRORS_BEFORE)
    for i in np.flatnonzero(pick(rng, can_spell, prof.name_spelling)).tolist():
        names[i] = spell_target[i]
        tags[i].append("name_spelling")
    muh = np.array([has_muhammad(s) for s in names], dtype=bool)
    _step(rng, names, tags, prof.name_muhammad, "name_muhammad", lambda s, u: replace_muhammad(s, u[0]), muh)
    _step(rng, names, tags, prof.name_double, "name_double", lambda s, u: change_double(s, u[0]))
    three = np.array([s.count(" ") >= 2 for s in names], dtype=bool)
    _step(rng, names, tags, prof.name_drop, "name_drop", lambda s, u: drop_word(s, u[0]), three)
    two = np.array([" " in s for s in names], dtype=bool)
    _step(rng, names, tags, prof.name_order, "name_order", lambda s, u: swap_words(s, u[0]), two)
    _step(
        rng,
        names,
        tags,
        prof.name_typo,
        "name_typo",
        lambda s, u: typo(s, u[0], u[1], u[2]),
        np.ones(len(names), dtype=bool),
    )
    fem = np.asarray(female, dtype=bool)
    title_u = rng.random((len(names), 2))
    for i in np.flatnonzero(pick(rng, np.ones(len(names), dtype=bool), prof.name_title)).tolist():
        names[i] = add_title(names[i], not fem[i], title_u[i, 0], title_u[i, 1])
        tags[i].append("name_title")
    fmt_u = rng.random(len(names))
    for i in np.flatnonzero(rng.random(len(names)) < prof.name_format).tolist():
        names[i] = reformat(names[i], fmt_u[i])
    return names, tags
