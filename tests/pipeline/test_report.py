"""The summary report renders for a small real publication: the headline numbers in the HTML and the PDF are
the ones the publication's files give (computed here independently), the output is deterministic, and no
personal data gets in."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pypdf
import pytest

from pipeline.config import Config, CostConfig
from pipeline.publish.publish import publish
from pipeline.publish.report import REPORT_HTML, REPORT_PDF, render_report_html, write_report
from tests.conftest import REFERENCE_DATE, REPO, CityEngine

YEARLY = 16_800 * 12


def dots(n: int) -> str:
    """Indonesian thousands (written here, not imported, so the test does not share the code under test)."""
    return f"{n:,}".replace(",", ".")


@pytest.fixture(scope="module")
def folder(city_engine: CityEngine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = Config().resolved(REFERENCE_DATE)
    return publish(city_engine.con, tmp_path_factory.mktemp("published"), publication_id="20260101T000000-uji",
                   manifest={"reference_date": REFERENCE_DATE.isoformat()},
                   extra_files={"config.resolved.json": config.to_dict()}, created=datetime(2026, 1, 1),
                   nik_visible_digits=6).path


@pytest.fixture(scope="module")
def expected(folder: Path) -> dict[str, int]:
    coverage, candidates = (folder / "coverage.parquet").as_posix(), (folder / "candidates.parquet").as_posix()
    with duckdb.connect() as con:
        one = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
        numbers = {
            "residents": one(f"SELECT count(*) FROM '{coverage}'"),
            "covered": one(f"SELECT count(*) FROM '{coverage}' WHERE coverage_status = 'covered'"),
            "lapsed": one(f"SELECT count(*) FROM '{coverage}' WHERE coverage_status = 'lapsed'"),
            "uncovered": one(f"SELECT count(*) FROM '{coverage}' WHERE coverage_status = 'uncovered'"),
            "candidates": one(f"SELECT count(*) FROM '{candidates}'"),
            "pro": one(f"SELECT count(*) FROM '{candidates}' WHERE track = 'pro_jkk_jkm'"),
            "pro_cost": one(f"SELECT sum(yearly_cost_rp) FROM '{candidates}'"),
            "employer": one(f"SELECT count(*) FROM '{candidates}' WHERE track = 'employer_compliance'"),
            "self": one(f"SELECT count(*) FROM '{candidates}' WHERE track = 'self_enrolment'"),
        }
    numbers["covered_by_amount"] = numbers["pro"] // 2
    numbers["amount"] = numbers["covered_by_amount"] * YEARLY + 1_000
    return numbers


@pytest.fixture(scope="module")
def report(folder: Path, expected: dict[str, int]) -> tuple[Path, Path]:
    return write_report(folder, amount_rp=expected["amount"], cost=CostConfig())


def test_html_carries_the_headline_numbers(report: tuple[Path, Path], expected: dict[str, int]) -> None:
    html = report[0].read_text(encoding="utf-8")
    assert report[0].name == REPORT_HTML and report[0].parent == report[1].parent
    assert expected["pro"] > 20 and expected["lapsed"] > 0  # the small city exercises every number
    cards = {label: n for n, label in re.findall(r'<div class="n">([^<]+)</div><div class="l">([^<]+)</div>', html)}
    assert cards["penduduk dalam register DTSEN"] == dots(expected["residents"])
    assert cards["terlindungi: kepesertaan aktif"] == dots(expected["covered"])
    assert cards["kepesertaan non aktif"] == dots(expected["lapsed"])
    assert cards["belum pernah terdaftar (semua usia)"] == dots(expected["uncovered"])
    assert cards["pekerja sasaran belum terlindungi"] == dots(expected["candidates"])
    assert cards["calon Pro JKK-JKM (desil 1-5)"] == dots(expected["pro"])
    assert expected["pro_cost"] == expected["pro"] * YEARLY
    assert f"Rp {dots(expected['pro_cost'])}" in html
    share = 100 * expected["covered"] / (expected["covered"] + expected["candidates"])
    assert cards["cakupan pekerja sasaran"] == f"{share:.1f}%".replace(".", ",")
    covered, remaining = expected["covered_by_amount"], expected["pro"] - expected["covered_by_amount"]
    assert f"<b>{dots(covered)} calon Pro JKK-JKM</b>" in html
    assert f"sisa anggaran Rp {dots(1_000)}" in html
    assert f"<b>{dots(remaining)} calon</b>" in html and f"<b>Rp {dots(remaining * YEARLY)}</b>" in html
    assert f"<b>Rp {dots(expected['amount'])}</b>" in html
    for n in (expected["employer"], expected["self"]):
        assert f'<td class="r">{dots(n)}</td>' in html
    assert "tanggal acuan 1 Januari 2026" in html and "20260101T000000-uji" in html


def test_html_has_three_charts_and_the_kelurahan_table(report: tuple[Path, Path]) -> None:
    html = report[0].read_text(encoding="utf-8")
    assert html.count("<svg") == 3
    for heading in ("Cakupan per desa/kelurahan", "Pekerja sasaran menurut jalur dan desil",
                    "Kurva biaya Pro JKK-JKM dan anggaran APBD"):
        assert f"<h2>{heading}</h2>" in html
    assert html.count("<td>Oro-oro Ombo</td>") == 1 and html.count("<td>Nambangan Kidul</td>") == 1
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # the inline charts do not collide


def personal_data_in(text: str, folder: Path) -> list[str]:
    """What of the residents' identity (as the publication holds it) a text shows: a NIK or KK number
    (whole, or its first 12 digits as an officer list shows it), a masked NIK, or a full name (two words
    or more)."""
    with duckdb.connect() as con:
        people = con.execute("SELECT nik, no_kk, nama FROM read_parquet($p)",
                             {"p": (folder / "coverage.parquet").as_posix()}).fetchall()
        employers = [e for (e,) in con.execute("SELECT employer FROM read_parquet($p) WHERE employer IS NOT NULL",
                                               {"p": (folder / "employers.parquet").as_posix()}).fetchall()]
    assert len(people) > 3000
    flat, found = " ".join(text.split()).casefold(), []
    for employer in sorted(employers, key=len, reverse=True):  # a firm may bear a name ("RS Siti Aisyah")
        flat = flat.replace(" ".join(employer.split()).casefold(), " ")
    numbers = " ".join(re.findall(r"\d{12,}", text))
    for nik, kk, name in people:
        for number in (nik, kk):
            if number and len(number) == 16 and number[:12] in numbers:
                found.append("a NIK or KK number")
        if name and " " in name.strip() and " ".join(name.split()).casefold() in flat:
            found.append("a full name")
    if re.search(r"\d{6,}\*{4,}", text):
        found.append("a masked NIK")
    return sorted(set(found))


def test_no_personal_data_in_the_report(report: tuple[Path, Path], folder: Path) -> None:
    html = report[0].read_text(encoding="utf-8")
    pdf = " ".join(page.extract_text() for page in pypdf.PdfReader(report[1]).pages)
    assert personal_data_in(html, folder) == []
    assert personal_data_in(pdf, folder) == []


def test_pdf_is_a_valid_document_with_the_headline(report: tuple[Path, Path], expected: dict[str, int]) -> None:
    pdf = report[1]
    assert pdf.name == REPORT_PDF and pdf.read_bytes().startswith(b"%PDF-")
    reader = pypdf.PdfReader(pdf)
    assert 1 <= len(reader.pages) <= 6
    text = " ".join(page.extract_text() for page in reader.pages)
    assert dots(expected["residents"]) in text
    assert dots(expected["pro"]) in text
    assert "Cakupan Jaminan Sosial Ketenagakerjaan Kota Madiun" in text
    assert reader.metadata["/CreationDate"].startswith("D:20260101")


def test_same_publication_gives_the_same_bytes(folder: Path, report: tuple[Path, Path], expected: dict[str, int],
                                               tmp_path: Path) -> None:
    again = write_report(folder, amount_rp=expected["amount"], cost=CostConfig(), out_dir=tmp_path)
    assert again[0].read_bytes() == report[0].read_bytes()
    assert again[1].read_bytes() == report[1].read_bytes()
    other = render_report_html(folder, amount_rp=expected["amount"] + YEARLY, cost=CostConfig())
    assert other != report[0].read_text(encoding="utf-8")  # the amount is in it


_WRITE_IN_A_FRESH_PROCESS = """
import sys
from pathlib import Path
import weasyprint.pdf.fonts
if sys.argv[4] == "fonttools":  # the subsetter WeasyPrint falls back to without libharfbuzz-subset
    weasyprint.pdf.fonts.harfbuzz_subset = None
