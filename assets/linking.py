"""The linking assets: each kabupaten/kota's candidate pairs and comparisons (a partition per regency,
so the data team can re-run one), then the global step: the model, people who moved between regencies
and the one-to-one assignment, with scores, bands and explanations."""

import warnings

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.answers import field_answers
from assets.ingest import memberships, residents
from assets.resources import PipelineSettings, SparkResource, WarehouseResource
from pipeline.config import Config
from pipeline.linking.link import compare_warehouse, link_warehouse
from pipeline.reference.wilayah import kabupaten_codes, region_name

__all__ = ["links", "regency_partitions", "regency_pairs_asset", "regency_range_tags", "REGENCY_PAIRS"]

GROUP = "linking"
REGENCY_PAIRS = dg.AssetKey("regency_pairs")


def regency_partitions(config: Config) -> dg.StaticPartitionsDefinition:
    """One partition per kabupaten/kota of the config's regions (a province's are all of its regencies)."""
    return dg.StaticPartitionsDefinition(list(kabupaten_codes(config.region.codes)))


def regency_range_tags(config: Config) -> dict[str, str]:
    """Run tags that make one run materialise every regency partition of `config` (the first to the
    last code of the set, which is all of it)."""
    codes = regency_partitions(config).get_partition_keys()
    return {ASSET_PARTITION_RANGE_START_TAG: codes[0], ASSET_PARTITION_RANGE_END_TAG: codes[-1]}


def _spark(spark: SparkResource, config: Config):  # noqa: ANN202 (a SparkSession, or None on DuckDB)
    return spark.session(config.engine) if config.engine.backend == "spark" else None


def regency_pairs_asset(partitions: dg.StaticPartitionsDefinition) -> dg.AssetsDefinition:
    """The partitioned asset for `partitions`; every partition of a run is made in one step (single-run
    backfills), so a whole province blocks in one pass and one regency alone in a pass of its own."""

    def regency_pairs(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: PipelineSettings,
                      spark: SparkResource) -> dg.MaterializeResult:
        config = settings.config()
        regencies = sorted(context.partition_keys)
        context.log.info(f"comparing the candidate pairs of {len(regencies)} kabupaten/kota: "
                         + ", ".join(f"{code} {region_name(code)}" for code in regencies[:5])
                         + (", ..." if len(regencies) > 5 else ""))
        with warehouse.get_connection() as con:
            pairs, seconds = compare_warehouse(con, config, regencies, progress=context.log.info,
                                               spark=_spark(spark, config))
        return dg.MaterializeResult(metadata={"engine": config.engine.backend, "regencies": len(regencies),
                                              "dagster/row_count": pairs, "seconds": dg.MetadataValue.json(seconds)})

    with warnings.catch_warnings():  # single-run backfills are "beta" in Dagster 1.13; we accept that
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.asset(key=REGENCY_PAIRS, group_name=GROUP, deps=[residents, memberships], partitions_def=partitions,
                        backfill_policy=dg.BackfillPolicy.single_run(),
                        description="The candidate pairs of the residents of a kabupaten/kota and their comparison "
                                    "levels (exact NIK, NIK typos, names and birth dates; memberships of every "
                                    "regency, so people who moved are found where they live now).")(regency_pairs)


@dg.asset(group_name=GROUP, deps=[REGENCY_PAIRS, residents, memberships, field_answers],
          description="Register-membership links and review pairs: exact NIK, NIK typos, then fuzzy name and "
                      "birth date, scored by a Fellegi-Sunter model trained on the pairs of every regency, and "
                      "assigned one to one across regencies.")
def links(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: PipelineSettings,
          spark: SparkResource) -> dg.MaterializeResult:
    config = settings.config()
    with warehouse.get_connection() as con:
        result = link_warehouse(con, config, progress=context.log.info, spark=_spark(spark, config),
                                from_regencies=True)
    return dg.MaterializeResult(metadata={
        "engine": config.engine.backend,
        "dagster/row_count": sum(result.decisions.values()),
        "candidate_pairs": result.candidate_pairs,
        "pairs_per_blocking_rule": dg.MetadataValue.json(dict(result.pairs_per_rule)),
        "links": result.decisions.get("link", 0),
        "review_pairs": result.decisions.get("review", 0),
        "members_linked": result.members_linked,
        "members_unlinked": result.members_unlinked,
        "prior_in_register": round(result.params.prior_in_register, 4),
        "seconds": dg.MetadataValue.json(result.seconds),
    })
