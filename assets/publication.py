"""The publication asset: the dated folder of outputs, then `latest` moved to it."""

import json
from datetime import datetime

import dagster as dg

from assets.decisions import candidates, coverage
from assets.ingest import rejects
from assets.linking import links
from assets.resources import JAKARTA, DuckDBResource, PipelineSettings
from pipeline.manifest import build_manifest
from pipeline.publish import publish

__all__ = ["publication"]


def publication_id(context: dg.AssetExecutionContext) -> str:
    """Jakarta time of the run's start plus the run id's head: sortable and unique."""
    started = datetime.now(JAKARTA)
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is not None and record.start_time:
        started = datetime.fromtimestamp(record.start_time, JAKARTA)
    return f"{started:%Y%m%dT%H%M%S}-{context.run.run_id[:8]}"


@dg.asset(group_name="publication", deps=[candidates, coverage, links, rejects],
          description="Coverage, links, review list, candidates (Parquet and CSV), rejects, one XLSX per "
                      "kelurahan and the manifest, written atomically; `latest` points at it.")
def publication(context: dg.AssetExecutionContext, warehouse: DuckDBResource,
                settings: PipelineSettings) -> dg.MaterializeResult:
    config = settings.config()
    reference_date = settings.reference_date(context)
    resolved = config.resolved(reference_date)
    started = datetime.now(JAKARTA)
    with warehouse.get_connection() as con:
        model = json.loads(con.execute("SELECT model FROM link_model").fetchall()[0][0])
        manifest = build_manifest(con, resolved, reference_date=reference_date, started_at=started,
                                  finished_at=datetime.now(JAKARTA), model=model)
        manifest["run_id"] = context.run.run_id
        result = publish(con, settings.publication_dir(), publication_id=publication_id(context),
                         manifest=manifest, extra_files={"config.resolved.json": resolved.to_dict(),
                                                         "model.json": model},
                         created=datetime.combine(reference_date, datetime.min.time()),
                         nik_visible_digits=resolved.publication.nik_visible_digits)
    return dg.MaterializeResult(metadata={
        "publication_id": result.publication_id,
        "path": dg.MetadataValue.path(str(result.path)),
        "rows": dg.MetadataValue.json(result.row_counts),
        "counts": dg.MetadataValue.json(manifest["counts"]),
    })
