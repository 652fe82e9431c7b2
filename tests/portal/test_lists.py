"""routes/lists.py: the candidate list of the officer's own area, search, filters, pages, masking."""

from __future__ import annotations

import os
import re
from html import unescape as html_unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.reference import KELURAHAN
from portal.candidates import CandidateFilter, FilterError
from portal.settings import PortalSettings
from tests.portal.conftest import (
    FIRST_ID,
    KEC_A,
    KEL_A,
    KEL_B,
    LATEST_ID,
    audit_rows,
    logged_in,
    masked,
    parquet_rows,
)

_TOTAL = re.compile(r"<strong>([\d.]+)</strong> calon")


def _total(html: str) -> int:
    match = _TOTAL.search(html)
    assert match, "no total on the page"
    return int(match.group(1).replace(".", ""))


def _table_rows(html: str) -> list[str]:
    """Each candidate row as shown (kelurahan, track and rank make it unique; masked NIKs do not)."""
    return re.findall(r'<tr>\s*<td class="sticky">.*?</tr>', html, flags=re.DOTALL)


def _niks(html: str) -> list[str]:
    return re.findall(r'<span class="nik">([^<]*)</span>', html)


def test_kelurahan_officer_sees_exactly_their_list(client: TestClient, candidates_parquet: Path) -> None:
    mine = parquet_rows(candidates_parquet, "kelurahan_code = ?", [KEL_A])
    html = logged_in(client, "kel_a").get("/daftar?halaman=1").text
    assert _total(html) == len(mine)
    assert "Daftar calon · Kel. Oro-oro Ombo" in html
    assert 'name="kelurahan"' not in html  # nothing to choose from
    pages = [html] + [client.get(f"/daftar?halaman={n}").text for n in range(2, 1 + -(-len(mine) // 20))]
    shown = [nik for page in pages for nik in _niks(page)]
    assert sorted(shown) == sorted(masked(r["nik"]) for r in mine)
    names = [html_unescape(n) for page in pages for n in re.findall(r'<span class="person">([^<]*)</span>', page)]
    assert sorted(names) == sorted(r["nama"] for r in mine)


def test_nik_is_masked_unless_the_account_allows_full_nik(client: TestClient, candidates_parquet: Path) -> None:
    masked = _niks(logged_in(client, "kel_a").get("/daftar").text)
    assert masked and all(re.fullmatch(r"\d{6}\*{10}", n) for n in masked)
    assert "NIK disamarkan (6 digit pertama)" in client.get("/daftar").text
    client.cookies.clear()
    full = _niks(logged_in(client, "kel_full").get("/daftar").text)
    assert full and all(re.fullmatch(r"\d{16}", n) for n in full)
    assert {n[:6] for n in full} == {n[:6] for n in masked}


def test_kecamatan_officer_sees_the_kelurahan_of_their_kecamatan_and_can_narrow(client: TestClient,
                                                                                candidates_parquet: Path) -> None:
    html = logged_in(client, "kec_a").get("/daftar").text
    codes = [k.code for k in KELURAHAN if k.kecamatan_code == KEC_A]
    assert re.findall(r'<option value="(\d{10})"', html) == codes
    assert _total(html) == len(parquet_rows(candidates_parquet, "kelurahan_code LIKE ?", [f"{KEC_A}%"]))
    narrowed = client.get(f"/daftar?kelurahan={KEL_B}").text
    assert _total(narrowed) == len(parquet_rows(candidates_parquet, "kelurahan_code = ?", [KEL_B]))
    assert f'<option value="{KEL_B}" selected>' in narrowed
    assert f"kelurahan={KEL_B}" in narrowed  # kept in page and download links


@pytest.mark.parametrize(("query", "where", "params"), [
    ("jalur=pro_jkk_jkm", "track = 'pro_jkk_jkm'", []),
    ("jalur=employer_compliance", "track = 'employer_compliance'", []),
    ("desil=3", "desil = 3", []),
    ("rt=3", "rt = '003'", []),
    ("rw=004", "rw = '004'", []),
    ("jalur=pro_jkk_jkm&desil=4&rw=5", "track = 'pro_jkk_jkm' AND desil = 4 AND rw = '005'", []),
])
def test_filters_match_the_publication(client: TestClient, candidates_parquet: Path, query: str, where: str,
                                       params: list) -> None:
    expected = parquet_rows(candidates_parquet, f"kelurahan_code LIKE '{KEC_A}%' AND {where}", params)
    assert _total(logged_in(client, "kec_a").get(f"/daftar?{query}").text) == len(expected)


def test_search_by_name_and_by_nik_prefix(client: TestClient, candidates_parquet: Path) -> None:
    person = parquet_rows(candidates_parquet, "kelurahan_code = ? ORDER BY kelurahan_rank LIMIT 1", [KEL_A])[0]
    word = person["nama"].split()[0]
    expected = parquet_rows(candidates_parquet, "kelurahan_code = ? AND contains(lower(nama), lower(?))",
                            [KEL_A, word])
    logged_in(client, "kel_a")
    assert _total(client.get("/daftar", params={"cari": word.lower()}).text) == len(expected)
    assert _total(client.get("/daftar", params={"cari": person["nik"][:12]}).text) >= 1


_SPELLINGS = {"plain": lambda n: n, "spaces": lambda n: f"{n[:4]} {n[4:8]} {n[8:12]} {n[12:]}",
              "dots": lambda n: f"{n[:4]}.{n[4:8]}.{n[8:]}", "dashes": lambda n: f"{n[:6]}-{n[6:12]}-{n[12:]}"}


@pytest.mark.parametrize("how", list(_SPELLINGS))
def test_a_masked_user_cannot_probe_the_hidden_nik_digits(client: TestClient, candidates_parquet: Path,
                                                          how: str) -> None:
    """Neither the serial nor the birth date (digits 7-16) can be confirmed by searching, however typed."""
    person = parquet_rows(candidates_parquet, "kelurahan_code = ? LIMIT 1", [KEL_A])[0]
    nik, spelled = person["nik"], _SPELLINGS[how]
    wrong_tail = nik[:12] + ("0000" if nik[12:] != "0000" else "1111")
    wrong_date = nik[:6] + ("010101" if nik[6:12] != "010101" else "020202") + nik[12:]
    logged_in(client, "kel_a")
    right = _total(client.get("/daftar", params={"cari": spelled(nik)}).text)
    assert right >= 1
    for wrong in (wrong_tail, wrong_date):
        assert _total(client.get("/daftar", params={"cari": spelled(wrong)}).text) == right
    client.cookies.clear()
    logged_in(client, "kel_full")
    assert _total(client.get("/daftar", params={"cari": spelled(nik)}).text) >= 1
    for wrong in (wrong_tail, wrong_date):
        assert _total(client.get("/daftar", params={"cari": spelled(wrong)}).text) == 0


@pytest.mark.parametrize("query", ["jalur=covered", "jalur=x%27%20OR%201%3D1", "desil=0", "desil=11", "desil=abc",
                                   "rt=abcd", "rt=1234", "rw=-1", "halaman=0", "halaman=abc"])
def test_invalid_filters_are_refused(client: TestClient, query: str) -> None:
    response = logged_in(client, "kel_a").get(f"/daftar?{query}")
    assert response.status_code == 400
    assert "Permintaan tidak valid" in response.text


def test_sql_in_the_search_box_is_only_text(client: TestClient) -> None:
    response = logged_in(client, "kel_a").get("/daftar", params={"cari": "' OR 1=1 --"})
    assert response.status_code == 200 and _total(response.text) == 0


def test_pages_keep_the_filters(client: TestClient, candidates_parquet: Path, settings: PortalSettings) -> None:
    total = len(parquet_rows(candidates_parquet, "kelurahan_code LIKE ?", [f"{KEC_A}%"]))
    logged_in(client, "kec_a")
    first, second = client.get("/daftar?jalur=pro_jkk_jkm").text, client.get("/daftar?halaman=2").text
    assert 'href="/daftar?jalur=pro_jkk_jkm&amp;halaman=2"' in first
    assert set(_table_rows(second)).isdisjoint(_table_rows(client.get("/daftar").text))
    last = -(-total // settings.page_size)
    beyond = client.get(f"/daftar?halaman={last + 50}").text
    assert f"Halaman {last} dari {last}" in beyond


def test_viewing_a_list_is_audited(client: TestClient, settings: PortalSettings) -> None:
    logged_in(client, "kec_a").get(f"/daftar?kelurahan={KEL_A}&jalur=pro_jkk_jkm&cari=3577011234567890")
    row = audit_rows(settings, "view_list")[-1]
    assert row["actor"] == "kec_a" and row["publication_id"] == LATEST_ID
    assert row["detail"]["kelurahan"] == [KEL_A]
    assert row["detail"]["filter"] == {"track": "pro_jkk_jkm", "search": "357701**********"}


def test_the_list_follows_latest_at_each_request(client: TestClient, settings: PortalSettings) -> None:
    logged_in(client, "kel_a")
    assert f"Publikasi {LATEST_ID}" in client.get("/daftar").text
    root = settings.publications
    os.symlink(FIRST_ID, root / ".latest-test")
    os.replace(root / ".latest-test", root / "latest")
    try:
        assert f"Publikasi {FIRST_ID}" in client.get("/daftar").text
    finally:
        os.symlink(LATEST_ID, root / ".latest-test")
        os.replace(root / ".latest-test", root / "latest")


def test_no_publication_yet_gives_a_clear_page(make_client, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    client = make_client(publications=empty)
    response = logged_in(client, "kel_a").get("/daftar")
    assert response.status_code == 503
    assert "Belum ada publikasi" in response.text


def test_filter_parsing() -> None:
    f = CandidateFilter.parse(track="reactivation", desil="2", rt="7", rw="", search="  siti   aminah ")
    assert f == CandidateFilter("reactivation", 2, "007", None, "siti aminah")
    assert f.query_args() == {"jalur": "reactivation", "desil": "2", "rt": "007", "cari": "siti aminah"}
    with pytest.raises(FilterError):
        CandidateFilter.parse(track="covered", desil=None, rt=None, rw=None, search=None)
