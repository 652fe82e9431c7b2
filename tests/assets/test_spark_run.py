"""`ucj run --engine spark`: the Dagster job with its linking step on Spark publishes what the DuckDB run
publishes, byte for byte (workbooks, candidate list, links, pairs for auditors, model), and the links
asset records the engine it ran on."""

import json
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli.main import main
from pipeline.synthetic import GeneratedFiles
from tests.conftest import need_spark

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# Files that name the run (its id, time and settings) and so differ between any two runs.
RUN_SPECIFIC = {"manifest.json", "config.resolved.json", "report.html", "report.pdf"}


def _publish(city: GeneratedFiles, out: Path, warehouse: Path, *engine: str) -> Path:
    args = ["run", "--register", str(city.register), "--out", str(out), "--warehouse", str(warehouse),
            "--reference-date", "2026-01-01", *engine]
    for member_file in city.members:
        args += ["--members", str(member_file)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return (out / "latest").resolve()


def test_spark_run_publishes_what_duckdb_publishes(small_city: GeneratedFiles, dagster_home: Path,
                                                    tmp_path: Path) -> None:
    need_spark()
    on_duckdb = _publish(small_city, tmp_path / "duckdb", tmp_path / "duckdb.duckdb")
    on_spark = _publish(small_city, tmp_path / "spark", tmp_path / "spark.duckdb", "--engine", "spark")

    files = sorted(p.relative_to(on_duckdb) for p in on_duckdb.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(on_spark) for p in on_spark.rglob("*") if p.is_file())
    compared = [f for f in files if f.name not in RUN_SPECIFIC]
    assert len([f for f in compared if f.suffix == ".xlsx"]) == 27
    differing = [str(f) for f in compared if (on_duckdb / f).read_bytes() != (on_spark / f).read_bytes()]
    assert not differing

    with dg.DagsterInstance.get() as instance:
        engines = [instance.get_latest_materialization_event(dg.AssetKey("links")).asset_materialization
                   .metadata["engine"].value]
        run = instance.get_runs(limit=1)[0]
        assert run.is_success
        texts = [json.dumps(str(event.dagster_event.event_specific_data) if event.is_dagster_event else
                            event.user_message) for event in instance.all_logs(run.run_id)]
    assert engines == ["spark"]
    # No NIK and no name of a resident in the run's events and compute logs (Spark's plans and errors
    # would carry SQL, never rows).
    coverage = pq.read_table(on_spark / "coverage.parquet")
    niks = set(coverage.column("nik").to_pylist())
    names = {n for n in coverage.column("nama").to_pylist() if len(n) > 6}
    texts += [p.read_text(errors="replace") for p in (dagster_home / "logs").rglob("*") if p.is_file()]
    for text in texts:
        assert not any(nik in text for nik in niks)
        assert not any(name in text for name in names)
