"""Budget arithmetic on a real candidates.parquet: exact amounts, zero, less than one person, more than everyone,
per-kelurahan sums, the rank-order prefix against a plain-Python reference; Rupiah parsing and formatting; the
`ucj budget` command."""

from __future__ import annotations

import json
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
    parse_rupiah,
    publication_cost,
    write_budget,
)
from pipeline.reference import KELURAHAN

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
