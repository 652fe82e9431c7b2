"""Budget arithmetic on a real candidates.parquet: exact amounts, zero, less than one person, more than everyone,
per-kelurahan sums, the rank-order prefix against a plain-Python reference; several kabupaten/kota, each with its own
rate, budget and candidates; Rupiah parsing and formatting; the `ucj budget` command."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cli.budget import budget as budget_command
from pipeline.config import CostConfig
from pipeline.errors import UcjError
from pipeline.formatting import format_rupiah, format_rupiah_short
from pipeline.published.budget import (
    BUDGET_FILE,
    budget_scenario,
    cost_curve,
    cost_curves,
    parse_rupiah,
    publication_cost,
    write_budget,
)
from pipeline.reference import KELURAHAN, desa_kelurahan_of

YEARLY = 16_800 * 12  # Rp 201,600
COST = CostConfig()
CODES = [k.code for k in KELURAHAN]


def publication(folder: Path, candidates: list[tuple[str, int, str, int | None]]) -> Path:
    """A publication folder with candidates.parquet of (track, priority_rank, kelurahan_code, desil) rows."""
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("CREATE TABLE c (nik VARCHAR, track VARCHAR, priority_rank BIGINT, kelurahan_code VARCHAR, "
                    "desil INTEGER, yearly_cost_rp INTEGER)")
        con.executemany("INSERT INTO c VALUES (?, ?, ?, ?, ?, ?)",
                        [[f"35770100000{i:05d}", t, r, k, d, YEARLY if t == "pro_jkk_jkm" else 0]
                         for i, (t, r, k, d) in enumerate(candidates)])
        con.execute(f"COPY (SELECT * FROM c ORDER BY hash(nik)) TO '{(folder / 'candidates.parquet').as_posix()}' "
                    "(FORMAT parquet)")
    (folder / "manifest.json").write_text(json.dumps({"publication_id": "uji-1", "reference_date": "2026-01-01"}))
    return folder


def pro(n: int) -> list[tuple[str, int, str, int | None]]:
    """n Pro JKK-JKM candidates, ranks 1..n spread over the kelurahan; desil rising with rank."""
    return [("pro_jkk_jkm", rank, CODES[(rank * 7) % 11], 1 + (rank - 1) * 5 // n) for rank in range(1, n + 1)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    others = [("self_enrolment", 1, CODES[0], 8), ("employer_compliance", 1, CODES[1], 2),
              ("reactivation", 1, CODES[2], 7)]
    return publication(tmp_path / "pub", pro(100) + others)


@pytest.mark.parametrize("amount, covered, unspent", [
    (0, 0, 0),
    (YEARLY - 1, 0, YEARLY - 1),                 # less than one person
    (YEARLY, 1, 0),                              # exactly one
    (37 * YEARLY, 37, 0),                        # exactly 37
    (37 * YEARLY + YEARLY - 1, 37, YEARLY - 1),  # a rupiah short of 38
    (100 * YEARLY, 100, 0),                      # exactly everyone
    (3_000_000_000, 100, 3_000_000_000 - 100 * YEARLY),  # more than everyone
])
def test_amount_covers_a_prefix_of_the_ranking(folder: Path, amount: int, covered: int, unspent: int) -> None:
    s = budget_scenario(folder, amount_rp=amount, cost=COST)
    assert (s.candidates, s.covered, s.unspent_rp, s.remaining) == (100, covered, unspent, 100 - covered)
    assert (s.covered_cost_rp, s.remaining_cost_rp, s.total_cost_rp) == (
        covered * YEARLY, (100 - covered) * YEARLY, 100 * YEARLY)
    assert s.covered_cost_rp + s.unspent_rp == amount
    assert s.last_covered_rank == (covered or None)
    assert s.yearly_cost_per_person_rp == YEARLY


@pytest.mark.parametrize("amount", [0, YEARLY * 13 + 5, YEARLY * 64, 10**12])
def test_per_kelurahan_sums_equal_totals_and_match_a_plain_reference(folder: Path, amount: int) -> None:
    s = budget_scenario(folder, amount_rp=amount, cost=COST)
    assert [k.code for k in s.kelurahan] == CODES  # all 27, in code order, even those without candidates
    assert sum(k.candidates for k in s.kelurahan) == s.candidates
    assert sum(k.covered for k in s.kelurahan) == s.covered
    assert sum(k.remaining for k in s.kelurahan) == s.remaining
    assert sum(k.covered_cost_rp for k in s.kelurahan) == s.covered_cost_rp
    assert sum(k.remaining_cost_rp for k in s.kelurahan) == s.remaining_cost_rp
    assert sum(k.yearly_cost_rp for k in s.kelurahan) == s.total_cost_rp
    reference: dict[str, list[int]] = {code: [0, 0] for code in CODES}
    spent = 0
    for _, _rank, code, _ in sorted(pro(100), key=lambda c: c[1]):
        reference[code][0] += 1
        if spent + YEARLY <= amount:
            spent += YEARLY
            reference[code][1] += 1
    assert {k.code: [k.candidates, k.covered] for k in s.kelurahan} == reference


def test_cost_follows_the_config(folder: Path) -> None:
    cost = CostConfig(bpu_monthly_rp=20_000, months_per_year=6)
    s = budget_scenario(folder, amount_rp=1_000_000, cost=cost)
    assert (s.yearly_cost_per_person_rp, s.covered, s.unspent_rp) == (120_000, 8, 40_000)


def test_bad_amounts_are_refused(folder: Path) -> None:
    for amount in (-1, 1.5, True):
        with pytest.raises(UcjError):
            budget_scenario(folder, amount_rp=amount, cost=COST)  # type: ignore[arg-type]
    with pytest.raises(UcjError, match="not found"):
        budget_scenario(folder / "nowhere", amount_rp=1, cost=COST)


def test_no_candidates_gives_an_empty_scenario(tmp_path: Path) -> None:
    s = budget_scenario(publication(tmp_path, [("self_enrolment", 1, CODES[0], 8)]), amount_rp=YEARLY, cost=COST)
    assert (s.candidates, s.covered, s.unspent_rp, s.remaining, s.last_covered_rank) == (0, 0, YEARLY, 0, None)
    assert cost_curve(tmp_path, cost=COST).ranks == (0,)


def test_cost_curve_is_cumulative_cost_by_rank(folder: Path) -> None:
    curve = cost_curve(folder, cost=COST, max_points=10)
    assert curve.ranks[0] == 0 and curve.ranks[-1] == 100 and list(curve.ranks) == sorted(set(curve.ranks))
    assert all(c == r * YEARLY for r, c in zip(curve.ranks, curve.cumulative_rp, strict=True))
    # desil d is fully in once the last candidate of desil <= d is: ranks 20, 40, ..., 100 here
    assert curve.desil_milestones == tuple((d, 20 * d, 20 * d * YEARLY) for d in range(1, 6))


def test_write_budget_is_aggregate_json(folder: Path) -> None:
    path = write_budget(folder, amount_rp=10 * YEARLY, cost=COST)
    document = json.loads(path.read_text())
    assert path.name == BUDGET_FILE
    assert (document["covered"], document["remaining"], document["unspent_rp"]) == (10, 90, 0)
    assert len(document["kelurahan"]) == 27 and document["desil_milestones"][0]["desil_up_to"] == 1
    assert "3577010000" not in path.read_text()  # no NIK
    assert write_budget(folder, amount_rp=10 * YEARLY, cost=COST).read_bytes() == path.read_bytes()


def test_publication_cost_reads_the_resolved_config(folder: Path) -> None:
    assert publication_cost(folder) == CostConfig()
    (folder / "config.resolved.json").write_text(json.dumps({"cost": {"bpu_monthly_rp": 20000, "months_per_year": 12,
                                                                       "apbd_budget_rp": 5}}))
    assert publication_cost(folder) == CostConfig(bpu_monthly_rp=20_000, apbd_budget_rp=5)


@pytest.mark.parametrize("text, amount", [
    ("3000000000", 3_000_000_000),
    ("3.000.000.000", 3_000_000_000),
    ("3,000,000,000", 3_000_000_000),
    ("3 000 000 000", 3_000_000_000),
    ("Rp 3.000.000.000", 3_000_000_000),
    ("Rp. 3.000.000.000,00", 3_000_000_000),
    ("rp3,000,000,000.00", 3_000_000_000),
    ("201.600", 201_600),
    ("0", 0),
    ("3 miliar", 3_000_000_000),
    ("3 Milyar", 3_000_000_000),
    ("2,5 M", 2_500_000_000),
    ("2.5 miliar", 2_500_000_000),
    ("750 juta", 750_000_000),
    ("750jt", 750_000_000),
    ("1.500 juta", 1_500_000_000),
    ("16,8 ribu", 16_800),
])
def test_parse_rupiah(text: str, amount: int) -> None:
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text", ["", "abc", "-5", "3,5", "3.00", "1.5.000", "3.000,000", "3.000.000,000.00",
                                  "1,2345 rb", "miliar", "3 dolar", "0,0000001 juta"])
def test_parse_rupiah_refuses_what_is_not_a_whole_amount(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rupiah(text)


def test_format_rupiah() -> None:
    assert format_rupiah(3_000_000_000) == "Rp 3.000.000.000"
    assert format_rupiah(0) == "Rp 0"
    assert format_rupiah(-201_600) == "-Rp 201.600"
    assert format_rupiah_short(3_119_961_600) == "Rp 3,12 miliar"
    assert format_rupiah_short(3_000_000_000) == "Rp 3 miliar"


def test_budget_command_prints_the_scenario_in_indonesian(folder: Path) -> None:
    result = CliRunner().invoke(budget_command, ["--amount", "Rp 2.016.000", "--publication", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Anggaran APBD                 Rp 2.016.000 per tahun" in result.output
    assert "Ditanggung APBD               10 orang (peringkat 1-10), Rp 2.016.000" in result.output
    assert "Sisa calon untuk CSR          90 orang, Rp 18.144.000 per tahun" in result.output
    assert "tanggal acuan 01-01-2026" in result.output
    as_json = CliRunner().invoke(budget_command, ["--amount", "1 juta", "--publication", str(folder), "--json"])
    assert json.loads(as_json.output)["covered"] == 4


def test_budget_command_refuses_a_bad_amount(folder: Path) -> None:
    result = CliRunner().invoke(budget_command, ["--amount", "tiga miliar", "--publication", str(folder)])
    assert result.exit_code == 2 and "not an amount of Rupiah" in result.output


def test_docstring_examples() -> None:
    import doctest

    import pipeline.published.budget

    assert doctest.testmod(pipeline.published.budget).failed == 0


# --- several kabupaten/kota -----------------------------------------------------------------------

KAB, KOTA = "3519", "3577"  # Kabupaten Madiun, Kota Madiun
KAB_DESA = [k.code for k in desa_kelurahan_of([KAB])]
KAB_YEARLY, KOTA_YEARLY = 20_000 * 6, YEARLY  # Rp 120,000 and Rp 201,600 a year
KAB_BUDGET, KOTA_BUDGET = 7 * KAB_YEARLY + KAB_YEARLY - 1, 10 * KOTA_YEARLY + 5
TWO_REGION_COST = {"bpu_monthly_rp": 16_800, "months_per_year": 12, "apbd_budget_rp": KOTA_BUDGET,
                   "scheme": "Pro JKK-JKM",
                   "regions": {"35.19": {"bpu_monthly_rp": 20_000, "months_per_year": 6, "apbd_budget_rp": KAB_BUDGET,
                                         "scheme": "Jamsostek Rentan Kabupaten"}}}


def two_region_candidates() -> list[tuple[str, int, str, int | None]]:
    """60 Pro JKK-JKM candidates, every third (ranks 3, 6, ...) in a desa of Kabupaten Madiun, the rest in
    Kota Madiun; their NIK all start 3577 (the region is the desa/kelurahan code's, never the NIK's)."""
    return [("pro_jkk_jkm", rank, KAB_DESA[(rank * 5) % 40] if rank % 3 == 0 else CODES[(rank * 7) % 11],
             1 + (rank - 1) // 12) for rank in range(1, 61)]


@pytest.fixture
def two_regions(tmp_path: Path) -> Path:
    folder = publication(tmp_path / "two", two_region_candidates() + [("self_enrolment", 1, KAB_DESA[0], 8)])
    (folder / "config.resolved.json").write_text(json.dumps(
        {"region": {"codes": [KAB, KOTA]}, "cost": TWO_REGION_COST}), encoding="utf-8")
    return folder


def reference_by_region(amounts: dict[str, int]) -> dict[str, dict[str, int | None]]:
    """What each kabupaten/kota covers, computed here in plain Python: its own candidates in rank order,
    at its own yearly rate, while its own amount lasts."""
    yearly = {KAB: KAB_YEARLY, KOTA: KOTA_YEARLY}
    out: dict[str, dict[str, int | None]] = {c: {"candidates": 0, "covered": 0, "last": None} for c in (KAB, KOTA)}
    stopped = set()
    for _, rank, code, _ in sorted(two_region_candidates(), key=lambda c: c[1]):
        region = code[:4]
        out[region]["candidates"] += 1
        if region not in stopped and (out[region]["covered"] + 1) * yearly[region] <= amounts[region]:
            out[region]["covered"] += 1
            out[region]["last"] = rank
        else:
            stopped.add(region)
    return out


def test_each_kabupaten_kota_covers_its_own_candidates_at_its_own_rate_and_budget(two_regions: Path) -> None:
    s = budget_scenario(two_regions, cost=publication_cost(two_regions))
    ref = reference_by_region({KAB: KAB_BUDGET, KOTA: KOTA_BUDGET})
    assert [r.region_code for r in s.regions] == [KAB, KOTA] and s.several_regions
    kab, kota = s.regions
    assert (kab.region_name, kab.scheme, kota.region_name, kota.scheme) == (
        "Kabupaten Madiun", "Jamsostek Rentan Kabupaten", "Kota Madiun", "Pro JKK-JKM")
    assert (kab.candidates, kab.covered, kab.last_covered_rank) == (20, 7, 21) == tuple(ref[KAB].values())
    assert (kota.candidates, kota.covered, kota.last_covered_rank) == (40, 10, 14) == tuple(ref[KOTA].values())
    assert (kab.monthly_rp, kab.months_per_year, kab.yearly_cost_per_person_rp) == (20_000, 6, KAB_YEARLY)
    assert (kab.amount_rp, kab.covered_cost_rp, kab.unspent_rp) == (KAB_BUDGET, 7 * KAB_YEARLY, KAB_YEARLY - 1)
    assert (kab.total_cost_rp, kab.remaining, kab.remaining_cost_rp) == (20 * KAB_YEARLY, 13, 13 * KAB_YEARLY)
    assert (kota.monthly_rp, kota.yearly_cost_per_person_rp) == (16_800, KOTA_YEARLY)
    assert (kota.amount_rp, kota.covered_cost_rp, kota.unspent_rp) == (KOTA_BUDGET, 10 * KOTA_YEARLY, 5)
    # each region's desa/kelurahan only, at its rate
    assert {k.code[:4] for k in kab.kelurahan} == {KAB} and len(kab.kelurahan) == len(KAB_DESA)
    assert {k.code[:4] for k in kota.kelurahan} == {KOTA} and len(kota.kelurahan) == 27
    assert sum(k.covered for k in kab.kelurahan) == 7
    assert sum(k.yearly_cost_rp for k in kab.kelurahan) == 20 * KAB_YEARLY
    # the totals: sums, no single rate, no publication-wide prefix
    assert (s.region_code, s.region_name) == (None, "Kabupaten Madiun dan Kota Madiun")
    assert (s.candidates, s.covered, s.remaining) == (60, 17, 43)
    assert (s.amount_rp, s.covered_cost_rp, s.unspent_rp) == (
        KAB_BUDGET + KOTA_BUDGET, 7 * KAB_YEARLY + 10 * KOTA_YEARLY, KAB_YEARLY - 1 + 5)
    assert s.total_cost_rp == 20 * KAB_YEARLY + 40 * KOTA_YEARLY
    assert (s.monthly_rp, s.yearly_cost_per_person_rp, s.last_covered_rank, s.scheme) == (None, None, None, None)
    assert [k.code for k in s.kelurahan] == sorted(KAB_DESA + CODES)


def test_an_amount_given_is_tried_for_each_kabupaten_kota(two_regions: Path) -> None:
    s = budget_scenario(two_regions, cost=publication_cost(two_regions), amount_rp=1_000_000)
    ref = reference_by_region({KAB: 1_000_000, KOTA: 1_000_000})
    kab, kota = s.regions
    assert (kab.amount_rp, kab.covered, kab.last_covered_rank) == (1_000_000, 8, ref[KAB]["last"])
    assert (kota.amount_rp, kota.covered, kota.last_covered_rank) == (1_000_000, 4, ref[KOTA]["last"])
    assert (s.amount_rp, s.covered) == (2_000_000, 12)
    one = budget_scenario(two_regions, cost=publication_cost(two_regions), amount_rp=1_000_000, region="35.19")
    assert one == replace(kab, regions=(kab,))
    assert s.region("3577") == kota
    with pytest.raises(UcjError, match=r"'35.78' is not in this publication.*35.19 \(Kabupaten Madiun\)"):
        budget_scenario(two_regions, cost=publication_cost(two_regions), region="35.78")


def test_cost_curves_per_kabupaten_kota(two_regions: Path) -> None:
    cost = publication_cost(two_regions)
    curves = cost_curves(two_regions, cost=cost, max_points=5)
    assert list(curves) == [KAB, KOTA]
    assert curves[KAB].ranks[-1] == 20 and curves[KOTA].ranks[-1] == 40
    assert all(c == r * KAB_YEARLY for r, c in zip(curves[KAB].ranks, curves[KAB].cumulative_rp, strict=True))
    assert all(c == r * KOTA_YEARLY for r, c in zip(curves[KOTA].ranks, curves[KOTA].cumulative_rp, strict=True))
    assert cost_curve(two_regions, cost=cost, region="35.19") == cost_curve(two_regions, cost=cost, max_points=400,
                                                                            region="3519")
    # the whole publication: each candidate at the rate of their own kabupaten/kota
    whole = cost_curve(two_regions, cost=cost)
    assert (whole.ranks[-1], whole.cumulative_rp[-1]) == (60, 20 * KAB_YEARLY + 40 * KOTA_YEARLY)
    # desil 1 is ranks 1-12: 4 of them in the kabupaten
    assert whole.desil_milestones[0] == (1, 12, 4 * KAB_YEARLY + 8 * KOTA_YEARLY)


def test_budget_json_has_one_scenario_per_kabupaten_kota(two_regions: Path) -> None:
    path = write_budget(two_regions, cost=publication_cost(two_regions))
    document = json.loads(path.read_text())
    assert [(r["region_code"], r["covered"], r["amount_rp"], r["yearly_cost_per_person_rp"])
            for r in document["regions"]] == [(KAB, 7, KAB_BUDGET, KAB_YEARLY), (KOTA, 10, KOTA_BUDGET, KOTA_YEARLY)]
    assert all("kelurahan" not in r for r in document["regions"])  # listed once, at the top
    assert document["regions"][0]["desil_milestones"][0] == {"desil_up_to": 1, "candidates": 4,
                                                             "cost_rp": 4 * KAB_YEARLY}
    assert (document["covered"], document["candidates"], document["monthly_rp"]) == (17, 60, None)
    assert len(document["kelurahan"]) == len(KAB_DESA) + 27
    assert write_budget(two_regions, cost=publication_cost(two_regions)).read_bytes() == path.read_bytes()


def test_one_kabupaten_kota_keeps_its_figures(folder: Path) -> None:
    """A Kota Madiun publication: the same scenario as before the regions, whatever other kabupaten/kota the
    config prices; `regions` holds the one scenario."""
    other = publication_cost(folder)
    (folder / "config.resolved.json").write_text(json.dumps({"cost": TWO_REGION_COST}), encoding="utf-8")
    priced = publication_cost(folder)
    assert priced != other and priced.for_region(KAB).yearly_rp == KAB_YEARLY
    s = budget_scenario(folder, amount_rp=37 * YEARLY, cost=priced)
    assert s == budget_scenario(folder, amount_rp=37 * YEARLY, cost=COST)
    assert (s.region_code, s.region_name, s.monthly_rp, s.covered, s.last_covered_rank) == (KOTA, "Kota Madiun",
                                                                                          16_800, 37, 37)
    assert s.regions == (replace(s, regions=()),) and not s.several_regions
    default = budget_scenario(folder, cost=priced)  # no amount: the default row's apbd_budget_rp, Kota Madiun's
    assert (default.amount_rp, default.covered) == (KOTA_BUDGET, 10)
    document = json.loads(write_budget(folder, amount_rp=10 * YEARLY, cost=COST).read_text())
    assert [r["region_code"] for r in document["regions"]] == [KOTA]
    assert {k: document["regions"][0][k] for k in ("covered", "remaining", "unspent_rp", "desil_milestones")} == {
        k: document[k] for k in ("covered", "remaining", "unspent_rp", "desil_milestones")}


def test_budget_command_on_several_kabupaten_kota(two_regions: Path) -> None:
    result = CliRunner().invoke(budget_command, ["--amount", "1 juta", "--publication", str(two_regions)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Kabupaten Madiun (35.19), skema Jamsostek Rentan Kabupaten" in out
    assert "Kota Madiun (35.77), skema Pro JKK-JKM" in out
    assert out.startswith("Skenario anggaran JKK-JKM daerah - publikasi")  # the two schemes' names differ
    assert "  Calon Jamsostek Rentan Kabupaten 20 orang" in out and "  Calon Pro JKK-JKM             40 orang" in out
    assert "Rp 1.000.000 dari --amount berlaku untuk MASING-MASING kabupaten/kota" in out
    assert "Rp 20.000 per bulan x 6 = Rp 120.000 per tahun" in out
    assert "Rp 16.800 per bulan x 12 = Rp 201.600 per tahun" in out
    assert "Ditanggung APBD               8 orang (peringkat 1-24), Rp 960.000" in out
    assert "Ditanggung APBD               4 orang (peringkat 1-5), Rp 806.400" in out
    own = CliRunner().invoke(budget_command, ["--publication", str(two_regions)])  # each one's apbd_budget_rp
    assert "Ditanggung APBD               7 orang (peringkat 1-21)" in own.output
    assert "Ditanggung APBD               10 orang (peringkat 1-14)" in own.output
    assert "apbd_budget_rp masing-masing kabupaten/kota" in own.output
    one = CliRunner().invoke(budget_command, ["--amount", "1 juta", "--region", "35.19",
                                              "--publication", str(two_regions)])
    assert one.exit_code == 0, one.output
    assert "Desa/Kelurahan" in one.output and "Kota Madiun" not in one.output
    assert one.output.startswith("Skenario anggaran Jamsostek Rentan Kabupaten - publikasi")
    assert "Pro JKK-JKM" not in one.output
    assert "Ditanggung APBD               8 orang (peringkat 1-24), Rp 960.000" in one.output
    as_json = json.loads(CliRunner().invoke(budget_command, ["--publication", str(two_regions), "--json"]).output)
    assert [(r["region_code"], r["covered"]) for r in as_json["regions"]] == [(KAB, 7), (KOTA, 10)]
    bad = CliRunner().invoke(budget_command, ["--region", "35.78", "--publication", str(two_regions)])
    assert bad.exit_code == 2 and "Choose one of: 35.19 (Kabupaten Madiun), 35.77 (Kota Madiun)" in bad.output
