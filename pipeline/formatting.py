"""Numbers, Rupiah and dates written the Indonesian way (Babel's `id_ID` locale): one home for every
report, chart, CLI message and workbook that shows a figure to a person."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal

__all__ = ["format_number", "format_rupiah", "format_rupiah_short", "format_tanggal"]

_LOCALE = "id_ID"


def format_number(value: int | float, decimals: int = 0) -> str:
    """Indonesian grouping: dots for thousands, comma for decimals.

    >>> format_number(3119961600), format_number(43.81, 1)
    ('3.119.961.600', '43,8')
    """
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_LOCALE)


def format_rupiah(value: int) -> str:
    """Rupiah with Indonesian grouping.

    >>> format_rupiah(3000000000), format_rupiah(-16800)
    ('Rp 3.000.000.000', '-Rp 16.800')
    """
    return ("-" if value < 0 else "") + "Rp " + format_number(abs(int(value)))


def format_rupiah_short(value: int) -> str:
    """Rounded for headlines.

    >>> format_rupiah_short(3119961600), format_rupiah_short(120153600), format_rupiah_short(201600)
    ('Rp 3,12 miliar', 'Rp 120,2 juta', 'Rp 201.600')
    """
    for scale, word, decimals in ((10**12, "triliun", 2), (10**9, "miliar", 2), (10**6, "juta", 1)):
        if abs(value) >= scale:
            text = format_number(value / scale, decimals).rstrip("0").rstrip(",")
            return f"Rp {text} {word}"
    return format_rupiah(value)


def format_tanggal(day: date) -> str:
    """A date as Indonesian prose.

    >>> format_tanggal(date(2026, 1, 1))
    '1 Januari 2026'
    """
    return format_date(day, format="d MMMM y", locale=_LOCALE)
