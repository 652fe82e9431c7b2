"""Runs the data team can leave alone: concurrent runs queue on the warehouse, a run killed half way
is followed by a good run, and `latest` stays usable throughout."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.published.latest import latest_publication
from pipeline.synthetic import GeneratedFiles

pytestmark = pytest.mark.slow


def _ucj_run(city: GeneratedFiles, out: Path, warehouse: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "cli.main", "run", "--register", str(city.register), "--out", str(out),
            "--warehouse", str(warehouse), "--reference-date", "2026-01-01"]
    for member_file in city.members:
        args += ["--members", str(member_file)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2], env=dict(os.environ))


def test_concurrent_runs_queue_instead_of_failing(small_city: GeneratedFiles, dagster_home: Path,
                                                  tmp_path: Path) -> None:
    out, warehouse = tmp_path / "published", tmp_path / "wh.duckdb"
    first, second = _ucj_run(small_city, out, warehouse), _ucj_run(small_city, out, warehouse)
    results = [p.communicate(timeout=600) for p in (first, second)]
    assert first.returncode == 0, results[0][1][-2000:]
    assert second.returncode == 0, results[1][1][-2000:]
    publications = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(publications) == 2
    assert json.loads((latest_publication(out) / "manifest.json").read_text())["reconciled"]


def test_run_killed_half_way_then_a_good_run(small_city: GeneratedFiles, dagster_home: Path, tmp_path: Path) -> None:
    out, warehouse = tmp_path / "published", tmp_path / "wh.duckdb"
    good = _ucj_run(small_city, out, warehouse)
    assert good.wait(timeout=600) == 0
    first = latest_publication(out)

    victim = _ucj_run(small_city, out, warehouse)
    deadline = time.time() + 300
    while time.time() < deadline:  # kill it once it is inside the linking stage
        line = victim.stderr.readline()
        if "blocking: generating candidate pairs" in line or not line:
            break
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    assert latest_publication(out) == first  # readers still see the last good publication

    after = _ucj_run(small_city, out, warehouse)
    stdout, stderr = after.communicate(timeout=600)
    assert after.returncode == 0, stderr[-2000:]
    assert latest_publication(out) != first
    assert not list(out.glob(".staging-*"))
