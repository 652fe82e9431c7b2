"""Resources: the DuckDB warehouse and the run settings (input files, output folder, config file)."""

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline.config import Config, load_config
from pipeline.inbox import scan_inbox

__all__ = ["PipelineSettings", "DuckDBResource", "project_root", "JAKARTA", "REFERENCE_DATE_TAG"]

JAKARTA = ZoneInfo("Asia/Jakarta")
REFERENCE_DATE_TAG = "ucj/reference_date"


def project_root() -> Path:
    """Where dagster.yaml and data/ live: $UCJ_HOME, else the checkout this package is in."""
    return Path(os.environ.get("UCJ_HOME") or Path(__file__).resolve().parents[1])


class PipelineSettings(dg.ConfigurableResource):
    """Which files a run reads and where it publishes. Empty file lists mean: use the inbox."""

    register_files: list[str] = []
    member_files: list[str] = []
    inbox_dir: str = "data/inbox"
    publication_root: str = "data/published"
    config_file: str = ""

    def _path(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else project_root() / path

    def config(self) -> Config:
        return load_config(self._path(self.config_file) if self.config_file else None)

    def inputs(self) -> tuple[list[Path], list[Path]]:
        if self.register_files or self.member_files:
            return [self._path(p) for p in self.register_files], [self._path(p) for p in self.member_files]
        inbox = scan_inbox(self._path(self.inbox_dir))
        return inbox.register, inbox.members

    def publication_dir(self) -> Path:
        return self._path(self.publication_root)

    def reference_date(self, context: dg.AssetExecutionContext) -> date:
        """The config's reference date, else the run's tag, else today in Jakarta: one date per run."""
        configured = self.config().eligibility.reference_date
        if configured is not None:
            return configured
        tagged = context.run.tags.get(REFERENCE_DATE_TAG)
        if tagged:
            return date.fromisoformat(tagged)
        return datetime.now(JAKARTA).date()
