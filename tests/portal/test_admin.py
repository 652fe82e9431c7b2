"""routes/admin.py: the admin lists accounts and disables or enables them; nothing else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from portal.db import connect
from portal.settings import PortalSettings
from tests.portal.conftest import ACCOUNTS, audit_rows, csrf_from, logged_in, login


def test_the_admin_sees_every_account_and_no_password_hash(client: TestClient) -> None:
    page = logged_in(client, "admin").get("/admin/pengguna")
    assert page.status_code == 200
    for username in ACCOUNTS:
        assert f"<td>{username}</td>" in page.text
    assert "argon2" not in page.text and "Petugas kecamatan" in page.text and "Kec. Kartoharjo" in page.text


def test_disable_then_enable_an_account(client: TestClient, settings: PortalSettings) -> None:
    token = csrf_from(logged_in(client, "admin").get("/admin/pengguna").text)
    response = client.post("/admin/pengguna/kel_a/nonaktifkan", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/pengguna"
    assert login(TestClient(client.app), "kel_a").status_code == 401
    logged_in(client, "admin")
    token = csrf_from(client.get("/admin/pengguna").text)
    assert client.post("/admin/pengguna/kel_a/aktifkan", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert login(TestClient(client.app), "kel_a").status_code == 303
    assert [(r["action"], r["detail"]) for r in audit_rows(settings) if r["action"].startswith("user_")] == [
        ("user_disable", {"user": "kel_a"}), ("user_enable", {"user": "kel_a"})]


def test_the_admin_cannot_lock_themselves_out_or_touch_unknown_users(client: TestClient) -> None:
    token = csrf_from(logged_in(client, "admin").get("/admin/pengguna").text)
    assert client.post("/admin/pengguna/admin/nonaktifkan", data={"csrf_token": token}).status_code == 403
    assert client.post("/admin/pengguna/nobody/nonaktifkan", data={"csrf_token": token}).status_code == 404
    assert client.post("/admin/pengguna/kel_a/hapus", data={"csrf_token": token}).status_code == 400


def test_only_the_admin_manages_accounts(client: TestClient, settings: PortalSettings) -> None:
    token = csrf_from(logged_in(client, "auditor").get("/audit").text)
    assert client.post("/admin/pengguna/kel_a/nonaktifkan", data={"csrf_token": token}).status_code == 403
    con = connect(settings.database)
    assert con.execute("SELECT disabled FROM users WHERE username = 'kel_a'").fetchone()[0] == 0
    con.close()
