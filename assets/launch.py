"""Launch the pipeline job in-process on a persistent Dagster instance (what `ucj run` does), so
command-line runs show up in the Dagster UI beside scheduled ones.

A run executes inside the `ucj run` process, so when that process dies (kill -9, a reboot) nothing
records the end of the run: Dagster's run monitoring only watches runs the daemon launched. Each
`ucj run` therefore tags its run with the process that executes it, and on start marks failed every
unfinished run of this machine whose process is gone (`fail_dead_runs`).
"""

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._utils.error import SerializableErrorInfo
from filelock import FileLock

from assets.resources import REFERENCE_DATE_TAG, project_root
from pipeline.config import load_config

__all__ = ["RunOutcome", "prepare_instance_env", "run_pipeline", "fail_dead_runs", "PROCESS_TAG", "HOST_TAG"]

log = logging.getLogger(__name__)

PROCESS_TAG = "ucj/process"
"""`<boot id>:<pid>:<process start time>` of the `ucj run` process executing the run."""
HOST_TAG = "ucj/host"
_UNFINISHED = (dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
               dg.DagsterRunStatus.CANCELING)


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    run_id: str
    failed_step: str | None
    error: str | None


def prepare_instance_env(root: Path | None = None) -> Path:
    """Point Dagster at the project's dagster.yaml and storage under data/dagster (unless set)."""
    root = root or project_root()
    if not (root / "dagster.yaml").is_file():
        raise FileNotFoundError(f"dagster.yaml not found in {root}; run from a checkout or set UCJ_HOME")
    os.environ.setdefault("DAGSTER_HOME", str(root))
    os.environ.setdefault("UCJ_DAGSTER_STORAGE", str(root / "data" / "dagster"))
    os.environ.setdefault("UCJ_DAGSTER_LOGS", str(root / "data" / "dagster" / "logs"))
    return root


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return None


def _process_identity(pid: int) -> str | None:
    """`<boot id>:<pid>:<start time>` on Linux, which no later process shares even when it reuses the
    pid or the machine restarted; `-:<pid>:-` where /proc is missing; None when there is no such process."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        if os.path.isdir("/proc/self"):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return f"-:{pid}:-"
    start_time = stat.rsplit(")", 1)[1].split()[19]  # field 22; the command name may hold spaces
    return f"{_read('/proc/sys/kernel/random/boot_id') or '-'}:{pid}:{start_time}"


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every unfinished `ucj run` run of this machine whose process is gone; their ids."""
    host = socket.gethostname()
    marked = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(_UNFINISHED), tags={HOST_TAG: host})):
        process = run.tags.get(PROCESS_TAG, "")
        try:
            pid = int(process.split(":")[1])
        except (IndexError, ValueError):
            continue
        if _process_identity(pid) == process:
            continue  # still running (in another `ucj run`, or waiting on the warehouse lock)
        instance.report_run_failed(run, message=f"The ucj run process (pid {pid}) that executed this run is gone "
                                                "(killed, or the machine restarted); marked failed by a later "
                                                "ucj run.")
        log.warning("run %s was left unfinished by a ucj run that died; marked it failed", run.run_id)
        marked.append(run.run_id)
    return marked


def _root_cause(error: "SerializableErrorInfo | None") -> str | None:
    """The pipeline's own error when there is one (it names file, row and column), not the library
    exception it was raised from; else the deepest cause."""
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    own = [e for e in chain if e.message.startswith("pipeline.errors.")]
    last = (own or chain or [None])[-1]
    return last.message.strip() if last is not None else None


def run_pipeline(*, register: list[Path], members: list[Path], publication_root: Path,
                 config_file: Path | None = None, warehouse: Path | None = None,
                 reference_date: str | None = None, log_level: str = "INFO") -> RunOutcome:
    """Materialise every asset (checks included) on the given files; never raises for a failed run."""
    prepare_instance_env()
    from assets.definitions import PIPELINE_JOB, definitions  # after the environment is set
    from assets.linking import regency_range_tags

    config = load_config(Path(config_file).resolve() if config_file else None)

    settings = {"register_files": [str(Path(p).resolve()) for p in register],
                "member_files": [str(Path(p).resolve()) for p in members],
                "publication_root": str(Path(publication_root).resolve()),
                "config_file": str(Path(config_file).resolve()) if config_file else ""}
    resources: dict = {"settings": {"config": settings}}
    if warehouse is not None:
        resources["warehouse"] = {"config": {"database": str(Path(warehouse).resolve())}}
    tags = {REFERENCE_DATE_TAG: reference_date} if reference_date else {}
    tags |= regency_range_tags(config)  # every kabupaten/kota of the config, in the one run
    tags |= {HOST_TAG: socket.gethostname(), PROCESS_TAG: _process_identity(os.getpid()) or f"-:{os.getpid()}:-"}
    storage = Path(os.environ["UCJ_DAGSTER_STORAGE"])
    storage.mkdir(parents=True, exist_ok=True)
    with FileLock(storage / ".instance.lock"):  # two first runs must not both create the storage's tables
        instance = dg.DagsterInstance.get()
    with instance:
        fail_dead_runs(instance)
        result = definitions(config).resolve_job_def(PIPELINE_JOB).execute_in_process(
            run_config={"resources": resources, "loggers": {"console": {"config": {"log_level": log_level}}}},
            instance=instance, tags=tags, raise_on_error=False)
    failure = next((e for e in result.all_events if e.is_step_failure), None)
    error = _root_cause(failure.step_failure_data.error) if failure else None
    if error and "DagsterAssetCheckFailedError" in error:  # say why, as the check itself does
        error = "; ".join(f"check {e.check_name} failed: {e.description}" for e in result.get_asset_check_evaluations()
                          if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR) or error
    return RunOutcome(
        success=result.success, run_id=result.run_id,
        failed_step=failure.step_key if failure else None,
        error=error,
    )
