"""Export damage beyond one field at a time (issue 10): rows damaged twice by one careless entry,
rows with only a name, cell-level damage of real CSV/XLSX exports (odd date formats, a name and a
birth date merged into one column, KPJ stored as a number), and the namesake label of outsiders who
share a resident's name and birth date. Pure functions of their inputs and the generator's draws."""

from __future__ import annotations

import numpy as np

from .days import MISSING, from_ymd, ymd

__all__ = ["ID_MONTHS", "odd_date_texts", "us_date_texts", "swap_or_missing", "namesake_labels"]

ID_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")
_ID_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def odd_date_texts(days: np.ndarray, u: np.ndarray) -> list[str]:
    """Dates as other offices and locales write them: 05-08-85, 5/8/1985, 5 Agustus 1985, 05-Agu-1985,
    19850805, 05.08.85."""
    y, m, d = ymd(days)
    out = []
    for yy, mm, dd, k in zip(y.tolist(), m.tolist(), d.tolist(), (np.asarray(u) * 6).astype(int).tolist(),
                             strict=True):
        out.append((f"{dd:02d}-{mm:02d}-{yy % 100:02d}", f"{dd}/{mm}/{yy}", f"{dd} {ID_MONTHS[mm - 1]} {yy}",
                    f"{dd:02d}-{_ID_MONTHS_SHORT[mm - 1]}-{yy}", f"{yy:04d}{mm:02d}{dd:02d}",
                    f"{dd:02d}.{mm:02d}.{yy % 100:02d}")[k])
    return out


def us_date_texts(days: np.ndarray) -> list[str]:
    """MM/DD/YYYY, as a US-locale Excel writes a date it re-typed as text."""
    y, m, d = ymd(days)
    return [f"{mm:02d}/{dd:02d}/{yy:04d}" for yy, mm, dd in zip(y.tolist(), m.tolist(), d.tolist(), strict=True)]


def swap_or_missing(birth: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Birth date day/month swapped where that gives another valid date (half of the rows), else
    missing; returns (days, tags)."""
    y, m, d = ymd(birth)
    can = (d <= 12) & (d != m) & (np.asarray(u) < 0.5)
    out = np.where(can, from_ymd(y, np.minimum(d, 12), m), MISSING)
    return out, ["dob_swap" if c else "dob_missing" for c in can.tolist()]


def namesake_labels(names: np.ndarray, birth: np.ndarray, nik: np.ndarray, who: np.ndarray, n_residents: int,
                    city_code: int = 3577) -> list[str]:
    """For each row: "namesake_other_region" when an outsider carries the registered name and birth
    date of a resident and a NIK of another regency, "namesake_same_city" when the NIK is of the city;
    "" otherwise (residents, and outsiders with a name and date no resident shares)."""
    residents = {(str(names[p]), int(birth[p])) for p in range(n_residents)}
    out = []
    for p in who.tolist():
        if p < n_residents or (str(names[p]), int(birth[p])) not in residents:
            out.append("")
        else:
            out.append("namesake_same_city" if int(nik[p]) // 10**12 == city_code else "namesake_other_region")
    return out
