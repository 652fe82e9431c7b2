"""Priority score and ranks: parts add up, determinism (runs and input order), tie-breaking, the two-children
cap, breadwinner points, dense ranks per kelurahan. Hand-made warehouse tables where exact values matter,
a generated city (real files through the engine) for the properties."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from pipeline.config import Config, CostConfig, EligibilityConfig, PriorityConfig
from pipeline.decisions.priority import build_candidates
from pipeline.decisions.tracks import build_tracks
from pipeline.runner import run_engine
from pipeline.synthetic import GeneratedFiles
from pipeline.warehouse import connect
from tests.conftest import REFERENCE_DATE
from tests.pipeline.decision_fixtures import create_decision_tables

REF = REFERENCE_DATE  # 2026-01-01


def born(age: int, month: int = 6) -> date:
    """A birth date giving `age` completed years on the reference date."""
    return date(REF.year - age - 1, month, 15)


def warehouse(con: duckdb.DuckDBPyConnection, people: list[dict]) -> None:
    """`residents` and `coverage` as the cleaning writes them (only the columns tracks and priority read)."""
    create_decision_tables(con)
    for i, p in enumerate(people, start=1):
        con.execute("INSERT INTO residents VALUES (?, ?, ?, ?, ?, 'Oro-oro Ombo', 8, 'PEDAGANG', 'informal', ?, ?, ?)",
                    [i, p["nik"], p.get("kk"), p["born"], p.get("kelurahan", "3577011001"), p.get("risk", 0),
                     p.get("desil", 3), p.get("shdk", 1)])
        con.execute("INSERT INTO coverage VALUES (?, 'uncovered', NULL, NULL, NULL, NULL)", [i])


def decide(con: duckdb.DuckDBPyConnection, priority: PriorityConfig | None = None) -> dict[str, dict]:
    build_tracks(con, EligibilityConfig(), REF)
    build_candidates(con, priority or PriorityConfig(), CostConfig(), REF)
    result = con.execute("SELECT r.nik, k.* FROM candidates k JOIN residents r USING (resident_id)")
    names = [d[0] for d in result.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in result.fetchall()}


def test_ties_are_broken_by_desil_then_age_then_nik(con: duckdb.DuckDBPyConnection) -> None:
    warehouse(con, [
        {"nik": "3577010000000006", "born": born(30), "desil": 4},              # F: 85, same as E, higher NIK
        {"nik": "3577010000000002", "born": born(30), "desil": 2},              # A: 90 + 15 = 105
        {"nik": "3577010000000001", "born": born(50), "desil": 1, "shdk": 4},   # B: 100 + 5 = 105, lower desil
        {"nik": "3577010000000004", "born": born(30), "desil": 3},              # D: 80 + 15 = 95
        {"nik": "3577010000000003", "born": born(35), "desil": 3},              # C: 95, older than D
        {"nik": "3577010000000005", "born": born(30), "desil": 4},              # E: 85
    ])
    rows = decide(con)
    order = sorted(rows, key=lambda nik: rows[nik]["priority_rank"])
    assert [nik[-1] for nik in order] == ["1", "2", "3", "4", "5", "6"]
    assert [rows[n]["priority_score"] for n in order] == [Decimal(s) for s in ("105", "105", "95", "95", "85", "85")]
    assert [rows[n]["kelurahan_rank"] for n in order] == [1, 2, 3, 4, 5, 6]


def test_two_children_cap_school_age_bounds_and_breadwinner(con: duckdb.DuckDBPyConnection) -> None:
    kk, small = "3577010101200001", "3577010101200002"
    warehouse(con, [
        {"nik": "3577010000000001", "born": born(45), "kk": kk, "shdk": 1},             # head
        {"nik": "3577010000000002", "born": born(40), "kk": kk, "shdk": 3},             # wife
        {"nik": "3577010000000003", "born": date(2002, 1, 1), "kk": kk, "shdk": 4},     # 24: too old
        {"nik": "3577010000000004", "born": date(2002, 1, 2), "kk": kk, "shdk": 4},     # 23: counts
        {"nik": "3577010000000005", "born": date(2015, 6, 1), "kk": kk, "shdk": 4},     # 10: counts
        {"nik": "3577010000000006", "born": date(2020, 1, 1), "kk": kk, "shdk": 4},     # 6 today: counts
        {"nik": "3577010000000007", "born": date(2020, 1, 2), "kk": kk, "shdk": 4},     # 5: not yet
        {"nik": "3577010000000008", "born": born(30), "kk": small, "shdk": 1},          # one child
        {"nik": "3577010000000009", "born": date(2012, 3, 3), "kk": small, "shdk": 4},
        {"nik": "3577010000000010", "born": born(30), "kk": None, "shdk": 1},           # no KK number
    ])
    rows = decide(con)
    head, wife, worker_child = rows["3577010000000001"], rows["3577010000000002"], rows["3577010000000004"]
    assert (head["school_children"], head["children_points"], head["breadwinner_points"]) == (3, 20, 15)
    assert (wife["school_children"], wife["children_points"], wife["breadwinner_points"]) == (3, 20, 0)
    assert (worker_child["school_children"], worker_child["children_points"]) == (0, 0)  # ANAK: not a parent here
    assert "3 anak usia sekolah, dihitung 2 (+20)" in head["priority_reason"]
    assert "kepala keluarga (+15)" in head["priority_reason"] and "kepala keluarga" not in wife["priority_reason"]
    assert rows["3577010000000008"]["children_points"] == 10
    assert rows["3577010000000010"]["children_points"] == 0


def test_reason_is_one_line_with_every_part(con: duckdb.DuckDBPyConnection) -> None:
    warehouse(con, [{"nik": "3577010000000001", "born": born(49), "desil": 2, "risk": 3}])
    row = decide(con)["3577010000000001"]
    assert row["priority_score"] == Decimal("133.50")  # 90 + 24 + 15 + 0 + 4.5
    assert row["priority_reason"] == ("skor 133,5 = desil 2 (+90) + risiko kerja tinggi, PEDAGANG (+24) + "
                                      "kepala keluarga (+15) + usia 49 tahun (+4,5)")
    assert "\n" not in row["priority_reason"]


def test_weights_come_from_the_config(con: duckdb.DuckDBPyConnection) -> None:
    warehouse(con, [{"nik": "3577010000000001", "born": born(49), "desil": 2, "risk": 3}])
    row = decide(con, PriorityConfig(desil_weight=0.0, work_risk_weight=1.25, breadwinner_points=0.0,
                                     age_points_per_year_over_40=0.1))["3577010000000001"]
    assert (row["desil_points"], row["risk_points"], row["breadwinner_points"], row["age_points"]) == (
        0, Decimal("3.75"), 0, Decimal("0.90"))
    assert row["priority_score"] == Decimal("4.65")


# --- a generated city -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def engine(small_city: GeneratedFiles) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect()
    run_engine(con, register=[small_city.register], members=list(small_city.members), config=Config(),
               reference_date=REF)
    yield con
    con.close()


def _candidates(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT r.nik, k.* EXCLUDE (resident_id) FROM candidates k JOIN residents r USING (resident_id) "
                       "ORDER BY r.nik").fetchall()


def test_parts_add_up_to_the_score(engine: duckdb.DuckDBPyConnection) -> None:
    rows = engine.execute("""SELECT priority_score, desil_points, risk_points, breadwinner_points, children_points,
                                    age_points, priority_reason FROM candidates""").fetchall()
    assert len(rows) > 500
    for score, *parts, reason in rows:
        assert score == sum(parts)
        assert reason.startswith(f"skor {score.normalize():f}".replace(".", ","))


def test_score_and_ranks_are_deterministic_across_runs_and_input_order(engine: duckdb.DuckDBPyConnection) -> None:
    first = _candidates(engine)
    build_candidates(engine, PriorityConfig(), CostConfig(), REF)
    assert _candidates(engine) == first
    original = engine.execute("SELECT * FROM residents ORDER BY resident_id").fetchall()
    try:
        for order in ("resident_id DESC", "hash(nik)", "nama, resident_id"):
            engine.execute(f"CREATE OR REPLACE TABLE residents AS SELECT * FROM residents ORDER BY {order}")
            engine.execute("CREATE OR REPLACE TABLE coverage AS SELECT * FROM coverage ORDER BY hash(resident_id)")
            build_tracks(engine, EligibilityConfig(), REF)
            build_candidates(engine, PriorityConfig(), CostConfig(), REF)
            assert _candidates(engine) == first, order
    finally:
        engine.execute("CREATE OR REPLACE TABLE residents AS SELECT * FROM residents ORDER BY resident_id")
        assert engine.execute("SELECT * FROM residents ORDER BY resident_id").fetchall() == original


def test_ranks_are_dense_and_unique_city_wide_and_per_kelurahan(engine: duckdb.DuckDBPyConnection) -> None:
    bad = engine.execute("""
        WITH g AS (
            SELECT track, NULL AS kelurahan_code, list(priority_rank ORDER BY priority_rank) AS ranks
            FROM candidates GROUP BY track
            UNION ALL
            SELECT k.track, r.kelurahan_code, list(k.kelurahan_rank ORDER BY k.kelurahan_rank)
            FROM candidates k JOIN residents r USING (resident_id) GROUP BY ALL
        )
        SELECT track, kelurahan_code FROM g WHERE ranks <> range(1, len(ranks) + 1)""").fetchall()
    assert bad == []
    # Within a kelurahan the order is the city-wide order.
    disagree = engine.execute("""
        SELECT count(*) FROM (
            SELECT k.kelurahan_rank, row_number() OVER (PARTITION BY k.track, r.kelurahan_code ORDER BY k.priority_rank)
                AS from_city
            FROM candidates k JOIN residents r USING (resident_id)) WHERE kelurahan_rank <> from_city""").fetchall()
    assert disagree == [(0,)]
    kelurahan = engine.execute("SELECT count(DISTINCT kelurahan_code) FROM residents").fetchall()[0][0]
    assert kelurahan == 27


def test_rank_follows_score_then_tie_breakers(engine: duckdb.DuckDBPyConnection) -> None:
    rows = engine.execute("""SELECT k.track, k.priority_score, r.desil, k.age, r.nik FROM candidates k
                             JOIN residents r USING (resident_id) ORDER BY k.track, k.priority_rank""").fetchall()
    for before, after in zip(rows, rows[1:], strict=False):
        if before[0] != after[0]:
            continue
        key = lambda r: (-r[1], r[2] if r[2] is not None else 99, -r[3], r[4])  # noqa: E731
        assert key(before) < key(after)


def test_only_pro_jkk_jkm_costs_the_city(engine: duckdb.DuckDBPyConnection) -> None:
    costs = dict(engine.execute("SELECT track, list_distinct(list(yearly_cost_rp)) FROM candidates GROUP BY 1")
                 .fetchall())
    assert costs.pop("pro_jkk_jkm") == [16_800 * 12]
    assert all(v == [0] for v in costs.values())
