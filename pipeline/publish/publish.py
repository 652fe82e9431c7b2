"""Write a publication: Parquet/CSV for the data team, one XLSX per kelurahan for officers, and a
manifest. Writing is atomic: everything goes to a staging folder that is renamed into place, and
the `latest` link is swapped with one `os.replace`, so readers see the old publication or the new
one, never half of one. Same inputs and config give byte-identical data files.

Layout of a publication root:
    <root>/<publication id>/coverage.parquet, links.parquet, pairs.parquet (links, review pairs and
        near misses, for auditors), review.parquet, candidates.parquet,
        candidates.csv, changes.parquet/.csv (who entered or left the list since the previous
        publication, and why), employers.parquet (compliance referrals per employer), rejects.parquet,
        kelurahan/<code>-<name>.xlsx, budget.json, report.html, report.pdf, config.resolved.json,
        model.json, manifest.json
    <root>/latest -> <publication id>
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import CostConfig
from pipeline.decisions.tracks import EMPLOYER_REFERRALS_QUERY
from pipeline.errors import PublishError
from pipeline.publish.report import ReportError, write_report
from pipeline.publish.workbooks import write_kelurahan_workbooks
from pipeline.published.budget import write_budget
from pipeline.published.latest import latest_publication
from pipeline.warehouse import scalar

__all__ = ["Publication", "publish", "prune_publications",
           "OUTPUT_QUERIES"]

_PUBLICATION_ID = re.compile(r"^(\d{8}T\d{6})(-.*)?$")

log = logging.getLogger(__name__)

_PROVENANCE = "f.file_name AS source_file, {alias}.source_row, f.sha256 AS source_sha256"

OUTPUT_QUERIES: dict[str, str] = {
    "coverage": f"""
        SELECT r.nik, r.no_kk, r.nama, r.birth_date, r.sex, r.alamat, r.rt, r.rw, r.kelurahan_code, r.kelurahan,
            r.kecamatan_code, r.kecamatan, r.occupation_code, r.occupation, r.occupation_group, r.shdk, r.desil,
            t.age, c.coverage_status, c.coverage_rule, c.linked_memberships, c.kpj, c.segment, c.membership_status,
            c.membership_start, c.membership_end, c.npp, c.employer, c.link_probability, c.link_rule,
            c.review_pending, t.track, t.track_reason, t.out_of_scope_reason, t.is_resident, t.resident_reason,
            t.age_eligible, t.age_reason, t.works, t.pro_work, t.work_reason, t.desil_eligible, t.desil_reason,
            r.flags, t.field_answer, t.field_answer_id, t.field_answered_by, t.field_answered_at, t.field_attempts,
            t.field_flag, {_PROVENANCE.format(alias='r')}
        FROM residents r JOIN coverage c USING (resident_id) JOIN tracks t USING (resident_id)
        JOIN source_files f ON f.file_id = r.file_id
        ORDER BY r.nik""",
    "links": f"""
        SELECT l.* EXCLUDE (member_id, resident_id), m.status AS membership_status, m.segment,
            {_PROVENANCE.format(alias='m')}, rf.file_name AS resident_source_file, r.source_row AS resident_source_row,
            rf.sha256 AS resident_source_sha256
        FROM links l JOIN memberships m USING (member_id) JOIN residents r USING (resident_id)
        JOIN source_files f ON f.file_id = m.file_id JOIN source_files rf ON rf.file_id = r.file_id
        ORDER BY l.kpj, l.resident_nik""",
    "pairs": f"""
        SELECT p.* EXCLUDE (member_id, resident_id), m.nik AS member_nik, m.nik_status AS member_nik_status,
            m.nama AS member_nama, m.birth_date AS member_birth_date, m.status AS membership_status, m.segment,
            m.employer, {_PROVENANCE.format(alias='m')}
        FROM scored_pairs p JOIN memberships m USING (member_id)
        JOIN source_files f ON f.file_id = m.file_id
        ORDER BY p.resident_nik, p.kpj""",
    "review": f"""
        SELECT l.kpj, m.nik_status AS member_nik_status, m.nik AS member_nik, m.nama AS member_nama,
            m.birth_date AS member_birth_date, m.status AS membership_status, l.resident_nik, r.nama AS resident_nama,
            r.birth_date AS resident_birth_date, r.kelurahan, l.probability, l.conflict, l.explanation,
            {_PROVENANCE.format(alias='m')}
        FROM links l JOIN memberships m USING (member_id) JOIN residents r USING (resident_id)
        JOIN source_files f ON f.file_id = m.file_id
        WHERE l.decision = 'review'
        ORDER BY l.kpj, l.resident_nik""",
    "candidates": f"""
        SELECT r.nik, r.nama, r.sex, r.birth_date, k.age, r.alamat, r.rt, r.rw, r.kelurahan_code, r.kelurahan,
            r.kecamatan, r.occupation, r.occupation_group, r.shdk, r.desil, c.coverage_status, c.kpj AS previous_kpj,
            c.employer AS previous_employer, c.npp AS previous_npp, c.review_pending, k.track, k.track_reason,
            k.priority_score, k.desil_points, k.risk_points, k.breadwinner_points, k.children_points, k.age_points,
            k.school_children, k.priority_reason, k.priority_rank, k.kelurahan_rank, k.yearly_cost_rp,
            k.employer_npp, k.employer_name, k.employer_workers, k.verify_kpj, k.verification,
            {_PROVENANCE.format(alias='r')}
        FROM candidates k JOIN residents r USING (resident_id) JOIN coverage c USING (resident_id)
        JOIN source_files f ON f.file_id = r.file_id
        ORDER BY k.track, k.priority_rank""",
    "employers": EMPLOYER_REFERRALS_QUERY,
    "changes": """
        SELECT * FROM changes ORDER BY change, kelurahan_code, nik""",
    "rejects": """
        SELECT j.role, f.file_name AS source_file, j.source_row, j.reason_code, j.reason, j.column_name,
            f.sha256 AS source_sha256
            t.field_answer, t.field_answer_id, t.field_answered_by, t.field_answered_at, t.field_attempts, t.field_flag,
        FROM rejects j JOIN source_files f USING (file_id)
        ORDER BY f.file_name, j.source_row""",
        JOIN tracks t USING (resident_id)
}


@dataclass(frozen=True)
class Publication:
    path: Path
    publication_id: str
    row_counts: dict[str, int]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path, fmt: str) -> int:
    options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
    return int(scalar(con, f"COPY ({query}) TO '{target.as_posix()}' ({options})"))  # COPY returns its row count


def publish(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    *,
    publication_id: str,
    manifest: dict[str, Any],
    extra_files: dict[str, Any],
    created: datetime,
    nik_visible_digits: int,
    cost: CostConfig | None = None,
    reference_date: date | None = None,
    before_latest: Callable[[Path], None] | None = None,
) -> Publication:
    """Write a publication under `root` and point `root/latest` at it.

    `extra_files` are JSON documents written beside the data (resolved config, model). With `cost`,
    the budget scenario for `cost.apbd_budget_rp` (budget.json) and the summary report
    (report.html, report.pdf) are part of the publication.
    `before_latest(folder)` runs after everything is written and may raise to keep `latest` as it is.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / publication_id
    if final.exists():
        raise PublishError(f"publication {publication_id} already exists in {root}")
    for stale in root.glob(".staging-*"):  # left by a killed run (one writer at a time holds the lock)
        shutil.rmtree(stale, ignore_errors=True)
    staging = root / f".staging-{publication_id}"
    staging.mkdir()
    try:
        counts: dict[str, int] = {}
        for name, query in OUTPUT_QUERIES.items():
            counts[name] = _copy(con, query, staging / f"{name}.parquet", "parquet")
        _copy(con, OUTPUT_QUERIES["candidates"], staging / "candidates.csv", "csv")
        _copy(con, OUTPUT_QUERIES["changes"], staging / "changes.csv", "csv")
        workbooks = write_kelurahan_workbooks(con, staging / "kelurahan", created=created,
                                              nik_visible_digits=nik_visible_digits)
        for name, document in extra_files.items():
            _write_json(staging / name, document)
        warnings: list[str] = []
        if cost is not None:
            write_budget(staging, amount_rp=cost.apbd_budget_rp, cost=cost)
            try:
                write_report(staging, amount_rp=cost.apbd_budget_rp, cost=cost, publication_id=publication_id,
                             reference_date=reference_date)
            except ReportError as exc:  # a missing PDF engine must not stop the night's list
                log.warning("%s", exc)
                warnings.append(str(exc))
        outputs = {p.relative_to(staging).as_posix(): {"sha256": _sha256(p), "bytes": p.stat().st_size}
                   for p in sorted(staging.rglob("*")) if p.is_file()}
        for name, rows in counts.items():
            outputs[f"{name}.parquet"]["rows"] = rows
        outputs["candidates.csv"]["rows"] = counts["candidates"]
        outputs["changes.csv"]["rows"] = counts["changes"]
        for name, rows in workbooks.items():
            outputs[f"kelurahan/{name}"]["rows"] = rows
        _write_json(staging / "manifest.json", {**manifest, "publication_id": publication_id, "outputs": outputs,
                                                "warnings": warnings})
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if before_latest is not None:
        before_latest(final)
    _point_latest(root, publication_id)
    log.info("published %s (%d candidates)", publication_id, counts["candidates"])
    return Publication(final, publication_id, counts)


def _point_latest(root: Path, publication_id: str) -> None:
    tmp = root / f".latest-{publication_id}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(publication_id, tmp)
    os.replace(tmp, root / "latest")


def prune_publications(root: Path, *, retention_days: int, now: datetime) -> list[str]:
    """Delete dated publications older than `retention_days` (personal data is not kept forever);
    the one `latest` points at is always kept. Returns the deleted ids."""
    keep = latest_publication(root)
    cutoff = now.replace(tzinfo=None) - timedelta(days=retention_days)
    deleted = []
    for folder in sorted(Path(root).iterdir()):
        match = _PUBLICATION_ID.match(folder.name)
        if not folder.is_dir() or folder.is_symlink() or match is None or folder.resolve() == keep:
            continue
        if datetime.strptime(match.group(1), "%Y%m%dT%H%M%S") < cutoff:
            shutil.rmtree(folder)
            deleted.append(folder.name)
    if deleted:
        log.info("retention: deleted %d publications older than %d days", len(deleted), retention_days)
    return deleted
