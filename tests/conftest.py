"""Shared fixtures: a small generated city (real files), and an isolated Dagster instance."""

import shutil
from datetime import date
from pathlib import Path

import pytest

from pipeline.synthetic import GeneratedFiles, generate

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DATE = date(2026, 1, 1)


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFiles:
    """About 4,000 residents and 1,000 membership rows, with truth."""
    return generate(tmp_path_factory.mktemp("city"), scale=0.02, seed=7, reference_date=REFERENCE_DATE)


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
