"""Asset checks. Blocking checks stop the publication when the data is wrong."""

import dagster as dg

from assets.ingest import rejects
from assets.resources import DuckDBResource
from pipeline.clean import reconciliation

__all__ = ["counts_reconcile"]


@dg.asset_check(asset=rejects, blocking=True,
                description="Every input row is used or rejected: rows in = rows used + rows rejected, per file.")
def counts_reconcile(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        balance = reconciliation(con)
    unbalanced = [r for r in balance if not r.balanced]
    return dg.AssetCheckResult(
        passed=not unbalanced,
        severity=dg.AssetCheckSeverity.ERROR,
        description=("all files reconcile" if not unbalanced else
                     "; ".join(f"{r.file_name}: {r.rows_in} rows in, {r.rows_used} used, {r.rows_rejected} rejected"
                               for r in unbalanced)),
        metadata={"files": dg.MetadataValue.json([
            {"file": r.file_name, "rows_in": r.rows_in, "used": r.rows_used, "rejected": r.rows_rejected}
            for r in balance])},
    )
