"""Benchmark: the whole `ucj run`, as a data team waits for it: process start to a published `latest`,
through Dagster, every output written (Parquet, CSV, 27 officer workbooks, budget, report HTML+PDF,
manifest), on the files `bench/run.py` generated, with Dagster's step timings as the stage breakdown.

    python bench/whole_run.py --data DIR [--repeat N]     # DIR: files written by `ucj generate`
    python bench/run.py ...                               # calls `measure` for every scale and profile

Each run is a fresh `ucj` process on a fresh warehouse, publication folder and Dagster instance (in a
temporary folder, so the project's own run history is left alone). Wall is measured around the
process; CPU and peak memory come from wait4 (the process and every child it waited for, e.g. the
report's). No assertions: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DATE = "2026-01-01"

__all__ = ["measure", "report_lines"]

# Reads the step timings of one run from the temporary instance (run in that instance's environment).
_STEPS = """
import json, sys
import dagster as dg
with dg.DagsterInstance.get() as instance:
    run_id = sys.argv[1]
    record = instance.get_run_record_by_id(run_id)
    steps = sorted(instance.get_run_step_stats(run_id), key=lambda s: s.start_time or 0)
    print(json.dumps({"run_seconds": record.end_time - record.start_time,
                      "steps": {s.step_key: round(s.end_time - s.start_time, 3) for s in steps}}))
"""


def _ucj() -> list[str]:
    script = Path(sys.executable).with_name("ucj")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from cli.main import entry; entry()"]


def _files(data: Path) -> tuple[list[Path], list[Path]]:
    sys.path.insert(0, str(REPO))
    from pipeline.synthetic import CSV_FILE, REGISTER_FILE, XLSX_FILE

    return [data / REGISTER_FILE], [data / XLSX_FILE, data / CSV_FILE]


def _one(data: Path, work: Path) -> dict:
    home = work / "dagster"
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = dict(os.environ, DAGSTER_HOME=str(home), UCJ_DAGSTER_STORAGE=str(home / "storage"),
               UCJ_DAGSTER_LOGS=str(home / "logs"))
    register, members = _files(data)
    out = work / "published"
    command = [*_ucj(), "run", *(a for p in register for a in ("--register", str(p))),
               *(a for p in members for a in ("--members", str(p))), "--out", str(out),
               "--warehouse", str(work / "warehouse.duckdb"), "--reference-date", REFERENCE_DATE]
    log = work / "run.log"
    load_before = os.getloadavg()[0]
    clock = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO)
        _, status, rusage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - clock
    if os.waitstatus_to_exitcode(status) != 0:
        return {"error": f"ucj run failed (exit {os.waitstatus_to_exitcode(status)}); log: {log}"}
    manifest = json.loads((out / "latest" / "manifest.json").read_text(encoding="utf-8"))
    steps = json.loads(subprocess.run([sys.executable, "-c", _STEPS, manifest["run_id"]], env=env, cwd=REPO,
                                      capture_output=True, text=True, check=True).stdout)
    text = log.read_text(encoding="utf-8", errors="replace")
    return {"wall": round(wall, 3), "cpu": round(rusage.ru_utime + rusage.ru_stime, 3),
            "peak_mb": round(rusage.ru_maxrss / 1024), "load": (round(load_before, 1), round(os.getloadavg()[0], 1)),
            "debug_lines": sum(1 for line in text.splitlines() if line.startswith("DEBUG")),
            "outputs": len(manifest["outputs"]), "candidates": manifest["counts"]["candidates"], **steps}


def measure(data: Path, *, repeat: int = 1, keep: bool = False) -> dict:
    """The fastest of `repeat` whole runs on the files in `data` (every run kept in `walls`)."""
    runs = []
    for _ in range(repeat):
        work = Path(tempfile.mkdtemp(prefix="ucj-bench-run-"))
        try:
            runs.append(_one(Path(data), work))
        finally:
            if not keep:
                shutil.rmtree(work, ignore_errors=True)
    good = [r for r in runs if "error" not in r]
    if not good:
        return runs[-1]
    best = dict(min(good, key=lambda r: r["wall"]))
    best["walls"] = [r["wall"] for r in good]
    return best


def report_lines(whole: dict, splink: dict | None, *, label: str) -> list[str]:
    """Markdown: the whole run against Splink's run on the same files, and the stage breakdown."""
    if "error" in whole:
        return [f"- whole `ucj run` ({label}): {whole['error']}"]
    lines = []
    ratio = ""
    if splink and "error" not in splink:
        ratio = (f"; Splink's run (ingest, clean, link, decide; imports and scoring excluded) "
                 f"{splink['wall']:.1f} s: Splink/ours x{splink['wall'] / whole['wall']:.2f}")
    walls = f" (fastest of {len(whole['walls'])}: {', '.join(f'{w:.1f}' for w in whole['walls'])} s)" \
        if len(whole["walls"]) > 1 else ""
    lines.append(f"- whole `ucj run` ({label}){walls}: **{whole['wall']:.1f} s** from process start to `latest` "
                 f"(CPU {whole['cpu']:.1f} s on 2 cores, peak {whole['peak_mb']:,} MB, {whole['outputs']} files "
                 f"published, {whole['debug_lines']} DEBUG lines on the terminal) [load average "
                 f"{whole['load'][0]} before, {whole['load'][1]} after]{ratio}")
    steps = whole["steps"]
    checks = sum(v for k, v in steps.items() if k not in _ASSET_STEPS)
    shown = ", ".join(f"{k} {v:.1f}" for k, v in steps.items() if k in _ASSET_STEPS)
    rest = whole["wall"] - sum(steps.values())
    lines.append(f"- stages (Dagster step seconds): {shown}, checks {checks:.1f}; "
                 f"start-up, imports and the rest {rest:.1f}")
    return lines


_ASSET_STEPS = ("raw_register", "raw_members", "residents", "memberships", "rejects", "regency_pairs", "links",
                "coverage", "tracks",
                "candidates", "changes", "publication_tables", "publication_artefacts", "publication")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder with the files `ucj generate` wrote")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep each run's folder (warehouse, publication, log)")
    args = parser.parse_args(argv)
    whole = measure(args.data, repeat=args.repeat, keep=args.keep)
    print(json.dumps(whole, indent=2))
    print("\n".join(report_lines(whole, None, label=str(args.data))))


if __name__ == "__main__":
    main()
