"""Write a publication: Parquet/CSV for the data team, one XLSX per kelurahan for officers, and a
manifest. Writing is atomic: everything goes to a staging folder that is renamed into place, and
the `latest` link is swapped with one `os.replace`, so readers see the old publication or the new
one, never half of one. Same inputs and config give byte-identical data files.

Layout of a publication root:
    <root>/<publication id>/coverage.parquet, links.parquet, pairs.parquet (links, review pairs and
        near misses, for auditors), review.parquet, candidates.parquet,
        candidates.csv, changes.parquet/.csv (who entered or left the list since the previous
        publication, and why), employers.parquet (compliance referrals per employer), rejects.parquet,
        kelurahan/<kabupaten/kota>/<kecamatan>/<code>-<name>.xlsx, budget.json, report.html, report.pdf,
        config.resolved.json, model.json, manifest.json
    <root>/latest -> <publication id>
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import Config, CostConfig
from pipeline.decisions.tracks import EMPLOYER_REFERRALS_QUERY
from pipeline.errors import PublishError
from pipeline.pause import pause_point
from pipeline.publish.manifest import build_manifest
from pipeline.publish.report import ReportError, write_report
from pipeline.publish.workbooks import write_kelurahan_workbooks
from pipeline.published.budget import write_budget
from pipeline.published.latest import latest_publication
from pipeline.spreadsheet import defuse_formula_sql
from pipeline.sqltext import sql_literal
from pipeline.warehouse import scalar

__all__ = ["Publication", "Artefacts", "publish", "publish_run", "prune_publications", "OUTPUT_QUERIES", "CSV_TABLES",
           "open_staging", "existing_staging", "discard_staging", "discarded_on_failure", "clean_stale_staging",
           "staging_path",
           "write_tables", "write_pairs", "write_artefacts", "prepare_summary", "write_summary", "finish"]

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
            t.field_answer, t.field_answer_id, t.field_answered_by, t.field_answered_at, t.field_attempts, t.field_flag,
            {_PROVENANCE.format(alias='r')}
        FROM candidates k JOIN residents r USING (resident_id) JOIN coverage c USING (resident_id)
        JOIN tracks t USING (resident_id)
        JOIN source_files f ON f.file_id = r.file_id
        ORDER BY k.track, k.priority_rank""",
    "employers": EMPLOYER_REFERRALS_QUERY,
    "changes": """
        SELECT * FROM changes ORDER BY change, kelurahan_code, nik""",
    "rejects": """
        SELECT j.role, f.file_name AS source_file, j.source_row, j.reason_code, j.reason, j.column_name,
            f.sha256 AS source_sha256
        FROM rejects j JOIN source_files f USING (file_id)
        ORDER BY f.file_name, j.source_row""",
}


CSV_TABLES = ("candidates", "changes")  # the lists people open in a spreadsheet


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
    if fmt == "parquet":
        options = "FORMAT parquet, COMPRESSION zstd"
    else:  # a CSV is opened in a spreadsheet: text that would run as a formula is defused
        columns = con.execute(f"DESCRIBE ({query})").fetchall()  # (name, type, ...)
        select = ", ".join(f"{defuse_formula_sql(_ident(c))} AS {_ident(c)}" if kind == "VARCHAR" else _ident(c)
                           for c, kind, *_ in columns)
        query, options = f"SELECT {select} FROM ({query})", "FORMAT csv, HEADER true"
    return int(scalar(con, f"COPY ({query}) TO {sql_literal(target)} ({options})"))  # COPY returns its row count


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- staging
# A publication is written into <root>/.staging-<id>/, readable only by the pipeline's user (mode 0700:
# it holds full NIKs), and renamed into place when complete. The writing process holds an exclusive
# flock on that folder until then (the lock dies with the process, and moves with the folder); a
# staging folder nobody holds was left by a killed run, and the next run and the inbox sensor's next
# tick delete it.

_HELD: dict[Path, int] = {}  # staging folder -> the open descriptor holding its lock
_WARNINGS: dict[Path, list[str]] = {}  # per staging folder, until its manifest is written


def staging_path(root: Path, publication_id: str) -> Path:
    return Path(root) / f".staging-{publication_id}"


