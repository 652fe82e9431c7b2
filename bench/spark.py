"""Benchmark: the linking stage on Spark local mode against DuckDB, on the same cleaned tables (issue 14).

    python bench/spark.py                          # Kota Madiun at scale 1
    python bench/spark.py --scale 0.25             # a smoke run
    python bench/spark.py --region 35 --scale 0.02 # a slice of Jawa Timur (38 kabupaten/kota)
    python bench/spark.py --out bench/results.md   # also write the table into results.md (make bench-spark)

The files are generated and ingested and cleaned once into a DuckDB file; then the linking stage runs on a
copy of it twice, each in a process of its own: on DuckDB (`pipeline.linking.link.link`) and on Spark
local mode with every core (`pipeline.linking.spark.link_on_spark`: the tables go to Spark as Parquet,
the stage runs there, its outputs come back). Wall seconds of the stage (Spark's session start
apart), candidate pairs, pairs per second per core, and the peak memory of the whole process tree (the
Python driver, Spark's JVM and its Python workers, sampled from /proc every 0.2 s). The two runs' member
outcomes and links are compared: the parity of `tests/pipeline/test_spark_parity.py` at scale. No
assertions: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SECTION_BEGIN = "<!-- spark: written by bench/spark.py (make bench-spark) -->"
SECTION_END = "<!-- /spark -->"
REFERENCE_DATE = date(2026, 1, 1)


def _tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        parents[int(entry)] = int(fields.get("PPid", "0").strip())
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(rss.get(pid, 0) for pid in tree) / 1024


def _spawn(*args: str) -> dict:
    """Run this script as a worker; its JSON result plus the peak memory of its process tree."""
    process = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mb(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed ({process.returncode})")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_mb": round(peak)}


def _prepare(folder: Path, regions: list[str], scale: float, seed: int) -> dict:
    from pipeline.config import Config, RegionConfig
    from pipeline.ingest.clean import clean_members, clean_register
    from pipeline.ingest.load import load_role
    from pipeline.synthetic import generate_regions
    from pipeline.warehouse import connect

    parts = generate_regions(folder / "files", regions, scale=scale, seed=seed, reference_date=REFERENCE_DATE)
    config = Config(region=RegionConfig(codes=regions))
    with connect(folder / "cleaned.duckdb", **config.warehouse.options(REPO)) as con:
        load_role(con, "register", [p.register for p in parts], config.ingest)
        load_role(con, "members", [m for p in parts for m in p.members], config.ingest)
        clean_register(con, config, REFERENCE_DATE)
        clean_members(con, config, REFERENCE_DATE)
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("residents", "memberships")}
    return counts


def _link(backend: str, warehouse: Path) -> dict:
    from pipeline.config import Config
    from pipeline.linking.link import link
    from pipeline.warehouse import connect

    config = Config()
    with connect(warehouse, **config.warehouse.options(REPO)) as con:
        started = time.perf_counter()
        if backend == "duckdb":
            result = link(con, config.linking)
            session_seconds = 0.0
        else:
            from pipeline.linking.spark import SparkBackend, engine_session, link_on_spark

            spark = engine_session(config.engine)
            session_seconds = time.perf_counter() - started
            started = time.perf_counter()
            result = link_on_spark(con, SparkBackend(spark, str(warehouse.parent / "spark")), config.linking)
        seconds = time.perf_counter() - started
        if backend == "spark":
            spark.stop()
    return {"seconds": round(seconds, 1), "session_seconds": round(session_seconds, 1),
            "pairs": result.candidate_pairs, "pairs_per_rule": dict(result.pairs_per_rule),
            "decisions": result.decisions, "steps": result.seconds}


def _same(a: Path, b: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    found = {}
    for table, columns in (("member_outcomes", "member_id, outcome, resident_id"),
                           ("links", "member_id, resident_id, decision")):
        found[table] = con.execute(f"""SELECT count(*) FROM (
            (SELECT {columns} FROM a.{table} EXCEPT ALL SELECT {columns} FROM b.{table})
            UNION ALL (SELECT {columns} FROM b.{table} EXCEPT ALL SELECT {columns} FROM a.{table}))""").fetchall()[0][0]
    return found


def _table(rows: list[dict]) -> str:
    lines = ["| data | residents | membership rows | candidate pairs | backend | link stage (s) | "
             "pairs/s per core | peak memory (GB) | rows differing |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|"]
    cores = os.cpu_count() or 1
    for row in rows:
        for backend in ("duckdb", "spark"):
            run = row[backend]
            extra = f" (+{run['session_seconds']:.0f} s session start)" if backend == "spark" else ""
            lines.append(f"| {row['data']} | {row['residents']:,} | {row['memberships']:,} | {run['pairs']:,} | "
                         f"{'DuckDB' if backend == 'duckdb' else 'Spark local[*]'} | {run['seconds']:.1f}{extra} | "
                         f"{run['pairs'] / run['seconds'] / cores:,.0f} | {run['peak_mb'] / 1024:.1f} | "
                         f"{sum(row['differing'].values()) if backend == 'spark' else ''} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--region", action="append", default=None, metavar="CODE")
    parser.add_argument("--out", type=Path, default=None, help="results.md to write the table into")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and both warehouses")
    parser.add_argument("--worker", choices=["prepare", "duckdb", "spark"], default=None, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    regions = args.region or ["35.77"]
    if args.worker == "prepare":
        print(json.dumps(_prepare(args.folder, regions, args.scale, args.seed)))
        return
    if args.worker:
        print(json.dumps(_link(args.worker, args.folder / f"{args.worker}.duckdb")))
        return

    folder = Path(tempfile.mkdtemp(prefix="ucj-bench-spark-"))
    try:
        common = ["--scale", str(args.scale), "--seed", str(args.seed), "--folder", str(folder)]
        common += [x for code in regions for x in ("--region", code)]
        print(f"generating, ingesting and cleaning {', '.join(regions)} at scale {args.scale:g} into {folder}",
              file=sys.stderr)
        counts = _spawn("--worker", "prepare", *common)
        row = {"data": f"{', '.join(regions)} x {args.scale:g}", "residents": counts["residents"],
               "memberships": counts["memberships"]}
        for backend in ("duckdb", "spark"):
            shutil.copy(folder / "cleaned.duckdb", folder / f"{backend}.duckdb")
            print(f"linking on {backend}", file=sys.stderr)
            row[backend] = _spawn("--worker", backend, *common)
            print(json.dumps(row[backend]), file=sys.stderr)
        row["differing"] = _same(folder / "duckdb.duckdb", folder / "spark.duckdb")
    finally:
        if args.keep:
            print(f"kept {folder} (duckdb.duckdb, spark.duckdb, files/)", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    table = _table([row])
    print(table)
    print(f"\nrows differing between the backends: {row['differing']}")
    if args.out:
        text = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        section = f"{SECTION_BEGIN}\n{table}\n{SECTION_END}"
        if SECTION_BEGIN in text:
            head, rest = text.split(SECTION_BEGIN, 1)
            text = head + section + rest.split(SECTION_END, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
