"""What the manifest tells an auditor about the code and the settings: the package version and the git
commit the run came from, and a config hash that identifies the `config.resolved.json` beside it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.publish.manifest import build_manifest
from pipeline.publish.publish import publish
from tests.conftest import REFERENCE_DATE, CityEngine

REPO = Path(__file__).resolve().parents[2]
STARTED = datetime(2026, 1, 1, 2, 0)


def _manifest(city_engine: CityEngine, config: Config) -> dict:
    model = json.loads(city_engine.con.execute("SELECT model FROM link_model").fetchall()[0][0])
    return build_manifest(city_engine.con, config, reference_date=REFERENCE_DATE, started_at=STARTED,
                          finished_at=STARTED, model=model)


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_code_version_is_the_package_and_the_checkout_commit(city_engine: CityEngine) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not run from a git checkout")
    code = _manifest(city_engine, Config().resolved(REFERENCE_DATE))["code_version"]
    assert code["package"] == metadata.version("ucj-madiun")
    commit, _, dirty = code["commit"].partition("+")
    assert commit == _git("rev-parse", "HEAD")
    assert dirty == ("dirty" if _git("status", "--porcelain", "--untracked-files=no") else "")


def test_config_hash_identifies_the_resolved_config_beside_it(city_engine: CityEngine, tmp_path: Path) -> None:
    config = Config().resolved(REFERENCE_DATE)
    manifest = _manifest(city_engine, config)
    folder = publish(city_engine.con, tmp_path, publication_id="20260101T020000-uji", manifest=manifest,
                     extra_files={"config.resolved.json": config.to_dict()}, created=datetime(2026, 1, 1),
                     nik_visible_digits=6).path
    written = json.loads((folder / "config.resolved.json").read_text(encoding="utf-8"))
    canonical = json.dumps(written, sort_keys=True).encode()  # what an auditor recomputes from the file
    published = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert published["config_sha256"] == hashlib.sha256(canonical).hexdigest()


def test_config_hash_follows_every_setting(city_engine: CityEngine) -> None:
    base = Config().resolved(REFERENCE_DATE)
    same = _manifest(city_engine, Config().resolved(REFERENCE_DATE))["config_sha256"]
    assert _manifest(city_engine, base)["config_sha256"] == same
    stricter = dataclasses.replace(base, checks=dataclasses.replace(base.checks, max_reject_share=0.04))
    later = Config().resolved(REFERENCE_DATE.replace(year=2027))
    assert len({same, _manifest(city_engine, stricter)["config_sha256"],
                _manifest(city_engine, later)["config_sha256"]}) == 3