def _try_lock(folder: Path) -> int | None:
    """An open descriptor holding `folder`'s exclusive lock, or None when someone else holds it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def _release(staging: Path) -> None:
    descriptor = _HELD.pop(staging, None)
    if descriptor is not None:
        os.close(descriptor)  # closing the descriptor releases the lock


def clean_stale_staging(root: Path, *, links: bool = False) -> list[str]:
    """Delete staging folders that no live process is writing, and with `links` the `latest` links a
    killed run never moved; return their names. Staging folders: safe at any time (a run that is
    publishing holds its lock). Links: only when no run may be swapping `latest` (a run's start)."""
    root = Path(root)
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for staging in sorted(root.glob(".staging-*")):
        if staging in _HELD or not staging.is_dir() or staging.is_symlink():
            continue
        descriptor = _try_lock(staging)
        if descriptor is None:
            continue  # a live run is writing it
        try:
            shutil.rmtree(staging, ignore_errors=True)
            removed.append(staging.name)
        finally:
            os.close(descriptor)
    if links:
        for stale in root.glob(".latest-*"):
            stale.unlink(missing_ok=True)
            removed.append(stale.name)
    if removed:
        log.info("removed %d staging leftovers of killed runs", len(removed))
    return removed


def open_staging(root: Path, publication_id: str) -> Path:
    """Create the staging folder of a new publication (mode 0700) and hold its lock."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if (root / publication_id).exists():
        raise PublishError(f"publication {publication_id} already exists in {root}")
    staging = staging_path(root, publication_id)
    if staging in _HELD:  # this process's step again, after a transient failure: the same folder
        return staging
    clean_stale_staging(root, links=True)  # one run at a time publishes (the warehouse lock)
    staging.mkdir(mode=0o700)
    staging.chmod(0o700)  # whatever the umask: only the pipeline's user reads a staging publication
    descriptor = _try_lock(staging)
    if descriptor is None:
        raise PublishError(f"staging folder of publication {publication_id} is locked by another process")
    _HELD[staging] = descriptor
    return staging


def existing_staging(root: Path, publication_id: str) -> Path:
    """The staging folder `open_staging` made for this publication (in this process)."""
    staging = staging_path(root, publication_id)
    if staging not in _HELD or not staging.is_dir():
        raise PublishError(f"no staging folder for publication {publication_id} in {root}",
                           hint="Its tables are written first (the publication_tables asset)")
    return staging


def discard_staging(staging: Path) -> None:
    """Delete a staging folder and let go of its lock (a failed publication leaves nothing behind)."""
    shutil.rmtree(staging, ignore_errors=True)
    _WARNINGS.pop(staging, None)
    waiting = _WAITING.pop(staging, None)
    if waiting is not None:
        waiting.cancel()
    _release(staging)


@contextlib.contextmanager
def discarded_on_failure(staging: Path, *, keep_on: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Delete the staging folder when the block fails, except on `keep_on` errors (a step that will be
    retried writes into the same folder again). The part functions below leave this to their caller."""
    try:
        yield
    except keep_on:
        raise
    except BaseException:
        discard_staging(staging)
        raise


# --------------------------------------------------------------------------- the parts of a publication

def write_tables(con: duckdb.DuckDBPyConnection, staging: Path, *,
                 extra_files: dict[str, Any] | None = None) -> dict[str, int]:
    """The data files (Parquet, and CSV for the lists people open in a spreadsheet) and the JSON
    documents (resolved config, model); return rows per table. Pairs are `write_pairs`."""
    counts = {name: _copy(con, query, staging / f"{name}.parquet", "parquet")
              for name, query in OUTPUT_QUERIES.items() if name != "pairs"}
    for name in CSV_TABLES:
        _copy(con, OUTPUT_QUERIES[name], staging / f"{name}.csv", "csv")
    for name, document in (extra_files or {}).items():
        _write_json(staging / name, document)
    return counts


def write_pairs(con: duckdb.DuckDBPyConnection, staging: Path) -> int:
    """pairs.parquet for auditors: links, review pairs and near misses with the membership's fields."""
    return _copy(con, OUTPUT_QUERIES["pairs"], staging / "pairs.parquet", "parquet")


@dataclass(frozen=True)
class Artefacts:
    pairs: int
    workbooks: dict[str, int]
    summary: list[str] | None  # warnings of the budget scenario and report; None when not written


def write_artefacts(con: duckdb.DuckDBPyConnection, staging: Path, *, publication_id: str, created: datetime,
                    nik_visible_digits: int, cost: CostConfig | None, reference_date: date | None) -> Artefacts:
    """The expensive parts, side by side: the budget scenario and report (pure Python: matplotlib,
    WeasyPrint) in a process of their own, from the staged Parquet files, while this process writes
    pairs.parquet (DuckDB) and the officer workbooks. Needs `write_tables` first; the report's process
    is the one `prepare_summary` started for `staging`, if any, else a new one."""
    waiting = _WAITING.pop(staging, None)
    if cost is None:
        if waiting is not None:
            waiting.cancel()
        summary = None
    else:
        summary = (waiting or _Summary()).submit(staging, publication_id, cost, reference_date)
    try:
        pairs = write_pairs(con, staging)
        workbooks = write_kelurahan_workbooks(con, staging / "kelurahan", created=created,
                                              nik_visible_digits=nik_visible_digits, cost=cost)
    except BaseException:
        if summary is not None:
            summary.cancel()
        raise
    warnings = None if summary is None else summary.result()
    _WARNINGS[staging] = list(warnings or [])  # for the manifest, written by `finish`
    return Artefacts(pairs, workbooks, warnings)


_WAITING: dict[Path, _Summary] = {}  # report processes started ahead, by staging folder


def prepare_summary(staging: Path) -> None:
    """Start the report's process for `staging` now, so that its libraries (about a second to load)
    are ready when `write_artefacts` hands it the work; one waiting process per staging folder."""
    earlier = _WAITING.pop(staging, None)
    if earlier is not None:
        earlier.cancel()
    _WAITING[staging] = _Summary()


class _Summary:
    """The summary step in a child interpreter of its own (`python -c`, the arguments pickled on its
    standard input once `submit` has them, the result pickled into a temporary file): a second core for
    the report, and nothing of the caller's state (Dagster, the DuckDB connection, logging set to DEBUG)
    comes along. Where no process can be started, the same work runs inline when the result is asked for."""

    def __init__(self) -> None:
        self._args: tuple[Any, ...] = ()
        self._process: subprocess.Popen[bytes] | None = None
        handle, name = tempfile.mkstemp(prefix="ucj-summary-", suffix=".pickle")
        os.close(handle)
        self._result = Path(name)
        try:
            command = [sys.executable, "-c", _SUMMARY_CHILD, str(self._result), str(os.getpid())]
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE)
        except OSError as exc:  # no subprocess here: the same work, in this process
            log.info("summary written in-process (%s)", type(exc).__name__)

    def submit(self, *args: Any) -> _Summary:
        self._args = args
        if self._process is not None:
            try:
                self._process.stdin.write(pickle.dumps(args))
                self._process.stdin.close()
            except OSError as exc:  # the process is gone: the same work, in this process
                log.info("summary written in-process (%s)", type(exc).__name__)
                self._stop()
        return self

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def cancel(self) -> None:
        self._stop()
        self._result.unlink(missing_ok=True)

    def result(self) -> list[str]:
        if self._process is None:
            self._result.unlink(missing_ok=True)
            return write_summary(*self._args)
        try:
            code = self._process.wait()
            outcome = pickle.loads(self._result.read_bytes()) if self._result.stat().st_size else None
        finally:
            self._process = None
            self._result.unlink(missing_ok=True)
        if outcome is None:
            raise PublishError(f"the summary report's process ended with code {code} before it finished")
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


