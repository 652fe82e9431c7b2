"""The officers' answers asset: a read-only snapshot of the portal's answers, taken once per run, that
linking (settled pairs) and the tracks (outcomes of outreach) apply."""

import os
from pathlib import Path

import dagster as dg

from assets.ingest import memberships, residents
from assets.resources import WarehouseResource, project_root
from pipeline.ingest.answers import load_answers

__all__ = ["field_answers", "portal_database"]

PORTAL_DATABASE_ENV = "UCJ_PORTAL_DATABASE"


def portal_database() -> Path:
    """The portal's SQLite file: $UCJ_PORTAL_DATABASE (what `ucj serve` reads too), else
    data/portal/portal.sqlite of the project."""
    configured = os.environ.get(PORTAL_DATABASE_ENV)
    path = Path(configured) if configured else project_root() / "data" / "portal" / "portal.sqlite"
    return path if path.is_absolute() else project_root() / path


@dg.asset(group_name="ingest", deps=[residents, memberships],
          description="Officers' answers from the portal (settled review pairs, outcomes of outreach): a read-only "
                      "snapshot of the portal's database per run, its hash chain verified; the latest answer on each "
                      "pair or person is in force.")
def field_answers(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    source = portal_database()
    with warehouse.get_connection() as con:
        snapshot = load_answers(con, source)
    if not source.is_file():
        context.log.info("no portal database yet: no officers' answers to apply")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": snapshot.rows,
        "pair_answers_in_force": snapshot.pair_answers,
        "outcomes_in_force": snapshot.outcomes,
        "answers_about_people_not_in_register": snapshot.unmatched,
        "chain_head": snapshot.head_hash,
    })
