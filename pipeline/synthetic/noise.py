"""Error injection into membership rows: NIK errors, birth-date errors, duplicate rows
(domain.md §1.3). Each function returns the written values and the truth tag of each row."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .days import MISSING, from_ymd, is_valid_ymd, ymd
from .profiles import Profile

__all__ = ["NikNoise", "NIK_KINDS", "pick", "noisy_niks", "typo_nik", "excel_scientific", "noisy_births",
           "duplicate_index"]


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


def _substitute(rng: np.random.Generator, nik: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """One digit at a position in [lo, hi) replaced by another digit."""
    n = len(nik)
    digits = _digits(nik)
    pos = rng.integers(lo, hi, n)
    old = digits[np.arange(n), pos]
    new = (old + rng.integers(1, 10, n)) % 10
    return nik + (new - old) * 10 ** (15 - pos)


def _transpose(rng: np.random.Generator, nik: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Two adjacent, different digits swapped, the first at a position in [lo, hi) (unchanged when
    all those pairs are equal)."""
    n = len(nik)
    digits = _digits(nik)
    diff = digits[:, :-1] != digits[:, 1:]
    diff[:, :lo] = False
    diff[:, hi:] = False
    score = np.where(diff, rng.random((n, 15)), -1.0)
    tpos = score.argmax(axis=1)
    a, b = digits[np.arange(n), tpos], digits[np.arange(n), tpos + 1]
    swapped = nik + (b - a) * 10 ** (15 - tpos) + (a - b) * 10 ** (14 - tpos)
    return np.where(diff.any(axis=1), swapped, nik)


# Kinds of NIK damage, in the order of their rates in `_nik_rates` (index len() = no error).
NIK_KINDS = (
    "nik_missing",
    "nik_substitution",  # a date or serial digit (positions 7-16)
    "nik_transposition",
    "nik_region_substitution",  # a province, kabupaten/kota or kecamatan digit (positions 1-6)
    "nik_region_transposition",  # across the region digits (357703 -> 357073) or into the date
    "nik_excel",  # rounded to 15 significant digits, or "3.57701E+15"
    "nik_excel_zeroed",  # typed into a number cell: the 16th digit became 0
    "nik_kk",
    "nik_female_40",  # female +40 not applied, or applied to a man
    "nik_length",  # a digit dropped or doubled (15 or 17 digits)
    "nik_ocr",  # digits read as look-alike letters (0/O, 1/I, 5/S, 8/B)
    "nik_separators",  # right digits, written with dots, spaces or a leading apostrophe
)
_OCR_DIGIT = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}


def _nik_rates(prof: Profile) -> list[float]:
    return [getattr(prof, k) for k in NIK_KINDS]


def _text(value: int) -> str:
    # A keying error on the first digit can give a leading zero: kept, as a text cell would keep it.
    return f"{int(value):016d}"


