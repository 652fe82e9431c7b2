"""The bundled Kemendagri reference (every region of Indonesia) and resident counts, Kota Madiun as a
view of it, and the generator's sizes for a region and a province (computed, not written), with a
population written in parts whose NIK, No. KK and KPJ numbers never collide."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import pipeline.reference as reference
from pipeline.errors import ConfigError
from pipeline.reference import (
    KECAMATAN,
    KELURAHAN,
    desa_kelurahan_of,
    kabupaten_codes,
    load_wilayah,
    region_code,
    region_codes,
    region_title,
    region_view,
    wilayah,
)
from pipeline.reference.population import region_population
from pipeline.synthetic import generate_regions, plan_regions

PACKAGE = Path(reference.__file__).parent


def test_the_reference_holds_every_region_of_the_2025_decree() -> None:
    levels = Counter(r.level for r in wilayah().values())
    assert levels == {"provinsi": 38, "kabupaten_kota": 514, "kecamatan": 7_285, "desa_kelurahan": 83_762}
    desa = [c for c, r in wilayah().items() if r.level == "desa_kelurahan"]
    assert Counter(c[6] for c in desa).keys() == {"1", "2", "3"}  # kelurahan 1xxx, desa 2xxx, desa adat 3xxx
    assert (PACKAGE / "LICENSE-wilayah.txt").read_text().startswith("MIT License")
    assert "Cahya DSN" in (PACKAGE / "LICENSE-wilayah.txt").read_text()


def test_kota_madiun_is_a_view_of_the_reference() -> None:
    assert [k.code for k in KELURAHAN] == [k.code for k in desa_kelurahan_of(["35.77"])]
    assert len(KELURAHAN) == 27 and KELURAHAN[0].name == "Oro-oro Ombo" and not KELURAHAN[0].is_desa
    assert KECAMATAN == {"357701": "Kartoharjo", "357702": "Manguharjo", "357703": "Taman"}
    kab = desa_kelurahan_of(["35.19"])
    assert len(kab) == 206 and sum(k.is_desa for k in kab) == 198


def test_the_reference_is_loaded_once_per_warehouse(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        region_view(con, ["35.77"])
        assert con.execute("SELECT count(*) FROM ref_kelurahan").fetchall() == [(27,)]
        con.execute("INSERT INTO ref_wilayah VALUES ('99', 'marker', 'provinsi', '99', NULL, NULL)")
        region_view(con, ["35.19", "35.77"])  # another region set: a new view, the table kept
        assert con.execute("SELECT count(*) FROM ref_wilayah WHERE code = '99'").fetchall() == [(1,)]
        kinds = dict(con.execute("SELECT kind, count(*) FROM ref_kelurahan GROUP BY 1").fetchall())
        assert kinds == {"kelurahan": 27 + 8, "desa": 198}
        load_wilayah(con)
        assert con.execute("SELECT count(*) FROM ref_wilayah").fetchall() == [(91_599 + 1,)]


@pytest.mark.parametrize(("text", "message"), [
    ("35.7", "not a Kemendagri code"), ("99", "not in the Kemendagri 2025 reference"),
    ("35.77.01.9999", "not in the Kemendagri 2025 reference"), ("Madiun", "not a Kemendagri code")])
def test_region_codes_are_checked(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        region_code(text)


def test_region_sets() -> None:
    assert region_codes(["35.77", "3577", "35", "35.19"]) == ("35",)  # inside a chosen province
    assert kabupaten_codes(["35"])[:2] == ("3501", "3502") and len(kabupaten_codes(["35"])) == 38
    assert region_title(["3519", "3577"]) == "Kabupaten Madiun dan Kota Madiun"
    assert region_title(["35"]) == "Provinsi Jawa Timur"


def test_resident_counts_cover_every_kabupaten_kota() -> None:
    path = PACKAGE / "penduduk_dukcapil_2024.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["kode"].replace(".", "") for r in rows} == set(kabupaten_codes([c for c, r in wilayah().items()
                                                                             if r.level == "provinsi"]))
    assert all(int(r["pria"]) + int(r["wanita"]) == int(r["total"]) for r in rows)
    jatim = region_population(["35"])
    assert sum(p.residents for p in jatim) == 41_919_906 and not any(p.estimated for p in jatim)
    (kec,) = region_population(["35.77.01"])  # a kecamatan has no count of its own: an estimate, said so
    assert kec.estimated and kec.residents == round(201_733 * 9 / 27)


def test_generator_sizes_for_a_region_and_a_province() -> None:
    kab = plan_regions(["35.19"], 0.2)
    assert kab.populations[0].residents == 737_875
    assert kab.families == round(737_875 * 0.2 * 59_000 / 201_733) and kab.parts == 1
    assert abs(kab.residents - 737_875 * 0.2) < 10
    province = plan_regions(["35"], 1.0)  # computed, never written here
    assert abs(province.residents - 41_919_906) / 41_919_906 < 1e-4
    assert 10_000_000 < province.member_rows < 11_000_000
    assert province.parts == len(province.chunk_families) > 38
    assert max(province.chunk_families) <= 60_000 and sum(province.chunk_families) == province.families
    madiun = plan_regions(["35.77"], 1.0)
    assert madiun.families == 59_000  # the demo city's size at scale 1


def test_a_population_written_in_parts_keeps_numbers_unique(tmp_path: Path) -> None:
    parts = generate_regions(tmp_path, ["35.19.01", "35.77.03"], scale=0.05, chunk_families=250,
                             reference_date=date(2026, 1, 1))
    assert len(parts) >= 3 and all(p.register.parent.name.startswith("part-") for p in parts)
    residents = [pq.read_table(p.truth_residents, columns=["nik", "kk", "kelurahan_code"]) for p in parts]
    members = [pq.read_table(p.truth_members).to_pydict() for p in parts]
    niks = [n for t in residents for n in set(t.column("nik").to_pylist())]
    assert len(niks) == len(set(niks))
    kks = [{k for k in t.column("kk").to_pylist()} for t in residents]
    assert sum(len(k) for k in kks) == len(set().union(*kks))
    kpj_column = next(c for c in members[0] if c.lower() == "kpj")
    kpjs = [set(m[kpj_column]) for m in members]
    assert sum(len(k) for k in kpjs) == len(set().union(*kpjs))
    codes = {c[:6] for t in residents for c in t.column("kelurahan_code").to_pylist()}
    assert codes == {"351901", "357703"}
    with parts[0].register.open(encoding="utf-8-sig") as handle:
        assert "KABUPATEN/KOTA" in handle.readline()  # two kabupaten/kota: the register says which
