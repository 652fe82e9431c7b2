"""Where the linking SQL runs: DuckDB, embedded (the default), or Apache Spark (`pipeline.linking.spark`),
behind one small interface, `Backend`. The SQL is written once, for both:

- functions go by Spark SQL's names (`split`, `size`, `explode`, `arrays_overlap`, `regexp_like`, ...);
  DuckDB gets a macro for each one it spells otherwise (`DUCKDB_MACROS`);
- the functions neither engine has, or has with different results, are `ucj_*`: the string scores
  (Spark's own Jaro-Winkler disagrees with RapidFuzz's on many names, DuckDB's equals it). DuckDB
  runs them as macros over its native functions, which are vectorised and lazy inside a CASE;
  Spark runs RapidFuzz over Arrow batches (`SCORERS`), the same library, so both score alike;
- casts are `CAST(x AS T)`, no list lambdas, no QUALIFY; tables are made with `create_table`.

`as_backend` lets every stage function take a plain DuckDB connection, as the rest of the engine does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, Protocol

import duckdb
import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, Hamming, JaroWinkler

from pipeline.normalise.names import initials_agree, monge_elkan_words
from pipeline.warehouse import scalar

__all__ = ["Backend", "DuckDBBackend", "as_backend", "SCORERS", "DUCKDB_MACROS", "SCORE_DECIMALS"]


class Backend(Protocol):
    name: str

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]: ...

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any: ...

    def create_table(self, name: str, select: str, *, order_by: str = "", temporary: bool = False) -> None:
        """(Re)create `name` from `select`; `order_by` fixes the row order where rows have one."""

    def register(self, name: str, table: pa.Table) -> None: ...

    def unregister(self, name: str) -> None: ...

    def has_table(self, name: str) -> bool: ...


def _words_jw(short: str, long: str) -> str:
    word = ("CASE WHEN (length(tok) = 1 AND starts_with(oth, tok)) OR (length(oth) = 1 AND starts_with(tok, oth)) "
            "THEN 1.0 ELSE jaro_winkler_similarity(tok, oth) END")
    return f"list_avg(list_transform({short}, lambda tok: list_max(list_transform({long}, lambda oth: {word}))))"


# Similarity scores are rounded to this many decimals on both backends: DuckDB's Jaro-Winkler and
# RapidFuzz's, or a mean of them, can differ in the last bit, and scores that land exactly on a level's
# threshold (0.92, 0.88: common for short names) then fell on either side of it.
SCORE_DECIMALS = 10

# Spark's names (and the ucj_* scores) as DuckDB macros: inlined by DuckDB's binder, so they cost nothing.
DUCKDB_MACROS: dict[str, str] = {
    "explode(a)": "unnest(a)",
    "size(a)": "len(a)",
    "arrays_overlap(a, b)": "list_has_any(a, b)",
    "regexp_like(s, p)": "regexp_matches(s, p)",
    "ucj_holds_all(a, b)": "list_has_all(a, b)",
    "ucj_div(a, b)": "a // b",
    "ucj_jw(a, b)": f"round(jaro_winkler_similarity(a, b), {SCORE_DECIMALS})",
    "ucj_hamming(a, b)": "hamming(a, b)",
    "ucj_damerau_levenshtein(a, b)": "damerau_levenshtein(a, b)",
    # `pipeline.normalise.names.monge_elkan` over two word lists; nested list lambdas run vectorised
    # on every core where a Python function would score one pair at a time
    "ucj_monge_elkan(a, b)": (f"round(CASE WHEN len(a) < len(b) THEN {_words_jw('a', 'b')} "
                              f"WHEN len(a) > len(b) THEN {_words_jw('b', 'a')} "
                              f"ELSE greatest({_words_jw('a', 'b')}, {_words_jw('b', 'a')}) END, {SCORE_DECIMALS})"),
    "ucj_best_word_jw(a, b)": ("round(list_max(list_transform(a, lambda x: list_max(list_transform(b, "
                               f"lambda y: jaro_winkler_similarity(x, y))))), {SCORE_DECIMALS})"),
}


def _pairs(left: pa.Array, right: pa.Array) -> tuple[list[Any], list[Any]]:
    return left.to_pylist(), right.to_pylist()


# Top-level functions, so that Spark ships them to its workers by name (RapidFuzz's compiled scorers
# cannot be pickled by value).
def _scores(left: pa.Array, right: pa.Array, scorer: Any, integer: bool) -> pa.Array:
    """A RapidFuzz scorer over two string columns, NULL where either is (as the SQL functions are)."""
    a, b = _pairs(left, right)
    missing = np.array([x is None or y is None for x, y in zip(a, b, strict=True)], dtype=bool)
    values = process.cpdist([x or "" for x in a], [y or "" for y in b], scorer=scorer,
                            dtype=np.int32 if integer else np.float64, workers=1)
    return pa.array(values if integer else np.round(values, SCORE_DECIMALS), pa.int32() if integer else pa.float64(),
                    mask=missing)


def _jaro_winkler(left: pa.Array, right: pa.Array) -> pa.Array:
    return _scores(left, right, JaroWinkler.similarity, integer=False)


def _hamming(left: pa.Array, right: pa.Array) -> pa.Array:
    return _scores(left, right, Hamming.distance, integer=True)


def _damerau_levenshtein(left: pa.Array, right: pa.Array) -> pa.Array:
    return _scores(left, right, DamerauLevenshtein.distance, integer=True)


def _token_set_ratio(left: pa.Array, right: pa.Array) -> pa.Array:
    a, b = _pairs(left, right)
    return pa.array(process.cpdist(a, b, scorer=fuzz.token_set_ratio, workers=-1), type=pa.float64())


def _initials_agree(left: pa.Array, right: pa.Array) -> pa.Array:
    a, b = _pairs(left, right)
    return pa.array([initials_agree(x or "", y or "") for x, y in zip(a, b, strict=True)], type=pa.bool_())


def _word_lists(left: pa.Array, right: pa.Array, function: Callable[[list[str], list[str]], float]) -> pa.Array:
    a, b = _pairs(left, right)
    values = [None if x is None or y is None else function(x, y) for x, y in zip(a, b, strict=True)]
    missing = np.array([v is None for v in values], dtype=bool)
    return pa.array(np.round(np.array([0.0 if v is None else v for v in values], dtype=np.float64), SCORE_DECIMALS),
                    pa.float64(), mask=missing)


def _best_word_jw(a: list[str], b: list[str]) -> float | None:
    return max(JaroWinkler.similarity(x, y) for x in a for y in b) if a and b else None


def _monge_elkan(left: pa.Array, right: pa.Array) -> pa.Array:
    return _word_lists(left, right, monge_elkan_words)


def _best_word(left: pa.Array, right: pa.Array) -> pa.Array:
    return _word_lists(left, right, _best_word_jw)  # type: ignore[arg-type]


# (function, SQL result type): Arrow in, Arrow out, for DuckDB's and Spark's vectorised Python functions.
SCORERS: dict[str, tuple[Callable[[pa.Array, pa.Array], pa.Array], str]] = {
    "ucj_token_set_ratio": (_token_set_ratio, "DOUBLE"),
    "ucj_initials_agree": (_initials_agree, "BOOLEAN"),
    "ucj_jw": (_jaro_winkler, "DOUBLE"),
    "ucj_hamming": (_hamming, "INT"),
    "ucj_damerau_levenshtein": (_damerau_levenshtein, "INT"),
    "ucj_monge_elkan": (_monge_elkan, "DOUBLE"),
    "ucj_best_word_jw": (_best_word, "DOUBLE"),
}
_DUCKDB_PYTHON = ("ucj_token_set_ratio", "ucj_initials_agree")  # the scores DuckDB has no native function for


class DuckDBBackend:
    """The embedded default: every call goes straight to a DuckDB connection."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        for signature, body in DUCKDB_MACROS.items():
            con.execute(f"CREATE OR REPLACE TEMP MACRO {signature} AS {body}")
        for name in _DUCKDB_PYTHON:
            function, result = SCORERS[name]
            with contextlib.suppress(duckdb.CatalogException, duckdb.NotImplementedException):  # registered
                con.create_function(name, function, ["VARCHAR", "VARCHAR"], result,
                                    type="arrow", null_handling="special", side_effects=False)

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        return scalar(self.con, sql, params)

    def create_table(self, name: str, select: str, *, order_by: str = "", temporary: bool = False) -> None:
        order = f" ORDER BY {order_by}" if order_by else ""
        self.con.execute(f"CREATE OR REPLACE {'TEMP ' if temporary else ''}TABLE {name} AS {select}{order}")

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def has_table(self, name: str) -> bool:
        return bool(self.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]))


def as_backend(con: duckdb.DuckDBPyConnection | Backend) -> Backend:
    """`con` itself when it is a backend, else the DuckDB backend over the connection."""
    if isinstance(con, duckdb.DuckDBPyConnection):
        return DuckDBBackend(con)
    return con