from pipeline.config import CostConfig
from pipeline.publish.report import write_report
write_report(Path(sys.argv[1]), amount_rp=int(sys.argv[2]), cost=CostConfig(), out_dir=Path(sys.argv[3]))
"""


def _pdf_in_a_fresh_process(folder: Path, amount: int, out: Path, subsetter: str) -> bytes:
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    subprocess.run([sys.executable, "-c", _WRITE_IN_A_FRESH_PROCESS, str(folder), str(amount), str(out), subsetter],
                   check=True, cwd=REPO, env=environment)
    return (out / REPORT_PDF).read_bytes()


def test_same_publication_gives_the_same_pdf_in_another_process_later(folder: Path, report: tuple[Path, Path],
                                                                      expected: dict[str, int],
                                                                      tmp_path: Path) -> None:
    assert _pdf_in_a_fresh_process(folder, expected["amount"], tmp_path / "a", "harfbuzz") == report[1].read_bytes()
    # fontTools stamps a font subset with the second it was made unless told otherwise: two renderings
    # more than a second apart still give the same bytes
    first = _pdf_in_a_fresh_process(folder, expected["amount"], tmp_path / "b", "fonttools")
    time.sleep(1.1)
    assert _pdf_in_a_fresh_process(folder, expected["amount"], tmp_path / "c", "fonttools") == first


def test_report_for_a_folder_without_candidates_is_a_clear_error(tmp_path: Path) -> None:
    from pipeline.publish.report import ReportError

    with pytest.raises(ReportError, match="not found"):
        write_report(tmp_path, amount_rp=0, cost=CostConfig())


# --- who pays, and the budget of several kabupaten/kota ------------------------------------------

KAB, KOTA = "3519", "3577"  # Kabupaten Madiun, Kota Madiun
TWO_RATES = {"bpu_monthly_rp": 16_800, "months_per_year": 12, "apbd_budget_rp": 5 * YEARLY,
             "regions": {"35.19": {"bpu_monthly_rp": 20_000, "months_per_year": 6, "apbd_budget_rp": 3 * 120_000 + 7,
                                   "scheme": "Jamsostek Rentan Kabupaten"}}}


def small_publication(folder: Path, regions: list[str], cost: dict) -> Path:
    """coverage.parquet and candidates.parquet of a few people per kabupaten/kota: in each, 2 covered and 8
    Pro JKK-JKM candidates (ranks interleaved across the regions), in its first and last desa/kelurahan."""
    from pipeline.reference import desa_kelurahan_of

    people = []
    for region_index, region in enumerate(regions):
        places = desa_kelurahan_of([region])
        desa = [places[0], places[-1]]
        for i in range(10):
            place = desa[i % 2]
            people.append((f"{region}0101010{region_index}{i:04d}", place, "covered" if i < 2 else "uncovered",
                           "covered" if i < 2 else "pro_jkk_jkm", len(regions) * (i - 2) + region_index + 1))
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("CREATE TABLE p (nik VARCHAR, kelurahan_code VARCHAR, kelurahan VARCHAR, kecamatan VARCHAR, "
                    "coverage_status VARCHAR, track VARCHAR, priority_rank BIGINT)")
        con.executemany("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [[nik, k.code, k.name, k.kecamatan, status, track, rank]
                         for nik, k, status, track, rank in people])
        con.execute(f"COPY (SELECT nik, kelurahan_code, kelurahan, kecamatan, coverage_status, track FROM p "
                    f"ORDER BY nik) TO '{(folder / 'coverage.parquet').as_posix()}' (FORMAT parquet)")
        con.execute(f"""COPY (SELECT nik, track, priority_rank, kelurahan_code, 2 AS desil,
                                     NULL::VARCHAR AS previous_employer, NULL::VARCHAR AS previous_npp
                              FROM p WHERE track = 'pro_jkk_jkm' ORDER BY nik)
                        TO '{(folder / 'candidates.parquet').as_posix()}' (FORMAT parquet)""")
    (folder / "config.resolved.json").write_text(json.dumps({"region": {"codes": regions}, "cost": cost}))
    return folder


@pytest.mark.parametrize(("regions", "who", "scheme", "others"), [
    ([KOTA], "Pemkot", "Pro JKK-JKM", ("Pemkab", "Pemda", "Jamsostek Rentan Kabupaten", "JKK-JKM daerah")),
    ([KAB], "Pemkab", "Jamsostek Rentan Kabupaten", ("Pemkot", "Pemda", "Pro JKK-JKM")),
    (["351901"], "Pemkab", "Jamsostek Rentan Kabupaten", ("Pemkot", "Pemda", "Pro JKK-JKM")),  # a kecamatan of it
    ([KAB, KOTA], "Pemda", "JKK-JKM daerah", ("Pemkot", "Pemkab")),  # two schemes named differently
])
def test_who_pays_follows_the_region(tmp_path: Path, regions: list[str], who: str, scheme: str,
                                     others: tuple[str, ...]) -> None:
    from pipeline.published.budget import publication_cost

    folder = small_publication(tmp_path / "pub", regions, TWO_RATES)
    html = render_report_html(folder, cost=publication_cost(folder), publication_id="p")
    assert f"berapa biayanya bagi {who}</p>" in html
    assert f"{who} dapat menanggung" in html and re.search(rf"<b>\d+ calon {scheme}</b>", html)
    assert f'<th class="r">Iuran {who} per tahun</th>' in html
    assert f"Calon {scheme} (iuran dibayar {who})" in html and f"Iuran JKK + JKM dibayar {who} (APBD" in html
    assert f"batas {scheme}: desil 1-5" in html and f"<h2>Kurva biaya {scheme} dan anggaran APBD</h2>" in html
    for other in others:  # the charts too: their text is in the page
        assert other not in html
    assert ("<h2>Skenario anggaran per kabupaten/kota</h2>" in html) == (who == "Pemda")


def test_regions_sharing_a_scheme_name_keep_it(tmp_path: Path) -> None:
    from pipeline.published.budget import publication_cost

    same = {**TWO_RATES, "regions": {"35.19": {**TWO_RATES["regions"]["35.19"], "scheme": "Pro JKK-JKM"}}}
    folder = small_publication(tmp_path / "pub", [KAB, KOTA], same)
    html = render_report_html(folder, cost=publication_cost(folder), publication_id="p")
    assert "Calon Pro JKK-JKM (iuran dibayar Pemda)" in html and "JKK-JKM daerah" not in html


def test_the_budget_page_has_a_row_per_kabupaten_kota(tmp_path: Path) -> None:
    from pipeline.published.budget import publication_cost

    folder = small_publication(tmp_path / "pub", [KAB, KOTA], TWO_RATES)
    html = render_report_html(folder, cost=publication_cost(folder), publication_id="p")
    table = html.split("<h2>Skenario anggaran per kabupaten/kota</h2>", 1)[1].split("</table>", 1)[0]
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in table.split("<tr")[2:]]
    # Kabupaten Madiun: Rp 120.000 a year, Rp 360.007 covers 3 of its 8; Kota Madiun: Rp 201.600, 5 x covers 5
    assert cells == [
        ["Kabupaten Madiun (35.19)", "Jamsostek Rentan Kabupaten", "Rp 20.000", "Rp 360.007", "8", "3", "Rp 360.000",
         "Rp 7", "5", "Rp 600.000"],
        ["Kota Madiun (35.77)", "Pro JKK-JKM", "Rp 16.800", f"Rp {dots(5 * YEARLY)}", "8", "5",
         f"Rp {dots(5 * YEARLY)}", "Rp 0", "3", f"Rp {dots(3 * YEARLY)}"],
        ["Jumlah", "", "", f"Rp {dots(360_007 + 5 * YEARLY)}", "16", "8", f"Rp {dots(360_000 + 5 * YEARLY)}", "Rp 7",
         "8", f"Rp {dots(600_000 + 3 * YEARLY)}"],
    ]
    assert "Pemda dapat menanggung <b>8 calon JKK-JKM daerah</b>" in html  # the two schemes' names differ
    assert "per orang menurut tarif masing-masing kabupaten/kota" in html
    assert html.count("<svg") == 3  # the cost chart: one curve per kabupaten/kota
    # the desa/kelurahan table: covered and CSR cost from each one's own kabupaten/kota (candidates alternate
    # between its first and last desa/kelurahan, the first taking ranks 1, 3, 5 of the region)
    areas = html.split('<table class="section fixed">', 1)[1].split("</table>", 1)[0]
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in areas.split("<tr")[2:]]
    assert [(r[0], r[7], r[8], r[9], r[10]) for r in rows] == [
        ("Tambakmas", "4", "2", "2", "Rp 240.000"), ("Buduran", "4", "1", "3", "Rp 360.000"),
        ("Oro-oro Ombo", "4", "3", "1", f"Rp {dots(YEARLY)}"), ("Taman", "4", "2", "2", f"Rp {dots(2 * YEARLY)}"),
        ("Kabupaten Madiun dan Kota Madiun", "16", "8", "8", f"Rp {dots(600_000 + 3 * YEARLY)}")]
    # an amount given is tried for each kabupaten/kota
    each = render_report_html(folder, cost=publication_cost(folder), amount_rp=2 * YEARLY, publication_id="p")
    assert f"<b>Rp {dots(2 * YEARLY)}</b> per tahun untuk masing-masing dari 2 kabupaten/kota" in each
    assert "Pemda dapat menanggung <b>5 calon JKK-JKM daerah</b>" in each  # 3 at Rp 120.000 + 2 at Rp 201.600
    assert render_report_html(folder, cost=publication_cost(folder), publication_id="p") == html
