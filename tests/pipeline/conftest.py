"""Shared fixtures of the engine tests: real DuckDB connections, never mocks."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from pipeline.warehouse import connect


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory warehouse per test."""
    connection = connect()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    """One in-memory warehouse per module, for Hypothesis tests (function fixtures are not reset per example)."""
    connection = connect()
    yield connection
    connection.close()
