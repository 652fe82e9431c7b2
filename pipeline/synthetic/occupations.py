"""Occupation (pekerjaan, domain.md §7) by age and sex, its written variants, and the family
desil (DTSEN welfare decile, §3.2) correlated with the head's occupation."""

from __future__ import annotations

import re

import numpy as np

from pipeline.reference import OCCUPATIONS

__all__ = ["draw_occupations", "occupation_label", "draw_desil", "OCC_GROUP", "DESIL_SHARES"]

NOT_WORKING, HOUSEWORK, STUDENT, RETIRED = 1, 2, 3, 4
OCC_GROUP: dict[int, str] = {o.code: o.group for o in OCCUPATIONS}
_LABEL: dict[int, str] = {o.code: o.label for o in OCCUPATIONS}

# Working occupations: code -> (weight for men, weight for women).
_WORK: dict[int, tuple[float, float]] = {
    88: (22, 18),
    15: (22, 18),
    19: (12, 6),
    84: (5, 9),
    8: (3.5, 4.5),
    81: (2.5, 0.05),
    26: (1.5, 0),
    27: (1, 0),
    30: (0.4, 1.5),
    24: (0.3, 0.02),
    25: (0.4, 0),
    29: (0.3, 0),
    28: (0.08, 0),
    31: (0.03, 0.01),
    35: (1, 0.02),
    5: (4.5, 4.5),
    6: (1, 0.05),
    7: (1, 0.1),
    65: (2, 4),
    18: (3, 3.5),
    16: (2, 1),
    17: (0.6, 0.4),
    64: (0.3, 0.25),
    73: (0, 0.6),
    74: (0.4, 1),
    72: (0.15, 0.15),
    75: (0.05, 0.1),
    9: (1, 0.5),
    20: (0.6, 0.4),
    10: (0.2, 0.05),
    12: (0.5, 0.4),
    13: (0.6, 0.02),
    14: (0.8, 0.05),
    23: (0.05, 1),
    32: (0.02, 0.4),
    34: (0.05, 0.2),
    33: (0.01, 0.05),
    46: (0.2, 0.4),
    45: (0.25, 0.05),
    41: (0.1, 0),
    36: (0.2, 0.05),
    44: (0.08, 0.03),
    67: (0.06, 0.02),
    68: (0.02, 0.03),
    69: (0.03, 0.01),
    70: (0.05, 0.06),
    71: (0.05, 0.02),
    42: (0.04, 0.01),
    43: (0.01, 0),
    87: (0, 0.01),
    79: (0.08, 0),
    80: (0.02, 0.02),
    77: (0.01, 0.01),
    78: (0.01, 0.01),
    47: (0.02, 0.01),
    85: (0.02, 0.01),
    63: (0.01, 0.005),
    89: (2, 1.5),
    11: (0.02, 0),
    21: (0.01, 0),
    22: (0.05, 0),
    37: (0.01, 0.01),
    38: (0, 0.01),
    39: (0.01, 0.02),
    40: (0.01, 0.01),
    76: (0.01, 0.02),
    82: (0.01, 0),
    83: (0.01, 0.01),
    66: (0.005, 0),
}
_CAREER = (5, 6, 7, 65, 64, 72, 16)  # rarely held before 25
_EMPLOYED = (15, 16, 17, 18, 5, 6, 7, 65, 64)  # mostly left after 60
_KEPT = (9, 84, 88, 8)  # kept into old age

# Not-working shares by age class: (BELUM/TIDAK BEKERJA, MENGURUS RT, PELAJAR, PENSIUNAN).
_IDLE = {  # (age class, female) -> shares
    ("young", False): (0.22, 0.0, 0.40, 0.0),
    ("young", True): (0.20, 0.10, 0.40, 0.0),
    ("adult", False): (0.06, 0.0, 0.0, 0.0),
    ("adult", True): (0.06, 0.38, 0.0, 0.0),
    ("senior", False): (0.14, 0.0, 0.0, 0.16),
    ("senior", True): (0.10, 0.35, 0.0, 0.08),
    ("old", False): (0.42, 0.0, 0.0, 0.24),
    ("old", True): (0.30, 0.35, 0.0, 0.10),
}


def _work_weights(female: bool, age_class: str) -> tuple[np.ndarray, np.ndarray]:
    codes = np.array(sorted(_WORK))
    w = np.array([_WORK[c][1 if female else 0] for c in codes], dtype=float)
    if age_class == "young":
        w[np.isin(codes, _CAREER)] *= 0.3
    if age_class in ("senior", "old"):
        w[np.isin(codes, _EMPLOYED)] *= 0.2
        w[np.isin(codes, _KEPT)] *= 1.5
    return codes, w / w.sum()


