"""`ucj budget [--amount RP] [--region CODE] [--publication DIR]`: the budget scenario, in Indonesian.

Registered on the `ucj` group in cli/main.py (`main.add_command(budget)`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.decisions.tracks import SEVERAL_SCHEMES
from pipeline.errors import UcjError
from pipeline.formatting import format_number, format_rupiah
from pipeline.published.budget import BudgetScenario, dotted_region, parse_rupiah

__all__ = ["budget", "render_scenario", "render_regions"]

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


def _scheme(s: BudgetScenario) -> str:
    """The scenario's scheme name ("Pro JKK-JKM" in Kota Madiun); several named differently: a common word."""
    return s.scheme or SEVERAL_SCHEMES


def _summary_lines(s: BudgetScenario) -> list[str]:
    covered = f"{format_number(s.covered)} orang"
    if s.last_covered_rank:
        covered += f" (peringkat 1-{format_number(s.last_covered_rank)})"
    return [
        f"  Anggaran APBD                 {format_rupiah(s.amount_rp)} per tahun",
        f"  Iuran per orang               {format_rupiah(s.monthly_rp or 0)} per bulan x {s.months_per_year} = "
        f"{format_rupiah(s.yearly_cost_per_person_rp or 0)} per tahun",
        f"  {'Calon ' + _scheme(s):<29} {format_number(s.candidates)} orang, "
        f"{format_rupiah(s.total_cost_rp)} per tahun",
        f"  Ditanggung APBD               {covered}, {format_rupiah(s.covered_cost_rp)}",
        f"  Sisa anggaran                 {format_rupiah(s.unspent_rp)}",
        f"  Sisa calon untuk CSR          {format_number(s.remaining)} orang, "
        f"{format_rupiah(s.remaining_cost_rp)} per tahun",
    ]


def render_scenario(scenario: BudgetScenario, *, publication_id: str, reference_date: str,
                    several_regions: bool = False) -> str:
    """One kabupaten/kota's scenario as text for a terminal (Indonesian labels, Rupiah with dots), with its
    desa/kelurahan table. `several_regions`: the publication has others (their ranks are publication-wide)."""
    s = scenario
    lines = [f"Skenario anggaran {_scheme(s)} - publikasi {publication_id} (tanggal acuan {reference_date})", ""]
    if several_regions:
        lines += [f"  {s.region_name} ({dotted_region(s.region_code or '')}), skema {s.scheme}",
                  "  Peringkat: urutan prioritas seluruh publikasi; yang ditanggung adalah calon kabupaten/kota ini",
                  "  dengan peringkat tersebut, dari anggaran kabupaten/kota ini saja.", ""]
    lines += _summary_lines(s)
    place = "Kelurahan" if all(k.code[6] == "1" for k in s.kelurahan) else "Desa/Kelurahan"
    lines += ["", f"  {place:<17}{'Kecamatan':<12}{'Calon':>8}{'APBD':>8}{'CSR':>8}{'Biaya CSR per tahun':>24}"]
    for k in s.kelurahan:
        lines.append(f"  {k.name:<17}{k.kecamatan:<12}{format_number(k.candidates):>8}{format_number(k.covered):>8}"
                     f"{format_number(k.remaining):>8}{format_rupiah(k.remaining_cost_rp):>24}")
    lines.append(f"  {'Jumlah':<29}{format_number(s.candidates):>8}{format_number(s.covered):>8}"
                 f"{format_number(s.remaining):>8}{format_rupiah(s.remaining_cost_rp):>24}")
    return "\n".join(lines)


