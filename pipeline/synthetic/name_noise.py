"""Error injection into names of membership rows (domain.md §6): spelling swaps, titles,
Muhammad forms, doubled letters, word order, dropped words, typos, and formatting noise; and the
variants of issue 10: abbreviated given names, a word dropped or added together with a typo, typos
in short names, only a nickname, stacked titles, OCR confusions, names cut to the first word."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from .names import POOLS
from .noise import pick
from .profiles import Profile
from .spelling import (
    abbreviate_word,
    add_title,
    add_word,
    change_double,
    drop_any_word,
    drop_word,
    has_muhammad,
    nickname,
    ocr_name,
    reformat,
    replace_muhammad,
    short_word_typo,
    stack_titles,
    swap_words,
    to_old_spelling,
    typo,
    unicode_space,
)

__all__ = ["noisy_names", "OLD_SPELLING_ERRORS_BEFORE", "NAME_TAGS"]

# Words an employer adds that the register does not carry: a second given name, -PUTRA/-PUTRI, a
# husband's name; drawn from the common second-position names.
_ADDED = {
    sex: tuple(POOLS[sex]["LAST"][:30])
    + (("SAPUTRA", "PUTRA", "BIN SLAMET") if sex == "L" else ("PUTRI", "BINTI SUPARNO"))
    for sex in ("L", "P")
}
_SHORT_WORD = re.compile(r"(?:^| )[A-Z]{3,5}(?: |$)")
NAME_TAGS = (
    "name_spelling", "name_muhammad", "name_double", "name_drop", "name_order", "name_typo", "name_title",
    "name_initial", "name_drop_typo", "name_add_word", "name_short_typo", "name_nickname", "name_titles_stacked",
    "name_ocr", "name_split_column", "name_unicode_space",
)

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
    n = len(names)
    many = np.array([" " in s for s in names], dtype=bool)
    # Cheap applicability masks: the rules below run only on the rows picked (a rule that leaves a
    # picked name unchanged records nothing).
    everyone = np.ones(n, dtype=bool)
    _step(rng, names, tags, prof.name_initial, "name_initial", lambda s, u: abbreviate_word(s, u[0], u[1]), many)
    _step(rng, names, tags, prof.name_drop_typo, "name_drop_typo",
          lambda s, u: typo(drop_any_word(s, u[0]), u[1], u[2], u[0]), many)
    add_u = rng.random(n)
    added = [_ADDED[s][int(a * len(_ADDED[s]))] for s, a in
             zip(np.where(fem, "P", "L").tolist(), add_u.tolist(), strict=True)]
    # A word added, together with a typo in half of the rows (BAYU PRAJA -> BAYU PRAJA SAPUTRA).
    add_sel = pick(rng, np.ones(n, dtype=bool), prof.name_add_word)
    add_v = rng.random((n, 4))
    for i in np.flatnonzero(add_sel).tolist():
        base = typo(names[i], add_v[i, 1], add_v[i, 2], add_v[i, 3]) if add_v[i, 0] < 0.5 else names[i]
        new = add_word(base, added[i], add_v[i, 1])
        if new != names[i]:
            names[i] = new
            tags[i].append("name_add_word")
    short = np.array([_SHORT_WORD.search(s) is not None for s in names], dtype=bool)
    _step(rng, names, tags, prof.name_short_typo, "name_short_typo",
          lambda s, u: short_word_typo(s, u[0], u[1], u[2]), short)
    _step(rng, names, tags, prof.name_nickname, "name_nickname", lambda s, u: nickname(s, u[0], u[1]), everyone)
    _step(rng, names, tags, prof.name_split_column, "name_split_column", lambda s, u: s.split(" ")[0], many)
    _step(rng, names, tags, prof.name_ocr, "name_ocr", lambda s, u: ocr_name(s, u[0]), everyone)
    title_u = rng.random((len(names), 2))
    for i in np.flatnonzero(pick(rng, np.ones(len(names), dtype=bool), prof.name_title)).tolist():
        names[i] = add_title(names[i], not fem[i], title_u[i, 0], title_u[i, 1])
        tags[i].append("name_title")
    stacked = np.ones(n, dtype=bool)
    _step(rng, names, tags, prof.name_titles_stacked, "name_titles_stacked",
          lambda s, u: stack_titles(s, u[0], u[1]), stacked)
    _step(rng, names, tags, prof.name_unicode_space, "name_unicode_space", lambda s, u: unicode_space(s, u[0]), stacked)
    fmt_u = rng.random(len(names))
    for i in np.flatnonzero(rng.random(len(names)) < prof.name_format).tolist():
        names[i] = reformat(names[i], fmt_u[i])
    return names, tags
