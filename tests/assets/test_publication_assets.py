"""The publication assets on real Dagster runs: tracks, changes and the expensive artefacts are assets
of their own, the publication is one folder moved into place after every check, its manifest records
the checks as Dagster ran them, a decisions-only run publishes again, and staging folders are private
and do not outlive a killed run."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from assets.automation import DECISION_ASSETS, PIPELINE_JOB, inbox_sensor
from assets.resources import REFERENCE_DATE_TAG, PipelineSettings
from pipeline.checks import CHECKS
from pipeline.publish.publish import discard_staging, open_staging
from pipeline.published.latest import latest_publication
from pipeline.synthetic import GeneratedFiles
from tests.conftest import REPO

NEW_ASSETS = {"tracks", "changes", "publication_tables", "auditor_pairs", "officer_workbooks", "summary_report",
              "publication"}


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _materialised(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    return {e.dagster_event.asset_key.to_user_string() for e in instance.all_logs(run_id)
            if e.is_dagster_event and e.dagster_event.is_step_materialization}


@pytest.mark.slow
def test_publication_assets_publish_after_the_checks_and_again_on_decisions_only(
        small_city: GeneratedFiles, dagster_home: Path, tmp_path: Path) -> None:
    out, warehouse = tmp_path / "keluaran 'uji'", tmp_path / "wh.duckdb"  # a quote in the path: no SQL break
    # the publication's mechanics are under test here, not the bounds of the checks (a small generated
    # city may have more unusable NIKs than a real export): every check still runs and is recorded
    config = tmp_path / "config.toml"
    config.write_text("[checks]\nmax_invalid_nik_share = 0.5\nmax_reject_share = 0.5\n", encoding="utf-8")
    command = [sys.executable, "-c", "from cli.main import entry; entry()", "run", "--register",
               str(small_city.register), *(a for p in small_city.members for a in ("--members", str(p))),
               "--out", str(out), "--warehouse", str(warehouse), "--reference-date", "2026-01-01",
               "--config", str(config)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=dict(os.environ), timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "DEBUG" not in done.stderr and "fontTools" not in done.stderr  # a quiet terminal
    assert "Warning" not in done.stderr, done.stderr[:2000]  # nor Dagster's notices of beta parameters
    first = latest_publication(out)
    manifest = json.loads((first / "manifest.json").read_text())
    assert not list(out.glob(".staging-*"))

    with dg.DagsterInstance.get() as instance:
        run_id = manifest["run_id"]
        assert _materialised(instance, run_id) >= NEW_ASSETS
        steps = {s.step_key: s for s in instance.get_run_step_stats(run_id)}
        # the three artefacts are one step; the publication step starts after it and after every check
        assert {"publication_tables", "publication_artefacts", "publication"} <= set(steps)
        checks_done = max(s.end_time for k, s in steps.items() if k.startswith(("candidates_", "links_", "rejects_",
                                                                                   "memberships_")))
        assert steps["publication_tables"].start_time >= checks_done
        assert steps["publication"].start_time >= steps["publication_artefacts"].end_time
    # the manifest records every check as Dagster evaluated it in this run (not run a second time)
    recorded = {(c["asset"], c["name"]): c for c in manifest["checks"]}
    assert set(recorded) == {(spec.asset, spec.name) for spec in CHECKS}
    assert all(c["run_id"] == run_id and c["passed"] is True for c in recorded.values())
    assert {"kelurahan" in name for name in manifest["outputs"]} == {True, False}
    assert {"pairs.parquet", "report.pdf", "budget.json", "candidates.csv"} <= set(manifest["outputs"])

    # The nightly run with unchanged inputs redoes only the decisions and publishes again.
    from assets.definitions import defs

    settings = {"register_files": [str(small_city.register)], "member_files": [str(p) for p in small_city.members],
                "publication_root": str(out), "config_file": str(config)}
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def(PIPELINE_JOB).execute_in_process(
            run_config={"resources": {"settings": {"config": settings},
                                      "warehouse": {"config": {"database": str(warehouse)}}}},
            instance=instance, asset_selection=DECISION_ASSETS, tags={REFERENCE_DATE_TAG: "2026-01-01"})
        assert result.success
        assert _materialised(instance, result.run_id) == {k.to_user_string() for k in DECISION_ASSETS}
    second = latest_publication(out)
    assert second != first
    again = json.loads((second / "manifest.json").read_text())
    assert again["previous_publication"] == manifest["publication_id"]
    by_run = {c["name"]: c["run_id"] for c in again["checks"]}
    assert by_run["candidate_listed_once"] == result.run_id  # evaluated again on the new candidates
    assert by_run["counts_reconcile"] == run_id  # its asset was not rebuilt: the evaluation it rests on
    # Same inputs and config: the same bytes in every file but those naming the publication.
    named = {"manifest.json", "report.html", "report.pdf"}
    first_files, second_files = _digests(first), _digests(second)
    assert set(first_files) == set(second_files)
    assert {k: v for k, v in first_files.items() if k not in named} == \
        {k: v for k, v in second_files.items() if k not in named}


_HOLDER = """
import sys, time
from pipeline.publish.publish import open_staging
staging = open_staging(sys.argv[1], "20260101T000000-dibunuh")
(staging / "candidates.parquet").write_bytes(b"full NIKs here")
print("ready", flush=True)
time.sleep(600)
"""


def test_staging_is_private_and_a_killed_runs_staging_goes_on_the_next_sensor_tick(tmp_path: Path) -> None:
    root, inbox = tmp_path / "published", tmp_path / "inbox"
    inbox.mkdir()
    mine = open_staging(root, "20260101T000000-saya")
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700  # only the pipeline's user can read a staging folder
    discard_staging(mine)
    assert not mine.exists()

    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(root)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "ready"
        staging = root / ".staging-20260101T000000-dibunuh"
        settings = PipelineSettings(inbox_dir=str(inbox), publication_root=str(root))
        with dg.instance_for_test() as instance:
            def tick() -> None:
                inbox_sensor(dg.build_sensor_context(instance=instance, resources={"settings": settings}))

            tick()
            assert staging.is_dir()  # a run that is still writing keeps its staging folder
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=30)
            assert staging.is_dir()  # what a killed run leaves ...
            started = time.monotonic()
            tick()
            assert not staging.exists() and time.monotonic() - started < 30  # ... is gone at the next tick
            assert sorted(p.name for p in root.iterdir()) == []
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
