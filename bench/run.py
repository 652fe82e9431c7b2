"""Benchmark: our engine vs Splink 5 on the same generated files, in the same run.

    python bench/run.py                                  # scale 1, standard, hard and wild (make bench)
    python bench/run.py --scales 5 --profile standard --append
    python bench/run.py --scales 0.05 --quick            # smoke run, about half a minute
    python bench/run.py --tune                           # re-tune Splink's threshold on seed 101

For each scale the synthetic city is generated into a temporary folder outside the repository,
then each engine runs in its own subprocess on a fresh in-memory DuckDB, end to end from the files:
- ours:   `pipeline.runner.run_engine` (ingest, clean, link, decide);
- Splink: the same ingest and clean functions, Splink training + prediction + one-to-one
          (`bench/splink_peer.py`), then the same decision functions (coverage, tracks, candidates).
Both are scored by `pipeline.evaluation.evaluate` against the generated truth, overall and by the
error family of the membership rows (covered people wrongly listed, uncovered people wrongly
hidden). Times are wall-clock seconds of the stages inside the subprocess (imports and scoring
excluded); peak memory is the subprocess's maximum resident set size (getrusage) when the engine
has finished, before scoring.
The Markdown table is printed and written to bench/results.md (overwritten unless --append).
No assertions: this is a benchmark, not a test.

Splink is the optional extra `bench` (`pip install -e ".[bench]"`). If it cannot live in the
project's environment, install it into another interpreter and pass `--splink-python PATH`: the
Splink subprocess then runs with that interpreter (it still imports this project, found through
PYTHONPATH).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

REFERENCE_DATE = date(2026, 1, 1)
RESULTS = REPO / "bench" / "results.md"
TUNING = REPO / "bench" / "splink_tuning.md"


def _engine_version() -> str:
    """Commit of the engine measured: `git describe` of this tree (with -dirty when pipeline/ has
    uncommitted changes), or the COMMIT file of an exported snapshot."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "pipeline"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        marker = REPO / "COMMIT"
        return marker.read_text(encoding="utf-8").strip()[:7] if marker.exists() else "unknown"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _peak_mb_self() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --------------------------------------------------------------------------- workers (subprocesses)

def _files(data: Path) -> tuple[list[Path], list[Path]]:
    from pipeline.synthetic import CSV_FILE, REGISTER_FILE, XLSX_FILE

    return [data / REGISTER_FILE], [data / XLSX_FILE, data / CSV_FILE]


def _worker_generate(args: argparse.Namespace) -> dict:
    from pipeline.synthetic import generate

    clock = time.perf_counter()
    files = generate(Path(args.data), scale=args.scale, seed=args.seed, profile=args.profile,
                     reference_date=REFERENCE_DATE)
    return {"seconds": round(time.perf_counter() - clock, 3), "residents": files.residents,
            "member_rows": files.member_rows, "register_rows": files.register_rows}


def _counts(con) -> dict:
    return {"residents": con.execute("SELECT count(*) FROM residents").fetchall()[0][0],
            "memberships": con.execute("SELECT count(*) FROM memberships").fetchall()[0][0]}


def _scores(scores) -> dict:
    return {**scores.summary(), "list_predicted": scores.list_predicted, "pair_true": scores.pair_true,
            "pair_predicted": scores.pair_predicted, "pair_correct": scores.pair_correct,
            "blocking_found": scores.blocking_found, "by_error": [list(row) for row in scores.by_error]}


def _config(args: argparse.Namespace):
    """The engine's settings: --config's file, else the defaults."""
    from pipeline.config import load_config

    return load_config(Path(args.config) if getattr(args, "config", None) else None)


def _connect(config):
    """A fresh in-memory DuckDB with the settings production uses (its `[warehouse]` memory limit, spill
    folder and threads included)."""
    from pipeline.config import project_root
    from pipeline.warehouse import connect

    return connect(**config.warehouse.options(project_root()))


