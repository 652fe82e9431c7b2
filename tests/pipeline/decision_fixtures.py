"""The two tables track and priority rules read, created empty with the columns cleaning and coverage
give them, for tests that insert hand-made residents."""

import duckdb

__all__ = ["create_decision_tables"]


def create_decision_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE OR REPLACE TABLE residents (resident_id INTEGER, nik VARCHAR, no_kk VARCHAR,
        birth_date DATE, kelurahan_code VARCHAR, kelurahan VARCHAR, occupation_code INTEGER, occupation VARCHAR,
        occupation_group VARCHAR, work_risk INTEGER, desil INTEGER, shdk_code INTEGER)""")
    con.execute("""CREATE OR REPLACE TABLE coverage (resident_id INTEGER, coverage_status VARCHAR, segment VARCHAR,
        membership_end DATE, npp VARCHAR, employer VARCHAR)""")
