"""How much of a NIK a list may show: the one masking rule for the published officer workbooks,
the portal's lists, downloads and explain page, and the portal's audit log.

A NIK is region (digits 1-6: province, city, kecamatan), birth date (7-12, day + 40 for women) and
a serial (13-16, `0001` for most people). Masking only the serial hides almost nothing: it can be
guessed. So lists show at most the region and hide digits 7-16 (../shared/domain.md §8.4); the full
number stays in the access-controlled data files.
"""

from __future__ import annotations

import re

__all__ = ["NIK_VISIBLE_DIGITS", "check_visible_digits", "mask_nik", "nik_digits", "mask_digit_runs"]

NIK_VISIBLE_DIGITS = 6
"""The most digits of a NIK any list shows: the region code, never the birth date or the serial."""

# digits joined by up to three separators of any kind (space, dot, dash, slash, comma, ...)
_DIGIT_RUN = re.compile(r"\d(?:[\W_]{0,3}\d)*")
_SEPARATORS = re.compile(r"[\W_]+")


def check_visible_digits(visible: int) -> int:
    """`visible` if it is an allowed number of visible NIK digits (0-6), else ValueError."""
    if isinstance(visible, bool) or not isinstance(visible, int) or not 0 <= visible <= NIK_VISIBLE_DIGITS:
        raise ValueError(f"a list may show 0-{NIK_VISIBLE_DIGITS} digits of a NIK (the region code), not {visible!r}")
    return visible


def _ascii_digits(text: str) -> str:
    return "".join(str(int(c)) for c in text)  # "３５" -> "35": every Unicode decimal digit


def mask_nik(nik: str | None, visible: int = NIK_VISIBLE_DIGITS) -> str:
    """The NIK with everything after its first `visible` digits replaced by '*'.

    Examples:

    >>> mask_nik("3577014305900001")
    '357701**********'
    >>> mask_nik("3577014305900001", 2), mask_nik(None), mask_nik("")
    ('35**************', '', '')
    """
    check_visible_digits(visible)
    if not nik:
        return ""
    nik = str(nik)
    return nik[:visible] + "*" * max(len(nik) - visible, 0)


def nik_digits(text: str | None) -> str | None:
    """The digits of `text` when it is nothing but digits and separators (a NIK or a part of one as
    people type it: `3577 0106 0370 0001`, `3577.0106.0370.0001`, `3577-...`), else None.

    Examples:

    >>> nik_digits("3577 0106-0370.0001"), nik_digits("3577"), nik_digits("Siti 3577"), nik_digits(" - ")
    ('3577010603700001', '3577', None, None)
    """
    if not text:
        return None
    stripped = _SEPARATORS.sub("", text)
    if not stripped or not all(c.isdecimal() for c in stripped):
        return None
    return _ascii_digits(stripped)


def mask_digit_runs(text: str, visible: int = NIK_VISIBLE_DIGITS) -> str:
    """`text` with every run of digits longer than `visible` (separators inside the run allowed)
    written as one masked number: what a search box may record without holding a NIK.

    Examples:

    >>> mask_digit_runs("3577 0106 0370 0001")
    '357701**********'
    >>> mask_digit_runs("siti 3577.0106.0370 rt 001")
    'siti 357701****** rt 001'
    """
    check_visible_digits(visible)

    def masked(match: re.Match[str]) -> str:
        digits = _ascii_digits(_SEPARATORS.sub("", match.group(0)))
        return match.group(0) if len(digits) <= visible else mask_nik(digits, visible)

    return _DIGIT_RUN.sub(masked, text)
