"""The linking stage split by kabupaten/kota: each regency's candidate pairs and comparisons made on their
own (what a Dagster partition re-runs), then one global step for the model, people who moved and the
one-to-one assignment, gives exactly what one linking of the whole register gives."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.config import Config, RegionConfig
from pipeline.errors import LinkingError
from pipeline.linking.link import (
    check_regency_pairs,
    compare_regencies,
    inputs_fingerprint,
    keep_regency_pairs,
    link,
)
from pipeline.runner import run_engine
from pipeline.synthetic import generate_regions
from pipeline.warehouse import connect
from tests.conftest import REFERENCE_DATE

pytestmark = pytest.mark.slow

CITIES = ["35.77", "33.74"]  # Kota Madiun and Kota Semarang: their movers' NIKs carry the other's code
TABLES = {"candidate_pairs": "member_id, resident_id", "pair_levels": "member_id, resident_id",
          "scored_pairs": "member_id, resident_id", "pair_decisions": "member_id, resident_id",
          "member_outcomes": "member_id", "verification_hints": "resident_id, kpj",
          "blocking_stats": "rule_order", "link_model": "model"}


@pytest.fixture(scope="module")
def two_cities(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, Config]:
    files = generate_regions(tmp_path_factory.mktemp("two"), CITIES, scale=0.002, seed=11,
                             reference_date=REFERENCE_DATE)
    config = Config(region=RegionConfig(codes=CITIES))
    con = connect()
    run_engine(con, register=[f.register for f in files], members=[m for f in files for m in f.members],
               config=config, reference_date=REFERENCE_DATE)
    return con, config


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY {order}").fetchall() for t, order in TABLES.items()}


def test_regency_by_regency_links_as_the_whole_register(two_cities: tuple[duckdb.DuckDBPyConnection, Config]) -> None:
    con, config = two_cities
    whole = _snapshot(con)
    fingerprint = inputs_fingerprint(con, config.linking)
    for regency in ("3577", "3374"):  # each alone, as two partition runs
        compare_regencies(con, config.linking, [regency])
        keep_regency_pairs(con, [regency], fingerprint)
    check_regency_pairs(con, fingerprint)
    result = link(con, config.linking, from_regencies=True)
    assert "regency_pairs" in result.seconds and "blocking" not in result.seconds  # no blocking of its own
    assert _snapshot(con) == whole
    regencies = dict(con.execute("SELECT regency, count(*) FROM regency_pairs GROUP BY 1").fetchall())
    assert set(regencies) == {"3577", "3374"} and all(n > 0 for n in regencies.values())
    movers = con.execute("""SELECT count(*) FROM links l JOIN residents r USING (resident_id)
        WHERE l.decision = 'link' AND left(r.nik, 4) <> left(r.kelurahan_code, 4)""").fetchall()[0][0]
    assert movers >= 10  # found in the regency they live in now, their NIK issued in the other


def test_stale_or_missing_regency_pairs_are_refused(two_cities: tuple[duckdb.DuckDBPyConnection, Config]) -> None:
    con, config = two_cities
    fingerprint = inputs_fingerprint(con, config.linking)
    for regency in ("3577", "3374"):
        compare_regencies(con, config.linking, [regency])
        keep_regency_pairs(con, [regency], fingerprint)
    check_regency_pairs(con, fingerprint)
    # One resident fewer: every stored pair is stale (ids move), then one regency is missing.
    con.execute("CREATE TEMP TABLE residents_before AS SELECT * FROM residents")
    try:
        con.execute("DELETE FROM residents WHERE resident_id = (SELECT max(resident_id) FROM residents)")
        with pytest.raises(LinkingError, match="2 kabupaten/kota"):
            check_regency_pairs(con, inputs_fingerprint(con, config.linking))
        con.execute("DELETE FROM regency_pairs_made WHERE regency = '3374'")
        with pytest.raises(LinkingError, match=r"1 kabupaten/kota \(3374\)"):
            check_regency_pairs(con, fingerprint)
    finally:
        con.execute("CREATE OR REPLACE TABLE residents AS SELECT * FROM residents_before")
