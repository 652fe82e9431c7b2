"""Decision assets: each resident's coverage status, their track, the prioritised candidates, and the
changes since the latest publication."""

import dagster as dg

from assets.linking import links
from assets.resources import PipelineSettings, WarehouseResource
from pipeline.decisions.changes import build_changes
from pipeline.decisions.coverage import build_coverage
from pipeline.decisions.priority import build_candidates
from pipeline.decisions.tracks import build_tracks
from pipeline.published.latest import latest_manifest, latest_publication

__all__ = ["coverage", "tracks", "candidates", "changes"]

GROUP = "decisions"


@dg.asset(group_name=GROUP, deps=[links],
          description="One row per resident: covered, lapsed, other scheme or uncovered, with the membership and rule.")
def coverage(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        counts = build_coverage(con)
    return dg.MaterializeResult(metadata={"dagster/row_count": sum(counts.values()),
                                          "by_status": dg.MetadataValue.json(dict(sorted(counts.items())))})


@dg.asset(group_name=GROUP, deps=[coverage],
          description="Every resident's track (covered, out of scope with the reason, or one of the four candidate "
                      "tracks) with each eligibility rule and its reason.")
def tracks(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
           settings: PipelineSettings) -> dg.MaterializeResult:
    config = settings.config()
    reference_date = settings.reference_date(context)
    with warehouse.get_connection() as con:
        counts = build_tracks(con, config.eligibility, reference_date, config.region.codes, config.cost)
    return dg.MaterializeResult(metadata={"dagster/row_count": sum(counts.values()),
                                          "reference_date": reference_date.isoformat(),
                                          "by_track": dg.MetadataValue.json(dict(sorted(counts.items())))})


@dg.asset(group_name=GROUP, deps=[tracks],
          description="The prioritised candidate list: score and its parts, reason, ranks, yearly cost, employer.")
def candidates(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
               settings: PipelineSettings) -> dg.MaterializeResult:
    config = settings.config()
    reference_date = settings.reference_date(context)
    with warehouse.get_connection() as con:
        listed = build_candidates(con, config.priority, config.cost, reference_date)
    return dg.MaterializeResult(metadata={"dagster/row_count": sum(listed.values()),
                                          "reference_date": reference_date.isoformat(),
                                          "by_track": dg.MetadataValue.json(dict(sorted(listed.items())))})


@dg.asset(group_name=GROUP, deps=[candidates],
          description="Who entered or left the candidate list since the latest publication, and why (enrolled, "
                      "moved, aged out, new in register, membership lapsed, ...).")
def changes(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
            settings: PipelineSettings) -> dg.MaterializeResult:
    resolved = settings.config().resolved(settings.reference_date(context))
    root = settings.publication_dir()
    previous_id = (latest_manifest(root) or {}).get("publication_id")
    with warehouse.get_connection() as con:
        counts = build_changes(con, latest_publication(root), previous_id, resolved.eligibility)
    return dg.MaterializeResult(metadata={"dagster/row_count": sum(counts.values()),
                                          "previous_publication": previous_id or "",
                                          "by_reason": dg.MetadataValue.json(dict(sorted(counts.items())))})
