"""routes/downloads.py: XLSX and CSV of the filtered list, the publication's own workbooks, and an
audit row for every download."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from pipeline.publish.workbooks import OFFICER_COLUMNS
from portal.exports import EXPORT_COLUMNS, _csv_cell
from portal.scope import scope_for
from portal.settings import PortalSettings
from portal.users import User
from tests.conftest import KAB_SCHEME
from tests.portal.conftest import KEC_A, KEL_A, KEL_B, LATEST_ID, audit_rows, logged_in, masked, parquet_rows

HEADERS = ["Kelurahan", *(h for h, _, _, _ in OFFICER_COLUMNS)]
NIK = HEADERS.index("NIK")


def _xlsx_rows(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


def test_xlsx_of_the_whole_area_in_the_officer_format(client: TestClient, candidates_parquet: Path,
                                                      settings: PortalSettings) -> None:
    expected = parquet_rows(candidates_parquet, "kelurahan_code = ?", [KEL_A])
    response = logged_in(client, "kel_a").get("/daftar/unduh/xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert response.headers["content-disposition"] == f'attachment; filename="calon-{KEL_A}-{LATEST_ID}.xlsx"'
    rows = _xlsx_rows(response.content)
    assert list(rows[0]) == HEADERS
    assert len(rows) - 1 == len(expected)
    assert {r[0] for r in rows[1:]} == {"Oro-oro Ombo"}
    assert sorted(r[NIK] for r in rows[1:]) == sorted(masked(e["nik"]) for e in expected)
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.active.freeze_panes == "A2" and workbook.active.auto_filter.ref
    download = audit_rows(settings, "download")[-1]
    assert (download["actor"], download["row_count"], download["publication_id"]) == ("kel_a", len(expected),
                                                                                      LATEST_ID)
    assert download["detail"]["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert download["detail"]["format"] == "xlsx" and download["detail"]["filter"] == {}


def test_xlsx_matches_the_published_workbook_rows(client: TestClient, settings: PortalSettings) -> None:
    """Same columns (plus Kelurahan), same order, same values as the pipeline's own workbook."""
    published = next((settings.publications / LATEST_ID / "kelurahan").rglob(f"{KEL_A}-*.xlsx"))  # in kab/kec folders
    ours = _xlsx_rows(logged_in(client, "kel_a").get("/daftar/unduh/xlsx").content)
    theirs = list(openpyxl.load_workbook(published, read_only=True).active.iter_rows(values_only=True))
    assert [r[1:] for r in ours] == theirs


def test_filtered_csv_for_excel_in_indonesia(client: TestClient, candidates_parquet: Path,
                                             settings: PortalSettings) -> None:
    expected = parquet_rows(candidates_parquet, "kelurahan_code LIKE ? AND track = 'pro_jkk_jkm' AND desil <= 3",
                            [f"{KEC_A}%"])
    expected = [e for e in expected if e["desil"] == 3]
    response = logged_in(client, "kec_a").get("/daftar/unduh/csv?jalur=pro_jkk_jkm&desil=3")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (f'attachment; filename="calon-{KEC_A}-{LATEST_ID}'
                                                       '-filter.csv"')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADERS
    assert len(rows) - 1 == len(expected)
    assert all(re.fullmatch(r"\d{6}\*{10}", r[NIK]) for r in rows[1:])
    assert all(r[HEADERS.index("Desil")] == "3" for r in rows[1:])
    score = HEADERS.index("Skor prioritas")
    assert all(re.fullmatch(r"\d+(,\d+)?", r[score]) for r in rows[1:])
    download = audit_rows(settings, "download")[-1]
    assert download["row_count"] == len(expected)
    assert download["detail"]["filter"] == {"track": "pro_jkk_jkm", "desil": 3}
    assert len(download["detail"]["kelurahan"]) == 9


def test_full_nik_only_for_accounts_that_have_it(client: TestClient, candidates_parquet: Path) -> None:
    expected = sorted(e["nik"] for e in parquet_rows(candidates_parquet, "kelurahan_code = ?", [KEL_A]))
    rows = _xlsx_rows(logged_in(client, "kel_full").get("/daftar/unduh/xlsx").content)
    assert sorted(r[NIK] for r in rows[1:]) == expected


def test_the_publications_own_workbook_is_served_as_published(client: TestClient, settings: PortalSettings) -> None:
    manifest = json.loads((settings.publications / LATEST_ID / "manifest.json").read_text())
    file = next(k for k in manifest["outputs"]
                if k.startswith("kelurahan/") and k.split("/")[-1].startswith(f"{KEL_A}-"))
    name = file.split("/")[-1]  # kelurahan/<kabupaten/kota>/<kecamatan>/<name>
    html = logged_in(client, "kel_a").get("/daftar").text
    assert f'href="/daftar/berkas/{name}"' in html
    assert "/daftar/berkas/" + KEL_B not in html
    response = client.get(f"/daftar/berkas/{name}")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == manifest["outputs"][file]["sha256"]
    assert response.headers["content-disposition"].startswith("attachment;")
    download = audit_rows(settings, "download")[-1]
    assert download["detail"]["file"] == file and download["detail"]["published"] is True
    assert download["row_count"] == manifest["outputs"][file]["rows"]


