"""Security: no access without login, no reading another area by changing a URL or parameter, no
path traversal, throttled wrong passwords, CSRF on forms, headers, safe serving settings, and no
personal data in the application log."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.reference import KELURAHAN
from portal.app import ROUTERS, create_app
from portal.db import connect
from portal.settings import PortalConfigError, PortalSettings
from tests.portal.conftest import (
    KEC_C,
    KEL_A,
    KEL_B,
    LATEST_ID,
    PASSWORD,
    audit_rows,
    csrf_from,
    logged_in,
    login,
    parquet_rows,
)

_KEL_A_BOOK = "3577011001-Oro-oro_Ombo.xlsx"
_KEL_B_BOOK = "3577011002-Sukosari.xlsx"
_TAMAN = next(k.code for k in KELURAHAN if k.kecamatan_code == KEC_C)

PROTECTED_GET = ["/", "/daftar", "/daftar/unduh/xlsx", "/daftar/unduh/csv", f"/daftar/berkas/{_KEL_A_BOOK}",
                 "/audit", "/riwayat", f"/riwayat/{LATEST_ID}", "/penjelasan", "/admin/pengguna", "/lapangan",
                 "/lapangan/orang/0123456789abcdef01234567"]
PROTECTED_POST = ["/keluar", "/penjelasan", "/admin/pengguna/kel_a/nonaktifkan",
                  "/lapangan/orang/0123456789abcdef01234567/pasangan", "/lapangan/orang/0123456789abcdef01234567/hasil"]


@pytest.mark.parametrize("url", PROTECTED_GET)
def test_no_page_without_login(client: TestClient, url: str, candidates_parquet: Path) -> None:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/masuk"
    assert not response.content


@pytest.mark.parametrize("url", PROTECTED_POST)
def test_no_form_without_login(client: TestClient, url: str) -> None:
    response = client.post(url, data={"csrf_token": "x", "nik": "3577011234567890"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/masuk"


def test_every_route_is_in_the_lists_above() -> None:
    """A new route must be added to the no-login tests."""
    paths = {route.path for router in ROUTERS for route in router.routes} - {"/masuk"}
    covered = {"/", "/daftar", "/daftar/unduh/{fmt}", "/daftar/berkas/{name:path}", "/audit", "/riwayat",
               "/riwayat/{publication_id}", "/penjelasan", "/admin/pengguna", "/keluar",
               "/admin/pengguna/{username}/{change}", "/lapangan", "/lapangan/orang/{ref}",
               "/lapangan/orang/{ref}/pasangan", "/lapangan/orang/{ref}/hasil"}
    assert paths == covered


def test_a_forged_session_cookie_is_no_session(client: TestClient) -> None:
    client.cookies.set("ucj_session", "A" * 43)
    assert client.get("/daftar", follow_redirects=False).headers["location"] == "/masuk"


@pytest.mark.parametrize("url", [
    f"/daftar?kelurahan={KEL_B}", f"/daftar/unduh/xlsx?kelurahan={KEL_B}", f"/daftar/unduh/csv?kelurahan={KEL_B}",
    f"/daftar?kelurahan={KEL_B}&jalur=pro_jkk_jkm", f"/daftar?kelurahan={KEL_A}&kelurahan={KEL_B}",
    f"/daftar/berkas/{_KEL_B_BOOK}", f"/daftar/berkas/{_KEL_B_BOOK}?kelurahan={KEL_B}",
    "/daftar?kelurahan=357701", "/daftar?kelurahan=3577", "/daftar?kelurahan=%25",
])
def test_a_kelurahan_officer_cannot_reach_another_list(client: TestClient, settings: PortalSettings,
                                                       url: str) -> None:
    response = logged_in(client, "kel_a").get(url)
    assert response.status_code == 404
    assert "Tidak ditemukan" in response.text
    assert audit_rows(settings, "download") == [] and audit_rows(settings, "view_list") == []


def test_someone_elses_area_and_a_nonexistent_one_look_the_same(client: TestClient) -> None:
    logged_in(client, "kel_a")
    other, nothing = client.get(f"/daftar?kelurahan={KEL_B}"), client.get("/daftar?kelurahan=9999999999")
    assert (other.status_code, other.text) == (nothing.status_code, nothing.text)


@pytest.mark.parametrize("url", [f"/daftar?kelurahan={_TAMAN}", f"/daftar/unduh/xlsx?kelurahan={_TAMAN}",
                                 f"/daftar/berkas/{_TAMAN}-Mojorejo.xlsx", "/daftar?kelurahan=357703"])
def test_a_kecamatan_officer_cannot_reach_another_kecamatan(client: TestClient, url: str) -> None:
    assert logged_in(client, "kec_a").get(url).status_code == 404


def test_a_kecamatan_officers_downloads_hold_only_their_kecamatan(client: TestClient,
                                                                  candidates_parquet: Path) -> None:
    body = logged_in(client, "kec_c").get("/daftar/unduh/csv").content.decode("utf-8-sig")
    taman = {r["kelurahan"] for r in parquet_rows(candidates_parquet, "kelurahan_code LIKE ?", [f"{KEC_C}%"])}
    assert {line.split(";")[0] for line in body.splitlines()[1:]} == taman


@pytest.mark.parametrize(("username", "url"), [
    ("kel_a", "/audit"), ("kel_a", "/riwayat"), ("kel_a", f"/riwayat/{LATEST_ID}"), ("kel_a", "/penjelasan"),
    ("kec_a", "/admin/pengguna"), ("admin", "/daftar"), ("admin", "/daftar/unduh/xlsx"),
    ("admin", f"/daftar/berkas/{_KEL_A_BOOK}"), ("admin", "/penjelasan"), ("admin", "/audit"),
    ("auditor", "/admin/pengguna"),
])
def test_roles_only_reach_their_pages(client: TestClient, username: str, url: str) -> None:
    response = logged_in(client, username).get(url)
    assert response.status_code == 403
    assert "Tidak diizinkan" in response.text


@pytest.mark.parametrize("name", [
    "%2E%2E/candidates.csv", "..%2Fmanifest.json", "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd",
    "/etc/passwd", "..%5Ccandidates.csv", "kelurahan%2F" + _KEL_A_BOOK, "%252E%252E%252Fmanifest.json",
    _KEL_A_BOOK + "%00.csv", "." + _KEL_A_BOOK, "%2E%2E%2F" + LATEST_ID + "%2Fkelurahan%2F" + _KEL_A_BOOK,
    "..%2F..%2F" + LATEST_ID + "%2Fcandidates.csv",
])
def test_path_traversal_on_download_names_is_refused(client: TestClient, settings: PortalSettings,
                                                     name: str) -> None:
    response = logged_in(client, "kel_a").get(f"/daftar/berkas/{name}")
    assert response.status_code == 404
    assert b"publication_id" not in response.content and b"root:" not in response.content
    assert audit_rows(settings, "download") == []


@pytest.mark.parametrize("publication_id", ["%2E%2E", "..%2F..%2Fetc", "latest", ".staging-x", "%2Fetc",
                                            LATEST_ID + "%2F..%2F..", "nope"])
def test_path_traversal_on_publication_ids_is_refused(client: TestClient, publication_id: str) -> None:
    assert logged_in(client, "auditor").get(f"/riwayat/{publication_id}").status_code == 404


def test_wrong_passwords_lock_the_username_and_the_lock_grows(client: TestClient, settings: PortalSettings) -> None:
    for _ in range(settings.max_failures):
        assert login(client, "kel_a", "salah-sekali-123").status_code == 401
    response = login(client, "kel_a")  # the right password, but locked
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.text
    assert "ucj_session" not in response.headers.get("set-cookie", "")
    assert audit_rows(settings)[-1]["action"] == "login_locked"
    con = connect(settings.database)
    first = con.execute("SELECT locked_until FROM login_throttle WHERE kind = 'user' AND key = 'kel_a'").fetchone()[0]
    assert first - time.time() == pytest.approx(settings.lock_minutes * 60, abs=30)
    con.execute("UPDATE login_throttle SET locked_until = 0 WHERE kind = 'user'")  # the lock ran out
    for _ in range(settings.max_failures):
        login(client, "kel_a", "salah-sekali-123")
    second = con.execute("SELECT locked_until FROM login_throttle WHERE kind = 'user' AND key = 'kel_a'").fetchone()[0]
    con.close()
    assert second - time.time() == pytest.approx(2 * settings.lock_minutes * 60, abs=30)
    assert login(client, "kel_b").status_code == 303  # another user from the same address is not locked out


def test_many_usernames_from_one_address_lock_the_address(client: TestClient, settings: PortalSettings) -> None:
    for n in range(settings.max_failures_per_ip):
        assert login(client, f"tebak{n}", "salah-sekali-123").status_code == 401
    assert login(client, "kel_a").status_code == 429


def test_a_locked_login_checks_no_password(client: TestClient, settings: PortalSettings,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(settings.max_failures):
        login(client, "kel_a", "salah-sekali-123")
    import portal.auth

    def must_not_run(*args: object) -> None:
        raise AssertionError("password checked while locked")

    monkeypatch.setattr(portal.auth, "verify_password", must_not_run)
    monkeypatch.setattr(portal.auth, "dummy_verify", must_not_run)
    assert login(client, "kel_a").status_code == 429


def test_forms_need_the_session_csrf_token(client: TestClient, settings: PortalSettings) -> None:
    logged_in(client, "auditor")
    assert client.post("/penjelasan", data={"nik": "3577011234567890"}).status_code == 403
    assert client.post("/penjelasan", data={"nik": "3577011234567890", "csrf_token": "x" * 43}).status_code == 403
    assert audit_rows(settings, "explain") == []
    client.cookies.clear()
    page = logged_in(client, "admin").get("/admin/pengguna")
    assert client.post("/admin/pengguna/kel_a/nonaktifkan", data={}).status_code == 403
    assert "Formulir sudah kedaluwarsa" in client.post("/admin/pengguna/kel_a/nonaktifkan", data={}).text
    other = TestClient(create_app(settings))
    other_token = csrf_from(logged_in(other, "auditor").get("/penjelasan").text)
    assert client.post("/admin/pengguna/kel_a/nonaktifkan", data={"csrf_token": other_token}).status_code == 403
    assert client.post("/admin/pengguna/kel_a/nonaktifkan",
                       data={"csrf_token": csrf_from(page.text)}, follow_redirects=False).status_code == 303


def test_security_headers(client: TestClient) -> None:
    page = logged_in(client, "kel_a").get("/daftar")
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert client.get("/daftar/unduh/csv").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/portal.css").headers.get("cache-control", "")
    assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404


def test_no_personal_data_in_the_application_log(client: TestClient, caplog: pytest.LogCaptureFixture,
                                                 candidates_parquet: Path) -> None:
    person = parquet_rows(candidates_parquet, "kelurahan_code = ? LIMIT 1", [KEL_A])[0]
    caplog.set_level(logging.DEBUG)
    logged_in(client, "kel_a").get("/daftar", params={"cari": person["nama"]})
    client.get("/daftar/unduh/xlsx", params={"cari": person["nik"]})
    client.cookies.clear()
    token = csrf_from(logged_in(client, "auditor").get("/penjelasan").text)
    client.post("/penjelasan", data={"nik": person["nik"], "csrf_token": token})
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # the test client
    assert "GET /daftar 200" in text
    assert person["nik"] not in text and person["nik"][:12] not in text and person["nama"] not in text
    assert PASSWORD not in text


@pytest.mark.parametrize(("host", "allow", "secret", "ok"), [
    ("127.0.0.1", False, None, True), ("localhost", False, None, True), ("::1", False, None, True),
    ("0.0.0.0", False, "x" * 64, False), ("0.0.0.0", True, None, False), ("0.0.0.0", True, "changethis", False),
    ("192.168.1.10", True, "short", False), ("0.0.0.0", True, "f" * 64, True),
])
def test_serving_beyond_loopback_needs_allow_remote_and_a_real_secret(host: str, allow: bool, secret: str | None,
                                                                     ok: bool) -> None:
    settings = PortalSettings(host=host, allow_remote=allow, secret=secret)
    if ok:
        settings.check_serving()
    else:
        with pytest.raises(PortalConfigError):
            settings.check_serving()


def test_settings_from_the_environment() -> None:
    settings = PortalSettings.from_env({"UCJ_PORTAL_PORT": "9000", "UCJ_PORTAL_SECURE_COOKIE": "true",
                                        "UCJ_PORTAL_DATABASE": "/tmp/x.sqlite", "UCJ_PORTAL_SESSION_HOURS": "2.5"},
                                       host="127.0.0.2")
    assert (settings.port, settings.secure_cookie, settings.database, settings.session_hours, settings.host) == (
        9000, True, Path("/tmp/x.sqlite"), 2.5, "127.0.0.2")
    with pytest.raises(PortalConfigError):
        PortalSettings.from_env({"UCJ_PORTAL_PORT": "http"})


@pytest.mark.parametrize(("environ", "named"), [
    ({"UCJ_PORTAL_PAGE_SIZE": "0"}, "UCJ_PORTAL_PAGE_SIZE"), ({"UCJ_PORTAL_PORT": "70000"}, "UCJ_PORTAL_PORT"),
    ({"UCJ_PORTAL_SESSION_HOURS": "-1"}, "UCJ_PORTAL_SESSION_HOURS"),
    ({"UCJ_PORTAL_ALLOW_REMOTE": "perhaps"}, "UCJ_PORTAL_ALLOW_REMOTE"),
    ({"UCJ_PORTAL_EXPLAIN_PER_HOUR": "0"}, "UCJ_PORTAL_EXPLAIN_PER_HOUR"),
    ({"UCJ_PORTAL_LOCK_MINUTES": "120", "UCJ_PORTAL_MAX_LOCK_MINUTES": "60"}, "lock_minutes"),
])
def test_settings_are_validated_and_errors_name_the_setting(environ: dict[str, str], named: str) -> None:
    with pytest.raises(PortalConfigError, match=named):
        PortalSettings.from_env(environ)


def test_a_bad_setting_is_reported_without_its_value() -> None:
    secret = "s3cr3t-" * 6
    with pytest.raises(PortalConfigError) as error:
        PortalSettings.from_env({"UCJ_PORTAL_SECRET": secret, "UCJ_PORTAL_PORT": "not-a-port-" + secret})
    assert "UCJ_PORTAL_PORT" in str(error.value) and secret not in str(error.value)
    assert secret not in repr(PortalSettings(secret=secret))
    with pytest.raises(PortalConfigError, match="UCJ_PORTAL_NO_SUCH_SETTING: Extra inputs"):
        PortalSettings().replace(no_such_setting=1)


def test_pages_escape_what_they_show(client: TestClient, settings: PortalSettings) -> None:
    from portal.users import create_user

    con = connect(settings.database)
    create_user(con, "xss", password=PASSWORD, role="kelurahan", area_code=KEL_A,
                display_name='<script>alert("x")</script>')
    con.close()
    page = logged_in(client, "xss").get("/daftar", params={"cari": '"><script>alert(1)</script>'}).text
    assert "<script" not in page.lower()
    # each value shown escaped, where it is shown: the display name and the search box
    assert '<span class="name">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</span>' in page
    assert 'name="cari" value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


# --- the three holes of the attack run (issue 11): each test failed before its fix ---------------------

def _explain(client: TestClient, nik: str):
    token = csrf_from(client.get("/penjelasan").text)
    return client.post("/penjelasan", data={"nik": nik, "csrf_token": token})


def _add_account(settings: PortalSettings, username: str, **kwargs: object) -> None:
    from portal.users import create_user

    con = connect(settings.database)
    create_user(con, username, password=PASSWORD, **kwargs)
    con.close()


def _guess(nik: str, n: int) -> str:
    """Another serial for the same region and birth date, as an attacker would try."""
    return nik[:12] + f"{(int(nik[12:]) + n) % 10_000:04d}"


def test_a_masked_nik_cannot_be_read_back_from_the_explain_page(client: TestClient, settings: PortalSettings,
                                                                candidates_parquet: Path) -> None:
    """The list hides the birth date and the serial, and the explain page never prints a NIK to an
    account without the full-NIK right, not even the one it was given."""
    person = parquet_rows(candidates_parquet, "kelurahan_code = ? ORDER BY kelurahan_rank LIMIT 1", [KEL_A])[0]
    nik = person["nik"]
    listed = logged_in(client, "auditor").get("/daftar", params={"kelurahan": KEL_A}).text
    assert nik[:6] + "*" * 10 in listed and nik[6:12] not in listed.replace(nik[:6] + "*" * 10, "")
    page = _explain(client, nik)
    assert page.status_code == 200 and person["nama"] in page.text
    assert nik not in page.text and nik[6:] not in page.text
    assert f'<dd class="nik">{nik[:6]}**********</dd>' in page.text
    _add_account(settings, "auditor_full", role="auditor", full_nik=True)
    client.cookies.clear()
    logged_in(client, "auditor_full")
    assert f'<dd class="nik">{nik}</dd>' in _explain(client, nik).text


def test_explain_look_ups_are_throttled_per_account(make_client, settings: PortalSettings,
                                                    candidates_parquet: Path) -> None:
    """Guessing the hidden digits takes many look-ups: an account gets a few an hour, fewer misses a day."""
    nik = parquet_rows(candidates_parquet, "TRUE ORDER BY priority_rank LIMIT 1")[0]["nik"]
    _add_account(settings, "auditor2", role="auditor")
    client = logged_in(make_client(explain_per_hour=4, explain_misses_per_day=100), "auditor")
    for n in range(1, 4):
        assert _explain(client, _guess(nik, n)).status_code == 404
    assert _explain(client, nik).status_code == 200  # the 4th look-up of the hour
    refused = _explain(client, nik)
    assert refused.status_code == 429 and "Terlalu banyak pencarian" in refused.text
    assert "Keanggotaan yang dibandingkan" not in refused.text
    assert audit_rows(settings, "explain_refused")[-1]["detail"] == {"nik": nik[:6] + "*" * 10}
    assert _explain(logged_in(make_client(explain_per_hour=4), "auditor2"), nik).status_code == 200

    misses = logged_in(make_client(explain_per_hour=100, explain_misses_per_day=3), "auditor2")
    for n in range(1, 4):
        assert _explain(misses, _guess(nik, n)).status_code == 404
    assert _explain(misses, nik).status_code == 429  # the right guess, after too many wrong ones
    assert [r["actor"] for r in audit_rows(settings, "explain_refused")] == ["auditor", "auditor2"]


_SPELLINGS = ["{a} {b} {c} {d}", "{a}.{b}.{c}.{d}", "{a}-{b}-{c}-{d}", "{a}/{b}/{c}/{d}", "{a}_{b}_{c}_{d}",
              "{a}, {b}, {c}, {d}", "{a}\u00a0{b}\u00a0{c}\u00a0{d}", "{a} - {b}.{c} {d}", "NIK {a} {b} {c} {d}"]


@pytest.mark.parametrize("spelling", _SPELLINGS)
def test_a_nik_typed_with_separators_is_masked_in_the_audit_log(client: TestClient, settings: PortalSettings,
                                                                 candidates_parquet: Path, spelling: str) -> None:
    nik = parquet_rows(candidates_parquet, "kelurahan_code = ? LIMIT 1", [KEL_A])[0]["nik"]
    typed = spelling.format(a=nik[:4], b=nik[4:8], c=nik[8:12], d=nik[12:])
    logged_in(client, "kel_a").get("/daftar", params={"cari": typed})
    client.get("/daftar/unduh/csv", params={"cari": typed})
    recorded = [r["detail"]["filter"]["search"] for r in audit_rows(settings) if r["action"] in ("view_list",
                                                                                                   "download")]
    assert len(recorded) == 2 and all(nik[:6] + "*" * 10 in text for text in recorded)
    con = connect(settings.database)
    dump = "\n".join(con.iterdump())
    con.close()
    for secret in (nik, nik[6:12], nik[8:12] + " " + nik[12:], typed):
        assert secret not in dump


def test_a_successful_login_does_not_reset_the_failures_of_other_usernames(client: TestClient,
                                                                          settings: PortalSettings) -> None:
    """Spraying guesses at many usernames from one address is locked, valid account or not."""
    for n in range(settings.max_failures_per_ip - 1):
        assert login(client, f"tebak{n}", "salah-sekali-123").status_code == 401
    assert login(client, "kel_a").status_code == 303  # the attacker's own, valid account
    assert login(client, "tebak-lagi", "salah-sekali-123").status_code == 401
    assert login(client, "kel_b").status_code == 429  # the address is locked now
    con = connect(settings.database)
    row = con.execute("SELECT locked_until FROM login_throttle WHERE kind = 'ip' AND key = 'testclient'").fetchone()
    con.close()
    assert row is not None and row[0] > time.time()


def test_a_successful_login_clears_the_lock_count_of_its_own_username(client: TestClient,
                                                                      settings: PortalSettings) -> None:
    for _ in range(settings.max_failures - 1):
        login(client, "kel_a", "salah-sekali-123")
    assert login(client, "kel_a").status_code == 303
    for _ in range(settings.max_failures - 1):  # counted afresh: not locked after one more
        assert login(client, "kel_a", "salah-sekali-123").status_code == 401
    assert login(client, "kel_a").status_code == 303


def test_a_publication_made_before_the_masking_rule_is_served_masked(make_client, settings: PortalSettings,
                                                                     tmp_path: Path) -> None:
    """Its own workbooks show 12 digits of each NIK: they are not offered, and its lists show 6."""
    import json
    import os
    import shutil

    root = tmp_path / "published"
    old = root / LATEST_ID
    shutil.copytree(settings.publications / LATEST_ID, old)
    config = json.loads((old / "config.resolved.json").read_text())
    config["publication"]["nik_visible_digits"] = 12
    (old / "config.resolved.json").write_text(json.dumps(config))
    os.symlink(LATEST_ID, root / "latest")
    client = logged_in(make_client(publications=root), "kel_a")
    page = client.get("/daftar").text
    assert "/daftar/berkas/" not in page and "NIK disamarkan (6 digit pertama)" in page
    assert client.get(f"/daftar/berkas/{_KEL_A_BOOK}").status_code == 404
    niks = re.findall(r'<span class="nik">([^<]*)</span>', page)
    assert niks and all(re.fullmatch(r"\d{6}\*{10}", n) for n in niks)


def test_failures_are_forgotten_once_none_followed_for_the_window(settings: PortalSettings) -> None:
    """The address's count is kept across successful logins, but not for ever."""
    from portal.auth import login as check_login

    con = connect(settings.database)
    t0, window = 1_000_000.0, settings.failure_window_minutes * 60
    for n in range(settings.max_failures_per_ip - 1):
        assert check_login(con, settings, f"tebak{n}", "salah-sekali-123", "10.0.0.9", now=t0 + n).user is None
    assert check_login(con, settings, "kel_a", PASSWORD, "10.0.0.9", now=t0 + 100).token  # not forgotten by this
    later = t0 + window - 60  # within the window of the last failure: one more locks the address
    assert not check_login(con, settings, "tebak-x", "salah-sekali-123", "10.0.0.9", now=later).locked
    assert check_login(con, settings, "kel_b", PASSWORD, "10.0.0.9", now=later + 1).locked
    quiet = later + settings.max_lock_minutes * 60 + window  # the lock ran out and a window passed
    for n in range(settings.max_failures_per_ip - 1):
        check_login(con, settings, f"tebak{n}", "salah-sekali-123", "10.0.0.9", now=quiet + n)
    assert check_login(con, settings, "kel_b", PASSWORD, "10.0.0.9", now=quiet + 100).token  # counted afresh
    con.close()


def test_an_older_portal_database_gets_the_new_column(tmp_path: Path) -> None:
    import sqlite3

    from portal.db import init_db

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE login_throttle (kind TEXT NOT NULL CHECK (kind IN ('user', 'ip')), key TEXT NOT NULL, "
                "failures INTEGER NOT NULL DEFAULT 0, locks INTEGER NOT NULL DEFAULT 0, "
                "locked_until REAL NOT NULL DEFAULT 0, PRIMARY KEY (kind, key))")
    old.execute("INSERT INTO login_throttle (kind, key, failures) VALUES ('ip', '10.0.0.1', 3)")
    old.commit()
    old.close()
    init_db(path)
    con = connect(path)
    row = con.execute("SELECT failures, last_failure FROM login_throttle").fetchone()
    con.close()
    assert tuple(row) == (3, 0)
