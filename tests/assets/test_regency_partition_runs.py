"""The regency partitions in Dagster: `ucj run` materialises every kabupaten/kota of its config in one
run; the data team can then re-run one regency's pairs and the global step alone, and gets the same links."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.definitions import PIPELINE_JOB, definitions
from assets.launch import run_pipeline
from pipeline.config import load_config
from pipeline.synthetic import generate_regions
from tests.conftest import REFERENCE_DATE

pytestmark = pytest.mark.slow

REGIONS = ["35.19", "35.77"]  # Kabupaten Madiun and Kota Madiun


def _links(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT member_id, resident_id, decision, probability FROM links ORDER BY ALL").fetchall()


def test_one_regency_reruns_alone_with_the_same_links(tmp_path: Path, dagster_home: Path) -> None:
    [files] = generate_regions(tmp_path / "sources", REGIONS, scale=0.002, seed=5, reference_date=REFERENCE_DATE)
    config_file = tmp_path / "config.toml"
    config_file.write_text('[region]\ncodes = ["35.19", "35.77"]\n', encoding="utf-8")
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "published"
    outcome = run_pipeline(register=[files.register], members=list(files.members), publication_root=out,
                           config_file=config_file, warehouse=warehouse, reference_date=REFERENCE_DATE.isoformat())
    assert outcome.success, outcome.error
    before = _links(warehouse)
    assert before

    job = definitions(load_config(config_file)).resolve_job_def(PIPELINE_JOB)
    with dg.DagsterInstance.get() as instance:
        materialised = instance.fetch_materializations(dg.AssetKey("regency_pairs"), limit=10).records
        assert {r.partition_key for r in materialised} == {"3519", "3577"}  # both, in the one run

        settings = {"register_files": [str(files.register)], "member_files": [str(m) for m in files.members],
                    "publication_root": str(out), "config_file": str(config_file)}
        again = job.execute_in_process(
            instance=instance, partition_key="3519",
            asset_selection=[dg.AssetKey("regency_pairs"), dg.AssetKey("links")],
            run_config={"resources": {"settings": {"config": settings},
                                      "warehouse": {"config": {"database": str(warehouse)}}}},
            tags={"ucj/reference_date": REFERENCE_DATE.isoformat()})
        assert again.success
        rerun = {e.partition for e in again.get_asset_materialization_events() if e.asset_key.path == ["regency_pairs"]}
        assert rerun == {"3519"}
    assert _links(warehouse) == before


def test_links_refuse_pairs_made_from_other_inputs(tmp_path: Path, dagster_home: Path) -> None:
    [files] = generate_regions(tmp_path / "sources", ["35.77"], scale=0.002, seed=6, reference_date=REFERENCE_DATE)
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "published"
    outcome = run_pipeline(register=[files.register], members=list(files.members), publication_root=out,
                           warehouse=warehouse, reference_date=REFERENCE_DATE.isoformat())
    assert outcome.success, outcome.error
    with duckdb.connect(str(warehouse)) as con:  # the register changed since the pairs were made
        con.execute("DELETE FROM residents WHERE resident_id = (SELECT max(resident_id) FROM residents)")
    job = definitions(load_config(None)).resolve_job_def(PIPELINE_JOB)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("links")], raise_on_error=False,
            run_config={"resources": {"settings": {"config": {"publication_root": str(out)}},
                                      "warehouse": {"config": {"database": str(warehouse)}}}})
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "1 kabupaten/kota (3577)" in str(failure.step_failure_data.error.cause or failure.step_failure_data.error)
