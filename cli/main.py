"""`ucj`: Universal Coverage Jamsostek for Kota Madiun.

    ucj demo                                   generate the demo city and run the whole pipeline
    ucj generate --scale S --seed N --out DIR  write synthetic register, exports and truth
    ucj run --register F --members F [...] --out DIR [--config F]
    ucj eval                                   precision/recall of the list against generated truth
    ucj explain NIK [--publication DIR]        why one resident is or is not on the list
    ucj budget [--amount RP] [--region CODE]   who an APBD amount covers, in priority order
    ucj serve / ucj users ...                  the officers' portal and its accounts
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path

import click

from cli.budget import budget as budget_command
from cli.portal import serve, users
from pipeline.errors import UcjError

__all__ = ["main"]

_REPO = Path(__file__).resolve().parents[1]
DEMO_INPUTS = _REPO / "data" / "demo"
DEMO_PUBLICATIONS = _REPO / "data" / "published"
DEMO_REFERENCE_DATE = "2026-01-01"


def _say(message: str) -> None:
    click.echo(message, err=True)


def _rupiah(value: int) -> str:
    return "Rp " + f"{value:,}".replace(",", ".")


def _print_summary(root: Path) -> None:
    latest = root / "latest"
    manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    tracks = counts["tracks"]
    click.echo("")
    click.echo(f"Publication {manifest['publication_id']} (reference date {manifest['reference_date']})")
    for item in manifest["inputs"]:
        click.echo(f"  input  {item['file_name']}: {item['rows_in']:,} rows = {item['rows_used']:,} used "
                   f"+ {item['rows_rejected']:,} rejected")
    click.echo(f"  residents {counts['residents']:,}; memberships {counts['memberships']:,}; "
               f"links {counts['links'].get('link', 0):,}; pairs to review {counts['links'].get('review', 0):,}")
    click.echo("  coverage: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts["coverage"].items())))
    click.echo(f"  candidates {counts['candidates']:,}: " + ", ".join(
        f"{t} {tracks.get(t, 0):,}" for t in ("pro_jkk_jkm", "employer_compliance", "reactivation", "self_enrolment")))
    click.echo(f"  Pro JKK-JKM cost if all are covered: {_rupiah(counts['pro_jkk_jkm_yearly_cost_rp'])} per year")
    click.echo(f"Outputs: {latest.resolve()}")
    files = sorted(p.name for p in latest.iterdir() if p.is_file())
    workbooks = len(list((latest / "kelurahan").rglob("*.xlsx")))
    click.echo(f"  {', '.join(files)}, kelurahan/<kabupaten/kota>/<kecamatan>/*.xlsx "
               f"({workbooks:,} desa/kelurahan workbooks)")
    for warning in manifest.get("warnings", []):
        click.echo(f"  warning: {warning}")


def _overridden(config: Path | None, *, regions: tuple[str, ...] = (), model: Path | None = None,
                engine: str | None = None) -> Path | None:
    """The config file with the command line's overrides (`[region] codes` from --region, `[linking]
    model_file` from --model, `[engine] backend` from --engine), written once as JSON (the format of
    config.resolved.json, which load_config reads) under a name given by its content."""
    if not regions and model is None and engine is None:
        return config
    import dataclasses
    import hashlib
    import tempfile

    from pipeline.config import RegionConfig, load_config

    settings = load_config(config)
    if regions:
        settings = dataclasses.replace(settings, region=RegionConfig(codes=list(regions)))
    if model is not None:
        from pipeline.linking.link import load_model

        load_model(model)  # a file that is no model of this engine stops here, before Dagster starts
        settings = dataclasses.replace(settings, linking=dataclasses.replace(settings.linking,
                                                                             model_file=str(model.resolve())))
    if engine is not None:
        settings = dataclasses.replace(settings, engine=dataclasses.replace(settings.engine, backend=engine))
    text = json.dumps(settings.to_dict(), sort_keys=True, indent=1)
    path = Path(tempfile.gettempdir()) / f"ucj-config-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    if not path.is_file():
        path.write_text(text, encoding="utf-8")
    return path


def _run(register: list[Path], members: list[Path], out: Path, config: Path | None, warehouse: Path | None,
         reference_date: str | None, regions: tuple[str, ...] = (), model: Path | None = None,
         engine: str | None = None) -> None:
    from assets.launch import run_pipeline

    config = _overridden(config, regions=regions, model=model, engine=engine)

    outcome = run_pipeline(register=register, members=members, publication_root=out, config_file=config,
                           warehouse=warehouse, reference_date=reference_date)
    if not outcome.success:
        _say(f"\nThe run failed at step {outcome.failed_step or '?'} (run {outcome.run_id}); "
             f"the last publication is untouched.")
        if outcome.error:  # "pipeline.errors.InputFileError: file, row, column: what to do"
            _say(outcome.error.split(": ", 1)[1] if outcome.error.startswith("pipeline.errors.") else outcome.error)
        sys.exit(1)
    _print_summary(out)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Show debug logging.")
def main(verbose: bool) -> None:
    """Universal Coverage Jamsostek: who in Kota Madiun is not covered by BPJS Ketenagakerjaan."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--scale", type=float, default=1.0, show_default=True, help="1.0 = about 200,000 residents.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--profile", type=click.Choice(["standard", "hard", "wild"]), default="standard", show_default=True,
              help="Error rates: standard, hard (more of every error) or wild (real export damage).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write the files to.")
@click.option("--region", "regions", multiple=True, metavar="CODE",
              help="Kemendagri code of a region to generate (35.19 a kabupaten/kota, 35 a province), sized from "
                   "real resident counts (scale 1 = real size); repeat for several [default: 35.77, Kota Madiun].")
def generate(scale: float, seed: int, profile: str, out: Path, regions: tuple[str, ...]) -> None:
    """Write a synthetic population (Kota Madiun, or --region): register, BPJS TK exports and ground truth."""
    from pipeline.synthetic import generate_regions, plan_regions

    if regions:
        plan = plan_regions(regions, scale)
        _say(f"{', '.join(plan.regions)} at scale {scale}: {plan.families:,} families, about {plan.residents:,} "
             f"residents and {plan.member_rows:,} membership rows, in {plan.parts} part(s)")
    parts = generate_regions(out, regions or ("35.77",), scale=scale, seed=seed, profile=profile, progress=_say,
                             reference_date=date.fromisoformat(DEMO_REFERENCE_DATE))
    for files in parts:
        click.echo(f"register: {files.register} ({files.residents:,} residents, {files.families:,} families)")
        for path in files.members:
            click.echo(f"members:  {path}")
        click.echo(f"truth:    {files.truth_residents.parent} ({files.member_rows:,} membership rows)")
    if regions:  # the run must cover the same regions, or every row is outside them
        flags = " ".join(f"--region {c}" for c in regions)
        if len(parts) <= 3:
            inputs = " ".join(f"--register {f.register} " + " ".join(f"--members {m}" for m in f.members)
                              for f in parts)
            click.echo(f"run:      ucj run {inputs} --out DIR {flags}")
        else:
            click.echo(f"run:      ucj run with --register and --members for every file of {out}/part-*/, "
                       f"--out DIR {flags}")


@main.command()
@click.option("--register", "register", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, multiple=True, help="DTSEN register extract (CSV, XLSX or Parquet).")
@click.option("--members", "members", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, multiple=True, help="BPJS Ketenagakerjaan export; repeat for several files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Publication folder: each run adds a dated folder and moves DIR/latest to it.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="TOML file overriding settings (see config.example.toml).")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="DuckDB warehouse file [default: data/warehouse/ucj.duckdb].")
@click.option("--reference-date", default=None, help="Date ages are computed at (YYYY-MM-DD) [default: today].")
@click.option("--region", "regions", multiple=True, metavar="CODE",
              help="Kemendagri code of a region to cover (35.77 a kabupaten/kota, 35 a province); repeat for "
                   "several. Overrides [region] codes of the config [default: 35.77, Kota Madiun].")
@click.option("--model", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A publication's model.json: score with its weights instead of training new ones.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
              help="Where the linking stage runs; overrides [engine] backend of the config [default: duckdb]. "
                   "Spark needs the spark extra and Java 17; its session comes from the [engine] settings.")
def run(register: tuple[Path, ...], members: tuple[Path, ...], out: Path, config: Path | None,
        warehouse: Path | None, reference_date: str | None, regions: tuple[str, ...], model: Path | None,
        engine: str | None) -> None:
    """Run the whole pipeline (the Dagster job) on these files and publish to OUT."""
    try:
        _run(list(register), list(members), out, config, warehouse, reference_date, regions, model, engine)
    except UcjError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--scale", type=float, default=1.0, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
def demo(scale: float, seed: int) -> None:
    """Generate the demo city under data/demo and run the pipeline on it into data/published."""
    from pipeline.synthetic import generate as generate_city

    _say(f"generating the demo city (scale {scale}, seed {seed}) in {DEMO_INPUTS}")
    files = generate_city(DEMO_INPUTS, scale=scale, seed=seed, progress=_say,
                          reference_date=date.fromisoformat(DEMO_REFERENCE_DATE))
    _say("running the pipeline through Dagster")
    _run([files.register], list(files.members), DEMO_PUBLICATIONS, None, None, DEMO_REFERENCE_DATE)


@main.command("eval")
@click.option("--scale", type=float, default=1.0, show_default=True)
@click.option("--seed", type=int, default=11, show_default=True, help="Not the demo's seed: unseen data.")
@click.option("--profiles", default="standard,hard,wild", show_default=True)
@click.option("--warehouse", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Score an existing run's warehouse instead (needs --truth).")
@click.option("--truth", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Truth folder written by `ucj generate` (with --warehouse).")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="TOML file overriding settings, e.g. to try another link threshold.")
@click.option("--labels", is_flag=True,
              help="Score the model on the pairs officers settled in the portal instead (from --publication).")
@click.option("--publication", type=click.Path(file_okay=False, path_type=Path),  # needed only with --labels
              default=DEMO_PUBLICATIONS, show_default=True,
              help="With --labels: a publication folder, or a publication root (its `latest` is used).")
def evaluate_command(scale: float, seed: int, profiles: str, warehouse: Path | None, truth: Path | None,
                     config: Path | None, labels: bool, publication: Path) -> None:
    """Precision and recall of the uncovered list (and links, blocking) against generated truth, or
    (--labels) of the model on the pairs officers confirmed or rejected."""
    import tempfile
    import time

    from pipeline.config import load_config, project_root
    from pipeline.evaluation import evaluate, format_label_report, format_report, label_scores
    from pipeline.published.person import resolve_publication
    from pipeline.runner import run_engine
    from pipeline.synthetic import generate as generate_city
    from pipeline.warehouse import connect

    if labels:
        folder = resolve_publication(publication)
        click.echo(format_label_report(f"officers' labels in publication {folder.name}", label_scores(folder)))
        return
    settings = load_config(config)
    machine = settings.warehouse.options(project_root())  # memory limit, spill folder, threads
    if warehouse is not None:
        if truth is None:
            raise click.UsageError("--warehouse needs --truth")
        with connect(warehouse, **machine) as con:
            click.echo(format_report(f"run in {warehouse}", evaluate(con, truth)))
        return
    reference = date.fromisoformat(DEMO_REFERENCE_DATE)
    for profile in [p.strip() for p in profiles.split(",") if p.strip()]:
        with tempfile.TemporaryDirectory(prefix=f"ucj-eval-{profile}-") as folder:
            files = generate_city(Path(folder), scale=scale, seed=seed, profile=profile, reference_date=reference)
            with connect(**machine) as con:
                started = time.perf_counter()
                run_engine(con, register=[files.register], members=list(files.members), config=settings,
                           reference_date=reference, progress=_say)
                seconds = time.perf_counter() - started
                scores = evaluate(con, files.truth_residents.parent)
            click.echo(format_report(f"{profile} profile, scale {scale}, seed {seed}: {files.residents:,} residents, "
                                     f"{files.member_rows:,} membership rows", scores, seconds))


@main.command()
@click.argument("nik")
@click.option("--publication", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=DEMO_PUBLICATIONS, show_default=True,
              help="A publication folder, or a publication root (its `latest` is used).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def explain(nik: str, publication: Path, as_json: bool) -> None:
    """Why one resident is or is not on the list: source rows, compared memberships, decision, priority."""
    from pipeline.published.person import explain_person, render_text

    explanation = explain_person(publication, nik)
    if as_json:
        click.echo(json.dumps(explanation.to_dict(), indent=2, default=str, ensure_ascii=False))
    else:
        click.echo(render_text(explanation))


main.add_command(budget_command)
main.add_command(serve)
main.add_command(users)


def entry() -> None:
    try:
        main()
    except UcjError as exc:
        _say(f"error: {exc}")
        sys.exit(2)


if __name__ == "__main__":
    entry()
