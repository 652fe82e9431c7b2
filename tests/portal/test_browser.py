"""End to end in a real headless browser: Debian's chromium driven by Playwright (never
`playwright install`), against uvicorn on a free loopback port.

An officer logs in on a phone-sized screen, filters, downloads an XLSX and the test opens it; an
auditor reads the log, the publication history and one explanation on a desktop screen. Every page
is screenshotted into tmp_path, and also into $UCJ_PORTAL_SCREENSHOTS when set (to look at them).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import uvicorn

from pipeline.publish.workbooks import OFFICER_COLUMNS
from portal.app import create_app
from portal.settings import PortalSettings
from tests.portal.conftest import KEL_A, LATEST_ID, PASSWORD, audit_rows, masked, parquet_rows

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def _need_browser() -> None:
    missing = None
    if not CHROMIUM.exists():
        missing = f"Debian chromium is not installed at {CHROMIUM} (`make browser` installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed (pip install -e '.[dev]')"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must run the browser test")
        pytest.skip(missing)


@pytest.fixture
def server(settings: PortalSettings) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def shots(tmp_path: Path):
    folder = tmp_path / "screenshots"
    folder.mkdir()
    keep = os.environ.get("UCJ_PORTAL_SCREENSHOTS")

    def shot(page, name: str) -> Path:  # noqa: ANN001 - a playwright Page
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path
    return shot


def _login(page, base: str, username: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/daftar")
    assert page.url.endswith("/masuk")  # no access without login
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Masuk')")


def _no_page_overflow(page) -> bool:  # noqa: ANN001
    """Nothing but the tables' own scroll areas is wider than the screen."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_officer_on_a_phone_filters_and_downloads_an_xlsx(server: str, settings: PortalSettings, shots,
                                                          candidates_parquet: Path, tmp_path: Path) -> None:
    _need_browser()
    from playwright.sync_api import sync_playwright

    expected = parquet_rows(candidates_parquet, "kelurahan_code = ? AND track = 'pro_jkk_jkm'", [KEL_A])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                          is_mobile=True, has_touch=True, accept_downloads=True, locale="id-ID")
            page = context.new_page()
            page.goto(f"{server}/masuk")
            shots(page, "01-login-phone")
            _login(page, server, "kec_a")
            page.wait_for_url(f"{server}/daftar")
            assert page.locator("h1").inner_text().startswith("Daftar calon")
            assert _no_page_overflow(page)
            shots(page, "02-list-phone")

            page.select_option("select[name=kelurahan]", KEL_A)
            page.select_option("select[name=jalur]", "pro_jkk_jkm")
            page.click("button:has-text('Cari')")
            page.wait_for_url(f"**/daftar?kelurahan={KEL_A}&jalur=pro_jkk_jkm**")
            assert page.locator("table.data tbody tr").count() == min(len(expected), settings.page_size)
            shown = page.locator("table.data .nik").all_inner_texts()
            assert shown and set(shown) <= {masked(e["nik"]) for e in expected}
            assert _no_page_overflow(page)
            shots(page, "03-list-filtered-phone")

            with page.expect_download() as info:
                page.click("a:has-text('Unduh XLSX')")
            download = info.value
            assert download.suggested_filename == f"calon-{KEL_A}-{LATEST_ID}-filter.xlsx"
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
        finally:
            browser.close()

    sheet = openpyxl.load_workbook(saved, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["Kelurahan", *(h for h, _, _, _ in OFFICER_COLUMNS)]
    assert len(rows) - 1 == len(expected)
    assert {r[0] for r in rows[1:]} == {"Oro-oro Ombo"}
    nik = 1 + [h for h, _, _, _ in OFFICER_COLUMNS].index("NIK")
    assert sorted(r[nik] for r in rows[1:]) == sorted(masked(e["nik"]) for e in expected)
    downloads = audit_rows(settings, "download")
    assert [(d["actor"], d["row_count"], d["publication_id"]) for d in downloads] == [("kec_a", len(expected),
                                                                                      LATEST_ID)]


def test_auditor_on_a_desktop_reads_log_history_and_an_explanation(server: str, settings: PortalSettings, shots,
                                                                   candidates_parquet: Path) -> None:
    _need_browser()
    from playwright.sync_api import sync_playwright

    # someone whose compared memberships carry NIKs, so the explanation has masked NIKs to show
    pairs_file = candidates_parquet.parent / "pairs.parquet"
    person = parquet_rows(candidates_parquet, "nik IN (SELECT resident_nik FROM read_parquet(?) WHERE member_nik "
                          "IS NOT NULL) ORDER BY priority_rank LIMIT 1", [str(pairs_file)])[0]
    pairs = parquet_rows(pairs_file, "resident_nik = ?", [person["nik"]])
    assert any(p["member_nik"] for p in pairs)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            officer = browser.new_context(viewport={"width": 1280, "height": 900})
            page = officer.new_page()
            _login(page, server, "kel_a")
            page.wait_for_url(f"{server}/daftar")
            shots(page, "04-list-desktop")
            with page.expect_download():
                page.click("a:has-text('Unduh CSV')")
            officer.close()

            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            _login(page, server, "auditor")
            page.wait_for_url(f"{server}/audit")
            assert "Rantai hash utuh" in page.inner_text("main")
            assert "kel_a" in page.inner_text("table.data")
            shots(page, "05-audit-desktop")

            page.click("nav >> text=Riwayat publikasi")
            page.wait_for_url(f"{server}/riwayat")
            assert page.locator("table.data tbody tr").count() == 2
            shots(page, "06-history-desktop")
            page.click(f"a:has-text('{LATEST_ID}')")
            assert "Hasil pemeriksaan" in page.inner_text("main")
            shots(page, "07-publication-desktop")

            page.click("nav >> text=Penjelasan")
            page.fill("input[name=nik]", person["nik"])
            page.click("button:has-text('Jelaskan')")
            page.wait_for_selector("text=Kepesertaan")
            assert person["nama"] in page.inner_text("main")
            member_niks = page.locator("table.data .nik").all_inner_texts()
            assert sorted(member_niks) == sorted(masked(p["member_nik"]) if p["member_nik"] else "-" for p in pairs)
            assert page.locator("dd.nik").inner_text() == masked(person["nik"])
            shots(page, "08-explain-desktop")

            phone = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
            page = phone.new_page()
            _login(page, server, "auditor")
            page.wait_for_url(f"{server}/audit")
            assert _no_page_overflow(page)
            shots(page, "09-audit-phone")

            admin = browser.new_context(viewport={"width": 1280, "height": 900})
            page = admin.new_page()
            _login(page, server, "admin")
            page.wait_for_url(f"{server}/admin/pengguna")
            shots(page, "10-users-desktop")
        finally:
            browser.close()
    assert [e["detail"]["found"] for e in audit_rows(settings, "explain")] == [True]
