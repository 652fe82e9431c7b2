"""Tiny hand-made warehouses for linking tests: members and residents built from readable fields
with the engine's own parsers, so each test states only what matters to it."""

from datetime import date

import duckdb

from pipeline.normalise.names import name_key, sorted_key
from pipeline.normalise.nik import parse_nik
from pipeline.warehouse import connect

__all__ = ["warehouse_with"]


def _member_row(i: int, nik: str | None, name: str, birth: date | None, kpj: str | None = None,
                segment: str | None = None) -> list:
    parsed = parse_nik(nik, stated_birth_year=birth.year if birth else None)
    return [i, kpj or f"{10000000000 + i}", parsed.status, parsed.digits, parsed.nik15, parsed.prefix,
            parsed.birth_date, name, name_key(name), sorted_key(name), birth, True, segment]


def _resident_row(i: int, nik: str, name: str, birth: date, no_kk: str | None = None,
                  occupation_group: str | None = None) -> list:
    parsed = parse_nik(nik, stated_birth_year=birth.year)
    return [i, nik, no_kk, parsed.birth_date, name, name_key(name), sorted_key(name), birth, occupation_group]


def warehouse_with(members: list[tuple], residents: list[tuple]) -> duckdb.DuckDBPyConnection:
    """members: (nik, name, birth[, kpj[, segment]]); residents: (nik, name, birth[, no_kk[, occupation_group]]).
    Ids count from 1."""
    con = connect()
    con.execute("""CREATE TABLE memberships (member_id INTEGER, kpj VARCHAR, nik_status VARCHAR, nik VARCHAR,
        nik15 VARCHAR, nik_prefix VARCHAR, nik_birth_date DATE, nama VARCHAR, name_key VARCHAR, name_sorted VARCHAR,
        birth_date DATE, is_active BOOLEAN, segment VARCHAR)""")
    con.execute("""CREATE TABLE residents (resident_id INTEGER, nik VARCHAR, no_kk VARCHAR, nik_birth_date DATE,
        nama VARCHAR, name_key VARCHAR, name_sorted VARCHAR, birth_date DATE, occupation_group VARCHAR)""")
    con.executemany("INSERT INTO memberships VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [_member_row(i, *m) for i, m in enumerate(members, start=1)])
    con.executemany("INSERT INTO residents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [_resident_row(i, *r) for i, r in enumerate(residents, start=1)])
    return con
