"""What a publication records about itself: inputs with hashes and counts, outputs (added by
`pipeline.publish.publish`), code and config versions, model summary, headline counts and timestamps."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import Config
from pipeline.ingest.reconcile import reconciliation
from pipeline.warehouse import scalar

__all__ = ["code_version", "build_manifest", "headline_counts"]

_REPO = Path(__file__).resolve().parents[2]  # the checkout: pipeline/publish/manifest.py


def code_version() -> dict[str, str]:
    """Package version and, when run from a git checkout, the commit (with '+dirty' if modified)."""
    try:
        package = metadata.version("ucj-madiun")
    except metadata.PackageNotFoundError:
        package = "unknown"
    commit = "unknown"
    if (_REPO / ".git").exists():
        try:
            commit = subprocess.run(["git", "-C", str(_REPO), "rev-parse", "HEAD"], capture_output=True,
                                    text=True, timeout=5, check=True).stdout.strip()
            dirty = subprocess.run(["git", "-C", str(_REPO), "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=5, check=True).stdout.strip()
            commit += "+dirty" if dirty else ""
        except (OSError, subprocess.SubprocessError):
            pass
    return {"package": package, "commit": commit}


def headline_counts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Aggregates only (no personal data): safe for logs, Dagster metadata and the manifest."""
    def grouped(sql: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in con.execute(sql).fetchall()}

    return {
        "residents": int(scalar(con, "SELECT count(*) FROM residents")),
        "memberships": int(scalar(con, "SELECT count(*) FROM memberships")),
        "rejects": grouped("SELECT role, count(*) FROM rejects GROUP BY 1 ORDER BY 1"),
        "links": grouped("SELECT decision, count(*) FROM links GROUP BY 1 ORDER BY 1"),
        "coverage": grouped("SELECT coverage_status, count(*) FROM coverage GROUP BY 1 ORDER BY 1"),
        "tracks": grouped("SELECT track, count(*) FROM tracks GROUP BY 1 ORDER BY 1"),
        "candidates": int(scalar(con, "SELECT count(*) FROM candidates")),
        "blocking_pairs": grouped("SELECT rule, new_pairs FROM blocking_stats ORDER BY rule_order"),
        "pro_jkk_jkm_yearly_cost_rp": int(scalar(con, "SELECT coalesce(sum(yearly_cost_rp), 0) FROM candidates")),
    }


def build_manifest(con: duckdb.DuckDBPyConnection, config: Config, *, reference_date: date,
                   started_at: datetime, finished_at: datetime, model: dict[str, Any],
                   checks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    files = con.execute("SELECT file_id, role, file_name, sha256, size_bytes, format, header_row, rows_in, "
                        "blank_rows, encoding FROM source_files ORDER BY file_id").fetchall()
    balance = {r.file_name: r for r in reconciliation(con)}
    inputs = [{"file_id": f[0], "role": f[1], "file_name": f[2], "sha256": f[3], "bytes": f[4], "format": f[5],
               "header_row": f[6], "rows_in": f[7], "blank_rows_skipped": f[8], "encoding": f[9],
               "rows_used": balance[f[2]].rows_used, "rows_rejected": balance[f[2]].rows_rejected}
              for f in files]
    return {
        "inputs": inputs,
        "reconciled": all(r.balanced for r in balance.values()),
        "code_version": code_version(),
        "config_sha256": config.digest(),
        "reference_date": reference_date.isoformat(),
        "model": {"prior_in_register": model.get("prior_in_register"), "em_iterations": model.get("em_iterations"),
                  "weights_log2": model.get("weights_log2")},
        "counts": headline_counts(con),
        "checks": checks or [],
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": finished_at.isoformat(timespec="seconds"),
    }
