"""The whole engine in one call, without Dagster: for benchmarks, evaluation and tests of the engine.

Production runs go through the Dagster assets (`assets/`), which call the same stage functions one
per asset; this module is the plain reference of their order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline.config import Config
from pipeline.decisions.changes import build_changes
from pipeline.decisions.coverage import build_coverage
from pipeline.decisions.priority import build_candidates
from pipeline.decisions.tracks import build_tracks
from pipeline.ingest.answers import load_answers
from pipeline.ingest.clean import build_rejects, clean_members, clean_register
from pipeline.ingest.load import load_role
from pipeline.linking.link import LinkingResult, link_warehouse
from pipeline.stopwatch import Laps

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["EngineRun", "run_engine"]


@dataclass
class EngineRun:
    linking: LinkingResult
    seconds: dict[str, float] = field(default_factory=dict)


def run_engine(con: duckdb.DuckDBPyConnection, *, register: list[Path], members: list[Path], config: Config,
               reference_date: date, progress: Callable[[str], None] | None = None,
               answers: Path | None = None, spark: SparkSession | None = None) -> EngineRun:
    """Ingest, clean, link, decide coverage, tracks and candidates in `con` (no publication), linking on
    the backend of `config.engine` (on Spark, in the session `spark` when given). `answers`: a portal
    database whose officers' answers are applied (none when not given)."""
    laps = Laps()
    lap = laps.lap

    load_role(con, "register", register, config.ingest, progress)
    load_role(con, "members", members, config.ingest, progress)
    lap("ingest")
    clean_register(con, config, reference_date)
    clean_members(con, config, reference_date)
    build_rejects(con)
    load_answers(con, answers)
    lap("clean")
    linking = link_warehouse(con, config, progress, spark=spark)
    lap("link")
    build_coverage(con)
    build_tracks(con, config.eligibility, reference_date, config.region.codes, config.cost)
    build_candidates(con, config.priority, config.cost, reference_date)
    build_changes(con, None, None, config.eligibility)  # no previous publication to compare with
    lap("decide")
    return EngineRun(linking, laps.seconds)

