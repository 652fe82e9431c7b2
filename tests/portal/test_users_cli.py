"""cli/portal.py: `ucj users add/disable/enable/reset/list` and `ucj serve`'s refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli.portal import serve, users
from portal.db import connect
from portal.settings import PortalSettings
from tests.portal.conftest import PASSWORD, audit_rows, login

NEW_PASSWORD = "sandi-baru-yang-panjang"


def _users(settings: PortalSettings, *args: str, input: str | None = None):
    return CliRunner().invoke(users, [*args, "--db", str(settings.database)], input=input)


def test_add_with_the_password_on_stdin_then_log_in(settings: PortalSettings, client: TestClient) -> None:
    result = _users(settings, "add", "Petugas.Klegen", "--role", "kelurahan", "--area", "3577011003",
                    "--name", "Ibu Sri", "--password-stdin", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "added petugas.klegen (Petugas kelurahan, Kel. Klegen)" in result.output
    assert login(client, "petugas.klegen", NEW_PASSWORD).headers["location"] == "/daftar"
    con = connect(settings.database)
    stored = con.execute("SELECT password_hash, full_nik FROM users WHERE username = 'petugas.klegen'").fetchone()
    con.close()
    assert stored[0].startswith("$argon2id$") and NEW_PASSWORD not in stored[0] and stored[1] == 0
    row = audit_rows(settings, "user_add")[-1]
    assert row["actor"].startswith("cli") and row["detail"]["user"] == "petugas.klegen"


def test_add_asks_for_the_password_twice(settings: PortalSettings) -> None:
    ok = _users(settings, "add", "kec_taman", "--role", "kecamatan", "--area", "357703", "--full-nik",
                input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert ok.exit_code == 0, ok.output
    mismatch = _users(settings, "add", "kec_taman2", "--role", "kecamatan", "--area", "357703",
                      input=f"{NEW_PASSWORD}\nsomething-else-123\n")
    assert mismatch.exit_code != 0
    listing = _users(settings, "list").output
    assert "kec_taman " in listing and "kec_taman2" not in listing
    assert NEW_PASSWORD not in ok.output


@pytest.mark.parametrize(("args", "message"), [
    (["kel_a", "--role", "kelurahan", "--area", "3577011001"], "already exists"),
    (["x1", "--role", "kelurahan", "--area", "357701"], "10-digit kelurahan code"),
    (["x2", "--role", "kelurahan", "--area", "3577999999"], "10-digit kelurahan code"),
    (["x3", "--role", "kecamatan", "--area", "3577011001"], "kecamatan code"),
    (["x4", "--role", "kecamatan"], "kecamatan code"),
    (["x5", "--role", "auditor", "--area", "357701"], "has no area"),
    (["x6", "--role", "admin", "--full-nik"], "sees no personal data"),
    (["../x", "--role", "auditor"], "a username has"),
])
def test_add_refuses_bad_accounts(settings: PortalSettings, args: list[str], message: str) -> None:
    result = _users(settings, "add", *args, "--password-stdin", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 1 and message in result.output


@pytest.mark.parametrize("password", ["pendek", "x7_weak_x7"])
def test_add_refuses_weak_passwords(settings: PortalSettings, password: str) -> None:
    result = _users(settings, "add", "x7_weak_x7", "--role", "auditor", "--password-stdin", input=password + "\n")
    assert result.exit_code == 1 and "password must" in result.output


def test_disable_and_enable(settings: PortalSettings, client: TestClient) -> None:
    login(client, "kel_a")
    assert client.get("/daftar").status_code == 200
    assert _users(settings, "disable", "kel_a").exit_code == 0
    assert client.get("/daftar", follow_redirects=False).headers["location"] == "/masuk"  # session ended
    assert login(client, "kel_a").status_code == 401
    assert "disabled" in _users(settings, "list").output.split("kel_a ")[1].splitlines()[0]
    assert _users(settings, "enable", "kel_a").exit_code == 0
    assert login(client, "kel_a").status_code == 303
    assert _users(settings, "disable", "nobody").exit_code == 1
    assert [r["action"] for r in audit_rows(settings) if r["action"].startswith("user_")] == ["user_disable",
                                                                                             "user_enable"]


def test_reset_sets_a_new_password_and_lifts_a_lock(settings: PortalSettings, client: TestClient) -> None:
    for _ in range(settings.max_failures):
        login(client, "kel_a", "salah-sekali-123")
    assert login(client, "kel_a").status_code == 429
    result = _users(settings, "reset", "kel_a", "--password-stdin", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert login(client, "kel_a", PASSWORD).status_code == 401
    assert login(client, "kel_a", NEW_PASSWORD).status_code == 303
    assert _users(settings, "reset", "nobody", "--password-stdin", input=NEW_PASSWORD + "\n").exit_code == 1


def test_list_shows_no_hashes(settings: PortalSettings) -> None:
    output = _users(settings, "list").output
    assert output.splitlines()[0].split() == ["USERNAME", "ROLE", "AREA", "FULL", "NIK", "STATUS", "NAME"]
    assert "kel_full" in output and "argon2" not in output


def test_users_creates_the_database_where_asked(tmp_path: Path) -> None:
    database = tmp_path / "new" / "portal.sqlite"
    result = CliRunner().invoke(users, ["add", "auditor1", "--role", "auditor", "--password-stdin", "--db",
                                        str(database)], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert database.is_file() and oct(database.stat().st_mode)[-3:] == "600"


@pytest.mark.parametrize(("args", "message"), [
    (["--host", "0.0.0.0"], "--allow-remote"),
    (["--host", "0.0.0.0", "--allow-remote"], "UCJ_PORTAL_SECRET"),
])
def test_serve_refuses_to_listen_beyond_loopback_unsafely(tmp_path: Path, args: list[str], message: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UCJ_PORTAL_SECRET", raising=False)
    result = CliRunner().invoke(serve, [*args, "--db", str(tmp_path / "p.sqlite")])
    assert result.exit_code == 1 and message in result.output