_SUMMARY_CHILD = "from pipeline.publish.publish import _summary_child; _summary_child()"


def _summary_child() -> None:
    """Entry point of the summary's child interpreter (see `_Summary`)."""
    parent = int(sys.argv[2])  # the run's process, which may have died while this one started

    def orphaned() -> None:  # a killed run takes its report with it: nothing writes into its staging later
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=orphaned, daemon=True).start()
    with contextlib.suppress(Exception):  # loaded while the work is not there yet; a failure shows later
        import matplotlib.figure  # noqa: F401
        import weasyprint  # noqa: F401
    work = sys.stdin.buffer.read()
    if not work:  # given no work (its publication failed, or another process took it over)
        return
    args = pickle.loads(work)
    try:
        outcome: Any = write_summary(*args)
    except Exception as exc:  # handed to the parent, which raises it
        outcome = exc
    try:
        payload = pickle.dumps(outcome)
    except Exception:  # an exception that cannot travel: its text does
        payload = pickle.dumps(PublishError(f"summary report failed: {type(outcome).__name__}: {outcome}"))
    Path(sys.argv[1]).write_bytes(payload)


def write_summary(staging: Path, publication_id: str, cost: CostConfig, reference_date: date | None) -> list[str]:
    """budget.json (the scenario of each kabupaten/kota for its own `apbd_budget_rp`) and report.html/.pdf,
    from the staged files; returns warnings (a missing PDF engine must not stop the night's list)."""
    write_budget(staging, cost=cost)
    try:
        write_report(staging, cost=cost, publication_id=publication_id, reference_date=reference_date)
    except ReportError as exc:
        log.warning("%s", exc)
        return [str(exc)]
    return []


