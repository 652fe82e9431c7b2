"""Launch the pipeline job in-process on a persistent Dagster instance (what `ucj run` does), so
command-line runs show up in the Dagster UI beside scheduled ones."""

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._utils.error import SerializableErrorInfo
from filelock import FileLock

from assets.resources import REFERENCE_DATE_TAG, project_root

__all__ = ["RunOutcome", "prepare_instance_env", "run_pipeline"]


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
    from assets.definitions import PIPELINE_JOB, defs  # after the environment is set

    settings = {"register_files": [str(Path(p).resolve()) for p in register],
                "member_files": [str(Path(p).resolve()) for p in members],
                "publication_root": str(Path(publication_root).resolve()),
                "config_file": str(Path(config_file).resolve()) if config_file else ""}
    resources: dict = {"settings": {"config": settings}}
    if warehouse is not None:
        resources["warehouse"] = {"config": {"database": str(Path(warehouse).resolve())}}
    tags = {REFERENCE_DATE_TAG: reference_date} if reference_date else {}
    storage = Path(os.environ["UCJ_DAGSTER_STORAGE"])
    storage.mkdir(parents=True, exist_ok=True)
    with FileLock(storage / ".instance.lock"):  # two first runs must not both create the storage's tables
        instance = dg.DagsterInstance.get()
    with instance:
        result = defs.resolve_job_def(PIPELINE_JOB).execute_in_process(
            run_config={"resources": resources, "loggers": {"console": {"config": {"log_level": log_level}}}},
            instance=instance, tags=tags, raise_on_error=False)
    failure = next((e for e in result.all_events if e.is_step_failure), None)
    return RunOutcome(
        success=result.success, run_id=result.run_id,
        failed_step=failure.step_key if failure else None,
        error=_root_cause(failure.step_failure_data.error) if failure else None,
    )
