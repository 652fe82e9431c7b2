"""Kerja lapangan in the portal: officers answer within their own area only, every answer is validated,
recorded with who, when and the publication it was made on, chained, and superseded (never edited)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from pipeline.ingest.answers import load_answers
from pipeline.warehouse import connect as connect_warehouse
from portal.answers import verify_answer_chain
from portal.db import connect, stored_secret
from portal.routes.answers import person_ref
from portal.settings import PortalSettings
from tests.conftest import KAB_SCHEME
from tests.portal.conftest import FIRST_ID, KEL_A, LATEST_ID, audit_rows, csrf_from, logged_in, masked, parquet_rows


@pytest.fixture(scope="module")
def review_person(publication_root) -> dict:  # noqa: ANN001
    """A candidate of Oro-oro Ombo (kel_a's area) with a pair marked 'perlu verifikasi'."""
    rows = parquet_rows(publication_root / LATEST_ID / "candidates.parquet",
                        "kelurahan_code = ? AND verify_kpj IS NOT NULL ORDER BY nik", [KEL_A])
    assert rows, "the small city has no pair to verify in Oro-oro Ombo"
    return rows[0]


@pytest.fixture(scope="module")
def plain_person(publication_root) -> dict:  # noqa: ANN001
    return parquet_rows(publication_root / LATEST_ID / "candidates.parquet",
                        "kelurahan_code = ? AND verify_kpj IS NULL ORDER BY nik LIMIT 1", [KEL_A])[0]


def _ref(settings: PortalSettings, nik: str) -> str:
    con = connect(settings.database)
    try:
        return person_ref(settings.secret or stored_secret(con), nik)
    finally:
        con.close()


def _answers(settings: PortalSettings) -> list[dict]:
    con = connect(settings.database)
    try:
        return [dict(r) for r in con.execute("SELECT * FROM field_answers ORDER BY id")]
    finally:
        con.close()


def _post(client: TestClient, path: str, data: dict, page: str | None = None):  # noqa: ANN202
    token = csrf_from(client.get(page or path.rsplit("/", 1)[0]).text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def test_officer_settles_a_pair_shown_side_by_side_and_masked(client: TestClient, settings: PortalSettings,
                                                              review_person: dict) -> None:
    logged_in(client, "kel_a")
    listing = client.get("/lapangan")
    ref = _ref(settings, review_person["nik"])
    assert listing.status_code == 200 and f"/lapangan/orang/{ref}" in listing.text
    assert review_person["nik"] not in listing.text and masked(review_person["nik"]) in listing.text
    page = client.get(f"/lapangan/orang/{ref}")
    kpj = review_person["verify_kpj"].split(",")[0].strip()
    assert page.status_code == 200 and f"KPJ {kpj}" in page.text
    assert not re.search(r"\d{16}", page.text)  # no full NIK, neither the resident's nor the member's
    response = _post(client, f"/lapangan/orang/{ref}/pasangan", {"kpj": kpj, "jawaban": "same"},
                     page=f"/lapangan/orang/{ref}")
    assert response.status_code == 303
    [answer] = _answers(settings)
    assert (answer["actor"], answer["role"], answer["publication_id"], answer["kind"], answer["kpj"],
            answer["answer"], answer["resident_nik"], answer["supersedes"]) == (
        "kel_a", "kelurahan", LATEST_ID, "pair", kpj, "same", review_person["nik"], None)
    assert "Jawaban tersimpan" in client.get(response.headers["location"]).text
    views = audit_rows(settings, "view_list")  # the field-work list and the person's page are audited, NIK masked
    assert [v["actor"] for v in views] == ["kel_a"] * 4 and views[1]["detail"]["nik"] == masked(review_person["nik"])
    assert not any(review_person["nik"] in str(v["detail"]) for v in views)


def test_a_later_answer_supersedes_and_the_history_keeps_both(client: TestClient, settings: PortalSettings,
                                                              review_person: dict) -> None:
    logged_in(client, "kel_a")
    ref = _ref(settings, review_person["nik"])
    kpj = review_person["verify_kpj"].split(",")[0].strip()
    for value in ("same", "different"):
        assert _post(client, f"/lapangan/orang/{ref}/pasangan", {"kpj": kpj, "jawaban": value},
                     page=f"/lapangan/orang/{ref}").status_code == 303
    first, second = _answers(settings)
    assert (first["answer"], second["answer"], second["supersedes"]) == ("same", "different", first["id"])
    page = client.get(f"/lapangan/orang/{ref}").text
    assert page.count("digantikan") == 1 and page.count("berlaku") == 1
    assert verify_answer_chain(connect(settings.database)).ok


def test_outcome_validates_the_kpj_and_masks_a_nik_in_the_note(client: TestClient, settings: PortalSettings,
                                                               plain_person: dict) -> None:
    logged_in(client, "kel_a")
    ref = _ref(settings, plain_person["nik"])
    page = f"/lapangan/orang/{ref}"
    bad = _post(client, f"{page}/hasil", {"hasil": "enrolled", "tanggal": "2025-12-20", "kpj_baru": "1234"}, page)
    assert bad.status_code == 400 and "11 angka" in bad.text and _answers(settings) == []
    future = _post(client, f"{page}/hasil", {"hasil": "refused", "tanggal": "2999-01-01"}, page)
    assert future.status_code == 400 and _answers(settings) == []
    note = f"sudah daftar, NIK {plain_person['nik']} di kartu"
    good = _post(client, f"{page}/hasil", {"hasil": "enrolled", "tanggal": "2025-12-20", "kpj_baru": "9900-0000-001",
                                           "catatan": note}, page)
    assert good.status_code == 303
    [answer] = _answers(settings)
    assert (answer["answer"], answer["new_kpj"], answer["outcome_date"]) == ("enrolled", "99000000001", "2025-12-20")
    assert plain_person["nik"] not in answer["note"] and masked(plain_person["nik"]) in answer["note"]
    assert plain_person["nik"] not in client.get(page).text


def test_an_officer_of_another_area_can_neither_see_nor_answer(client: TestClient, settings: PortalSettings,
                                                               review_person: dict) -> None:
    ref = _ref(settings, review_person["nik"])
    kpj = review_person["verify_kpj"].split(",")[0].strip()
    for username in ("kel_b", "kec_c"):
        logged_in(client, username)
        assert ref not in client.get("/lapangan").text
        assert client.get(f"/lapangan/orang/{ref}").status_code == 404
        token = csrf_from(client.get("/lapangan").text)
        for path, data in ((f"/lapangan/orang/{ref}/pasangan", {"kpj": kpj, "jawaban": "different"}),
                           (f"/lapangan/orang/{ref}/hasil", {"hasil": "moved", "tanggal": "2025-12-20"})):
            assert client.post(path, data={"csrf_token": token, **data}).status_code == 404
    logged_in(client, "kec_a")  # the kecamatan officer of that kelurahan may
    assert client.get(f"/lapangan/orang/{ref}").status_code == 200
    logged_in(client, "auditor")  # reads, never answers
    token = csrf_from(client.get(f"/lapangan/orang/{ref}").text)
    assert client.post(f"/lapangan/orang/{ref}/hasil", data={"csrf_token": token, "hasil": "moved",
                                                             "tanggal": "2025-12-20"}).status_code == 403
    logged_in(client, "kel_a")
    assert client.post(f"/lapangan/orang/{ref}/hasil", data={"hasil": "moved", "tanggal": "2025-12-20"}
                       ).status_code == 403  # no CSRF token
    assert client.post(f"/lapangan/orang/{ref}/pasangan", data={
        "csrf_token": csrf_from(client.get("/lapangan").text), "kpj": "00000000000", "jawaban": "same"}
    ).status_code == 404  # only a pair the publication marked
    assert _answers(settings) == []


def test_an_answer_made_on_an_old_publication_records_it_and_applies(client: TestClient, settings: PortalSettings,
                                                                     plain_person: dict) -> None:
    logged_in(client, "kel_a")
    ref = _ref(settings, plain_person["nik"])
    page = f"/lapangan/orang/{ref}?publikasi={FIRST_ID}"  # a page opened before the latest run
    assert FIRST_ID in client.get(page).text
    response = _post(client, f"/lapangan/orang/{ref}/hasil", {"hasil": "moved", "tanggal": "2025-12-20",
                                                              "publikasi": FIRST_ID}, page)
    assert response.status_code == 303 and f"publikasi={FIRST_ID}" in response.headers["location"]
    assert _post(client, f"/lapangan/orang/{ref}/hasil", {"hasil": "moved", "tanggal": "2025-12-20",
                                                          "publikasi": "20990101T000000-gone0000"},
                 page).status_code == 404  # a publication that is not (or no longer) there
    [answer] = _answers(settings)
    assert answer["publication_id"] == FIRST_ID
    with connect_warehouse() as con:  # the pipeline reads it like any other answer
        con.execute("CREATE TABLE residents AS SELECT ? AS nik", [plain_person["nik"]])
        snapshot = load_answers(con, settings.database)
        assert (snapshot.outcomes, snapshot.unmatched) == (1, 0)
        assert con.execute("SELECT outcome, publication_id FROM field_outcomes").fetchall() == [("moved", FIRST_ID)]


def test_field_pages_name_a_kabupaten_track_in_its_own_words(make_client, settings: PortalSettings,  # noqa: ANN001
                                                             two_region_publication) -> None:  # noqa: ANN001
    person = parquet_rows(two_region_publication / "latest" / "candidates.parquet",
                          "track = 'pro_jkk_jkm' AND kelurahan_code LIKE '3519%' ORDER BY priority_rank LIMIT 1")[0]
    client = logged_in(make_client(publications=two_region_publication), "auditor")
    label = f"Calon {KAB_SCHEME} (iuran dibayar Pemkab)"
    listing = client.get(f"/lapangan?kelurahan={person['kelurahan_code']}").text
    assert label in listing and "Pemkot" not in listing and "Pro JKK-JKM" not in listing
    page = client.get(f"/lapangan/orang/{_ref(settings, person['nik'])}")
    assert page.status_code == 200 and person["nama"] in page.text
    assert label in page.text and "Pemkot" not in page.text and "Pro JKK-JKM" not in page.text
