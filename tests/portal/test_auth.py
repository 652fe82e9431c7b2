"""routes/auth.py: log in, log out, sessions that expire, the start page per role."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from portal.db import connect
from portal.settings import PortalSettings
from tests.portal.conftest import PASSWORD, audit_rows, csrf_from, logged_in, login


def test_login_page_is_indonesian_and_sets_a_login_csrf_cookie(client: TestClient) -> None:
    response = client.get("/masuk")
    assert response.status_code == 200
    assert "Masuk" in response.text and "Kata sandi" in response.text and "Nama pengguna" in response.text
    assert '<html lang="id">' in response.text
    cookie = response.headers["set-cookie"]
    assert "ucj_login_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


@pytest.mark.parametrize(("username", "start"), [("kel_a", "/daftar"), ("kec_a", "/daftar"), ("auditor", "/audit"),
                                                 ("admin", "/admin/pengguna")])
def test_login_sends_each_role_to_its_first_page(client: TestClient, username: str, start: str) -> None:
    response = login(client, username)
    assert response.status_code == 303
    assert response.headers["location"] == start
    assert client.get("/", follow_redirects=False).headers["location"] == start


def test_session_cookie_is_httponly_strict_and_secure_when_asked(client: TestClient, make_client) -> None:
    cookie = login(client, "kel_a").headers["set-cookie"]
    assert "ucj_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie.split("ucj_login_csrf")[0]
    secure = make_client(secure_cookie=True)
    secure.base_url = "https://testserver"
    assert "Secure" in login(secure, "kel_a").headers["set-cookie"].split("ucj_login_csrf")[0]


@pytest.mark.parametrize(("username", "password"), [("kel_a", "salah-sekali-123"), ("tidak_ada", PASSWORD),
                                                    ("gone", PASSWORD), ("", "")])
def test_failed_logins_get_one_generic_answer(client: TestClient, username: str, password: str) -> None:
    response = login(client, username, password)
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text
    assert "ucj_session" not in response.headers.get("set-cookie", "")
    assert client.get("/daftar", follow_redirects=False).headers["location"] == "/masuk"


def test_login_without_the_form_token_is_refused(client: TestClient) -> None:
    client.get("/masuk")
    response = client.post("/masuk", data={"username": "kel_a", "password": PASSWORD, "csrf_token": "forged"},
                           follow_redirects=False)
    assert response.status_code == 403
    assert "ucj_session" not in response.headers.get("set-cookie", "")


def test_logout_needs_the_session_csrf_token_then_ends_the_session(client: TestClient,
                                                                   settings: PortalSettings) -> None:
    page = logged_in(client, "kel_a").get("/daftar")
    assert client.post("/keluar", data={"csrf_token": "wrong"}, follow_redirects=False).status_code == 403
    assert client.get("/daftar").status_code == 200
    response = client.post("/keluar", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/masuk"
    assert client.get("/daftar", follow_redirects=False).headers["location"] == "/masuk"
    con = connect(settings.database)
    assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    con.close()
    assert [r["action"] for r in audit_rows(settings)][-1] == "logout"


def test_a_stolen_cookie_value_is_not_in_the_database(client: TestClient, settings: PortalSettings) -> None:
    logged_in(client, "kel_a")
    token = client.cookies.get("ucj_session")
    con = connect(settings.database)
    stored = [r[0] for r in con.execute("SELECT token_hash FROM sessions")]
    con.close()
    assert token and token not in stored and len(stored) == 1


@pytest.mark.parametrize("column", ["expires_at", "last_seen"])
def test_sessions_expire_absolutely_and_when_idle(client: TestClient, settings: PortalSettings, column: str) -> None:
    logged_in(client, "kel_a")
    assert client.get("/daftar").status_code == 200
    con = connect(settings.database)
    past = time.time() - (settings.idle_minutes * 60 + 1)
    con.execute(f"UPDATE sessions SET {column} = ?", (past,))
    response = client.get("/daftar", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/masuk"
    assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    con.close()


def test_disabling_a_user_ends_their_open_session(client: TestClient, settings: PortalSettings) -> None:
    logged_in(client, "kel_a")
    con = connect(settings.database)
    con.execute("UPDATE users SET disabled = 1 WHERE username = 'kel_a'")
    con.close()
    assert client.get("/daftar", follow_redirects=False).headers["location"] == "/masuk"


def test_logins_and_failures_are_audited_without_what_was_typed(client: TestClient, settings: PortalSettings) -> None:
    login(client, "kel_a")
    client.cookies.clear()
    login(client, "kel_a", "salah-sekali-123")
    login(client, "KataSandiSalahKetik!", "x")  # a password typed into the username field
    rows = audit_rows(settings)
    assert [(r["action"], r["actor"]) for r in rows] == [("login", "kel_a"), ("login_failed", "kel_a"),
                                                        ("login_failed", "(tidak dikenal)")]
    assert all(r["client_ip"] == "testclient" for r in rows)
    assert "KataSandiSalahKetik" not in str(rows)


def test_login_page_redirects_when_already_logged_in(client: TestClient) -> None:
    logged_in(client, "auditor")
    assert client.get("/masuk", follow_redirects=False).headers["location"] == "/"
