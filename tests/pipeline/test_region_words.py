"""Each kabupaten/kota's own words: the scheme named in its [cost] row and who pays ("Pemkot", "Pemkab",
"Pemda"), in the officer workbooks, `ucj explain` and the track reasons, while Kota Madiun keeps
"Pro JKK-JKM" and "Pemkot" (its outputs byte for byte: tests/pipeline/test_publish.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from cli.main import main
from pipeline.config import config_from_dict
from pipeline.decisions.tracks import SEVERAL_SCHEMES, TRACK_SHORT, TRACKS, TrackWording, track_wording
from pipeline.publish.workbooks import OFFICER_COLUMNS
from tests.conftest import KAB_SCHEME

KAB_LABEL = f"Calon {KAB_SCHEME} (iuran dibayar Pemkab)"
KOTA_LABEL = "Calon Pro JKK-JKM (iuran dibayar Pemkot)"


def _candidate(root: Path, where: str) -> dict:
    """The best-ranked Pro JKK-JKM-track candidate matching `where` (over candidates.parquet)."""
    with duckdb.connect() as con:
        result = con.execute(f"SELECT * FROM read_parquet(?) WHERE track = 'pro_jkk_jkm' AND {where} "
                             "ORDER BY priority_rank LIMIT 1", [str(root / "latest" / "candidates.parquet")])
        names = [d[0] for d in result.description]
        return dict(zip(names, result.fetchall()[0], strict=True))


def _workbook(root: Path, code: str) -> tuple[list[tuple], str]:
    """The published workbook of one desa/kelurahan: its rows (header first) and its author."""
    [path] = (root / "latest" / "kelurahan").rglob(f"{code}-*.xlsx")
    book = openpyxl.load_workbook(path)
    return list(book.active.iter_rows(values_only=True)), book.properties.creator


def _cells(rows: list[tuple]) -> str:
    return "\n".join(str(v) for row in rows for v in row if v is not None)


def test_a_kabupaten_desa_workbook_names_its_scheme_and_pemkab(two_region_publication: Path) -> None:
    person = _candidate(two_region_publication, "kelurahan_code LIKE '3519%' AND substr(kelurahan_code, 7, 1) = '2'")
    rows, author = _workbook(two_region_publication, person["kelurahan_code"])
    header = rows[0]
    assert header[-1] == "Iuran Pemkab per tahun (Rp)"
    mine = [r for r in rows[1:] if r[header.index("NIK")] == person["nik"][:6] + "*" * 10
            and r[header.index("Peringkat di desa/kelurahan")] == person["kelurahan_rank"]]
    assert [r[header.index("Jalur")] for r in mine] == [KAB_LABEL]
    assert mine[0][-1] == 240_000  # its own rate: Rp 20.000 x 12
    assert author == "UCJ Kabupaten Madiun"
    text = _cells(rows)
    assert "Pemkot" not in text and "Pro JKK-JKM" not in text


def test_a_kota_madiun_workbook_of_the_same_publication_keeps_its_words(two_region_publication: Path) -> None:
    person = _candidate(two_region_publication, "kelurahan_code LIKE '3577%'")
    rows, author = _workbook(two_region_publication, person["kelurahan_code"])
    assert rows[0] == tuple(h for h, _, _, _ in OFFICER_COLUMNS) and rows[0][-1] == "Iuran Pemkot per tahun (Rp)"
    assert KOTA_LABEL in {r[1] for r in rows[1:]}
    assert author == "UCJ Kota Madiun"
    text = _cells(rows)
    assert KAB_SCHEME not in text and "Pemkab" not in text


def test_explaining_a_kabupaten_resident_names_its_scheme_and_pemkab(two_region_publication: Path) -> None:
    person = _candidate(two_region_publication, "kelurahan_code LIKE '3519%' AND substr(kelurahan_code, 7, 1) = '2'")
    result = CliRunner().invoke(main, ["explain", person["nik"], "--publication", str(two_region_publication)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Jalur: {KAB_SCHEME} — " in out
    assert f"desil [ya]: desil {person['desil']} ({KAB_SCHEME}: desil 1-5)" in out
    assert (f"peringkat {person['priority_rank']} di seluruh wilayah publikasi, {person['kelurahan_rank']} di desa "
            "(jalur pro_jkk_jkm); iuran Pemkab Rp 240.000/tahun") in out
    assert "Pemkot" not in out and "Pro JKK-JKM" not in out


def test_explaining_a_kota_madiun_resident_of_the_same_publication_keeps_its_words(
        two_region_publication: Path) -> None:
    person = _candidate(two_region_publication, "kelurahan_code LIKE '3577%'")
    result = CliRunner().invoke(main, ["explain", person["nik"], "--publication", str(two_region_publication)])
    assert result.exit_code == 0, result.output
    assert "Jalur: Pro JKK-JKM — " in result.output and "(Pro JKK-JKM: desil 1-5)" in result.output
    assert (f"{person['kelurahan_rank']} di kelurahan (jalur pro_jkk_jkm); iuran Pemkot Rp 201.600/tahun"
            in result.output)
    assert KAB_SCHEME not in result.output and "Pemkab" not in result.output


def test_track_reasons_name_the_residents_own_scheme(two_region_publication: Path) -> None:
    with duckdb.connect() as con:
        rows = con.execute("""
            SELECT substr(kelurahan_code, 1, 4) AS region, bool_and(contains(desil_reason, ?)),
                bool_or(contains(desil_reason || track_reason, 'Pro JKK-JKM'))
            FROM read_parquet(?) WHERE is_resident AND desil IS NOT NULL GROUP BY 1 ORDER BY 1""",
                           [KAB_SCHEME, str(two_region_publication / "latest" / "coverage.parquet")]).fetchall()
    assert rows == [("3519", True, False), ("3577", False, True)]


COST = config_from_dict({"cost": {"regions": {"35.19": {"scheme": KAB_SCHEME}}}}).cost


@pytest.mark.parametrize(("codes", "scheme", "government"), [
    (["35.77"], "Pro JKK-JKM", "Pemkot"),
    (["3577011001"], "Pro JKK-JKM", "Pemkot"),
    (["35.19"], KAB_SCHEME, "Pemkab"),
    (["3519112009", "351901"], KAB_SCHEME, "Pemkab"),  # a desa and a kecamatan of one kabupaten
    (["3519", "3577"], SEVERAL_SCHEMES, "Pemda"),  # two schemes named differently
    (["3577", "3578"], "Pro JKK-JKM", "Pemda"),  # two kota of the default scheme
    (["35"], SEVERAL_SCHEMES, "Pemda"),
])
def test_wording_follows_the_regions_cost_rows(codes: list[str], scheme: str, government: str) -> None:
    wording = track_wording(COST, codes)
    assert (wording.scheme, wording.government) == (scheme, government)
    assert wording.labels["pro_jkk_jkm"] == f"Calon {scheme} (iuran dibayar {government})"
    assert wording.short["pro_jkk_jkm"] == scheme


def test_the_default_wording_is_kota_madiuns() -> None:
    assert TrackWording() == track_wording(config_from_dict({}).cost, ["35.77"])
    assert TRACKS["pro_jkk_jkm"] == KOTA_LABEL and TRACK_SHORT["pro_jkk_jkm"] == "Pro JKK-JKM"
    assert OFFICER_COLUMNS[-1][0] == "Iuran Pemkot per tahun (Rp)"
