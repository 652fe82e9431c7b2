"""Ingest assets: raw files into the warehouse, then clean residents, memberships and rejects."""

import dagster as dg

from assets.resources import PipelineSettings, WarehouseResource
from assets.sources import inbox_members, inbox_register
from pipeline.ingest.clean import build_rejects, clean_members, clean_register
from pipeline.ingest.load import load_role

__all__ = ["raw_register", "raw_members", "residents", "memberships", "rejects"]

GROUP = "ingest"


def _load(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: PipelineSettings,
          role: str) -> dg.MaterializeResult:
    register, members = settings.inputs()
    with warehouse.get_connection() as con:
        loaded = load_role(con, role, register if role == "register" else members, settings.config().ingest,
                           progress=context.log.info)
    return dg.MaterializeResult(metadata={
        "files": dg.MetadataValue.json([{"file": f.source.name, "sha256": f.source.sha256, "rows": f.rows_in,
                                         "header_row": f.header_row} for f in loaded]),
        "dagster/row_count": sum(f.rows_in for f in loaded),
    })


@dg.asset(group_name=GROUP, deps=[inbox_register],
          description="Register (DTSEN) rows as text, with file, row number and file hash.")
def raw_register(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 settings: PipelineSettings) -> dg.MaterializeResult:
    return _load(context, warehouse, settings, "register")


@dg.asset(group_name=GROUP, deps=[inbox_members],
          description="BPJS Ketenagakerjaan export rows as text, with file, row number and hash.")
def raw_members(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                settings: PipelineSettings) -> dg.MaterializeResult:
    return _load(context, warehouse, settings, "members")


@dg.asset(group_name=GROUP, deps=[raw_register],
          description="One row per usable resident: NIK parsed, kelurahan resolved, occupation and desil coded.")
def residents(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
              settings: PipelineSettings) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        kept = clean_register(con, settings.config(), settings.reference_date(context))
    return dg.MaterializeResult(metadata={"dagster/row_count": kept})


@dg.asset(group_name=GROUP, deps=[raw_members],
          description="One row per usable membership: KPJ, NIK status, normalised name, status, segment.")
def memberships(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                settings: PipelineSettings) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        kept = clean_members(con, settings.config(), settings.reference_date(context))
    return dg.MaterializeResult(metadata={"dagster/row_count": kept})


@dg.asset(group_name=GROUP, deps=[residents, memberships],
          description="Every input row that could not be used, with the reason and the column.")
def rejects(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        reasons = build_rejects(con)
    return dg.MaterializeResult(metadata={"dagster/row_count": sum(reasons.values()),
                                          "by_reason": dg.MetadataValue.json(dict(sorted(reasons.items())))})
