"""The asset graph is a reviewed artefact: keys, groups, dependencies, checks, jobs, schedules and
sensors must match the committed snapshot. After an intended change, regenerate it with
    UPDATE_GRAPH_SNAPSHOT=1 .venv/bin/python -m pytest tests/assets/test_graph_snapshot.py
and review the diff."""

import json
import os
from pathlib import Path

from assets.definitions import defs

SNAPSHOT = Path(__file__).with_name("graph_snapshot.json")


def _graph() -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
        }
    checks = sorted(f"{k.asset_key.to_user_string()}:{k.name}:"
                    f"{'blocking' if graph.get_check_spec(k).blocking else 'warn'}"
                    for k in graph.asset_check_keys)
    return {
        "assets": assets,
        "checks": checks,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted(f"{s.name}:{s.cron_schedule}:{s.execution_timezone}:{s.job_name}"
                            for s in (defs.schedules or [])),
        "sensors": sorted(f"{s.name}:{s.job_name}" for s in (defs.sensors or [])),
    }


def test_asset_graph_matches_snapshot() -> None:
    current = _graph()
    if os.environ.get("UPDATE_GRAPH_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())