def render_regions(scenario: BudgetScenario, *, publication_id: str, reference_date: str,
                   amount_rp: int | None) -> str:
    """The scenarios of a publication of several kabupaten/kota: each one's figures at its own rate, then
    a table of all of them with the totals (`amount_rp`: the amount given, tried for each one)."""
    s = scenario
    codes = ", ".join(dotted_region(r.region_code or "") for r in s.regions)
    if amount_rp is None:
        source = "Anggaran: apbd_budget_rp masing-masing kabupaten/kota dalam konfigurasi publikasi."
    else:
        source = (f"Anggaran {format_rupiah(amount_rp)} dari --amount berlaku untuk MASING-MASING kabupaten/kota "
                  f"(bukan dibagi): jumlah {format_rupiah(s.amount_rp)}.")
    lines = [f"Skenario anggaran {_scheme(s)} - publikasi {publication_id} (tanggal acuan {reference_date})", "",
             f"  {len(s.regions)} kabupaten/kota; masing-masing menanggung calonnya sendiri menurut urutan prioritas,",
             "  dengan tarif iuran dan anggaran APBD-nya sendiri.", f"  {source}",
             "  Peringkat: urutan prioritas seluruh publikasi; yang ditanggung adalah calon kabupaten/kota itu",
             "  dengan peringkat tersebut.", f"  Tabel per desa/kelurahan: --region KODE ({codes}).", ""]
    for r in s.regions:
        lines += [f"{r.region_name} ({dotted_region(r.region_code or '')}), skema {r.scheme}", *_summary_lines(r), ""]
    lines.append(f"  {'Kabupaten/Kota':<26}{'Iuran/bulan':>12}{'Anggaran':>20}{'Calon':>9}{'APBD':>9}{'CSR':>9}"
                 f"{'Sisa anggaran':>18}{'Biaya CSR per tahun':>22}")
    for r in s.regions:
        lines.append(f"  {r.region_name[:25]:<26}{format_rupiah(r.monthly_rp or 0):>12}{format_rupiah(r.amount_rp):>20}"
                     f"{format_number(r.candidates):>9}{format_number(r.covered):>9}{format_number(r.remaining):>9}"
                     f"{format_rupiah(r.unspent_rp):>18}{format_rupiah(r.remaining_cost_rp):>22}")
    lines.append(f"  {'Jumlah':<26}{'':>12}{format_rupiah(s.amount_rp):>20}{format_number(s.candidates):>9}"
                 f"{format_number(s.covered):>9}{format_number(s.remaining):>9}{format_rupiah(s.unspent_rp):>18}"
                 f"{format_rupiah(s.remaining_cost_rp):>22}")
    return "\n".join(lines)


@click.command("budget")
@click.option("--amount", type=_Rupiah(), default=None,
              help="APBD amount per year in Rupiah, for one kabupaten/kota: 3000000000, 3.000.000.000, "
                   "'Rp 3.000.000.000', '3 miliar'. On a publication of several kabupaten/kota it is tried for "
                   "EACH of them (not shared). Default: each one's [cost] apbd_budget_rp the publication was "
                   "made with (the scenario in budget.json).")
@click.option("--region", "region", metavar="CODE", default=None,
              help="Kabupaten/kota code (35.19 or 3519): that one's scenario, with its desa/kelurahan table. "
                   "Without it, a publication of several kabupaten/kota shows each one's scenario and the totals.")
@click.option("--publication", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=_PUBLICATIONS, show_default=True,
              help="A publication folder, or a publication root (its `latest` is used).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def budget(amount: int | None, region: str | None, publication: Path, as_json: bool) -> None:
    """How many Pro JKK-JKM candidates an APBD amount covers in rank order, and what remains for CSR.

    Each kabupaten/kota pays for its own residents (by desa/kelurahan code) from its own APBD, at its own
    rate ([cost.regions."PP.KK"], else the default [cost] row), covering its candidates in priority order.
    """
    from pipeline.published.budget import budget_scenario, publication_cost
    from pipeline.published.person import resolve_publication

    folder = resolve_publication(publication)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    scenario = budget_scenario(folder, amount_rp=amount, cost=publication_cost(folder))
    if region is not None:
        try:
            chosen = scenario.region(region)
        except UcjError as exc:
            raise click.BadParameter(str(exc), param_hint="--region") from exc
        several, scenario = scenario.several_regions, chosen
    else:
        several = False
    if as_json:
        click.echo(json.dumps({"publication_id": manifest.get("publication_id"), **scenario.to_dict()},
                              indent=2, ensure_ascii=False))
        return
    reference = manifest.get("reference_date", "?")
    if len(reference) == 10:
        reference = f"{reference[8:10]}-{reference[5:7]}-{reference[0:4]}"
    publication_id = manifest.get("publication_id", folder.name)
    if scenario.several_regions:
        click.echo(render_regions(scenario, publication_id=publication_id, reference_date=reference,
                                  amount_rp=amount))
    else:
        click.echo(render_scenario(scenario, publication_id=publication_id, reference_date=reference,
                                   several_regions=several))
