"""Who is a BPJS Ketenagakerjaan member, in which segment and status, and the clean membership
rows (KPJ, dates, employer) before any error is injected (domain.md §4, §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .days import MISSING, to_days
from .employers import EMPLOYERS, PRO_JKK_JKM, pick_employers
from .occupations import OCC_GROUP

__all__ = ["MemberRows", "SEGMENTS", "draw_states", "draw_outsider_states", "build_rows", "merge_rows", "true_status"]

SEGMENTS = ("PU", "BPU", "JAKON", "PMI")
PU, BPU, JAKON, PMI = range(4)
# Membership states: (segment, active, via Pro JKK-JKM).
STATES = (
    None,
    (PU, True, False),
    (PU, False, False),
    (PU, True, True),
    (BPU, True, True),
    (BPU, True, False),
    (BPU, False, False),
    (JAKON, True, False),
    (JAKON, False, False),
    (PMI, True, False),
    (PMI, False, False),
)
(NONE, PU_A, PU_N, PU_PRO, BPU_PRO, BPU_A, BPU_N, JAK_A, JAK_N, PMI_A, PMI_N) = range(len(STATES))
_CONSTRUCTION = (13, 25, 26, 27, 29)
_PRO_INDEX = next(i for i, e in enumerate(EMPLOYERS) if e[0] == PRO_JKK_JKM)


@dataclass
class MemberRows:
    """Clean membership rows (arrays of equal length)."""

    person: np.ndarray  # int64 index into the combined people arrays (residents, then outsiders)
    segment: np.ndarray  # int64 index into SEGMENTS
    active: np.ndarray  # bool
    start: np.ndarray  # int64 day number of TGL_KEPESERTAAN
    end: np.ndarray  # int64 day number of TGL_NA, days.MISSING when active
    employer: np.ndarray  # int64 index into EMPLOYERS, -1 for plain BPU
    kpj: np.ndarray  # str, 11 digits


def _set(p: np.ndarray, mask: np.ndarray, probs: dict[int, float]) -> None:
    for state, v in probs.items():
        p[mask, state] = v


def draw_states(
    rng: np.random.Generator, occ: np.ndarray, age: np.ndarray, female: np.ndarray, desil: np.ndarray
) -> np.ndarray:
    """Membership state (index into STATES) of each resident."""
    n = len(occ)
    group = np.array([OCC_GROUP.get(c, "not_working") for c in range(90)], dtype=object)[occ]
    p = np.zeros((n, len(STATES)))
    work = (age >= 18) & (age <= 65)
    formal = work & (group == "formal") & ~np.isin(occ, (18, 65, 64, 85, 86))
    _set(p, formal, {PU_A: 0.655, PU_N: 0.035, BPU_A: 0.02, BPU_N: 0.01})
    _set(p, work & np.isin(occ, (18, 85, 86)), {PU_A: 0.25, PU_PRO: 0.58, PU_N: 0.03})
    _set(p, work & np.isin(occ, (65, 64)), {PU_A: 0.52, PU_N: 0.04, BPU_A: 0.03})
    informal = work & (group == "informal")
    poor = desil <= 5
    _set(p, informal & poor, {BPU_PRO: 0.245, BPU_A: 0.10, BPU_N: 0.065, PU_A: 0.025, PU_N: 0.015})
    _set(p, informal & ~poor, {BPU_PRO: 0.01, BPU_A: 0.14, BPU_N: 0.06, PU_A: 0.04, PU_N: 0.015})
    p[informal & (age >= 35), PU_PRO] = 0.025  # RT/RW heads, linmas, kader paid by the Pemkot
    build = informal & np.isin(occ, _CONSTRUCTION)
    _set(p, build, {JAK_A: 0.05, JAK_N: 0.03})
    _set(p, work & (group == "other_scheme"), {PU_A: 0.02, PU_N: 0.03, BPU_A: 0.01})
    idle = work & (group == "not_working")
    _set(p, idle, {PU_N: 0.009, BPU_N: 0.004, BPU_A: 0.005})
    p[idle & (occ == 2) & (age >= 30) & (age <= 60), PU_PRO] = 0.01  # kader kesehatan, PKK
    migrant = idle & (age >= 20) & (age <= 45) & (occ != 3)
    _set(p, migrant & female, {PMI_A: 0.012, PMI_N: 0.006})
    _set(p, migrant & ~female, {PMI_A: 0.004, PMI_N: 0.003})
    _set(p, work & (occ == 4), {PU_N: 0.12})
    old = (age > 65) & (age <= 75)
    _set(p, old & np.isin(group, ("formal", "informal")), {BPU_A: 0.03, BPU_N: 0.04, PU_N: 0.07})
    _set(p, old & ~np.isin(group, ("formal", "informal")), {PU_N: 0.02})
    p[:, NONE] = np.maximum(1.0 - p[:, 1:].sum(axis=1), 0.0)
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(STATES) - 1)


def draw_outsider_states(rng: np.random.Generator, n: int) -> np.ndarray:
    """Membership state of each outsider (always a member)."""
    probs = {PU_A: 0.62, PU_N: 0.12, BPU_A: 0.10, BPU_N: 0.05, JAK_A: 0.06, JAK_N: 0.03, PMI_A: 0.015, PMI_N: 0.005}
    states = np.array(sorted(probs))
    w = np.array([probs[s] for s in states])
    return states[rng.choice(len(states), size=n, p=w / w.sum())]


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, recent: bool = False) -> np.ndarray:
    u = rng.random(len(lo))
    u = np.sqrt(u) if recent else u
    return lo + (np.maximum(hi - lo, 0) * u).astype("int64")


def _kpjs(rng: np.random.Generator, start: np.ndarray, part: tuple[int, int] = (0, 1)) -> np.ndarray:
    years = start.astype("datetime64[D]").astype("datetime64[Y]").astype("int64") + 1970
    body = rng.integers(0, 1_000_000_000, len(start))
    index, count = part
    while True:
        body = body - body % count + index  # chunk i of n: bodies i modulo n, unique across chunks
        num = (years % 100) * 1_000_000_000 + body
        _, first = np.unique(num, return_index=True)
        dup = np.ones(len(num), dtype=bool)
        dup[first] = False
        if not dup.any():
            return np.char.zfill(num.astype("U11"), 11)
        body[dup] = rng.integers(0, 1_000_000_000, int(dup.sum()))


def build_rows(
    rng: np.random.Generator,
    state: np.ndarray,
    occ: np.ndarray,
    birth: np.ndarray,
    ref_days: int,
    two_rows: float = 0.045,
) -> MemberRows:
    """Rows for every person with a state != NONE (plus an old lapsed row for ~`two_rows` of the
    members), in person order, without KPJ (see `merge_rows`)."""
    person = np.flatnonzero(state != NONE)
    st = state[person]
    seg = np.array([s[0] if s else -1 for s in STATES])[st]
    active = np.array([bool(s and s[1]) for s in STATES])[st]
    pro = np.array([bool(s and s[2]) for s in STATES])[st]
    adult = birth[person] + 18 * 365 + 5
    floor = np.select(
        [pro & (seg == BPU), pro, seg == JAKON, seg == PMI, seg == BPU],
        [
            to_days(date(2020, 2, 1)),
            to_days(date(2021, 1, 1)),
            ref_days - 730,
            ref_days - 1100,
            to_days(date(2014, 1, 1)),
        ],
        to_days(date(2008, 1, 1)),
    )
    lo = np.maximum(adult, np.where(active, floor, to_days(date(2000, 1, 1))))
    start = _between(rng, lo, np.where(active, ref_days - 15, ref_days - 400), recent=True)
    start = np.minimum(start, ref_days - 15)
    span = 60 + (rng.random(len(person)) * 8 * 365).astype("int64")
    end = np.where(active, MISSING, np.minimum(start + span, ref_days - 20))
    end = np.where(~active & (end <= start), start + 1, end)
    employer = np.full(len(person), -1, dtype="int64")
    is_pu = seg == PU
    employer[is_pu] = pick_employers(rng, occ[person[is_pu]])
    employer[pro] = _PRO_INDEX
    for s, cat in ((JAKON, "construction"), (PMI, "p3mi")):
        sel = seg == s
        employer[sel] = pick_employers(rng, occ[person[sel]], category=cat)
    wadah = (seg == BPU) & ~pro & (rng.random(len(person)) < 0.03)
    employer[wadah] = pick_employers(rng, occ[person[wadah]], category="wadah")
    # An older, lapsed row (another KPJ) for some active members.
    old = np.flatnonzero(active & (start - adult > 400) & (rng.random(len(person)) < two_rows / 0.8))
    o_start = _between(rng, np.maximum(adult[old], to_days(date(2004, 1, 1))), start[old] - 200)
    o_end = np.minimum(
        o_start + 30 + (rng.random(len(old)) * (start[old] - o_start - 30)).astype("int64"), start[old] - 1
    )
    o_seg = np.where(rng.random(len(old)) < 0.7, PU, BPU)
    o_emp = np.where(o_seg == PU, pick_employers(rng, np.full(len(old), 15)), -1)
    # Each old row goes just before the person's current row.
    order = np.argsort(
        np.r_[np.arange(len(person)), old].astype(float) - np.r_[np.zeros(len(person)), np.full(len(old), 0.5)],
        kind="stable",
    )

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.r_[a, b][order]

    return MemberRows(
        person=cat(person, person[old]),
        segment=cat(seg, o_seg),
        active=cat(active, np.zeros(len(old), dtype=bool)),
        start=cat(start, o_start),
        end=cat(end, o_end),
        employer=cat(employer, o_emp),
        kpj=np.zeros(0, dtype="U11"),
    )


def merge_rows(rng: np.random.Generator, parts: list[tuple[MemberRows, int]],
               chunk: tuple[int, int] = (0, 1)) -> MemberRows:
    """Concatenate row sets, adding each one's person offset, and give every row a unique KPJ."""

    def cat(attr: str) -> np.ndarray:
        return np.concatenate([getattr(r, attr) for r, _ in parts])

    person = np.concatenate([r.person + off for r, off in parts])
    start = cat("start")
    kpj = _kpjs(rng, start, chunk)
    return MemberRows(person, cat("segment"), cat("active"), start, cat("end"), cat("employer"), kpj)


def true_status(rows: MemberRows, n_residents: int) -> np.ndarray:
    """ "covered" (any AKTIF row), "lapsed" (only NON AKTIF rows) or "uncovered", per resident."""
    res = rows.person < n_residents
    any_row = np.bincount(rows.person[res], minlength=n_residents) > 0
    any_active = np.bincount(rows.person[res & rows.active], minlength=n_residents) > 0
    return np.where(any_active, "covered", np.where(any_row, "lapsed", "uncovered")).astype(object)
