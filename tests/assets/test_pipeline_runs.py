"""Real Dagster materialisations of the whole graph on small generated files."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from assets.definitions import PIPELINE_JOB, defs
from assets.launch import run_pipeline
from cli.main import main
from pipeline.synthetic import GeneratedFiles

pytestmark = pytest.mark.slow


def _run_cli(city: GeneratedFiles, out: Path, warehouse: Path) -> None:
    args = ["run", "--register", str(city.register), "--out", str(out), "--warehouse", str(warehouse),
            "--reference-date", "2026-01-01"]
    for member_file in city.members:
        args += ["--members", str(member_file)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_full_graph_publishes_and_reconciles(small_city: GeneratedFiles, dagster_home: Path, tmp_path: Path) -> None:
    out, warehouse = tmp_path / "published", tmp_path / "wh.duckdb"
    _run_cli(small_city, out, warehouse)

    latest = out / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["reconciled"] is True
    for item in manifest["inputs"]:
        assert item["rows_in"] == item["rows_used"] + item["rows_rejected"]
    for name in ("coverage", "links", "review", "candidates", "rejects"):
        assert pq.read_metadata(latest / f"{name}.parquet").num_rows == manifest["outputs"][f"{name}.parquet"]["rows"]
    assert len(list((latest / "kelurahan").rglob("*.xlsx"))) == 27  # <kabupaten/kota>/<kecamatan>/ folders
    coverage = pq.read_table(latest / "coverage.parquet")
    assert coverage.num_rows == manifest["counts"]["residents"]
    candidates = pq.read_table(latest / "candidates.parquet").to_pylist()
    assert {c["track"] for c in candidates} <= {"pro_jkk_jkm", "employer_compliance", "reactivation", "self_enrolment"}
    assert all(c["source_file"] == small_city.register.name and c["source_sha256"] for c in candidates)

    # Every asset materialised in one run, every check passed.
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        assert run.job_name == PIPELINE_JOB and run.is_success
        planned = set(defs.resolve_job_def(PIPELINE_JOB).asset_layer.selected_asset_keys)
        materialised = {e.dagster_event.asset_key for e in instance.all_logs(run.run_id)
                        if e.is_dagster_event and e.dagster_event.is_step_materialization}
        assert materialised == planned
        # No personal data in Dagster metadata: no NIK and no name of any resident appears.
        niks = set(coverage.column("nik").to_pylist())
        names = {n for n in coverage.column("nama").to_pylist() if len(n) > 6}
        texts = [json.dumps(str(event.dagster_event.event_specific_data) if event.is_dagster_event else
                            event.user_message) for event in instance.all_logs(run.run_id)]
    # ... nor in the compute logs Dagster keeps on disk (stdout/stderr of every step).
    logs = [p for p in (dagster_home / "logs").rglob("*") if p.is_file()]
    assert logs
    texts += [p.read_text(errors="replace") for p in logs]
    for text in texts:
        assert not any(nik in text for nik in niks)
        assert not any(name in text for name in names)


def test_unreconciled_counts_block_publication(small_city: GeneratedFiles, dagster_home: Path,
                                               tmp_path: Path) -> None:
    out, warehouse = tmp_path / "published", tmp_path / "wh.duckdb"
    _run_cli(small_city, out, warehouse)
    first = (out / "latest").resolve()

    # A resident row disappears between cleaning and the rejects step: counts no longer reconcile.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DELETE FROM residents WHERE resident_id = 1")
    downstream = [dg.AssetKey(k) for k in ("rejects", "links", "coverage", "candidates", "publication")]
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def(PIPELINE_JOB).execute_in_process(
            instance=instance, asset_selection=downstream, raise_on_error=False,
            run_config={"resources": {"warehouse": {"config": {"database": str(warehouse)}},
                                      "settings": {"config": {"publication_root": str(out)}}}},
            tags={"ucj/reference_date": "2026-01-01"})
    evaluations = result.get_asset_check_evaluations()
    assert [e.check_name for e in evaluations if not e.passed] == ["counts_reconcile"]
    failed = next(e for e in evaluations if not e.passed)
    assert small_city.register.name in failed.description and "rows in" in failed.description
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey("publication") not in materialised
    assert (out / "latest").resolve() == first
    assert not list(out.glob(".staging-*"))


def test_bad_input_fails_with_file_and_column_and_keeps_latest(small_city: GeneratedFiles, dagster_home: Path,
                                                              tmp_path: Path) -> None:
    out, warehouse = tmp_path / "published", tmp_path / "wh.duckdb"
    _run_cli(small_city, out, warehouse)
    first = (out / "latest").resolve()
    lines = small_city.register.read_text(encoding="utf-8-sig").splitlines()
    broken = tmp_path / "dtsen_tanpa_desil.csv"
    broken.write_text("\n".join(";".join(line.split(";")[:-1]) for line in lines) + "\n", encoding="utf-8")

    outcome = run_pipeline(register=[broken], members=list(small_city.members), publication_root=out,
                           warehouse=warehouse, reference_date="2026-01-01")
    assert not outcome.success
    assert outcome.failed_step == "raw_register"
    assert "dtsen_tanpa_desil.csv" in outcome.error and "'desil'" in outcome.error and "DESIL" in outcome.error
    assert (out / "latest").resolve() == first
