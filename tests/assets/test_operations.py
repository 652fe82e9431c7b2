"""Runs the data team can leave alone: concurrent runs queue on the warehouse lock, a run killed half way
through its publication is followed by a good run, and `latest` stays usable throughout. Real `ucj run`
processes on a real Dagster instance; the kill happens at a known moment (pipeline/pause.py)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from filelock import FileLock

from assets.resources import LOCK_RELEASED, LOCK_TAKEN, LOCK_WAITING
from pipeline.pause import PAUSE_ENV
from pipeline.published.latest import latest_publication
from pipeline.synthetic import GeneratedFiles

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _ucj_run(city: GeneratedFiles, out: Path, warehouse: Path, log: Path, **env: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "cli.main", "run", "--register", str(city.register), "--out", str(out),
            "--warehouse", str(warehouse), "--reference-date", "2026-01-01"]
    for member_file in city.members:
        args += ["--members", str(member_file)]
    output = log.open("w")  # a file, not a pipe: a full pipe would stall the run
    return subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                            env={**os.environ, **env})


def _finish(run: subprocess.Popen, log: Path) -> None:
    assert run.wait(timeout=900) == 0, log.read_text()[-3000:]


def _lock_events() -> dict[str, dict[str, float]]:
    """Per run of this test's Dagster instance: when it logged waiting for, taking and releasing the lock."""
    storage = Path(os.environ["UCJ_DAGSTER_STORAGE"])
    storage.mkdir(parents=True, exist_ok=True)
    with FileLock(storage / ".instance.lock"):  # as `ucj run` does: the runs may be creating the storage
        instance = dg.DagsterInstance.get()
    with instance:
        return {run.run_id: {entry.user_message: entry.timestamp for entry in instance.all_logs(run.run_id)
                             if entry.user_message in (LOCK_WAITING, LOCK_TAKEN, LOCK_RELEASED)}
                for run in instance.get_runs()}


def test_concurrent_runs_queue_on_the_warehouse_lock(small_city: GeneratedFiles, dagster_home: Path,
                                                     tmp_path: Path) -> None:
    out, warehouse = tmp_path / "published", tmp_path / "wh.duckdb"
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    # The test holds the warehouse first, so both runs are certainly running at once when it lets go.
    with FileLock(f"{warehouse}.lock"):
        runs = [_ucj_run(small_city, out, warehouse, log) for log in logs]
        deadline = time.time() + 600
        while sum(LOCK_WAITING in events for events in _lock_events().values()) < 2:
            assert time.time() < deadline, "the runs never waited for the warehouse"
            assert all(run.poll() is None for run in runs), "a run finished while another held the warehouse"
            time.sleep(0.5)
    for run, log in zip(runs, logs, strict=True):
        _finish(run, log)

    events = sorted(_lock_events().values(), key=lambda e: e[LOCK_TAKEN])
    assert len(events) == 2 and all(LOCK_WAITING in e and LOCK_RELEASED in e for e in events)
    first, second = events
    assert first[LOCK_RELEASED] <= second[LOCK_TAKEN]  # one writer at a time: the second waited for the first
    publications = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]
    assert len(publications) == 2
    assert json.loads((latest_publication(out) / "manifest.json").read_text())["reconciled"]


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob(".*"))


@pytest.mark.parametrize("point", ["workbooks", "latest"])
def test_run_killed_while_publishing_then_a_good_run(point: str, small_city: GeneratedFiles, dagster_home: Path,
                                                     tmp_path: Path) -> None:
    out, warehouse, log = tmp_path / "published", tmp_path / "wh.duckdb", tmp_path / "run.log"
    _finish(_ucj_run(small_city, out, warehouse, log), log)
    first = latest_publication(out)
    first_manifest = (first / "manifest.json").read_text()

    marker = tmp_path / "paused"
    victim = _ucj_run(small_city, out, warehouse, log, **{PAUSE_ENV: f"{point}:{marker}"})
    deadline = time.time() + 600
    while not marker.exists():
        assert victim.poll() is None, log.read_text()[-3000:]
        assert time.time() < deadline, "the run never reached the pause point"
        time.sleep(0.2)
    staging = [p for p in out.glob(".staging-*") if p.is_dir()]  # (beside it, the lock its writer holds)
    if point == "workbooks":  # half written: one officer workbook in the staging folder, the others to come
        assert len(staging) == 1 and len(list(staging[0].rglob("*.xlsx"))) == 1
    else:  # everything written and in place, the new link made, `latest` not yet replaced
        assert not staging and len(list(out.glob(".latest-*"))) == 1
    left = _leftovers(out)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL

    assert latest_publication(out) == first  # readers still see the last good publication, whole
    assert (out / "latest" / "manifest.json").read_text() == first_manifest
    assert _leftovers(out) == left  # what the next run has to clear

    _finish(_ucj_run(small_city, out, warehouse, log), log)
    assert latest_publication(out) != first
    assert json.loads((out / "latest" / "manifest.json").read_text())["reconciled"]
    assert _leftovers(out) == []  # the next run cleared what the killed one left
