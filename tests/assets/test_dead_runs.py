"""A `ucj run` killed mid-way leaves its run STARTED in Dagster's run storage (nothing records the end
of an in-process run); the next `ucj run` marks it failed, and never a run whose process is alive."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun
from filelock import FileLock

from assets.launch import HOST_TAG, PROCESS_TAG, _process_identity, fail_dead_runs
from pipeline.synthetic import GeneratedFiles

REPO = Path(__file__).resolve().parents[2]


def _ucj_run(city: GeneratedFiles, out: Path, warehouse: Path, log: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "cli.main", "run", "--register", str(city.register), "--out", str(out),
            "--warehouse", str(warehouse), "--reference-date", "2026-01-01"]
    for member_file in city.members:
        args += ["--members", str(member_file)]
    with log.open("w") as stream:  # a file, not a pipe: nobody reads it while the run goes on
        return subprocess.Popen(args, stdout=stream, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                                env=dict(os.environ))


def _runs(instance: dg.DagsterInstance) -> dict[str, DagsterRun]:
    return {run.run_id: run for run in instance.get_runs()}


def _failure_message(instance: dg.DagsterInstance, run_id: str) -> str:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    assert len(records) == 1
    return records[0].event_log_entry.dagster_event.message or ""


@pytest.mark.slow
def test_a_killed_ucj_run_is_marked_failed_by_the_next_ucj_run(small_city: GeneratedFiles, dagster_home: Path,
                                                               tmp_path: Path) -> None:
    out, warehouse = tmp_path / "published", tmp_path / "wh.duckdb"
    victim = _ucj_run(small_city, out, warehouse, tmp_path / "victim.log")
    storage = Path(os.environ["UCJ_DAGSTER_STORAGE"])
    storage.mkdir(parents=True, exist_ok=True)
    with FileLock(storage / ".instance.lock"):  # as ucj run does: one creator of the storage's tables
        instance = dg.DagsterInstance.get()
    deadline = time.time() + 300
    while time.time() < deadline:  # kill it once its run has started executing steps
        started = [r for r in _runs(instance).values() if r.status == dg.DagsterRunStatus.STARTED]
        if started and instance.get_records_for_run(started[0].run_id,
                                                    of_type=dg.DagsterEventType.STEP_SUCCESS).records:
            break
        assert victim.poll() is None, (tmp_path / "victim.log").read_text()[-2000:]
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL
    (dead,) = _runs(instance).values()
    assert dead.status == dg.DagsterRunStatus.STARTED  # what Dagster alone leaves behind, forever
    assert dead.tags[PROCESS_TAG].split(":")[1] == str(victim.pid)

    after = _ucj_run(small_city, out, warehouse, tmp_path / "after.log")
    after.wait(timeout=600)
    said = (tmp_path / "after.log").read_text()
    runs = _runs(instance)
    assert runs[dead.run_id].status == dg.DagsterRunStatus.FAILURE, said[-2000:]
    assert f"pid {victim.pid}" in _failure_message(instance, dead.run_id)
    assert f"run {dead.run_id} was left unfinished by a ucj run that died; marked it failed" in said
    # the later run itself ran to its end (how it ended is the pipeline's business, not this test's)
    (later,) = (r for r in runs.values() if r.run_id != dead.run_id)
    assert later.status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE)
    assert after.returncode == (0 if later.status == dg.DagsterRunStatus.SUCCESS else 1)


def _add_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(DagsterRun(job_name="ucj_pipeline", run_id=run_id, status=dg.DagsterRunStatus.STARTED,
                                tags=tags))
    return run_id


def test_only_runs_whose_process_is_gone_are_marked_failed(dagster_home: Path) -> None:
    import socket

    host = socket.gethostname()
    me = _process_identity(os.getpid())
    assert me is not None
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a process that existed and is gone
    boot, _, start = me.split(":")
    with dg.DagsterInstance.get() as instance:
        alive = _add_run(instance, {HOST_TAG: host, PROCESS_TAG: me})
        gone = _add_run(instance, {HOST_TAG: host, PROCESS_TAG: f"{boot}:{child.pid}:{start}"})
        reused = _add_run(instance, {HOST_TAG: host, PROCESS_TAG: f"{boot}:{os.getpid()}:{int(start) - 1}"})
        rebooted = _add_run(instance, {HOST_TAG: host, PROCESS_TAG: f"another-boot:{os.getpid()}:{start}"})
        elsewhere = _add_run(instance, {HOST_TAG: "another-machine", PROCESS_TAG: f"{boot}:{child.pid}:{start}"})
        untagged = _add_run(instance, {})  # launched by the daemon: its run monitoring watches those

        assert sorted(fail_dead_runs(instance)) == sorted([gone, reused, rebooted])
        status = {run_id: instance.get_run_by_id(run_id).status
                  for run_id in (alive, gone, reused, rebooted, elsewhere, untagged)}
        assert status == {alive: dg.DagsterRunStatus.STARTED, gone: dg.DagsterRunStatus.FAILURE,
                          reused: dg.DagsterRunStatus.FAILURE, rebooted: dg.DagsterRunStatus.FAILURE,
                          elsewhere: dg.DagsterRunStatus.STARTED, untagged: dg.DagsterRunStatus.STARTED}
        assert fail_dead_runs(instance) == []  # a failed run is not reported again
