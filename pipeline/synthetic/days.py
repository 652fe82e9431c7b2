"""Vectorised calendar helpers. Dates are int64 day numbers counted from 1970-01-01."""

from __future__ import annotations

from datetime import date

import numpy as np

__all__ = [
    "EXCEL_EPOCH_OFFSET",
    "MISSING",
    "to_days",
    "ymd",
    "from_ymd",
    "is_valid_ymd",
    "format_dates",
    "DMY_DASH",
    "DMY_SLASH",
    "ISO",
]

EXCEL_EPOCH_OFFSET = 25569  # Excel serial number of 1970-01-01 (1900 date system)
MISSING = -(10**9)  # day number standing for "no date" (dates before 1970 are negative)
DMY_DASH, DMY_SLASH, ISO = 0, 1, 2


def to_days(d: date) -> int:
    """Day number of a `datetime.date`."""
    return (d - date(1970, 1, 1)).days


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split day numbers into (year, month, day) int64 arrays."""
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    y = years.astype("int64") + 1970
    m = (months - years.astype("datetime64[M]")).astype("int64") + 1
    dd = (d - months.astype("datetime64[D]")).astype("int64") + 1
    return y, m, dd


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Day numbers of (year, month, day); an invalid day overflows into the next month."""
    y = np.asarray(y, dtype="int64")
    m = np.asarray(m, dtype="int64")
    d = np.asarray(d, dtype="int64")
    months = (y - 1970) * 12 + (m - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype("int64") + d - 1


def is_valid_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Boolean mask: (year, month, day) is a real calendar date."""
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    mm = np.where(ok, m, 1)
    dd = np.where(ok, d, 1)
    _, m2, d2 = ymd(from_ymd(y, mm, dd))
    return ok & (m2 == mm) & (d2 == dd)


def format_dates(days: np.ndarray, style: np.ndarray) -> list[str]:
    """Format day numbers as text: style DMY_DASH "31-12-1980", DMY_SLASH "31/12/1980",
    ISO "1980-12-31"."""
    y, m, d = ymd(days)
    out: list[str] = []
    for yy, mm, dd, st in zip(y.tolist(), m.tolist(), d.tolist(), np.asarray(style).tolist(), strict=True):
        if st == DMY_DASH:
            out.append(f"{dd:02d}-{mm:02d}-{yy:04d}")
        elif st == DMY_SLASH:
            out.append(f"{dd:02d}/{mm:02d}/{yy:04d}")
        else:
            out.append(f"{yy:04d}-{mm:02d}-{dd:02d}")
    return out
