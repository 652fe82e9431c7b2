"""NIK and No. KK numbers built by the Dukcapil rules (domain.md §1.1, §1.4).

NIK = region(6) + DDMMYY of birth (day + 40 for women) + serial(4) unique within the 12-digit
prefix, starting at 0001. No. KK = kecamatan(6) + DDMMYY of recording (never day + 40) + serial.
Numbers are handled as int64 (16 digits fit) and formatted with `as_text`.
"""

from __future__ import annotations

import numpy as np

from .days import ymd

__all__ = ["Part", "nik_prefix", "assign_serials", "assign_niks", "assign_kks", "as_text"]


def nik_prefix(region6: np.ndarray, days: np.ndarray, female: np.ndarray | None) -> np.ndarray:
    """12-digit prefix region + DDMMYY; the day gets + 40 where `female` is true."""
    y, m, d = ymd(days)
    if female is not None:
        d = d + 40 * np.asarray(female, dtype="int64")
    return np.asarray(region6, dtype="int64") * 1_000_000 + d * 10_000 + m * 100 + (y % 100)


Part = tuple[int, int]
"""(index, count) of one chunk of a population generated in chunks: serials and KPJ numbers of chunk i
are i + 1 modulo count, so no two chunks share a number. (0, 1) is a population in one piece."""


def assign_serials(prefix: np.ndarray, rng: np.random.Generator, part: Part = (0, 1)) -> np.ndarray:
    """Serial 1, 2, 3... within each distinct prefix, in a random order among equal prefixes (for chunk
    i of n: i + 1, i + 1 + n, i + 1 + 2n, ...)."""
    n = len(prefix)
    order = np.lexsort((rng.random(n), prefix))
    sp = prefix[order]
    start = np.r_[True, sp[1:] != sp[:-1]] if n else np.zeros(0, dtype=bool)
    group_start = np.maximum.accumulate(np.where(start, np.arange(n), 0)) if n else start
    rank = np.empty(n, dtype="int64")
    rank[order] = np.arange(n) - group_start
    index, count = part
    if n and rank.max() * count + index >= 9999:
        raise ValueError("more than 9999 people share one NIK prefix")
    return rank * count + index + 1


def assign_niks(
    region6: np.ndarray, birth_days: np.ndarray, female: np.ndarray, rng: np.random.Generator, part: Part = (0, 1)
) -> np.ndarray:
    """Unique 16-digit NIKs (int64) for everyone in the arrays."""
    prefix = nik_prefix(region6, birth_days, female)
    nik = prefix * 10_000 + assign_serials(prefix, rng, part)
    return nik


def _max_serial_by_prefix(prefix: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """For each 12-digit prefix, the highest serial among the 16-digit numbers `taken` (0 if none)."""
    if len(taken) == 0:
        return np.zeros(len(prefix), dtype="int64")
    t_prefix, t_serial = taken // 10_000, taken % 10_000
    order = np.argsort(t_prefix, kind="stable")
    t_prefix, t_serial = t_prefix[order], t_serial[order]
    uniq, first = np.unique(t_prefix, return_index=True)
    top = np.maximum.reduceat(t_serial, first)
    pos = np.clip(np.searchsorted(uniq, prefix), 0, len(uniq) - 1)
    return np.where(uniq[pos] == prefix, top[pos], 0)


def assign_kks(
    region6: np.ndarray, record_days: np.ndarray, rng: np.random.Generator, forbidden: np.ndarray,
    part: Part = (0, 1),
) -> np.ndarray:
    """Unique 16-digit No. KK numbers (int64), none equal to a value in `forbidden` (NIKs and
    KKs already issued): serials continue after the highest one taken under the same prefix."""
    prefix = nik_prefix(region6, record_days, None)
    taken = _max_serial_by_prefix(prefix, np.asarray(forbidden, dtype="int64"))
    count = part[1]
    kk = prefix * 10_000 + (taken + count - 1) // count * count  # a multiple of count: keeps the chunk's residue
    kk += assign_serials(prefix, rng, part)
    if len(np.unique(kk)) != len(kk) or (kk // 10_000 != prefix).any():
        raise ValueError("No. KK numbers are not unique or overflow their serial")
    return kk


def as_text(numbers: np.ndarray) -> np.ndarray:
    """16-digit numbers as an array of strings (no padding is needed: province codes >= 11)."""
    return np.asarray(numbers, dtype="int64").astype("U16")
