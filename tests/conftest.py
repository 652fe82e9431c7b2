"""Shared fixtures: a small generated city (real files), the engine run once on it, and an isolated
Dagster instance."""

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.config import Config, config_from_dict
from pipeline.runner import EngineRun, run_engine
from pipeline.synthetic import GeneratedFiles, generate, generate_regions
from pipeline.warehouse import connect

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DATE = date(2026, 1, 1)


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFiles:
    """About 4,000 residents and 1,000 membership rows, with truth."""
    return generate(tmp_path_factory.mktemp("city"), scale=0.02, seed=7, reference_date=REFERENCE_DATE)


@dataclass(frozen=True)
class CityEngine:
    con: duckdb.DuckDBPyConnection  # an in-memory warehouse holding every table of the run
    run: EngineRun


@pytest.fixture(scope="session")
def city_engine(small_city: GeneratedFiles) -> Iterator[CityEngine]:
    """The engine run once on the small city with the default config, for tests that only read its tables
    (or publish them). A test that changes a table must run the engine on a warehouse of its own."""
    con = connect()
    run = run_engine(con, register=[small_city.register], members=list(small_city.members), config=Config(),
                     reference_date=REFERENCE_DATE)
    yield CityEngine(con, run)
    con.close()


KAB_SCHEME = "Jamsostek Rentan Kabupaten"
"""Kabupaten Madiun's own scheme in `two_region_publication` (Kota Madiun keeps the default, Pro JKK-JKM)."""
TWO_REGION_ID = "20260101T020000-dua0wila"


@pytest.fixture(scope="session")
def two_region_publication(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A publication root (latest = `TWO_REGION_ID`) of a small generated Kabupaten Madiun and Kota Madiun
    (about 4,000 residents), Kabupaten Madiun with a scheme and rate of its own ([cost.regions."35.19"])."""
    from pipeline.publish.manifest import build_manifest
    from pipeline.publish.publish import publish

    folder = tmp_path_factory.mktemp("two-regions")
    [files] = generate_regions(folder / "sources", ["35.19", "35.77"], scale=0.004, seed=5,
                               reference_date=REFERENCE_DATE)
    config = config_from_dict({"region": {"codes": ["35.19", "35.77"]},
                               "cost": {"regions": {"35.19": {"scheme": KAB_SCHEME, "bpu_monthly_rp": 20_000}}}})
    config = config.resolved(REFERENCE_DATE)
    root = folder / "published"
    with connect() as con:
        run_engine(con, register=[files.register], members=list(files.members), config=config,
                   reference_date=REFERENCE_DATE)
        model = json.loads(con.execute("SELECT model FROM link_model").fetchall()[0][0])
        started = datetime(2026, 1, 1, 2, 0)
        manifest = build_manifest(con, config, reference_date=REFERENCE_DATE, started_at=started,
                                  finished_at=started, model=model, checks=[])
        publish(con, root, publication_id=TWO_REGION_ID, manifest=manifest,
                extra_files={"config.resolved.json": config.to_dict(), "model.json": model},
                created=datetime(2026, 1, 1), nik_visible_digits=6, cost=config.cost, reference_date=REFERENCE_DATE)
    return root


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Dagster instance of its own (the project's dagster.yaml, storage in tmp_path)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("UCJ_DAGSTER_STORAGE", str(home / "storage"))
    monkeypatch.setenv("UCJ_DAGSTER_LOGS", str(home / "logs"))
    return home


@pytest.fixture(autouse=True)
def _fresh_dagster_defs_state() -> Iterator[None]:
    """Each test starts without Dagster's current definitions-state storage. A Dagster instance entered
    as a context manager sets that storage in a context variable holding only a weak reference to the
    instance; once an earlier test's instance is gone, `dg.materialize` in a later test fails with
    "Attempted to resolve undefined DagsterInstance weakref" (seen in the full suite, never alone)."""
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(None):
        yield


def need_spark() -> None:
    """Skip a Spark test where pyspark or Java is missing; under CI, fail (CI must run the parity tests)."""
    missing = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing = "pyspark is not installed (pip install -e '.[dev,spark]')"
    if missing is None and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing = "Java is not installed (`make java` installs Debian's openjdk-17-jre-headless)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must run the Spark tests")
        pytest.skip(missing)

