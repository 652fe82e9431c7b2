"""The budget scenario: given an APBD amount, how many Pro JKK-JKM candidates the city can cover for a
year in rank order, what is left of the amount, and who (and how much) remains for CSR funding.

It works on a publication folder (`candidates.parquet`), never on the live warehouse, so the same
publication gives the same answer for any amount (`ucj budget --amount`), and the publication itself
carries the default scenario (`budget.json`, `[cost] apbd_budget_rp`).

Rules:
- the Pro JKK-JKM track only, in `priority_rank` order; it includes lapsed workers who meet the Pro
  JKK-JKM rules (`[eligibility] lapsed_in_pro_jkk_jkm`, default true): the city pays for them too;
- every candidate costs `bpu_monthly_rp x months_per_year` a year (Rp 16,800 x 12 = Rp 201,600);
- the amount covers the longest prefix of the ranking whose cumulative cost is <= the amount: no one
  is skipped for a cheaper person further down; the rest is for CSR (or next year's APBD).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import CostConfig, config_from_dict
from pipeline.errors import UcjError
from pipeline.reference import DEFAULT_REGION_CODES, desa_kelurahan_of

__all__ = [
    "KelurahanBudget",
    "BudgetScenario",
    "CostCurve",
    "budget_scenario",
    "cost_curve",
    "write_budget",
    "publication_cost",
    "parse_rupiah",
    "BUDGET_FILE",
]

BUDGET_FILE = "budget.json"
_TRACK = "pro_jkk_jkm"


@dataclass(frozen=True)
class KelurahanBudget:
    code: str
    name: str
    kecamatan: str
    candidates: int
    """Pro JKK-JKM candidates living in the kelurahan."""
    covered: int
    """Of them, covered by the amount."""
    remaining: int
    """Of them, left for CSR or other funding."""
    yearly_cost_rp: int
    covered_cost_rp: int
    remaining_cost_rp: int


@dataclass(frozen=True)
class BudgetScenario:
    amount_rp: int
    """The amount tried, Rp per year."""
    monthly_rp: int
    months_per_year: int
    yearly_cost_per_person_rp: int
    candidates: int
    """Pro JKK-JKM candidates in the publication."""
    total_cost_rp: int
    """Yearly cost of covering every candidate."""
    covered: int
    """Candidates the amount covers for a year, ranks 1..covered."""
    covered_cost_rp: int
    unspent_rp: int
    """What is left of the amount (less than one more person's cost, unless everyone is covered)."""
    remaining: int
    """Candidates left for CSR or other funding."""
    remaining_cost_rp: int
    """What covering them costs a year."""
    last_covered_rank: int | None
    kelurahan: tuple[KelurahanBudget, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CostCurve:
    """Cumulative yearly cost by rank (point i: the first ranks[i] candidates cost cumulative_rp[i]).

    `desil_milestones`: (desil d, rank, cumulative cost) at which every candidate of desil <= d is in.
    """
    ranks: tuple[int, ...]
    cumulative_rp: tuple[int, ...]
    desil_milestones: tuple[tuple[int, int, int], ...]


def _candidates_file(publication_dir: Path) -> str:
    path = Path(publication_dir) / "candidates.parquet"
    if not path.is_file():
        raise UcjError(f"{path} not found", hint="Pass a publication folder (or a root with `latest`)")
    return path.as_posix()


def publication_cost(publication_dir: Path) -> CostConfig:
    """The [cost] settings a publication was made with (config.resolved.json), else the defaults."""
    path = Path(publication_dir) / "config.resolved.json"
    if not path.is_file():
        return CostConfig()
    values = json.loads(path.read_text(encoding="utf-8")).get("cost", {})
    known = {k: v for k, v in values.items() if k in CostConfig.__dataclass_fields__}
    return config_from_dict({"cost": known}, str(path)).cost


def publication_regions(publication_dir: Path) -> tuple[str, ...]:
    """The region codes a publication covers ([region] codes of its config.resolved.json; Kota Madiun for
    publications made before regions were a setting)."""
    path = Path(publication_dir) / "config.resolved.json"
    if not path.is_file():
        return DEFAULT_REGION_CODES
    codes = json.loads(path.read_text(encoding="utf-8")).get("region", {}).get("codes")
    return tuple(codes) if codes else DEFAULT_REGION_CODES


_PER_KELURAHAN = """
WITH ranked AS (
    SELECT kelurahan_code, row_number() OVER (ORDER BY priority_rank, nik) AS position
    FROM read_parquet($path) WHERE track = $track
), judged AS (
    SELECT kelurahan_code, position * $yearly <= $amount AS covered FROM ranked
)
SELECT kelurahan_code, count(*) AS candidates, count(*) FILTER (WHERE covered) AS covered
FROM judged GROUP BY kelurahan_code ORDER BY kelurahan_code
"""


def budget_scenario(publication_dir: Path, *, amount_rp: int, cost: CostConfig) -> BudgetScenario:
    """The scenario for `amount_rp` (Rp per year) over the publication's Pro JKK-JKM candidates."""
    if isinstance(amount_rp, bool) or not isinstance(amount_rp, int) or amount_rp < 0:
        raise UcjError("the budget amount must be a whole, non-negative number of Rupiah",
                       hint="e.g. --amount 3000000000 or --amount 3.000.000.000")
    yearly = int(cost.bpu_monthly_rp) * int(cost.months_per_year)
    with duckdb.connect() as con:
        rows = con.execute(_PER_KELURAHAN, {"path": _candidates_file(publication_dir), "track": _TRACK,
                                            "yearly": yearly, "amount": amount_rp}).fetchall()
    counts = {code: (int(n), int(covered)) for code, n, covered in rows}
    places = desa_kelurahan_of(publication_regions(publication_dir))
    unknown = set(counts) - {k.code for k in places}
    if unknown:
        raise UcjError(f"candidates.parquet has {len(unknown)} desa/kelurahan codes outside the publication's regions",
                       hint="The publication does not come from this pipeline's cleaning")
    per_kelurahan = tuple(
        KelurahanBudget(code=k.code, name=k.name, kecamatan=k.kecamatan, candidates=n, covered=covered,
                        remaining=n - covered, yearly_cost_rp=n * yearly, covered_cost_rp=covered * yearly,
                        remaining_cost_rp=(n - covered) * yearly)
        for k in places
        for n, covered in [counts.get(k.code, (0, 0))]
    )
    candidates = sum(k.candidates for k in per_kelurahan)
    covered = sum(k.covered for k in per_kelurahan)
    return BudgetScenario(
        amount_rp=amount_rp, monthly_rp=int(cost.bpu_monthly_rp), months_per_year=int(cost.months_per_year),
        yearly_cost_per_person_rp=yearly, candidates=candidates, total_cost_rp=candidates * yearly,
        covered=covered, covered_cost_rp=covered * yearly, unspent_rp=amount_rp - covered * yearly,
        remaining=candidates - covered, remaining_cost_rp=(candidates - covered) * yearly,
        last_covered_rank=covered or None, kelurahan=per_kelurahan,
    )


def cost_curve(publication_dir: Path, *, cost: CostConfig, max_points: int = 400) -> CostCurve:
    """Cumulative yearly cost in rank order, thinned to about `max_points` points (the cost per person
    is the same for everyone, so straight lines between points are exact)."""
    yearly = int(cost.bpu_monthly_rp) * int(cost.months_per_year)
    with duckdb.connect() as con:
        n = int(con.execute("SELECT count(*) FROM read_parquet($path) WHERE track = $track",
                            {"path": _candidates_file(publication_dir), "track": _TRACK}).fetchall()[0][0])
        milestones = con.execute("""
            WITH ranked AS (SELECT desil, row_number() OVER (ORDER BY priority_rank, nik) AS position
                            FROM read_parquet($path) WHERE track = $track),
            per_desil AS (SELECT desil, max(position) AS position FROM ranked WHERE desil IS NOT NULL GROUP BY desil)
            SELECT desil, max(position) OVER (ORDER BY desil ROWS UNBOUNDED PRECEDING) FROM per_desil
            ORDER BY desil""", {"path": _candidates_file(publication_dir), "track": _TRACK}).fetchall()
    step = max(1, -(-n // max_points)) if n else 1
    ranks = sorted({0, n, *range(0, n + 1, step), *(int(p) for _, p in milestones)})
    return CostCurve(ranks=tuple(ranks), cumulative_rp=tuple(r * yearly for r in ranks),
                     desil_milestones=tuple((int(d), int(p), int(p) * yearly) for d, p in milestones))


def write_budget(publication_dir: Path, *, amount_rp: int, cost: CostConfig) -> Path:
    """Write `budget.json` (aggregates only, no personal data) into the publication folder."""
    scenario = budget_scenario(publication_dir, amount_rp=amount_rp, cost=cost)
    curve = cost_curve(publication_dir, cost=cost)
    document = {**scenario.to_dict(), "desil_milestones": [
        {"desil_up_to": d, "candidates": rank, "cost_rp": rp} for d, rank, rp in curve.desil_milestones]}
    target = Path(publication_dir) / BUDGET_FILE
    target.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


_SCALES = {"triliun": 10**12, "t": 10**12, "miliar": 10**9, "milyar": 10**9, "m": 10**9,
           "juta": 10**6, "jt": 10**6, "ribu": 10**3, "rb": 10**3}
_GROUPED = re.compile(r"\d{1,3}(?:(?P<sep>[., ])\d{3})(?:(?P=sep)\d{3})*(?:(?P<dec>[.,])0{1,2})?")


def parse_rupiah(text: str) -> int:
    """An amount of Rupiah as people write it; ValueError when it is not a whole amount.

    Examples:

    >>> parse_rupiah("3000000000"), parse_rupiah("3.000.000.000"), parse_rupiah("Rp 3,000,000,000")
    (3000000000, 3000000000, 3000000000)
    >>> parse_rupiah("Rp3.000.000.000,00"), parse_rupiah("3 miliar"), parse_rupiah("2,5 M")
    (3000000000, 3000000000, 2500000000)
    >>> parse_rupiah("750 juta"), parse_rupiah("1.500 juta"), parse_rupiah("0")
    (750000000, 1500000000, 0)
    """
    s = re.sub(r"\s+", " ", str(text).strip().lower())
    s = re.sub(r"^rp\.?\s*", "", s)
    scale = 1
    match = re.fullmatch(r"(.*?)\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True)) + r")", s)
    if match and match.group(1):
        s, scale = match.group(1).strip(), _SCALES[match.group(2)]
    if re.fullmatch(r"\d+", s):
        value = Decimal(s)
    elif (grouped := _GROUPED.fullmatch(s)) and grouped.group("dec") != grouped.group("sep"):
        value = Decimal(re.sub(r"[^0-9]", "", s[: grouped.start("dec")] if grouped.group("dec") else s))
    elif scale > 1 and re.fullmatch(r"\d+[.,]\d+", s):
        try:
            value = Decimal(s.replace(",", "."))
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
            raise ValueError(f"not an amount of Rupiah: {text!r}") from exc
    else:
        raise ValueError(f"not an amount of Rupiah: {text!r} (write e.g. 3000000000, 3.000.000.000 or 3 miliar)")
    amount = value * scale
    if amount != amount.to_integral_value():
        raise ValueError(f"not a whole amount of Rupiah: {text!r}")
    return int(amount)