def _worker_ours(args: argparse.Namespace) -> dict:
    from pipeline.evaluation import evaluate
    from pipeline.runner import run_engine

    register, members = _files(Path(args.data))
    config = _config(args)
    con = _connect(config)
    clock = time.perf_counter()
    run = run_engine(con, register=register, members=members, config=config, reference_date=REFERENCE_DATE,
                     progress=_say if args.verbose else None)
    wall = time.perf_counter() - clock
    peak = _peak_mb_self()
    scores = evaluate(con, Path(args.data) / "truth")
    return {"wall": round(wall, 3), "seconds": run.seconds, "link_stages": run.linking.seconds, "peak_mb": peak,
            "candidate_pairs": run.linking.candidate_pairs, "links": run.linking.decisions.get("link", 0),
            "review": run.linking.decisions.get("review", 0), **_counts(con), "scores": _scores(scores)}


def _ingest_clean(con, data: Path, config, verbose: bool) -> dict[str, float]:
    from pipeline.ingest.clean import build_rejects, clean_members, clean_register
    from pipeline.ingest.load import load_role

    register, members = _files(data)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    load_role(con, "register", register, config.ingest, _say if verbose else None)
    load_role(con, "members", members, config.ingest, _say if verbose else None)
    seconds["ingest"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    clean_register(con, config, REFERENCE_DATE)
    clean_members(con, config, REFERENCE_DATE)
    build_rejects(con)
    seconds["clean"] = round(time.perf_counter() - clock, 3)
    return seconds


def _worker_splink(args: argparse.Namespace) -> dict:
    from bench import splink_peer

    config = _config(args)
    con = _connect(config)
    clock = time.perf_counter()
    seconds = _ingest_clean(con, Path(args.data), config, args.verbose)
    link_clock = time.perf_counter()
    run = splink_peer.run_splink(con, threshold=args.threshold, u_max_pairs=args.u_max_pairs,
                                 verbose=args.verbose, progress=_say if args.verbose else None)
    seconds["link"] = round(time.perf_counter() - link_clock, 3)
    decide_clock = time.perf_counter()
    splink_peer.decide(con, config, REFERENCE_DATE)
    seconds["decide"] = round(time.perf_counter() - decide_clock, 3)
    wall = time.perf_counter() - clock
    peak = _peak_mb_self()
    scores = splink_peer.score(con, Path(args.data) / "truth")
    return {"wall": round(wall, 3), "seconds": seconds, "link_stages": run.seconds, "peak_mb": peak,
            "candidate_pairs": run.blocked_pairs, "links": run.links, "predicted_pairs": run.predicted_pairs,
            "threshold": run.threshold,
            "probability_two_random_records_match": run.probability_two_random_records_match,
            **_counts(con), "scores": _scores(scores), "model": run.model}


def _worker_tune(args: argparse.Namespace) -> dict:
    from bench import splink_peer

    config = _config(args)
    con = _connect(config)
    _ingest_clean(con, Path(args.data), config, args.verbose)
    keep: list = []
    splink_peer.run_splink(con, threshold=min(splink_peer.TUNING_GRID), u_max_pairs=args.u_max_pairs,
                           verbose=args.verbose, keep=keep)
    linker, predictions = keep
    rows = []
    for threshold in splink_peer.TUNING_GRID:
        splink_peer.one_to_one(con, linker, predictions, threshold)
        splink_peer.decide(con, config, REFERENCE_DATE, candidates=False)
        rows.append({"threshold": threshold, **_scores(splink_peer.score(con, Path(args.data) / "truth"))})
        _say(f"threshold {threshold}: list F1 {rows[-1]['list_f1']}, pair F1 {rows[-1]['pair_f1']}")
    return {"rows": rows}


WORKERS = {"generate": _worker_generate, "ours": _worker_ours, "splink": _worker_splink, "tune": _worker_tune}


# --------------------------------------------------------------------------- parent

def _spawn(worker: str, args: argparse.Namespace, data: Path, *, python: str | None = None,
           timeout: float | None = None, extra: list[str] | None = None) -> dict:
    """Run one worker in its own process; return its JSON result with `peak_mb_process` (wait4)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_file = Path(handle.name)
    command = [python or sys.executable, str(Path(__file__).resolve()), "--worker", worker, "--data", str(data),
               "--result", str(result_file), "--scale", str(args.scale_now), "--seed", str(args.seed_now),
               "--profile", args.profile_now]
    if args.u_max_pairs is not None:
        command += ["--u-max-pairs", str(args.u_max_pairs)]
    if args.threshold is not None:
        command += ["--threshold", str(args.threshold)]
    if args.verbose:
        command.append("--verbose")
    if getattr(args, "config", None):
        command += ["--config", str(Path(args.config).resolve())]
    command += extra or []
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    load_before = os.getloadavg()[0]
    clock = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    status = rusage = None
    deadline = None if timeout is None else clock + timeout
    while True:
        pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            process.kill()
            os.wait4(process.pid, 0)
            process.returncode = -9
            result_file.unlink(missing_ok=True)
            return {"error": f"timed out after {timeout:.0f} s"}
        time.sleep(0.2)
    process.returncode = os.waitstatus_to_exitcode(status)
    try:
        if process.returncode != 0:
            return {"error": f"exit code {process.returncode}"}
        result = json.loads(result_file.read_text(encoding="utf-8"))
    finally:
        result_file.unlink(missing_ok=True)
    result["process_seconds"] = round(time.perf_counter() - clock, 3)
    result["load"] = (round(load_before, 1), round(os.getloadavg()[0], 1))  # 1-minute load average, before/after
    result["peak_mb_process"] = rusage.ru_maxrss / 1024
    return result


def _splink_version(python: str | None) -> str:
    try:
        return subprocess.run([python or sys.executable, "-c", "import splink; print(splink.__version__)"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not installed"


def _fastest(runs: list[dict]) -> dict:
    """The run with the smallest wall time (scores are deterministic); all walls kept in `walls`."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return runs[-1]
    best = dict(min(good, key=lambda r: r["wall"]))
    best["walls"] = [r["wall"] for r in good]
    return best


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


HEADER = ("| engine | profile | scale | residents | memberships | wall s | ingest+clean s | link s | peak MB "
          "| list P | list R | list F1 | wrongly listed | wrongly hidden | pair F1 | blocking recall |")


def _row(engine: str, profile: str, scale: float, r: dict) -> str:
    if "error" in r:
        return f"| {engine} | {profile} | {scale:g} | - | - | {r['error']} |" + " - |" * 10
    s, sec = r["scores"], r["seconds"]
    return (f"| {engine} | {profile} | {scale:g} | {r['residents']:,} | {r['memberships']:,} | {r['wall']:.1f} "
            f"| {sec['ingest'] + sec['clean']:.1f} | {sec['link']:.1f} | {r['peak_mb']:,.0f} "
            f"| {_fmt(s['list_precision'])} | {_fmt(s['list_recall'])} | {_fmt(s['list_f1'])} "
            f"| {s['covered_wrongly_listed']:,} | {s['uncovered_wrongly_hidden']:,} | {_fmt(s['pair_f1'])} "
            f"| {_fmt(s['blocking_recall'])} |")


def _ratio(ours: dict, splink: dict) -> str:
    if "error" in ours or "error" in splink:
        return "-"
    link = splink["seconds"]["link"] / ours["seconds"]["link"]
    return (f"wall x{splink['wall'] / ours['wall']:.2f}, link x{link:.2f}, "
            f"peak memory x{splink['peak_mb'] / ours['peak_mb']:.2f}")


def _stages(engine: str, r: dict) -> str:
    if "error" in r:
        return f"- {engine}: {r['error']}"
    stages = ", ".join(f"{k} {v:.1f}" for k, v in r["seconds"].items())
    link = ", ".join(f"{k} {v:.1f}" for k, v in r["link_stages"].items())
    pairs = f"{r['candidate_pairs']:,} blocked pairs, {r['links']:,} links"
    walls = f" (fastest of {len(r['walls'])}: {', '.join(f'{w:.1f}' for w in r['walls'])} s)" \
        if len(r.get("walls", [])) > 1 else ""
    walls += f" [load average {r['load'][0]} before, {r['load'][1]} after]" if "load" in r else ""
    return (f"- {engine}{walls}: {stages} s; link stages: {link} s; {pairs}; "
            f"process peak {r['peak_mb_process']:,.0f} MB (with scoring)")


def _by_error(ours: dict, splink: dict) -> list[str]:
    """Per error family of the membership rows, ours vs Splink: covered people wrongly listed,
    uncovered people wrongly hidden, missed and wrong links, true pairs never compared (rows rejected
    at ingest are the same for both: same ingest and cleaning code)."""
    if "error" in ours:
        return []
    theirs = {row[0]: row for row in splink["scores"]["by_error"]} if "error" not in splink else {}
    lines = ["| error family of the membership row | rows | rejected at ingest | wrongly listed: ours | Splink "
             "| wrongly hidden: ours | Splink | missed links: ours | Splink | wrong links: ours | Splink "
             "| never compared: ours | Splink |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def cell(row: list | None, k: int) -> str:
        return "-" if row is None else f"{row[k]:,}"

    for row in ours["scores"]["by_error"]:
        error, rows, missed, wrong, unblocked, rejected, listed, hidden = row
        t = theirs.get(error) if theirs else None
        lines.append(f"| {error} | {rows:,} | {rejected:,} | {listed:,} | {cell(t, 6)} | {hidden:,} | {cell(t, 7)} "
                     f"| {missed:,} | {cell(t, 2)} | {wrong:,} | {cell(t, 3)} | {unblocked:,} | {cell(t, 4)} |")
    lines += ["", "A covered person wrongly listed counts under every family their active membership rows carried; "
              "an uncovered person wrongly hidden under every family of the rows wrongly linked to them "
              "('none': no such row)."]
    return lines


def _family_rates(profiles: list[str]) -> list[str]:
    """The generator's error families with their rates per membership row, for each profile run."""
    from pipeline.synthetic import error_families, get_profile

    rates = {p: error_families(get_profile(p)) for p in profiles}
    names = sorted({f for r in rates.values() for f in r})
    lines = ["| error family (generator setting) | " + " | ".join(profiles) + " |",
             "|---|" + "---|" * len(profiles)]
    for f in names:
        lines.append(f"| {f} | " + " | ".join(f"{rates[p][f]:.2%}" if f in rates[p] else "-" for p in profiles)
                     + " |")
    return lines


def _tune(args: argparse.Namespace) -> None:
    from bench import splink_peer

    work = Path(tempfile.mkdtemp(prefix="ucj-bench-tune-"))
    try:
        args.scale_now, args.seed_now, args.profile_now = args.tune_scale, args.tune_seed, "standard"
        _say(f"generating scale {args.tune_scale:g}, seed {args.tune_seed} (tuning)")
        gen = _spawn("generate", args, work)
        _say(f"tuning Splink's threshold ({gen['member_rows']:,} membership rows)")
        result = _spawn("tune", args, work, python=args.splink_python)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if "error" in result:
        _say(f"tuning failed: {result['error']}")
        sys.exit(1)
    best = max(result["rows"], key=lambda row: (row["list_f1"], row["pair_f1"]))
    lines = [f"# Splink threshold tuning (scale {args.tune_scale:g}, seed {args.tune_seed}, standard profile)", "",
             f"Generated by `python bench/run.py --tune`. Best uncovered-list F1 at match probability "
             f"{best['threshold']} (in use: `splink_peer.THRESHOLD = {splink_peer.THRESHOLD}`).", "",
             "| threshold | list P | list R | list F1 | wrongly listed | wrongly hidden | pair P | pair R | pair F1 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        lines.append(f"| {row['threshold']} | {_fmt(row['list_precision'])} | {_fmt(row['list_recall'])} "
                     f"| {_fmt(row['list_f1'])} | {row['covered_wrongly_listed']} | {row['uncovered_wrongly_hidden']} "
                     f"| {_fmt(row['pair_precision'])} | {_fmt(row['pair_recall'])} | {_fmt(row['pair_f1'])} |")
    text = "\n".join(lines) + "\n"
    print(text)
    TUNING.write_text(text, encoding="utf-8")
    _say(f"written to {TUNING}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1", help="comma-separated scales (1 = about 200,000 residents)")
    parser.add_argument("--profile", default="standard,hard,wild",
                        help="standard, hard or wild, or several comma-separated (every scale runs for each)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: Splink u from 1e5 random pairs; results not written unless --out")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each engine N times (interleaved) and report the fastest run")
    parser.add_argument("--splink-max-scale", type=float, default=5.0, help="skip Splink above this scale")
    parser.add_argument("--splink-timeout", type=float, default=3600.0, help="seconds before Splink is stopped")
    parser.add_argument("--splink-python", default=None,
                        help="interpreter with splink installed, if not this one (e.g. /tmp/splink-venv/bin/python)")
    parser.add_argument("--threshold", type=float, default=None, help="Splink match-probability threshold "
                        "[default: splink_peer.THRESHOLD]")
    parser.add_argument("--u-max-pairs", type=float, default=None, help="Splink's u random-sampling pairs "
                        "[default: splink_peer.U_MAX_PAIRS]")
    parser.add_argument("--config", type=Path, default=None,
                        help="TOML settings for both engines' runs, e.g. a [warehouse] memory limit [default: none]")
    parser.add_argument("--out", type=Path, default=None, help=f"Markdown output [default: {RESULTS}]")
    parser.add_argument("--append", action="store_true", help="append to the output instead of overwriting it")
    parser.add_argument("--work", type=Path, default=None, help="folder for generated data [default: a temp folder]")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--tune", action="store_true", help="tune Splink's threshold instead of benchmarking")
    parser.add_argument("--tune-seed", type=int, default=101)
    parser.add_argument("--tune-scale", type=float, default=1.0)
    parser.add_argument("--verbose", action="store_true", help="progress and Splink's own log")
    parser.add_argument("--no-whole-run", action="store_true",
                        help="skip the whole `ucj run` (Dagster, every output) measured beside the engines")
    # worker mode (internal)
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        if args.worker in ("splink", "tune"):
            from bench import splink_peer

            args.threshold = splink_peer.THRESHOLD if args.threshold is None else args.threshold
            args.u_max_pairs = splink_peer.U_MAX_PAIRS if args.u_max_pairs is None else args.u_max_pairs
        result = WORKERS[args.worker](args)
        Path(args.result).write_text(json.dumps(result, default=str), encoding="utf-8")
        return

    if args.u_max_pairs is None and args.quick:
        args.u_max_pairs = 1e5
    if args.tune:
        _tune(args)
        return

    from bench import splink_peer, whole_run  # no splink import at module level

    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    profiles = [p.strip() for p in args.profile.split(",") if p.strip()]
    out = args.out or (None if args.quick else RESULTS)
    table = [HEADER, "|" + "---|" * (HEADER.count("|") - 1)]
    notes: list[str] = []
    details: list[str] = []
    for profile in profiles:
        for scale in scales:
            args.scale_now, args.seed_now, args.profile_now = scale, args.seed, profile
            work = Path(tempfile.mkdtemp(prefix=f"ucj-bench-{profile}-{scale:g}-", dir=args.work))
            try:
                _say(f"== {profile} scale {scale:g} seed {args.seed}: generating into {work} "
                     f"(load average {os.getloadavg()[0]:.1f})")
                gen = _spawn("generate", args, work)
                if "error" in gen:
                    raise SystemExit(f"generation failed: {gen['error']}")
                _say(f"   {gen['residents']:,} residents, {gen['member_rows']:,} membership rows "
                     f"({gen['seconds']:.0f} s); running our engine")
                ours_runs, splink_runs = [], []
                for attempt in range(1, args.repeat + 1):  # interleaved, so load changes hit both
                    ours_runs.append(_spawn("ours", args, work))
                    _say(f"   ours #{attempt}: {ours_runs[-1].get('wall', ours_runs[-1].get('error'))} s")
                    if scale > args.splink_max_scale:
                        splink_runs.append({"error": f"skipped (scale > --splink-max-scale {args.splink_max_scale:g})"})
                        continue
                    splink_runs.append(_spawn("splink", args, work, python=args.splink_python,
                                              timeout=args.splink_timeout))
                    _say(f"   splink #{attempt}: {splink_runs[-1].get('wall', splink_runs[-1].get('error'))} s")
                    if "error" in splink_runs[-1]:
                        break
                ours, splink = _fastest(ours_runs), _fastest(splink_runs)
                whole = None
                if not args.no_whole_run:  # the whole `ucj run` on the same files (bench/whole_run.py)
                    _say("   whole `ucj run` (Dagster, every output written)")
                    whole = whole_run.measure(work, repeat=args.repeat)
                    _say(f"   whole run: {whole.get('wall', whole.get('error'))} s")
            finally:
                if not args.keep:
                    shutil.rmtree(work, ignore_errors=True)
            table.append(_row("ours", profile, scale, ours))
            table.append(_row("Splink 5", profile, scale, splink))
            notes.append(f"- {profile}, scale {scale:g}: Splink/ours {_ratio(ours, splink)}")
            if whole is not None and "error" not in whole and "error" not in splink:
                notes.append(f"  - whole `ucj run` {whole['wall']:.1f} s: Splink's run / our whole run "
                             f"x{splink['wall'] / whole['wall']:.2f}")
            details.append(f"### {profile}, scale {scale:g} (seed {args.seed}; generated in {gen['seconds']:.0f} s)")
            details.append("")
            details.append(_stages("ours", ours))
            details.append(_stages("Splink", splink))
            if whole is not None:
                details.extend(whole_run.report_lines(whole, splink, label=f"{profile}, scale {scale:g}"))
            if "error" not in splink:
                details.append(f"- Splink threshold {splink['threshold']}, probability two random records match "
                               f"{splink['probability_two_random_records_match']:.3g}, "
                               f"{splink['predicted_pairs']:,} predicted pairs above it")
            details.append("")
            details.extend(_by_error(ours, splink))
            details.append("")
    text = "\n".join([
        f"## Our engine vs Splink 5 ({', '.join(profiles)} profile, seed {args.seed}, "
        f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})", "",
        f"Engine commit {_engine_version()}, Splink {_splink_version(args.splink_python)}: match probability "
        f"threshold {args.threshold if args.threshold is not None else splink_peer.THRESHOLD}, u from "
        f"{args.u_max_pairs or splink_peer.U_MAX_PAIRS:g} random pairs (bench/splink_peer.py). "
        f"Command: `python bench/run.py {' '.join(argv if argv is not None else sys.argv[1:])}`", "",
        *table, "", "Splink/ours:", *notes, "",
        "wall = ingest + clean + link + decide from the files, in seconds (each engine in its own process on a "
        "fresh in-memory DuckDB; the fastest of --repeat runs); ingest and clean are the same code for both, so "
        "their difference is noise; link = ours `pipeline.linking.link.link`, Splink training + blocking + predict + "
        "one-to-one; peak MB = maximum resident set of the engine's process when the engine has finished, "
        "before scoring. List = residents in scope listed "
        "as uncovered (precision/recall/F1, covered people wrongly listed, uncovered people wrongly hidden); "
        "pair F1 = membership-to-resident links; blocking recall = true pairs among the compared pairs.", "",
        "Error families injected by the generator, rate per membership row (`pipeline/synthetic/profiles.py`; "
        "a row may carry several; the truth also labels namesakes from another regency, "
        "`namesake_other_region`, and rows whose KPJ lost its leading zero):", "",
        *_family_rates(profiles), "",
        *details,
    ]) + "\n"
    print(text)
    if out is not None:
        kept = "" if args.append or not Path(out).exists() else _later_sections(Path(out).read_text(encoding="utf-8"))
        with open(out, "a" if args.append else "w", encoding="utf-8") as handle:
            handle.write(("\n" if args.append else "") + text + ("\n" + kept if kept else ""))
        _say(f"written to {out}")


def _later_sections(text: str) -> str:
    """What follows this script's own section (the first) in a results file: the scaling table of
    bench/scaling.py, the Spark table of bench/spark.py, the province slice written by hand. Kept when
    the section is rewritten."""
    starts = [m.start() for m in re.finditer(r"(?m)^(<!-- |## )", text) if m.start() > 0]
    return text[starts[0]:] if starts else ""


if __name__ == "__main__":
    main()
