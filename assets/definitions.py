"""The Definitions: only loads what the role modules define. The regency partitions come from the
config's regions: `definitions(config)` builds them for a run's own config (what `ucj run` does);
`defs`, what the Dagster UI and daemon load, from the defaults."""

import dagster as dg

from assets import answers, automation, decisions, ingest, linking, publication, sources
from assets.checks import quality_checks
from assets.linking import regency_pairs_asset, regency_partitions
from assets.resources import PipelineSettings, SparkResource, WarehouseResource, project_root
from pipeline.config import Config

__all__ = ["definitions", "defs", "PIPELINE_JOB"]

all_checks = quality_checks

# The whole graph as one job, on one process so the warehouse lock spans the run: what `ucj run`,
# the schedule and the sensor launch.
PIPELINE_JOB = automation.PIPELINE_JOB


def definitions(config: Config) -> dg.Definitions:
    """The project's definitions with one regency partition per kabupaten/kota of `config`."""
    assets = [*dg.load_assets_from_modules([sources, ingest, answers, linking, decisions, publication]),
              regency_pairs_asset(regency_partitions(config))]
    job = dg.define_asset_job(PIPELINE_JOB, selection=dg.AssetSelection.all() - dg.AssetSelection.groups("inbox"),
                              executor_def=dg.in_process_executor,
                              description="Ingest, link, decide and publish, end to end.")
    # One settings resource, configured at launch (`ucj run`'s run config, the launchpad), and the same
    # one inside the warehouse, whose connections get its config file's [warehouse] section.
    settings = PipelineSettings.configure_at_launch()
    return dg.Definitions(
        assets=assets,
        asset_checks=all_checks,
        jobs=[job],
        schedules=[automation.nightly_schedule],
        sensors=[automation.inbox_sensor],
        resources={
            "warehouse": WarehouseResource(database=str(project_root() / "data" / "warehouse" / "ucj.duckdb"),
                                           settings=settings),
            "settings": settings,
            "spark": SparkResource(),  # used only when the config's [engine] backend is "spark"
        },
    )


defs = definitions(Config())
