"""`ucj budget --amount RP [--publication DIR]`: the budget scenario for one APBD amount, in Indonesian.

Registered on the `ucj` group in cli/main.py (`main.add_command(budget)`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.formatting import format_number, format_rupiah
from pipeline.published.budget import BudgetScenario, parse_rupiah

__all__ = ["budget", "render_scenario"]

_PUBLICATIONS = Path(__file__).resolve().parents[1] / "data" / "published"


class _Rupiah(click.ParamType):
    name = "RP"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return parse_rupiah(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def render_scenario(scenario: BudgetScenario, *, publication_id: str, reference_date: str) -> str:
    """The scenario as text for a terminal (Indonesian labels, Rupiah with dots)."""
    s = scenario
    lines = [
        f"Skenario anggaran Pro JKK-JKM - publikasi {publication_id} (tanggal acuan {reference_date})",
        "",
        f"  Anggaran APBD                 {format_rupiah(s.amount_rp)} per tahun",
        f"  Iuran per orang               {format_rupiah(s.monthly_rp)} per bulan x {s.months_per_year} = "
        f"{format_rupiah(s.yearly_cost_per_person_rp)} per tahun",
        f"  Calon Pro JKK-JKM             {format_number(s.candidates)} orang, "
        f"{format_rupiah(s.total_cost_rp)} per tahun",
        f"  Ditanggung APBD               {format_number(s.covered)} orang"
        + (f" (peringkat 1-{format_number(s.covered)})" if s.covered else "")
        + f", {format_rupiah(s.covered_cost_rp)}",
        f"  Sisa anggaran                 {format_rupiah(s.unspent_rp)}",
        f"  Sisa calon untuk CSR          {format_number(s.remaining)} orang, "
        f"{format_rupiah(s.remaining_cost_rp)} per tahun",
        "",
        f"  {'Kelurahan':<17}{'Kecamatan':<12}{'Calon':>8}{'APBD':>8}{'CSR':>8}{'Biaya CSR per tahun':>24}",
    ]
    for k in s.kelurahan:
        lines.append(f"  {k.name:<17}{k.kecamatan:<12}{format_number(k.candidates):>8}{format_number(k.covered):>8}"
                     f"{format_number(k.remaining):>8}{format_rupiah(k.remaining_cost_rp):>24}")
    lines.append(f"  {'Jumlah':<29}{format_number(s.candidates):>8}{format_number(s.covered):>8}"
                 f"{format_number(s.remaining):>8}{format_rupiah(s.remaining_cost_rp):>24}")
    return "\n".join(lines)


@click.command("budget")
@click.option("--amount", type=_Rupiah(), required=True,
              help="APBD amount per year in Rupiah: 3000000000, 3.000.000.000, 'Rp 3.000.000.000', '3 miliar'.")
@click.option("--publication", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=_PUBLICATIONS, show_default=True,
              help="A publication folder, or a publication root (its `latest` is used).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def budget(amount: int, publication: Path, as_json: bool) -> None:
    """How many Pro JKK-JKM candidates an APBD amount covers in rank order, and what remains for CSR."""
    from pipeline.published.budget import budget_scenario, publication_cost
    from pipeline.published.person import resolve_publication

    folder = resolve_publication(publication)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    scenario = budget_scenario(folder, amount_rp=amount, cost=publication_cost(folder))
    if as_json:
        click.echo(json.dumps({"publication_id": manifest.get("publication_id"), **scenario.to_dict()},
                              indent=2, ensure_ascii=False))
        return
    reference = manifest.get("reference_date", "?")
    if len(reference) == 10:
        reference = f"{reference[8:10]}-{reference[5:7]}-{reference[0:4]}"
    click.echo(render_scenario(scenario, publication_id=manifest.get("publication_id", folder.name),
                               reference_date=reference))
