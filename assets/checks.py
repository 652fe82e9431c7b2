"""Asset checks: one per `pipeline.checks.CHECKS` entry. Blocking checks fail with severity ERROR
and stop everything downstream, so the publication (and `latest`) never sees bad data; the others
are warnings."""

import dagster as dg

from assets.decisions import candidates
from assets.ingest import memberships, rejects
from assets.linking import links
from assets.resources import PipelineSettings, WarehouseResource
from pipeline.checks import CHECKS, CheckSpec, run_check
from pipeline.published.latest import latest_manifest

__all__ = ["quality_checks", "previous_uncovered"]

_ASSETS = {"rejects": rejects, "memberships": memberships, "links": links, "candidates": candidates}


def previous_uncovered(settings: PipelineSettings) -> int | None:
    """Candidates in the last publication: the baseline of the change checks."""
    manifest = latest_manifest(settings.publication_dir())
    return None if manifest is None else manifest["counts"]["candidates"]


def _asset_check(spec: CheckSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=_ASSETS[spec.asset], name=spec.name, blocking=spec.blocking,
                    description=spec.description)
    def _check(warehouse: WarehouseResource, settings: PipelineSettings) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            outcome = run_check(spec, con, settings.config().checks, previous_uncovered(settings))
        return dg.AssetCheckResult(
            passed=outcome.passed, description=outcome.message,
            severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
            metadata={k: dg.MetadataValue.json(v) if isinstance(v, (dict, list)) else v
                      for k, v in outcome.metadata.items() if v is not None})

    return _check


quality_checks = [_asset_check(spec) for spec in CHECKS]
