"""routes/audit.py and the audit log: append-only rows in a hash chain, the auditor's log page,
the publication history with manifests and checks, and the explanation of one person."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from portal import audit
from portal.app import ROUTERS
from portal.db import connect, init_db, stored_secret
from portal.security import nik_digest
from portal.settings import PortalSettings
from tests.conftest import KAB_SCHEME, TWO_REGION_ID
from tests.portal.conftest import FIRST_ID, KEL_A, LATEST_ID, audit_rows, csrf_from, logged_in, masked, parquet_rows


@pytest.fixture
def log_db(tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "audit.sqlite"
    init_db(path)
    con = connect(path)
    for n in range(5):
        audit.record(con, actor=f"user{n}", role="kelurahan", action="download", publication_id="p",
                     detail={"format": "xlsx", "n": n}, row_count=n, client_ip="127.0.0.1")
    yield con
    con.close()


def test_rows_chain_from_genesis(log_db: sqlite3.Connection) -> None:
    rows = log_db.execute("SELECT prev_hash, row_hash FROM audit_log ORDER BY id").fetchall()
    assert rows[0]["prev_hash"] == audit.GENESIS
    assert all(rows[i]["prev_hash"] == rows[i - 1]["row_hash"] for i in range(1, len(rows)))
    check = audit.verify_chain(log_db)
    assert check == audit.ChainCheck(True, 5, rows[-1]["row_hash"])


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET row_count = 999 WHERE id = 2",
                                 "DELETE FROM audit_log WHERE id = 2", "DELETE FROM audit_log"])
def test_the_database_refuses_to_change_or_delete_audit_rows(log_db: sqlite3.Connection, sql: str) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        log_db.execute(sql)
    assert audit.verify_chain(log_db).ok


def _without_triggers(con: sqlite3.Connection) -> None:
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("DROP TRIGGER audit_log_no_delete")


@pytest.mark.parametrize(("tamper", "first_bad"), [
    ("UPDATE audit_log SET row_count = 999 WHERE id = 3", 3),
    ("UPDATE audit_log SET actor = 'someone_else' WHERE id = 2", 2),
    ("UPDATE audit_log SET detail = '{}' WHERE id = 4", 4),
    ("DELETE FROM audit_log WHERE id = 2", 3),
    ("UPDATE audit_log SET at_utc = '2020-01-01T00:00:00+00:00' WHERE id = 1", 1),
])
def test_tampering_outside_the_application_breaks_the_chain(log_db: sqlite3.Connection, tamper: str,
                                                            first_bad: int) -> None:
    _without_triggers(log_db)
    log_db.execute(tamper)
    check = audit.verify_chain(log_db)
    assert not check.ok and check.first_bad_id == first_bad


def test_a_rewritten_row_with_a_recomputed_hash_still_breaks_the_next_link(log_db: sqlite3.Connection) -> None:
    _without_triggers(log_db)
    row = log_db.execute("SELECT * FROM audit_log WHERE id = 2").fetchone()
    fields = (row["at_utc"], "someone_else", row["role"], row["action"], row["publication_id"], row["detail"],
              row["row_count"], row["client_ip"])
    log_db.execute("UPDATE audit_log SET actor = ?, row_hash = ? WHERE id = 2",
                   ("someone_else", audit._digest(row["prev_hash"], fields)))
    assert audit.verify_chain(log_db).first_bad_id == 3


def test_no_route_can_change_the_log() -> None:
    for router in ROUTERS:
        for route in router.routes:
            if route.path.startswith(("/audit", "/riwayat")):
                assert route.methods == {"GET"}, route.path


def test_unknown_actions_are_refused(log_db: sqlite3.Connection) -> None:
    with pytest.raises(ValueError):
        audit.record(log_db, actor="x", action="delete_everything")


def test_times_are_utc_and_shown_in_jakarta(log_db: sqlite3.Connection) -> None:
    audit.record(log_db, actor="x", action="login", at=datetime(2026, 1, 1, 17, 30, tzinfo=UTC))
    entry = audit.entries(log_db, limit=1)[0]
    assert entry.at_utc.startswith("2026-01-01T17:30:00")
    assert entry.at_jakarta == "2026-01-02 00:30:00 WIB"


def test_the_auditor_page_shows_the_log_and_the_chain(client: TestClient, settings: PortalSettings) -> None:
    logged_in(client, "kel_a").get("/daftar/unduh/xlsx?jalur=pro_jkk_jkm")
    client.cookies.clear()
    page = logged_in(client, "auditor").get("/audit")
    assert page.status_code == 200
    assert "Rantai hash utuh" in page.text and "Unduh" in page.text and "kel_a" in page.text
    assert "jalur pro_jkk_jkm" in page.text and "Petugas kelurahan" in page.text
    only_downloads = client.get("/audit?aksi=download").text
    assert only_downloads.count("<td>Unduh</td>") == 1 and "<td>Masuk</td>" not in only_downloads
    assert "<td>Unduh</td>" not in client.get("/audit?pengguna=auditor").text


def test_the_auditor_page_reports_a_broken_chain(client: TestClient, settings: PortalSettings) -> None:
    logged_in(client, "kel_a")
    con = connect(settings.database)
    _without_triggers(con)
    con.execute("UPDATE audit_log SET actor = 'orang_lain' WHERE id = 1")
    con.close()
    client.cookies.clear()
    page = logged_in(client, "auditor").get("/audit")
    assert "Rantai hash RUSAK mulai catatan #1" in page.text


def test_publication_history_lists_every_publication_with_checks(client: TestClient) -> None:
    page = logged_in(client, "auditor").get("/riwayat")
    assert page.status_code == 200
    assert page.text.index(LATEST_ID) < page.text.index(FIRST_ID)
    assert "terbaru" in page.text and "1 peringatan" in page.text and "1 lulus" in page.text


def test_a_publication_shows_its_manifest_and_check_results(client: TestClient, settings: PortalSettings) -> None:
    page = logged_in(client, "auditor").get(f"/riwayat/{LATEST_ID}")
    assert page.status_code == 200
    for text in ("Hasil pemeriksaan", "reject_share", "uncovered_change", "peringatan", "Berkas masukan",
                 "dtsen_kota_madiun.csv", "Berkas keluaran", "candidates.parquet", "seimbang"):
        assert text in page.text
    assert logged_in(client, "auditor").get(f"/riwayat/{FIRST_ID}").status_code == 200


def test_explaining_a_person_is_audited_without_the_nik(client: TestClient, settings: PortalSettings,
                                                        candidates_parquet: Path) -> None:
    person = parquet_rows(candidates_parquet, "previous_kpj IS NOT NULL LIMIT 1")[0]
    token = csrf_from(logged_in(client, "auditor").get("/penjelasan").text)
    page = client.post("/penjelasan", data={"nik": person["nik"], "csrf_token": token})
    assert page.status_code == 200
    assert person["nama"] in page.text and "Keanggotaan yang dibandingkan" in page.text and "Prioritas" in page.text
    # on the list: its ranks are shown, and not the line for someone who is not on it
    assert (f"Peringkat {_number(person['priority_rank'])} di kota, {_number(person['kelurahan_rank'])} "
            "di kelurahan") in page.text
    assert "Tidak ada di daftar calon" not in page.text
    row = audit_rows(settings, "explain")[-1]
    assert row["detail"]["nik"] == person["nik"][:6] + "**********" and row["detail"]["found"] is True
    con = connect(settings.database)
    assert row["detail"]["nik_hmac"] == nik_digest(stored_secret(con), person["nik"])
    dump = "\n".join(con.iterdump())
    con.close()
    assert person["nik"] not in dump


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def test_explaining_someone_not_on_the_list_says_so(client: TestClient, candidates_parquet: Path) -> None:
    with duckdb.connect() as con:
        nik = con.execute("SELECT nik FROM read_parquet(?) WHERE nik NOT IN (SELECT nik FROM read_parquet(?)) "
                          "ORDER BY nik LIMIT 1", [str(candidates_parquet.parent / "coverage.parquet"),
                                                   str(candidates_parquet)]).fetchall()[0][0]
    token = csrf_from(logged_in(client, "auditor").get("/penjelasan").text)
    page = client.post("/penjelasan", data={"nik": nik, "csrf_token": token})
    assert page.status_code == 200
    assert "Tidak ada di daftar calon." in page.text and "Prioritas" not in page.text and "Peringkat" not in page.text


def test_the_explanation_masks_the_niks_of_compared_memberships(client: TestClient,
                                                                candidates_parquet: Path) -> None:
    person = parquet_rows(candidates_parquet, "previous_kpj IS NOT NULL LIMIT 1")[0]
    pairs = parquet_rows(candidates_parquet.parent / "pairs.parquet", "resident_nik = ? AND member_nik IS NOT NULL",
                         [person["nik"]])
    assert pairs
    token = csrf_from(logged_in(client, "auditor").get("/penjelasan").text)
    page = client.post("/penjelasan", data={"nik": person["nik"], "csrf_token": token}).text
    body = page.split("Keanggotaan yang dibandingkan")[1]
    for pair in pairs:
        assert pair["member_nik"] not in body and masked(pair["member_nik"]) in body


@pytest.mark.parametrize(("nik", "status", "message"), [
    ("12345", 400, "NIK terdiri dari 16 angka."), ("9999999999999999", 404, "tidak ada di antara penduduk"),
])
def test_explain_answers_wrong_and_unknown_niks_plainly(client: TestClient, settings: PortalSettings, nik: str,
                                                        status: int, message: str) -> None:
    token = csrf_from(logged_in(client, "auditor").get("/penjelasan").text)
    page = client.post("/penjelasan", data={"nik": nik, "csrf_token": token})
    assert page.status_code == status and message in page.text
    found = [r["detail"]["found"] for r in audit_rows(settings, "explain")]
    assert found == ([False] if status == 404 else [])


def test_explain_is_for_auditors(client: TestClient) -> None:
    logged_in(client, "kec_a")
    assert client.get("/penjelasan").status_code == 403
    token = csrf_from(client.get("/daftar").text)
    assert client.post("/penjelasan", data={"nik": "3577011234567890", "csrf_token": token}).status_code == 403


def test_auditors_see_the_whole_city_masked(client: TestClient, candidates_parquet: Path) -> None:
    page = logged_in(client, "auditor").get("/daftar").text
    assert f"<strong>{len(parquet_rows(candidates_parquet)):,}</strong>".replace(",", ".") in page
    assert logged_in(client, "auditor").get(f"/daftar?kelurahan={KEL_A}").status_code == 200


def _kabupaten_candidate(root: Path) -> dict:
    """The best-ranked Pro JKK-JKM-track candidate of a desa of Kabupaten Madiun in `two_region_publication`."""
    return parquet_rows(root / "latest" / "candidates.parquet",
                        "track = 'pro_jkk_jkm' AND kelurahan_code LIKE '3519%' AND substr(kelurahan_code, 7, 1) = '2' "
                        "ORDER BY priority_rank LIMIT 1")[0]


def test_explaining_a_kabupaten_resident_uses_its_own_words(make_client, two_region_publication: Path) -> None:
    person = _kabupaten_candidate(two_region_publication)
    client = logged_in(make_client(publications=two_region_publication), "auditor")
    token = csrf_from(client.get("/penjelasan").text)
    page = client.post("/penjelasan", data={"nik": person["nik"], "csrf_token": token})
    assert page.status_code == 200
    text = page.text
    assert f"<strong>Calon {KAB_SCHEME} (iuran dibayar Pemkab)</strong>" in text
    assert "Warga Kabupaten Madiun dan Kota Madiun: ya" in text and f"desil memenuhi {KAB_SCHEME}: ya" in text
    assert (f"Peringkat {_number(person['priority_rank'])} di seluruh wilayah publikasi, "
            f"{_number(person['kelurahan_rank'])} di desa; iuran Pemkab Rp 240.000 per tahun.") in text
    assert "Pemkot" not in text and "Pro JKK-JKM" not in text


def test_explaining_a_kota_madiun_resident_keeps_its_words(client: TestClient, candidates_parquet: Path) -> None:
    person = parquet_rows(candidates_parquet, "track = 'pro_jkk_jkm' ORDER BY priority_rank LIMIT 1")[0]
    token = csrf_from(logged_in(client, "auditor").get("/penjelasan").text)
    text = client.post("/penjelasan", data={"nik": person["nik"], "csrf_token": token}).text
    assert "<strong>Calon Pro JKK-JKM (iuran dibayar Pemkot)</strong>" in text
    assert "Warga Kota Madiun: ya" in text and "desil memenuhi Pro JKK-JKM: ya" in text
    assert f"di kelurahan; iuran Pemkot Rp {_number(person['yearly_cost_rp'])} per tahun." in text
    assert "Pemkab" not in text and "Pemda" not in text


def test_the_publication_page_names_the_tracks_in_the_regions_words(make_client, two_region_publication: Path,
                                                                     client: TestClient) -> None:
    two = logged_in(make_client(publications=two_region_publication), "auditor").get(f"/riwayat/{TWO_REGION_ID}")
    assert two.status_code == 200
    assert "<dt>Calon JKK-JKM daerah (iuran dibayar Pemda)</dt>" in two.text  # two schemes named differently
    assert "<dt>Biaya JKK-JKM daerah per tahun</dt>" in two.text
    madiun = logged_in(client, "auditor").get(f"/riwayat/{LATEST_ID}").text
    assert "<dt>Calon Pro JKK-JKM (iuran dibayar Pemkot)</dt>" in madiun
    assert "<dt>Biaya Pro JKK-JKM per tahun</dt>" in madiun
