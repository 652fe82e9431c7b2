"""Error injection into membership rows: NIK errors, birth-date errors, duplicate rows
(domain.md §1.3). Each function returns the written values and the truth tag of each row."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .days import MISSING, from_ymd, is_valid_ymd, ymd
from .profiles import Profile

__all__ = ["NikNoise", "pick", "noisy_niks", "excel_scientific", "noisy_births", "duplicate_index"]


def pick(rng: np.random.Generator, applicable: np.ndarray, rate: float) -> np.ndarray:
    """Choose about `rate` of all rows, only among `applicable` ones (capped at 90% of those)."""
    n_app = int(applicable.sum())
    if n_app == 0:
        return applicable.copy()
    p = min(rate * len(applicable) / n_app, 0.9)
    return applicable & (rng.random(len(applicable)) < p)


@dataclass
class NikNoise:
    """NIK as written. `text` is the cell text; where `excel_number` is true the XLSX gets a
    NUMBER cell holding `text` as a number (the CSV gets the same digits as text)."""

    text: list[str]
    excel_number: np.ndarray  # bool
    tag: list[str]


def excel_scientific(value: int) -> str:
    """How Excel's General format shows a 16-digit number: "3.57701E+15"."""
    mant, exp = f"{value:.5E}".split("E")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}E+{int(exp):02d}"


def _digits(nums: np.ndarray) -> np.ndarray:
    """(n, 16) array of the digits of 16-digit numbers."""
    return (nums[:, None] // (10 ** np.arange(15, -1, -1, dtype="int64"))) % 10


def noisy_niks(rng: np.random.Generator, nik: np.ndarray, kk: np.ndarray, prof: Profile) -> NikNoise:
    """Write each true NIK with at most one error: missing, one-digit substitution, adjacent
    transposition, Excel damage (15 significant digits) or the family KK number."""
    n = len(nik)
    rates = [prof.nik_missing, prof.nik_substitution, prof.nik_transposition, prof.nik_excel, prof.nik_kk]
    kind = np.searchsorted(np.cumsum(rates), rng.random(n), side="right")  # 5 = no error
    digits = _digits(nik)
    pos = rng.integers(0, 16, n)
    repl = (digits[np.arange(n), pos] + rng.integers(1, 10, n)) % 10
    sub = nik + (repl - digits[np.arange(n), pos]) * 10 ** (15 - pos)
    diff = digits[:, :-1] != digits[:, 1:]
    score = np.where(diff, rng.random((n, 15)), -1.0)
    tpos = score.argmax(axis=1)
    a, b = digits[np.arange(n), tpos], digits[np.arange(n), tpos + 1]
    trans = nik + (b - a) * 10 ** (15 - tpos) + (a - b) * 10 ** (14 - tpos)
    rounded = (nik + 5) // 10 * 10
    sci = rng.random(n) < 0.5
    dash = rng.random(n) < 0.2
    text: list[str] = []
    tag: list[str] = []
    excel_number = np.zeros(n, dtype=bool)
    names = ("nik_missing", "nik_substitution", "nik_transposition", "nik_excel", "nik_kk", "")
    for i, k in enumerate(kind.tolist()):
        if k == 0:
            text.append("-" if dash[i] else "")
        elif k == 1:
            text.append(str(sub[i]))
        elif k == 2:
            text.append(str(trans[i]))
        elif k == 3:
            text.append(excel_scientific(int(rounded[i])) if sci[i] else str(rounded[i]))
            excel_number[i] = not sci[i]
        elif k == 4:
            text.append(str(kk[i]))
        else:
            text.append(str(nik[i]))
        tag.append(names[k])
    return NikNoise(text, excel_number, tag)


def noisy_births(rng: np.random.Generator, birth: np.ndarray, prof: Profile) -> tuple[np.ndarray, list[str]]:
    """Birth dates as written (`days.MISSING` = missing) with at most one error per row: missing, day and
    month swapped (only where the swap gives another valid date), one of day or month off by
    one, year off by one."""
    n = len(birth)
    y, m, d = ymd(birth)
    out = birth.copy()
    tag = np.full(n, "", dtype=object)
    free = np.ones(n, dtype=bool)

    def apply(mask: np.ndarray, values: np.ndarray, name: str) -> None:
        out[mask] = values[mask]
        tag[mask] = name
        free[mask] = False

    apply(pick(rng, free, prof.dob_missing), np.full(n, MISSING), "dob_missing")
    can_swap = free & (d <= 12) & (d != m)
    apply(pick(rng, can_swap, prof.dob_swap), from_ymd(y, np.minimum(d, 12), m), "dob_swap")
    step = np.where(rng.random(n) < 0.5, -1, 1)
    day_field = rng.random(n) < 0.6
    y2, m2, d2 = y, np.where(day_field, m, m + step), np.where(day_field, d + step, d)
    ok = is_valid_ymd(y2, m2, d2)
    shifted = np.where(ok, from_ymd(y2, np.clip(m2, 1, 12), np.clip(d2, 1, 31)), birth + step)
    apply(pick(rng, free, prof.dob_offbyone), shifted, "dob_offbyone")
    y3 = y + step
    d3 = np.where(is_valid_ymd(y3, m, d), d, d - 1)
    apply(pick(rng, free, prof.dob_year), from_ymd(y3, m, d3), "dob_year")
    return out, tag.tolist()


def duplicate_index(rng: np.random.Generator, n: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Row order with exact duplicates: (index of the source row for each output row, bool mask
    of output rows that are duplicates). A duplicate follows its original."""
    dup = rng.random(n) < rate
    index = np.repeat(np.arange(n), 1 + dup.astype("int64"))
    is_dup = np.r_[False, index[1:] == index[:-1]] if n else np.zeros(0, dtype=bool)
    return index, is_dup
