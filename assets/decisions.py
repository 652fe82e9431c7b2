"""Decision assets: each resident's coverage status, then tracks and the prioritised candidates."""

import dagster as dg

from assets.linking import links
from assets.resources import PipelineSettings, WarehouseResource
from pipeline.decisions.coverage import build_coverage
from pipeline.decisions.priority import build_candidates
from pipeline.decisions.tracks import build_tracks

__all__ = ["coverage", "candidates"]

GROUP = "decisions"


@dg.asset(group_name=GROUP, deps=[links],
          description="One row per resident: covered, lapsed, other scheme or uncovered, with the membership and rule.")
def coverage(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        counts = build_coverage(con)
    return dg.MaterializeResult(metadata={"dagster/row_count": sum(counts.values()),
                                          "by_status": dg.MetadataValue.json(dict(sorted(counts.items())))})


@dg.asset(group_name=GROUP, deps=[coverage],
          description="Every resident's track (with the eligibility reasons) and the prioritised candidate list.")
def candidates(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
               settings: PipelineSettings) -> dg.MaterializeResult:
    config = settings.config()
    reference_date = settings.reference_date(context)
    with warehouse.get_connection() as con:
        tracks = build_tracks(con, config.eligibility, reference_date, config.region.codes)
        listed = build_candidates(con, config.priority, config.cost, reference_date)
    return dg.MaterializeResult(metadata={"dagster/row_count": sum(listed.values()),
                                          "reference_date": reference_date.isoformat(),
                                          "by_track": dg.MetadataValue.json(dict(sorted(tracks.items())))})
