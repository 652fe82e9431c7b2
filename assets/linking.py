"""The linking asset: memberships matched to residents, with scores, bands and explanations."""

import dagster as dg

from assets.answers import field_answers
from assets.ingest import memberships, residents
from assets.resources import PipelineSettings, SparkResource, WarehouseResource
from pipeline.linking.link import link_warehouse

__all__ = ["links"]


@dg.asset(group_name="linking", deps=[residents, memberships, field_answers],
          description="Register-membership links and review pairs: exact NIK, NIK typos, then fuzzy name and "
                      "birth date, scored by a Fellegi-Sunter model trained on the data.")
def links(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: PipelineSettings,
          spark: SparkResource) -> dg.MaterializeResult:
    config = settings.config()
    session = spark.session(config.engine) if config.engine.backend == "spark" else None
    with warehouse.get_connection() as con:
        result = link_warehouse(con, config, progress=context.log.info, spark=session)
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