def test_every_download_is_audited(client: TestClient, settings: PortalSettings) -> None:
    logged_in(client, "kec_a")
    urls = ["/daftar/unduh/xlsx", "/daftar/unduh/csv", f"/daftar/unduh/xlsx?kelurahan={KEL_B}",
            "/daftar/unduh/csv?rt=1", "/daftar/unduh/xlsx"]
    for url in urls:
        assert client.get(url).status_code == 200
    downloads = audit_rows(settings, "download")
    assert len(downloads) == len(urls)
    assert [d["detail"]["format"] for d in downloads] == ["xlsx", "csv", "xlsx", "csv", "xlsx"]
    assert downloads[2]["detail"]["kelurahan"] == [KEL_B]
    assert all(d["actor"] == "kec_a" and d["client_ip"] == "testclient" for d in downloads)


@pytest.mark.parametrize("fmt", ["pdf", "xlsx.exe", "XLSX", "%2E%2E", "csv%2F..%2F..%2Fmanifest.json"])
def test_unknown_formats_are_not_found(client: TestClient, fmt: str, settings: PortalSettings) -> None:
    assert logged_in(client, "kel_a").get(f"/daftar/unduh/{fmt}").status_code == 404
    assert audit_rows(settings, "download") == []


def test_file_names_are_built_from_safe_parts_only(client: TestClient) -> None:
    response = logged_in(client, "kel_a").get("/daftar/unduh/csv", params={"cari": '../../x"; filename=evil.exe'})
    assert response.headers["content-disposition"] == (f'attachment; filename="calon-{KEL_A}-{LATEST_ID}'
                                                       '-filter.csv"')


@pytest.mark.parametrize(("value", "kind", "cell"), [
    ("=HYPERLINK(\"http://x\")", "text", "'=HYPERLINK(\"http://x\")"), ("+62 812", "text", "'+62 812"),
    ("@SUM(A1)", "text", "'@SUM(A1)"), ("-", "text", "'-"), ("JL. MAWAR", "text", "JL. MAWAR"),
    (None, "text", ""), (12.5, "num", "12,5"), (201600, "rp", "201600"),
])
def test_csv_cells_cannot_become_formulas(value: object, kind: str, cell: str) -> None:
    scope = scope_for(User(1, "x", "x", "kelurahan", KEL_A, False, False))
    assert _csv_cell(value, kind, scope, 6) == cell


def test_export_columns_follow_the_officer_workbook() -> None:
    assert [h for h, _, _, _ in EXPORT_COLUMNS] == HEADERS
    assert all(not re.search(r"\b[krc]\.", expr) for _, expr, _, _ in EXPORT_COLUMNS)


def _kabupaten_desa(root: Path) -> str:
    """A desa of Kabupaten Madiun with Pro JKK-JKM-track candidates in `two_region_publication`."""
    return parquet_rows(root / "latest" / "candidates.parquet",
                        "track = 'pro_jkk_jkm' AND kelurahan_code LIKE '3519%' AND substr(kelurahan_code, 7, 1) = '2' "
                        "ORDER BY priority_rank LIMIT 1")[0]["kelurahan_code"]


def test_a_kabupaten_desa_downloads_in_its_own_words(make_client, two_region_publication: Path) -> None:
    code = _kabupaten_desa(two_region_publication)
    client = logged_in(make_client(publications=two_region_publication), "auditor")
    ours = _xlsx_rows(client.get(f"/daftar/unduh/xlsx?kelurahan={code}").content)
    assert ours[0][-1] == "Iuran Pemkab per tahun (Rp)"
    assert f"Calon {KAB_SCHEME} (iuran dibayar Pemkab)" in {r[2] for r in ours[1:]}
    published = next((two_region_publication / "latest" / "kelurahan").rglob(f"{code}-*.xlsx"))
    theirs = list(openpyxl.load_workbook(published, read_only=True).active.iter_rows(values_only=True))
    assert [r[1:] for r in ours] == theirs  # the same words as the pipeline's own workbook
    rows = list(csv.reader(io.StringIO(client.get(f"/daftar/unduh/csv?kelurahan={code}").content.decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[0][-1] == "Iuran Pemkab per tahun (Rp)"
    assert f"Calon {KAB_SCHEME} (iuran dibayar Pemkab)" in {r[2] for r in rows[1:]}
    listed = client.get(f"/daftar?kelurahan={code}").text
    assert f'title="Calon {KAB_SCHEME} (iuran dibayar Pemkab)">{KAB_SCHEME}</td>' in listed
    assert "Pro JKK-JKM" not in listed and "Pemkot" not in listed
    # the whole publication: two kabupaten/kota whose schemes are named differently
    everything = _xlsx_rows(client.get("/daftar/unduh/xlsx").content)
    assert everything[0][-1] == "Iuran Pemda per tahun (Rp)"
    assert "Calon JKK-JKM daerah (iuran dibayar Pemda)" in {r[2] for r in everything[1:]}
