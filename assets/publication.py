"""Publication assets: the data files, the expensive artefacts (pairs for auditors, officer
workbooks, the summary report) and the publication itself, which writes the manifest, moves the
finished folder into place, points `latest` at it and deletes publications past their retention.

Everything is written into one staging folder (`<root>/.staging-<publication id>`, mode 0700) that
only the last asset renames into place, so the publication stays atomic; they all run only after
every blocking check upstream has passed. The three artefacts are one step (a multi-asset) because
they run side by side: the report in a process of its own while this one writes pairs and workbooks.
"""

import json
from datetime import datetime
from typing import Any

import dagster as dg

from assets.decisions import candidates, changes, coverage, tracks
from assets.ingest import rejects
from assets.linking import links
from assets.resources import JAKARTA, TRANSIENT_ERRORS, PipelineSettings, WarehouseResource
from pipeline.checks import CHECKS
from pipeline.publish.publish import (
    discarded_on_failure,
    existing_staging,
    open_staging,
    prepare_summary,
    publish_run,
    staging_path,
    write_artefacts,
    write_tables,
)
from pipeline.published.latest import latest_manifest

__all__ = ["publication_tables", "publication_artefacts", "publication", "PUBLICATION_ASSETS"]

GROUP = "publication"


def publication_id(context: dg.AssetExecutionContext) -> str:
    """Jakarta time of the run's start plus the run id's head: sortable, unique, the same in every step."""
    started = datetime.now(JAKARTA)
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is not None and record.start_time:
        started = datetime.fromtimestamp(record.start_time, JAKARTA)
    return f"{started:%Y%m%dT%H%M%S}-{context.run.run_id[:8]}"


@dg.asset(group_name=GROUP, deps=[coverage, tracks, candidates, changes, links, rejects],
          description="A new publication's data files in its staging folder: coverage, links, review pairs, "
                      "candidates (Parquet and CSV), changes (Parquet and CSV), employers, rejects, the resolved "
                      "config and the model.")
def publication_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                       settings: PipelineSettings) -> dg.MaterializeResult:
    resolved = settings.config().resolved(settings.reference_date(context))
    with warehouse.get_connection() as con:
        model = con.execute("SELECT model FROM link_model").fetchall()[0][0]
        staging = open_staging(settings.publication_dir(), publication_id(context))
        with discarded_on_failure(staging, keep_on=TRANSIENT_ERRORS):  # kept only for the step's retry
            if resolved.cost is not None:
                prepare_summary(staging)  # the report's libraries load while the tables are written
            counts = write_tables(con, staging, extra_files={"config.resolved.json": resolved.to_dict(),
                                                              "model.json": json.loads(model)})
    return dg.MaterializeResult(metadata={"publication_id": staging.name.removeprefix(".staging-"),
                                          "rows": dg.MetadataValue.json(counts)})


@dg.multi_asset(
    specs=[
        dg.AssetSpec("auditor_pairs", group_name=GROUP, deps=[publication_tables, links],
                     description="pairs.parquet: every link, review pair and near miss with the membership's own "
                                 "fields and provenance, for auditors."),
        dg.AssetSpec("officer_workbooks", group_name=GROUP, deps=[publication_tables, candidates],
                     description="One XLSX per desa/kelurahan for officers: Indonesian headers, frozen header, "
                                 "filters, NIK as text and masked."),
        dg.AssetSpec("summary_report", group_name=GROUP, deps=[publication_tables],
                     description="budget.json (the APBD scenario) and the summary report for officials "
                                 "(report.html, report.pdf), from the publication's own files."),
    ],
    name="publication_artefacts",
)
def publication_artefacts(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                          settings: PipelineSettings):  # noqa: ANN201 (yields one result per asset)
    config = settings.config()
    reference_date = settings.reference_date(context)
    resolved = config.resolved(reference_date)
    staging = existing_staging(settings.publication_dir(), publication_id(context))
    with warehouse.get_connection() as con, discarded_on_failure(staging, keep_on=TRANSIENT_ERRORS):
        made = write_artefacts(con, staging, publication_id=staging.name.removeprefix(".staging-"),
                               created=datetime.combine(reference_date, datetime.min.time()),
                               nik_visible_digits=resolved.publication.nik_visible_digits, cost=resolved.cost,
                               reference_date=reference_date)
    yield dg.MaterializeResult(asset_key="auditor_pairs", metadata={"dagster/row_count": made.pairs})
    yield dg.MaterializeResult(asset_key="officer_workbooks", metadata={
        "workbooks": len(made.workbooks), "dagster/row_count": sum(made.workbooks.values())})
    yield dg.MaterializeResult(asset_key="summary_report", metadata={
        "warnings": dg.MetadataValue.json(made.summary or [])})


PUBLICATION_ASSETS = [dg.AssetKey(k) for k in ("publication_tables", "auditor_pairs", "officer_workbooks",
                                                "summary_report", "publication")]


def _check_results(context: dg.AssetExecutionContext) -> list[dict[str, Any]]:
    """The checks as Dagster ran them (latest evaluation of each; this run's for the assets it
    materialised): what the manifest records, without running them a second time."""
    keys = {dg.AssetCheckKey(dg.AssetKey(spec.asset), spec.name): spec for spec in CHECKS}
    records = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(list(keys))
    results = []
    for key, spec in keys.items():
        record = records.get(key)
        entry = record.event.dagster_event if record is not None and record.event is not None else None
        evaluation = entry.event_specific_data if entry is not None else None
        if evaluation is None or not hasattr(evaluation, "passed"):
            results.append({"name": spec.name, "asset": spec.asset, "blocking": spec.blocking, "passed": None,
                            "message": "not evaluated", "metadata": {}, "run_id": None})
            continue
        results.append({"name": spec.name, "asset": spec.asset, "blocking": spec.blocking,
                        "passed": bool(evaluation.passed), "message": evaluation.description or "",
                        "metadata": {k: v.value for k, v in sorted(evaluation.metadata.items())},
                        "run_id": record.run_id})
    return results


@dg.asset(group_name=GROUP, deps=["publication_tables", "auditor_pairs", "officer_workbooks", "summary_report"],
          description="The finished publication: manifest (inputs, outputs with hashes, code and config versions, "
                      "model, counts, checks), moved into place atomically; `latest` points at it. Publications "
                      "past the retention period are deleted.")
def publication(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                settings: PipelineSettings) -> dg.MaterializeResult:
    config = settings.config()
    reference_date = settings.reference_date(context)
    resolved = config.resolved(reference_date)
    root = settings.publication_dir()
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = datetime.fromtimestamp(record.start_time, JAKARTA) if record and record.start_time \
        else datetime.now(JAKARTA)
    staging = staging_path(root, publication_id(context))
    with warehouse.get_connection() as con, discarded_on_failure(staging, keep_on=TRANSIENT_ERRORS):
        result, manifest, deleted = publish_run(
            con, root, publication_id=publication_id(context), config=resolved, reference_date=reference_date,
            started_at=started, finished_at=datetime.now(JAKARTA), checks=_check_results(context),
            run_id=context.run.run_id, previous_id=(latest_manifest(root) or {}).get("publication_id"),
            retention_days=resolved.publication.retention_days, now=datetime.now(JAKARTA))
    return dg.MaterializeResult(metadata={
        "publication_id": result.publication_id,
        "path": dg.MetadataValue.path(str(result.path)),
        "rows": dg.MetadataValue.json(result.row_counts),
        "counts": dg.MetadataValue.json(manifest["counts"]),
        "deleted_by_retention": dg.MetadataValue.json(deleted),
    })
