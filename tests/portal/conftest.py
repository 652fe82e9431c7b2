"""Portal fixtures: two real publications of the small generated city (latest = the second), a
portal database with one account per role (created once, copied per test), and a TestClient."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from fastapi.testclient import TestClient

from pipeline.config import Config
from pipeline.publish.manifest import build_manifest
from pipeline.publish.publish import publish
from portal.app import create_app
from portal.db import connect, init_db
from portal.settings import PortalSettings
from portal.users import create_user
from tests.conftest import REFERENCE_DATE, CityEngine

PASSWORD = "kata-sandi-uji-1"
FIRST_ID = "20260101T020000-aaaa1111"
LATEST_ID = "20260102T020000-bbbb2222"
KEL_A, KEL_B = "3577011001", "3577011002"  # Oro-oro Ombo, Sukosari (Kec. Kartoharjo)
KEC_A, KEC_C = "357701", "357703"
JAKARTA = ZoneInfo("Asia/Jakarta")

# username -> (role, area, full_nik, disabled)
ACCOUNTS: dict[str, tuple[str, str | None, bool, bool]] = {
    "kel_a": ("kelurahan", KEL_A, False, False),
    "kel_b": ("kelurahan", KEL_B, False, False),
    "kel_full": ("kelurahan", KEL_A, True, False),
    "kec_a": ("kecamatan", KEC_A, False, False),
    "kec_c": ("kecamatan", KEC_C, False, False),
    "auditor": ("auditor", None, False, False),
    "admin": ("admin", None, False, False),
    "gone": ("kelurahan", KEL_A, False, True),
}
CHECKS = [
    {"name": "reject_share", "asset": "residents", "blocking": True, "passed": True,
     "message": "0.9% of register rows rejected (limit 5%)", "metadata": {}},
    {"name": "uncovered_change", "asset": "candidates", "blocking": False, "passed": False,
     "message": "uncovered changed by 7% since the last publication (warning above 5%)", "metadata": {}},
]


def _publish(con: duckdb.DuckDBPyConnection, root: Path, publication_id: str, checks: list[dict]) -> None:
    config = Config().resolved(REFERENCE_DATE)
    model = json.loads(con.execute("SELECT model FROM link_model").fetchall()[0][0])
    started = datetime(2026, 1, 1, 2, 0, tzinfo=JAKARTA)
    manifest = build_manifest(con, config, reference_date=REFERENCE_DATE, started_at=started, finished_at=started,
                              model=model, checks=checks)
    publish(con, root, publication_id=publication_id, manifest=manifest,
            extra_files={"config.resolved.json": config.to_dict(), "model.json": model},
            created=datetime(2026, 1, 1), nik_visible_digits=6)


@pytest.fixture(scope="session")
def publication_root(city_engine: CityEngine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("published")
    _publish(city_engine.con, root, FIRST_ID, CHECKS[:1])
    _publish(city_engine.con, root, LATEST_ID, CHECKS)
    return root


@pytest.fixture(scope="session")
def candidates_parquet(publication_root: Path) -> Path:
    return publication_root / LATEST_ID / "candidates.parquet"


def masked(nik: str) -> str:
    """What a list shows of a NIK without the full-NIK right: the region (digits 1-6), no birth date or serial."""
    return nik[:6] + "*" * 10


def parquet_rows(path: Path, where: str = "TRUE", params: list | None = None) -> list[dict]:
    """The expected answer, straight from the publication file."""
    with duckdb.connect() as con:
        result = con.execute(f"SELECT * FROM read_parquet(?) WHERE {where}", [str(path), *(params or [])])
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("portal-template") / "portal.sqlite"
    init_db(path)
    con = connect(path)
    for username, (role, area, full_nik, disabled) in ACCOUNTS.items():
        create_user(con, username, password=PASSWORD, role=role, area_code=area, full_nik=full_nik,
                    display_name=username.replace("_", " ").title())
        if disabled:
            con.execute("UPDATE users SET disabled = 1 WHERE username = ?", (username,))
    con.close()
    return path


@pytest.fixture
def settings(publication_root: Path, template_db: Path, tmp_path: Path) -> PortalSettings:
    database = tmp_path / "portal" / "portal.sqlite"
    database.parent.mkdir()
    shutil.copy(template_db, database)
    return PortalSettings(publications=publication_root, database=database, page_size=20, max_failures=5,
                          max_failures_per_ip=12, lock_minutes=5)


@pytest.fixture
def client(settings: PortalSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def make_client(settings: PortalSettings):
    """A client over other settings (same database and publications unless replaced)."""
    def make(**changes: object) -> TestClient:
        return TestClient(create_app(settings.replace(**changes)))
    return make


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD):
    """Log in afresh (any earlier session of this client is dropped first)."""
    client.cookies.clear()
    token = csrf_from(client.get("/masuk").text)
    return client.post("/masuk", data={"username": username, "password": password, "csrf_token": token},
                       follow_redirects=False)


def logged_in(client: TestClient, username: str) -> TestClient:
    response = login(client, username)
    assert response.status_code == 303, response.text
    return client


def audit_rows(settings: PortalSettings, action: str | None = None) -> list[dict]:
    con = connect(settings.database)
    try:
        sql = "SELECT * FROM audit_log" + (" WHERE action = ?" if action else "") + " ORDER BY id"
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in con.execute(sql, [action] if action else [])]
    finally:
        con.close()
