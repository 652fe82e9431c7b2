"""The Definitions: only loads what the role modules define."""

import dagster as dg

from assets import checks, decisions, ingest, linking, publication
from assets.resources import DuckDBResource, PipelineSettings, project_root

all_assets = dg.load_assets_from_modules([ingest, linking, decisions, publication])
all_checks = dg.load_asset_checks_from_modules([checks])

# The whole graph, as one job: what `ucj run`, the schedule and the sensor launch.
PIPELINE_JOB = "ucj_pipeline"
pipeline_job = dg.define_asset_job(PIPELINE_JOB, selection=dg.AssetSelection.all(),
                                   description="Ingest, link, decide and publish, end to end.")

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[pipeline_job],
    resources={
        "warehouse": DuckDBResource(database=str(project_root() / "data" / "warehouse" / "ucj.duckdb")),
        "settings": PipelineSettings(),
    },
)
