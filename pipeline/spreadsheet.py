"""Text that a spreadsheet would run as a formula, defused: the one rule for every CSV a person may
open in Excel or LibreOffice (the publication's candidates.csv and changes.csv, the portal's CSV
downloads).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula
(`=HYPERLINK(...)`, `+CMD|...`, `@SUM(...)`, `-2+3+cmd`); a leading apostrophe makes the spreadsheet
show it as text (OWASP's CSV-injection advice). The same rule is given as Python for values and as
SQL for DuckDB `COPY` queries; a test checks that the two agree.
"""

from __future__ import annotations

__all__ = ["FORMULA_START", "defuse_formula", "defuse_formula_sql"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse_formula(text: str) -> str:
    """`text`, with an apostrophe in front when a spreadsheet would read it as a formula.

    >>> defuse_formula('=HYPERLINK("http://x","y")'), defuse_formula("-2+3+cmd"), defuse_formula("SITI")
    ('\\'=HYPERLINK("http://x","y")', "'-2+3+cmd", 'SITI')
    """
    return "'" + text if text.startswith(FORMULA_START) else text


def defuse_formula_sql(expression: str) -> str:
    """A DuckDB expression giving `defuse_formula` of the text expression `expression` (NULL stays NULL)."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_START)
    return f"CASE WHEN left({expression}, 1) IN ({starts}) THEN chr(39) || ({expression}) ELSE ({expression}) END"