def typo_nik(rng: np.random.Generator, nik: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """One keying error anywhere in the number: a substitution or transposition in any position, or
    the 16th digit zeroed; returns (values, tags)."""
    n = len(nik)
    kind = rng.integers(0, 5, n)
    sub, sub_r = _substitute(rng, nik, 6, 16), _substitute(rng, nik, 0, 6)
    tr, tr_r = _transpose(rng, nik, 6, 15), _transpose(rng, nik, 0, 6)
    zeroed = nik // 10 * 10
    zeroed = np.where(zeroed == nik, sub, zeroed)
    values = np.choose(kind, [sub, sub_r, tr, tr_r, zeroed])
    names = ("nik_substitution", "nik_region_substitution", "nik_transposition", "nik_region_transposition",
             "nik_excel_zeroed")
    tags = [names[k] if v != o else "" for k, v, o in zip(kind.tolist(), values.tolist(), nik.tolist(), strict=True)]
    return values, tags


def noisy_niks(rng: np.random.Generator, nik: np.ndarray, kk: np.ndarray, prof: Profile) -> NikNoise:
    """Write each true NIK with at most one kind of damage (`NIK_KINDS`)."""
    n = len(nik)
    rates = _nik_rates(prof)
    kind = np.searchsorted(np.cumsum(rates), rng.random(n), side="right")  # len(rates) = no error
    sub, sub_r = _substitute(rng, nik, 6, 16), _substitute(rng, nik, 0, 6)
    trans, trans_r = _transpose(rng, nik, 6, 15), _transpose(rng, nik, 0, 6)
    rounded = (nik + 5) // 10 * 10
    zeroed = nik // 10 * 10
    day = (nik // 10**8) % 100
    sex_flip = nik + np.where(day > 40, -40, 40) * 10**8
    sci = rng.random(n) < 0.5
    dash = rng.random(n) < 0.2
    u = rng.random((n, 3))
    text: list[str] = []
    tag: list[str] = []
    excel_number = np.zeros(n, dtype=bool)
    for i, k in enumerate(kind.tolist()):
        name = NIK_KINDS[k] if k < len(NIK_KINDS) else ""
        s = str(nik[i])
        if name == "nik_missing":
            s = "-" if dash[i] else ""
        elif name == "nik_substitution":
            s = _text(sub[i])
        elif name == "nik_region_substitution":
            s = _text(sub_r[i])
        elif name == "nik_transposition":
            s = _text(trans[i])
        elif name == "nik_region_transposition":
            s = _text(trans_r[i])
        elif name == "nik_excel":
            s = excel_scientific(int(rounded[i])) if sci[i] else str(rounded[i])
            excel_number[i] = not sci[i]
        elif name == "nik_excel_zeroed":
            s = _text(zeroed[i])
            excel_number[i] = True
        elif name == "nik_kk":
            s = str(kk[i])
        elif name == "nik_female_40":
            s = _text(sex_flip[i])
        elif name == "nik_length":
            j = int(u[i, 0] * 16)
            s = s[:j] + s[j + 1 :] if u[i, 1] < 0.5 else s[: j + 1] + s[j:]
        elif name == "nik_ocr":
            spots = [j for j, ch in enumerate(s) if ch in _OCR_DIGIT]
            for j in spots[int(u[i, 0] * len(spots)) :][: 1 + int(u[i, 1] < 0.3)]:
                s = s[:j] + _OCR_DIGIT[s[j]] + s[j + 1 :]
        elif name == "nik_separators":
            pick_form = int(u[i, 0] * 4)
            s = (f"{s[:4]}.{s[4:6]}.{s[6:12]}.{s[12:]}", f"{s[:4]} {s[4:8]} {s[8:12]} {s[12:]}", f"'{s}",
                 f" {s} ")[pick_form]
        if name and name not in ("nik_missing", "nik_separators", "nik_ocr", "nik_length") and s == str(nik[i]):
            name = ""  # the damage left the number as it was (e.g. a NIK that already ends in 0)
        text.append(s)
        tag.append(name)
    return NikNoise(text, excel_number, tag)


def noisy_births(rng: np.random.Generator, birth: np.ndarray, prof: Profile) -> tuple[np.ndarray, list[str]]:
    """Birth dates as written (`days.MISSING` = missing) with at most one error per row: missing, day and
    month swapped (only where the swap gives another valid date), one of day or month off by
    one, year off by one, a placeholder 1 January / 1 July."""
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
    # Unknown day and month written as 1 January or 1 July of the year (domain.md §1.3).
    july = np.where(rng.random(n) < 0.5, 7, 1)
    placeholder = free & ~((d == 1) & ((m == 1) | (m == 7)))
    apply(pick(rng, placeholder, prof.dob_placeholder), from_ymd(y, july, np.ones(n, dtype="int64")),
          "dob_placeholder")
    return out, tag.tolist()


def duplicate_index(rng: np.random.Generator, n: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Row order with exact duplicates: (index of the source row for each output row, bool mask
    of output rows that are duplicates). A duplicate follows its original."""
    dup = rng.random(n) < rate
    index = np.repeat(np.arange(n), 1 + dup.astype("int64"))
    is_dup = np.r_[False, index[1:] == index[:-1]] if n else np.zeros(0, dtype=bool)
    return index, is_dup
