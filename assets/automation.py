"""When to run: the nightly schedule and the inbox sensor.

- Nightly at 01:00 Asia/Jakarta. When the inbox holds exactly the inputs of the latest publication
  and the warehouse still holds that run's links, only the decisions are redone (ages move with the
  date) instead of the whole graph; when they already ran for today, the night is skipped.
- The sensor starts a run when a new or changed export lands in data/inbox/. Its cursor is a
  high-water mark (modification time, name), so it does not grow with the folder; the run key is
  the hash of the new file versions, so each version triggers exactly one run. Files that are not
  exports are ignored with a logged reason.
"""

import json
from datetime import datetime
from pathlib import Path

import dagster as dg

from assets.linking import regency_range_tags
from assets.publication import PUBLICATION_ASSETS
from assets.resources import JAKARTA, REFERENCE_DATE_TAG, PipelineSettings
from pipeline.ingest.inbox import classify_file, files_fingerprint, fingerprint, scan_inbox
from pipeline.publish.publish import clean_stale_staging
from pipeline.published.latest import latest_manifest

__all__ = ["nightly_schedule", "inbox_sensor", "DECISION_ASSETS"]

PIPELINE_JOB = "ucj_pipeline"
DECISION_ASSETS = [dg.AssetKey(k) for k in ("tracks", "candidates", "changes")] + PUBLICATION_ASSETS


@dg.schedule(job_name=PIPELINE_JOB, cron_schedule="0 1 * * *", execution_timezone="Asia/Jakarta",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Every night at 01:00 WIB over the whole graph (or only the decisions when the "
                         "inputs are those of the latest publication).")
def nightly_schedule(context: dg.ScheduleEvaluationContext,
                     settings: PipelineSettings) -> dg.RunRequest | dg.SkipReason:
    when = context.scheduled_execution_time or datetime.now(JAKARTA)
    today = when.astimezone(JAKARTA).date().isoformat()
    inbox = scan_inbox(settings.inbox())
    if not inbox.register or not inbox.members:
        return dg.SkipReason(f"the inbox {settings.inbox()} lacks a register extract or a membership export")
    tags = {REFERENCE_DATE_TAG: today, "ucj/trigger": "nightly"}
    manifest = latest_manifest(settings.publication_dir())
    published = manifest and fingerprint((i["file_name"], i["sha256"]) for i in manifest["inputs"])
    if published and published == files_fingerprint(inbox.register + inbox.members):
        if manifest.get("reference_date") == today:
            return dg.SkipReason(f"publication {manifest['publication_id']} already covers today's inputs and date")
        links_event = context.instance.get_latest_materialization_event(dg.AssetKey("links"))
        if links_event is not None and links_event.run_id == manifest.get("run_id"):
            return dg.RunRequest(run_key=f"nightly:{today}", asset_selection=DECISION_ASSETS,
                                 tags={**tags, "ucj/scope": "decisions only: inputs unchanged"})
    return dg.RunRequest(run_key=f"nightly:{today}",
                         tags={**tags, **regency_range_tags(settings.config()), "ucj/scope": "full"})


def _cursor(context: dg.SensorEvaluationContext) -> tuple[int, str]:
    if not context.cursor:
        return 0, ""
    value = json.loads(context.cursor)
    return int(value["mtime_ns"]), str(value["name"])


@dg.sensor(job_name=PIPELINE_JOB, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="A run for each new or changed register or membership export in data/inbox/.")
def inbox_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings) -> dg.SensorResult:
    # a run killed while publishing leaves a staging folder with full NIKs: gone within a tick
    for name in clean_stale_staging(settings.publication_dir()):
        context.log.info(f"removed {name}, left by a run that was killed while publishing")
    high_water = _cursor(context)
    folder = settings.inbox()
    files = sorted((p for p in folder.iterdir() if p.is_file() and p.name != ".gitkeep"),
                   key=lambda p: (p.stat().st_mtime_ns, p.name)) if folder.is_dir() else []
    fresh = [p for p in files if (p.stat().st_mtime_ns, p.name) > high_water]
    if not fresh:
        return dg.SensorResult(skip_reason=dg.SkipReason("no new or changed files in the inbox"))
    newest = fresh[-1]
    cursor = json.dumps({"mtime_ns": newest.stat().st_mtime_ns, "name": newest.name})
    exports: list[Path] = []
    for path in fresh:
        role, reason = classify_file(path)
        if role is None:
            context.log.info(f"ignored {path.name}: {reason}")
        else:
            exports.append(path)
    if not exports:
        return dg.SensorResult(skip_reason=dg.SkipReason("only files that are not exports arrived"), cursor=cursor)
    inbox = scan_inbox(folder)
    if not inbox.register or not inbox.members:
        return dg.SensorResult(cursor=cursor, skip_reason=dg.SkipReason(
            "waiting for both a register extract and a membership export in the inbox"))
    versions = files_fingerprint(exports)
    today = datetime.now(JAKARTA).date().isoformat()
    return dg.SensorResult(cursor=cursor, run_requests=[dg.RunRequest(
        run_key=f"inbox:{versions}",
        tags={REFERENCE_DATE_TAG: today, "ucj/trigger": "inbox", **regency_range_tags(settings.config())})])
