"""The budget scenario: given an APBD amount, how many Pro JKK-JKM candidates a kabupaten/kota can cover
for a year in rank order, what is left of the amount, and who (and how much) remains for CSR funding.

It works on a publication folder (`candidates.parquet`), never on the live warehouse, so the same
publication gives the same answer for any amount (`ucj budget --amount`), and the publication itself
carries the default scenario (`budget.json`, `[cost] apbd_budget_rp`).

Rules:
- the Pro JKK-JKM track only, in `priority_rank` order; it includes lapsed workers who meet the Pro
  JKK-JKM rules (`[eligibility] lapsed_in_pro_jkk_jkm`, default true): the city pays for them too;
- each kabupaten/kota pays for its own residents (the first 4 digits of the desa/kelurahan code) from its
  own APBD, at its own rate: `[cost.regions."PP.KK"]`, else the default `[cost]` row (Kota Madiun's).
  A candidate costs `bpu_monthly_rp x months_per_year` a year (Rp 16,800 x 12 = Rp 201,600 by default);
- within a kabupaten/kota the amount covers the longest prefix of its candidates in rank order whose
  cumulative cost is <= the amount: no one is skipped for a cheaper person further down; the rest is for
  CSR (or next year's APBD);
- the amount of each kabupaten/kota is its `apbd_budget_rp`, unless an amount is given: then that amount
  is tried for each kabupaten/kota (an amount per region, never shared between regions).

A publication of one kabupaten/kota (Kota Madiun's default) gives one scenario; one of several gives one
scenario per kabupaten/kota (`BudgetScenario.regions`, in code order) and their totals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import CostConfig, config_from_dict
from pipeline.errors import UcjError
from pipeline.reference import (
    DEFAULT_REGION_CODES,
    desa_kelurahan_of,
    kabupaten_codes,
    region_name,
    region_title,
)

__all__ = [
    "KelurahanBudget",
    "BudgetScenario",
    "CostCurve",
    "budget_scenario",
    "cost_curve",
    "cost_curves",
    "write_budget",
    "publication_cost",
    "publication_kabupaten",
    "publication_regions",
    "dotted_region",
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
    """Of them, covered by the amount (of their kabupaten/kota)."""
    remaining: int
    """Of them, left for CSR or other funding."""
    yearly_cost_rp: int
    covered_cost_rp: int
    remaining_cost_rp: int


@dataclass(frozen=True)
class BudgetScenario:
    """The scenario of one kabupaten/kota (`region_code` set), or the totals of several (`region_code`
    None, one scenario each in `regions`)."""

    amount_rp: int
    """The amount tried, Rp per year (totals: the sum of the regions' amounts)."""
    monthly_rp: int | None
    """Contribution per person per month (totals: None when the regions' rates differ)."""
    months_per_year: int | None
    yearly_cost_per_person_rp: int | None
    candidates: int
    """Pro JKK-JKM candidates in the publication (or the kabupaten/kota)."""
    total_cost_rp: int
    """Yearly cost of covering every candidate."""
    covered: int
    """Candidates the amount covers for a year, in rank order."""
    covered_cost_rp: int
    unspent_rp: int
    """What is left of the amount (less than one more person's cost, unless everyone is covered)."""
    remaining: int
    """Candidates left for CSR or other funding."""
    remaining_cost_rp: int
    """What covering them costs a year."""
    last_covered_rank: int | None
    """`priority_rank` of the last candidate covered: the kabupaten/kota's candidates ranked 1..this are
    covered (one kabupaten/kota: equal to `covered`). None when no one is, and for totals of several."""
    kelurahan: tuple[KelurahanBudget, ...] = field(default_factory=tuple)
    region_code: str | None = None
    """The kabupaten/kota (4 digits, PPKK); None for the totals of several."""
    region_name: str = ""
    """"Kota Madiun"; for totals, the publication's regions ("Kabupaten Madiun dan Kota Madiun")."""
    scheme: str | None = None
    """The region's scheme name ([cost] scheme); totals: None when the regions' names differ."""
    regions: tuple[BudgetScenario, ...] = field(default_factory=tuple)
    """One scenario per kabupaten/kota in code order (one for a one-region publication); empty inside them."""

    @property
    def several_regions(self) -> bool:
        return len(self.regions) > 1

    def region(self, code: str) -> BudgetScenario:
        """The scenario of one kabupaten/kota ("35.19" or "3519")."""
        return _pick(self.regions, code)

    def to_dict(self) -> dict[str, Any]:
        """Plain values; the regions without their kelurahan (those are listed once, at the top)."""
        document = asdict(self)
        for entry in document["regions"]:
            del entry["kelurahan"], entry["regions"]
        return document


@dataclass(frozen=True)
class CostCurve:
    """Cumulative yearly cost by rank (point i: the first ranks[i] candidates cost cumulative_rp[i]).

    `desil_milestones`: (desil d, rank, cumulative cost) at which every candidate of desil <= d is in.
    """
    ranks: tuple[int, ...]
    cumulative_rp: tuple[int, ...]
    desil_milestones: tuple[tuple[int, int, int], ...]


def _pick(scenarios: Sequence[BudgetScenario], code: str) -> BudgetScenario:
    wanted = str(code).strip().replace(".", "")
    for scenario in scenarios:
        if scenario.region_code == wanted:
            return scenario
    known = ", ".join(f"{dotted_region(s.region_code or '')} ({s.region_name})" for s in scenarios)
    raise UcjError(f"kabupaten/kota {code!r} is not in this publication", hint=f"Choose one of: {known}")


def dotted_region(code: str) -> str:
    """A kabupaten/kota code as officers write it: "3519" -> "35.19"."""
    return f"{code[:2]}.{code[2:]}" if len(code) == 4 else code


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


def publication_kabupaten(publication_dir: Path) -> tuple[str, ...]:
    """The kabupaten/kota (4 digits, sorted) a publication's regions lie in: one budget scenario each."""
    return kabupaten_codes(publication_regions(publication_dir))


_PER_KELURAHAN = """
WITH ranked AS (
    SELECT kelurahan_code, priority_rank, substr(kelurahan_code, 1, 4) AS region,
        row_number() OVER (PARTITION BY substr(kelurahan_code, 1, 4) ORDER BY priority_rank, nik) AS position
    FROM read_parquet($path) WHERE track = $track
), judged AS (
    SELECT r.kelurahan_code, r.priority_rank, r.position * a.yearly <= a.amount AS covered
    FROM ranked r LEFT JOIN budget_amounts a USING (region)
)
SELECT kelurahan_code, count(*) AS candidates, count(*) FILTER (WHERE covered) AS covered,
    max(priority_rank) FILTER (WHERE covered) AS last_covered_rank
FROM judged GROUP BY kelurahan_code ORDER BY kelurahan_code
"""


def _common(values: Sequence[Any]) -> Any:
    return values[0] if values and all(v == values[0] for v in values) else None


def budget_scenario(publication_dir: Path, *, cost: CostConfig, amount_rp: int | None = None,
                    region: str | None = None) -> BudgetScenario:
    """The scenario over the publication's Pro JKK-JKM candidates: each kabupaten/kota's own rate and
    `apbd_budget_rp`, or `amount_rp` (Rp per year) for each of them when given. `region` ("35.19"): that
    kabupaten/kota's scenario only. One kabupaten/kota: its scenario (with itself as `regions[0]`);
    several: their totals, with one scenario each in `regions`."""
    if amount_rp is not None and (isinstance(amount_rp, bool) or not isinstance(amount_rp, int) or amount_rp < 0):
        raise UcjError("the budget amount must be a whole, non-negative number of Rupiah",
                       hint="e.g. --amount 3000000000 or --amount 3.000.000.000")
    path = _candidates_file(publication_dir)
    codes = publication_kabupaten(publication_dir)
    rows = {code: cost.for_region(code) for code in codes}
    amounts = {code: row.apbd_budget_rp if amount_rp is None else amount_rp for code, row in rows.items()}
    with duckdb.connect() as con:
        con.execute("CREATE TEMP TABLE budget_amounts (region VARCHAR, yearly BIGINT, amount HUGEINT)")
        con.executemany("INSERT INTO budget_amounts VALUES (?, ?, ?)",
                        [[code, rows[code].yearly_rp, amounts[code]] for code in codes])
        found = con.execute(_PER_KELURAHAN, {"path": path, "track": _TRACK}).fetchall()
    counts = {code: (int(n), int(covered), last) for code, n, covered, last in found}
    places = desa_kelurahan_of(publication_regions(publication_dir))
    unknown = set(counts) - {k.code for k in places}
    if unknown:
        raise UcjError(f"candidates.parquet has {len(unknown)} desa/kelurahan codes outside the publication's regions",
                       hint="The publication does not come from this pipeline's cleaning")
    scenarios = []
    for code in codes:
        row, amount = rows[code], amounts[code]
        yearly = row.yearly_rp
        mine = [(k, *counts.get(k.code, (0, 0, None))) for k in places if k.kabupaten_code == code]
        per_kelurahan = tuple(
            KelurahanBudget(code=k.code, name=k.name, kecamatan=k.kecamatan, candidates=n, covered=covered,
                            remaining=n - covered, yearly_cost_rp=n * yearly, covered_cost_rp=covered * yearly,
                            remaining_cost_rp=(n - covered) * yearly)
            for k, n, covered, _ in mine)
        candidates = sum(k.candidates for k in per_kelurahan)
        covered = sum(k.covered for k in per_kelurahan)
        last = max((int(r) for *_, r in mine if r is not None), default=None)
        scenarios.append(BudgetScenario(
            amount_rp=amount, monthly_rp=row.bpu_monthly_rp, months_per_year=row.months_per_year,
            yearly_cost_per_person_rp=yearly, candidates=candidates, total_cost_rp=candidates * yearly,
            covered=covered, covered_cost_rp=covered * yearly, unspent_rp=amount - covered * yearly,
            remaining=candidates - covered, remaining_cost_rp=(candidates - covered) * yearly,
            last_covered_rank=last, kelurahan=per_kelurahan, region_code=code, region_name=region_name(code),
            scheme=row.scheme))
    if region is not None:
        only = _pick(scenarios, region)
        return replace(only, regions=(only,))
    if len(scenarios) == 1:
        return replace(scenarios[0], regions=(scenarios[0],))
    return BudgetScenario(
        amount_rp=sum(s.amount_rp for s in scenarios),
        monthly_rp=_common([s.monthly_rp for s in scenarios]),
        months_per_year=_common([s.months_per_year for s in scenarios]),
        yearly_cost_per_person_rp=_common([s.yearly_cost_per_person_rp for s in scenarios]),
        candidates=sum(s.candidates for s in scenarios), total_cost_rp=sum(s.total_cost_rp for s in scenarios),
        covered=sum(s.covered for s in scenarios), covered_cost_rp=sum(s.covered_cost_rp for s in scenarios),
        unspent_rp=sum(s.unspent_rp for s in scenarios), remaining=sum(s.remaining for s in scenarios),
        remaining_cost_rp=sum(s.remaining_cost_rp for s in scenarios), last_covered_rank=None,
        kelurahan=tuple(k for s in scenarios for k in s.kelurahan), region_code=None,
        region_name=region_title(publication_regions(publication_dir)),
        scheme=_common([s.scheme for s in scenarios]), regions=tuple(scenarios))


def _curves(publication_dir: Path, cost: CostConfig, max_points: int, region: str | None,
            by_region: bool) -> dict[str, CostCurve]:
    """Cost curves keyed by kabupaten/kota (`by_region`) or one under the key "" (the whole publication,
    or `region`'s candidates only)."""
    path = _candidates_file(publication_dir)
    where = "track = $track" + (" AND substr(kelurahan_code, 1, 4) = $region" if region else "")
    group = "substr(kelurahan_code, 1, 4)" if by_region else "''"
    params: dict[str, Any] = {"path": path, "track": _TRACK, **({"region": region} if region else {})}
    with duckdb.connect() as con:
        con.execute(f"""
            CREATE TEMP TABLE ranked AS
            SELECT {group} AS grp, desil,
                row_number() OVER (PARTITION BY {group} ORDER BY priority_rank, nik) AS position,
                sum({cost.yearly_rp_sql("kelurahan_code")}) OVER (PARTITION BY {group} ORDER BY priority_rank, nik
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative
            FROM read_parquet($path) WHERE {where}""", params)
        sizes = dict(con.execute("SELECT grp, max(position) FROM ranked GROUP BY grp").fetchall())
        milestones = con.execute("""
            WITH per_desil AS (SELECT grp, desil, max(position) AS position FROM ranked
                               WHERE desil IS NOT NULL GROUP BY grp, desil)
            SELECT grp, desil, max(position) OVER (PARTITION BY grp ORDER BY desil ROWS UNBOUNDED PRECEDING)
            FROM per_desil ORDER BY grp, desil""").fetchall()
        points: dict[str, list[int]] = {}
        for grp, n in sizes.items():
            step = max(1, -(-int(n) // max_points))
            points[grp] = sorted({0, int(n), *range(0, int(n) + 1, step),
                                  *(int(p) for g, _, p in milestones if g == grp)})
        wanted = [(g, p) for g, ps in points.items() for p in ps if p]
        cumulative = {(g, int(p)): int(c) for g, p, c in con.execute("""
            SELECT grp, position, cumulative FROM ranked
            JOIN (SELECT unnest($groups::VARCHAR[]) AS grp, unnest($positions::BIGINT[]) AS position)
                USING (grp, position)
            """, {"groups": [g for g, _ in wanted], "positions": [p for _, p in wanted]}).fetchall()}
    curves = {}
    for grp in sorted(points):
        ranks = points[grp]
        curves[grp] = CostCurve(
            ranks=tuple(ranks), cumulative_rp=tuple(cumulative.get((grp, r), 0) for r in ranks),
            desil_milestones=tuple((int(d), int(p), cumulative[(grp, int(p))])
                                   for g, d, p in milestones if g == grp))
    return curves


def cost_curve(publication_dir: Path, *, cost: CostConfig, max_points: int = 400,
               region: str | None = None) -> CostCurve:
    """Cumulative yearly cost in rank order (each candidate at the rate of their kabupaten/kota), thinned
    to about `max_points` points; `region` ("3519"): that kabupaten/kota's candidates only. With one rate
    the cost per person is the same for everyone, so straight lines between points are exact."""
    code = region.replace(".", "") if region else None
    return _curves(publication_dir, cost, max_points, code, by_region=False).get(
        "", CostCurve(ranks=(0,), cumulative_rp=(0,), desil_milestones=()))


def cost_curves(publication_dir: Path, *, cost: CostConfig, max_points: int = 400) -> dict[str, CostCurve]:
    """One cost curve per kabupaten/kota of the publication (code order), over its own candidates."""
    found = _curves(publication_dir, cost, max_points, None, by_region=True)
    empty = CostCurve(ranks=(0,), cumulative_rp=(0,), desil_milestones=())
    return {code: found.get(code, empty) for code in publication_kabupaten(publication_dir)}


def _milestones(curve: CostCurve) -> list[dict[str, int]]:
    return [{"desil_up_to": d, "candidates": rank, "cost_rp": rp} for d, rank, rp in curve.desil_milestones]


def write_budget(publication_dir: Path, *, cost: CostConfig, amount_rp: int | None = None) -> Path:
    """Write `budget.json` (aggregates only, no personal data) into the publication folder: the scenario
    (totals, or the one kabupaten/kota's) at the top, every desa/kelurahan under `kelurahan`, and one
    entry per kabupaten/kota under `regions` (code order), each with its own desil milestones."""
    scenario = budget_scenario(publication_dir, amount_rp=amount_rp, cost=cost)
    curve = cost_curve(publication_dir, cost=cost)
    curves = cost_curves(publication_dir, cost=cost) if scenario.several_regions else {scenario.region_code: curve}
    document = {**scenario.to_dict(), "desil_milestones": _milestones(curve)}
    for entry in document["regions"]:
        entry["desil_milestones"] = _milestones(curves[entry["region_code"]])
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