def _row_counts(staging: Path) -> dict[str, int]:
    """Rows of every staged table, from the Parquet footers."""
    counts = {}
    with duckdb.connect() as con:
        for path in sorted(staging.glob("*.parquet")):
            counts[path.stem] = int(scalar(con, "SELECT count(*) FROM read_parquet($1)", [path.as_posix()]))
        by_code = dict(con.execute("SELECT kelurahan_code, count(*) FROM read_parquet($1) GROUP BY 1",
                                   [(staging / "candidates.parquet").as_posix()]).fetchall())
    workbooks = {p.relative_to(staging).as_posix(): int(by_code.get(p.name.split("-")[0], 0))
                 for p in sorted((staging / "kelurahan").rglob("*.xlsx"))}
    return {**counts, **workbooks}


def finish(root: Path, staging: Path, manifest: dict[str, Any]) -> Publication:
    """The manifest (every output with its hash and rows), then the staging folder renamed into place
    and `latest` pointed at it. Nothing a reader sees changes before the last step."""
    root = Path(root)
    publication_id = staging.name.removeprefix(".staging-")
    rows = _row_counts(staging)
    outputs = {p.relative_to(staging).as_posix(): {"sha256": _sha256(p), "bytes": p.stat().st_size}
               for p in sorted(staging.rglob("*")) if p.is_file()}
    for name, entry in outputs.items():
        stem = name.rsplit(".", 1)[0]
        if name.startswith("kelurahan/"):
            entry["rows"] = rows[name]
        elif stem in rows and name.endswith((".parquet", ".csv")):
            entry["rows"] = rows[stem]
    warnings = [*manifest.get("warnings", []), *_WARNINGS.get(staging, [])]
    _write_json(staging / "manifest.json", {**manifest, "publication_id": publication_id, "outputs": outputs,
                                            "warnings": warnings})
    staging.chmod(0o755 & ~_umask())  # the finished publication: readable as any published folder
    staging.rename(root / publication_id)
    _WARNINGS.pop(staging, None)
    _release(staging)
    _point_latest(root, publication_id)
    counts = {name: rows[name] for name in OUTPUT_QUERIES if name in rows}
    log.info("published %s (%d candidates)", publication_id, counts.get("candidates", 0))
    return Publication(root / publication_id, publication_id, counts)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
) -> Publication:
    """Write a whole publication under `root` and point `root/latest` at it (what the Dagster assets do
    one part per asset: `open_staging`, `write_tables`, `write_artefacts`, then `finish`).

    `extra_files` are JSON documents written beside the data (resolved config, model). With `cost`,
    the budget scenario of each kabupaten/kota for its `apbd_budget_rp` (budget.json) and the summary report
    (report.html, report.pdf) are part of the publication. Blocking checks gate this call: it runs only
    after they passed (the publication asset depends on them).
    """
    staging = open_staging(root, publication_id)
    with discarded_on_failure(staging):
        if cost is not None:
            prepare_summary(staging)
        write_tables(con, staging, extra_files=extra_files)
        write_artefacts(con, staging, publication_id=publication_id, created=created,
                        nik_visible_digits=nik_visible_digits, cost=cost, reference_date=reference_date)
        return finish(root, staging, manifest)


def publish_run(con: duckdb.DuckDBPyConnection, root: Path, *, publication_id: str, config: Config,
                reference_date: date, started_at: datetime, finished_at: datetime, checks: list[dict[str, Any]],
                run_id: str, previous_id: str | None, retention_days: int,
                now: datetime) -> tuple[Publication, dict[str, Any], list[str]]:
    """The publication asset's one call: manifest of the staged publication (inputs, code and config
    versions, model, counts, the checks as they ran), the publication moved into place, `latest`
    pointed at it, then publications past their retention deleted. Returns the publication, its
    manifest and the deleted ids."""
    staging = existing_staging(root, publication_id)
    model = json.loads(con.execute("SELECT model FROM link_model").fetchall()[0][0])
    manifest = build_manifest(con, config, reference_date=reference_date, started_at=started_at,
                              finished_at=finished_at, model=model, checks=checks)
    manifest.update(run_id=run_id, previous_publication=previous_id)
    publication = finish(root, staging, manifest)
    deleted = prune_publications(root, retention_days=retention_days, now=now)
    return publication, manifest, deleted


def _point_latest(root: Path, publication_id: str) -> None:
    tmp = root / f".latest-{publication_id}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(publication_id, tmp)
    pause_point("latest")  # the kill test's handle (pipeline/pause.py); nothing in production
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