def draw_occupations(rng: np.random.Generator, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Occupation code (1-89) for each person, by age and sex."""
    n = len(age)
    occ = np.full(n, NOT_WORKING, dtype="int64")
    u = rng.random(n)
    school = (age >= 5) & (age < 18)
    occ[school] = np.where(u[school] < np.where(age[school] < 15, 0.95, 0.88), STUDENT, NOT_WORKING)
    teen_work = school & (age >= 15) & (u > 0.97)
    classes = (
        ("young", (age >= 18) & (age < 25)),
        ("adult", (age >= 25) & (age < 60)),
        ("senior", (age >= 60) & (age < 65)),
        ("old", age >= 65),
    )
    for fem in (False, True):
        for name, in_class in classes:
            sel = np.flatnonzero(in_class & (female == fem))
            idle = np.cumsum(_IDLE[(name, fem)])
            k = (u[sel][:, None] > idle).sum(axis=1)  # 0..3 idle kinds, 4 = working
            occ[sel] = np.array([NOT_WORKING, HOUSEWORK, STUDENT, RETIRED, 0])[k]
            work = sel[k == 4]
            codes, p = _work_weights(fem, name)
            occ[work] = codes[rng.choice(len(codes), size=len(work), p=p)]
        sel = np.flatnonzero(teen_work & (female == fem))
        codes, p = _work_weights(fem, "young")
        occ[sel] = codes[rng.choice(len(codes), size=len(sel), p=p)]
    return occ


_SPECIAL_VARIANTS = {89: "PEKERJAAN LAINNYA", 5: "PEGAWAI NEGERI SIPIL", 88: "Wiraswasta"}


def occupation_label(code: int, variant: float) -> str:
    """The label as written: `variant` < 0 gives the standard upper-case label; otherwise a wild
    spelling ("Pelajar / Mahasiswa", "Wiraswasta", "PEKERJAAN LAINNYA")."""
    label = _LABEL[code]
    if variant < 0:
        return label
    if code in _SPECIAL_VARIANTS and variant < 0.4:
        return _SPECIAL_VARIANTS[code]
    title = re.sub(r"[A-Z]+", lambda m: m.group(0)[0] + m.group(0)[1:].lower(), label)
    if "/" in label:
        return (title if variant < 0.7 else label).replace("/", " / ")
    return title if variant < 0.8 else label + " "


_DESIL_BASE: dict[int, float] = {
    1: -1.0,
    2: -0.6,
    3: -0.3,
    4: 0.4,
    5: 1.1,
    6: 1.0,
    7: 1.0,
    15: 0.3,
    12: 0.1,
    18: 0.1,
    16: 1.0,
    17: 1.0,
    65: 0.7,
    73: 0.8,
    74: 0.8,
    88: 0.0,
    35: -0.4,
    46: -0.3,
    81: -0.5,
    13: -0.5,
    14: -0.5,
    84: -0.5,
    8: -0.5,
    89: -0.5,
    9: -1.0,
    11: -1.0,
    23: -1.0,
    19: -1.0,
    20: -1.0,
    21: -1.0,
    22: -1.0,
    24: -0.9,
    25: -0.7,
    26: -1.0,
    27: -0.9,
    28: -1.0,
    29: -0.8,
    30: -0.8,
    31: -0.6,
}
_DESIL_HIGH = (64, 66, 67, 68, 69, 70, 71, 72, 75, 76, 79, 80, 82) + tuple(range(48, 64))
DESIL_SHARES = np.array([0.07, 0.08, 0.09, 0.10, 0.11, 0.12, 0.12, 0.11, 0.10, 0.10])


def draw_desil(rng: np.random.Generator, head_occ: np.ndarray, family_size: np.ndarray) -> np.ndarray:
    """Desil 1-10 per family from a noisy welfare score driven by the head's occupation."""
    base = np.array([_DESIL_BASE.get(c, 1.6 if c in _DESIL_HIGH else 0.0) for c in range(90)])
    score = base[head_occ] - 0.15 * np.maximum(family_size - 4, 0) + rng.normal(0, 0.9, len(head_occ))
    rank = np.empty(len(score), dtype="int64")
    rank[np.argsort(score, kind="stable")] = np.arange(len(score))
    cuts = np.cumsum(DESIL_SHARES)[:-1] * len(score)
    return np.searchsorted(cuts, rank, side="right") + 1
