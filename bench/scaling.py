"""Benchmark: how our engine scales with the size of the region (issue 13: a province on one 2-core machine).

    python bench/scaling.py                          # scales 0.25 1 5 10 of Kota Madiun, standard profile
    python bench/scaling.py --scales 0.1 0.25        # a smoke run, about two minutes
    python bench/scaling.py --out bench/results.md   # also write the table into results.md (make scaling)
    python bench/scaling.py --config small.toml      # e.g. a lower [warehouse] memory_limit, to make it spill

For each scale the synthetic city is generated into a temporary folder outside the repository, then the
engine (`pipeline.runner.run_engine`: ingest, clean, link, decide) runs in its own process on a fresh
in-memory DuckDB with the `[warehouse]` settings production uses (memory limit, spill folder, threads),
end to end from the files, and its list is scored against the generated truth. Generation, the engine run
and the scoring are bench/run.py's own workers (`_spawn`), so the figures are measured exactly as
`make bench` measures ours: wall seconds per stage inside the process (imports and scoring excluded),
peak resident set of the process when the engine has finished (getrusage), precision and recall of the
uncovered list (`pipeline.evaluation.evaluate`).

s per 100k rows = total seconds / (register rows + membership rows) x 100,000: the column that should
stay flat as the scale grows. The machine is shared: the load average before and after each run is
printed below the table. No assertions: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.run import _engine_version, _fmt, _say, _spawn  # noqa: E402 - after the path is set

__all__ = ["SECTION_BEGIN", "SECTION_END", "measure", "table", "section_of", "with_section"]

DEFAULT_SCALES = (0.25, 1.0, 5.0, 10.0)
STAGES = ("ingest", "clean", "link", "decide")
SECTION_BEGIN = "<!-- scaling: written by bench/scaling.py (make scaling); bench/run.py keeps it -->"
SECTION_END = "<!-- /scaling -->"


def measure(scale: float, *, seed: int, profile: str, config: Path | None = None, work: Path | None = None,
            keep: bool = False, verbose: bool = False) -> dict:
    """Generate one scale and run the engine on it (each in its own process); the figures of one row."""
    args = argparse.Namespace(scale_now=scale, seed_now=seed, profile_now=profile, u_max_pairs=None, threshold=None,
                              verbose=verbose, config=config)
    folder = Path(tempfile.mkdtemp(prefix=f"ucj-scaling-{profile}-{scale:g}-", dir=work))
    try:
        _say(f"== {profile} scale {scale:g} seed {seed}: generating into {folder} "
             f"(load average {os.getloadavg()[0]:.1f})")
        gen = _spawn("generate", args, folder)
        if "error" in gen:
            return {"scale": scale, "error": f"generation failed: {gen['error']}"}
        _say(f"   {gen['residents']:,} residents, {gen['member_rows']:,} membership rows ({gen['seconds']:.0f} s); "
             f"running the engine")
        ours = _spawn("ours", args, folder)
        _say(f"   engine: {ours.get('wall', ours.get('error'))} s")
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return {"scale": scale, "generated": gen, **ours}


HEADER = ("| scale | residents | membership rows | candidate pairs | ingest s | clean s | link s | decide s | total s "
          "| s per 100k rows | peak RSS MB | list P | list R |")


def _row(r: dict) -> str:
    if "error" in r:
        return f"| {r['scale']:g} | {r['error']} |" + " - |" * (HEADER.count("|") - 3)
    gen, sec, scores = r["generated"], r["seconds"], r["scores"]
    rows = gen["register_rows"] + gen["member_rows"]
    return (f"| {r['scale']:g} | {gen['residents']:,} | {gen['member_rows']:,} | {r['candidate_pairs']:,} "
            + "".join(f"| {sec[s]:.1f} " for s in STAGES)
            + f"| {r['wall']:.1f} | {r['wall'] / rows * 100_000:.2f} | {r['peak_mb']:,.0f} "
            f"| {_fmt(scores['list_precision'])} | {_fmt(scores['list_recall'])} |")


def table(results: list[dict], *, profile: str, seed: int, command: str, config: Path | None = None) -> str:
    """The Markdown section: heading, the table, how it was measured, the load average of each run."""
    lines = [f"## Scaling: our engine from scale {results[0]['scale']:g} to {results[-1]['scale']:g} of Kota Madiun "
             f"({profile} profile, seed {seed}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})", "",
             f"Engine commit {_engine_version()}; settings {config or 'the defaults'} (`[warehouse]` memory limit, "
             f"spill folder and threads included). Command: `{command}`", "",
             HEADER, "|" + "---|" * (HEADER.count("|") - 1)]
    lines += [_row(r) for r in results]
    lines += ["", "Scale 1 = Kota Madiun (about 200,000 residents). Seconds are wall-clock seconds of each stage of "
              "`pipeline.runner.run_engine` in its own process on a fresh in-memory DuckDB (imports and scoring "
              "excluded); total = the four stages; s per 100k rows = total / (register rows + membership rows) "
              "x 100,000, which should stay flat as the scale grows; candidate pairs = pairs the blocking rules "
              "gave the comparisons; peak RSS = maximum resident set of that process when the engine has finished; "
              "list P / R = precision and recall of the uncovered list against the generated truth.", ""]
    for r in results:
        if "error" not in r:
            gen = r["generated"]
            lines.append(f"- scale {r['scale']:g}: {gen['register_rows']:,} register rows, generated in "
                         f"{gen['seconds']:.0f} s; process peak with scoring {r['peak_mb_process']:,.0f} MB; "
                         f"load average {r['load'][0]} before, {r['load'][1]} after")
    return "\n".join(lines) + "\n"


def section_of(text: str) -> str:
    """The scaling section of a results file (markers included), or ''."""
    start, end = text.find(SECTION_BEGIN), text.find(SECTION_END)
    return text[start:end + len(SECTION_END)] + "\n" if 0 <= start < end else ""


def with_section(text: str, section: str) -> str:
    """`text` with its scaling section replaced by `section` (between the markers, which it may carry
    already), or `section` appended."""
    body = section.replace(SECTION_BEGIN, "").replace(SECTION_END, "").strip()
    block = f"{SECTION_BEGIN}\n\n{body}\n\n{SECTION_END}\n"
    old = section_of(text)
    if old:
        return text.replace(old, block)
    return text.rstrip("\n") + ("\n\n" if text.strip() else "") + block


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=list(DEFAULT_SCALES),
                        help="scales of Kota Madiun to run, smallest first (1 = about 200,000 residents) "
                             f"[default: {' '.join(f'{s:g}' for s in DEFAULT_SCALES)}]")
    parser.add_argument("--profile", default="standard", choices=["standard", "hard", "wild"])
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--config", type=Path, default=None,
                        help="TOML settings for the engine, e.g. a lower [warehouse] memory_limit [default: none]")
    parser.add_argument("--out", type=Path, default=None,
                        help="also write the table into this Markdown file, replacing its earlier scaling section")
    parser.add_argument("--work", type=Path, default=None, help="folder for generated data [default: a temp folder]")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--verbose", action="store_true", help="the engine's progress")
    args = parser.parse_args(argv)

    config = args.config.resolve() if args.config else None
    results = [measure(scale, seed=args.seed, profile=args.profile, config=config, work=args.work, keep=args.keep,
                       verbose=args.verbose) for scale in sorted(args.scales)]
    command = "python bench/scaling.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = table(results, profile=args.profile, seed=args.seed, command=command.strip(), config=args.config)
    print(text)
    if args.out is not None:
        old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        args.out.write_text(with_section(old, text), encoding="utf-8")
        _say(f"written to {args.out}")


if __name__ == "__main__":
    main()
