"""The publication asset: a dated folder of outputs with the changes since the last one, `latest`
moved to it, and publications past their retention deleted. Runs only when every blocking check
upstream has passed."""

import json
from datetime import datetime

import dagster as dg

from assets.checks import previous_uncovered
from assets.decisions import candidates, coverage
from assets.ingest import rejects
from assets.linking import links
from assets.resources import JAKARTA, PipelineSettings, WarehouseResource, transient_failures
from pipeline.checks import run_checks
from pipeline.decisions.changes import build_changes
from pipeline.publish.manifest import build_manifest
from pipeline.publish.publish import prune_publications, publish
from pipeline.published.latest import latest_manifest, latest_publication

__all__ = ["publication"]


def publication_id(context: dg.AssetExecutionContext) -> str:
    """Jakarta time of the run's start plus the run id's head: sortable and unique."""
    started = datetime.now(JAKARTA)
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is not None and record.start_time:
        started = datetime.fromtimestamp(record.start_time, JAKARTA)
    return f"{started:%Y%m%dT%H%M%S}-{context.run.run_id[:8]}"


@dg.asset(group_name="publication", deps=[candidates, coverage, links, rejects],
          description="Coverage, links, review list, candidates (Parquet and CSV), changes since the last "
                      "publication, rejects, one XLSX per kelurahan and the manifest, written atomically; "
                      "`latest` points at it. Old publications are deleted after the retention period.")
def publication(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                settings: PipelineSettings) -> dg.MaterializeResult:
    config = settings.config()
    reference_date = settings.reference_date(context)
    resolved = config.resolved(reference_date)
    root = settings.publication_dir()
    started = datetime.now(JAKARTA)
    previous = latest_publication(root)
    previous_id = (latest_manifest(root) or {}).get("publication_id")
    with transient_failures(context), warehouse.get_connection() as con:
        changes = build_changes(con, previous, previous_id, resolved.eligibility)
        checks = [c.to_dict() for c in run_checks(con, resolved.checks, previous_uncovered(settings))]
        model = json.loads(con.execute("SELECT model FROM link_model").fetchall()[0][0])
        manifest = build_manifest(con, resolved, reference_date=reference_date, started_at=started,
                                  finished_at=datetime.now(JAKARTA), model=model, checks=checks)
        manifest["run_id"] = context.run.run_id
        manifest["previous_publication"] = previous_id
        result = publish(con, root, publication_id=publication_id(context), manifest=manifest,
                         extra_files={"config.resolved.json": resolved.to_dict(), "model.json": model},
                         created=datetime.combine(reference_date, datetime.min.time()),
                         nik_visible_digits=resolved.publication.nik_visible_digits,
                         cost=resolved.cost, reference_date=reference_date)
    deleted = prune_publications(root, retention_days=resolved.publication.retention_days, now=datetime.now(JAKARTA))
    return dg.MaterializeResult(metadata={
        "publication_id": result.publication_id,
        "path": dg.MetadataValue.path(str(result.path)),
        "rows": dg.MetadataValue.json(result.row_counts),
        "counts": dg.MetadataValue.json(manifest["counts"]),
        "changes": dg.MetadataValue.json(changes),
        "deleted_by_retention": dg.MetadataValue.json(deleted),
    })
