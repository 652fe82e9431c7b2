"""Data-quality checks over the warehouse, as plain functions: the Dagster asset checks call them,
and the publication records their results in its manifest.

Each returns a `CheckOutcome` with aggregate numbers only (no NIK, no names). `blocking` checks stop
the publication when they fail; the others are warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from pipeline.config import ChecksConfig
from pipeline.ingest.reconcile import reconciliation
from pipeline.warehouse import scalar

__all__ = ["CheckSpec", "CheckOutcome", "CHECKS", "run_check", "run_checks"]

USABLE_NIK = ("valid", "bad_province", "bad_date")  # 16 digits that can be compared


Result = tuple[bool, str, dict[str, Any]]  # (passed, message, aggregate metadata)


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    asset: str  # the asset the check guards
    blocking: bool
    passed: bool
    message: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def counts_reconcile(con: duckdb.DuckDBPyConnection, config: ChecksConfig,
        previous_uncovered: int | None) -> Result:
    """Every input row is used or rejected: rows in = rows used + rows rejected, per file."""
    balance = reconciliation(con)
    bad = [r for r in balance if not r.balanced]
    message = ("all files reconcile" if not bad else "; ".join(
        f"{r.file_name}: {r.rows_in} rows in, {r.rows_used} used, {r.rows_rejected} rejected" for r in bad))
    return (not bad, message,
                        {"files": [{"file": r.file_name, "rows_in": r.rows_in, "used": r.rows_used,
                                    "rejected": r.rows_rejected} for r in balance]})


EXCEL_DAMAGED_NIK = ("excel_scientific", "excel_rounded")  # digits Excel destroyed (a number cell)


def invalid_nik_share(con: duckdb.DuckDBPyConnection, config: ChecksConfig,
        previous_uncovered: int | None) -> Result:
    """The export's NIKs are not destroyed: the share of membership rows whose NIK is missing or unusable
    stays under `max_invalid_nik_share`, and the share whose NIK Excel turned into a number (scientific
    notation, 16th digit lost) under `max_excel_nik_share`. An empty NIK is common in real exports (a
    worker registered without one) and those rows are linked on name and birth date; a NIK column
    Excel rounded is damage a text export avoids."""
    usable = ", ".join(f"'{s}'" for s in USABLE_NIK)
    excel = ", ".join(f"'{s}'" for s in EXCEL_DAMAGED_NIK)
    total = scalar(con, "SELECT count(*) FROM memberships") or 0
    bad = scalar(con, f"SELECT count(*) FROM memberships WHERE nik_status NOT IN ({usable})") or 0
    damaged = scalar(con, f"SELECT count(*) FROM memberships WHERE nik_status IN ({excel})") or 0
    share = bad / total if total else 0.0
    excel_share = damaged / total if total else 0.0
    passed = share <= config.max_invalid_nik_share and excel_share <= config.max_excel_nik_share
    return (passed,
        f"{share:.1%} of membership rows have a missing or unusable NIK (bound {config.max_invalid_nik_share:.0%}), "
        f"{excel_share:.1%} a NIK Excel turned into a number (bound {config.max_excel_nik_share:.0%})"
        + ("" if passed else ": the export looks damaged (Excel?); ask BPJS TK for a text export"),
        {"rows": total, "unusable_nik": bad, "share": round(share, 5), "excel_damaged_nik": damaged,
         "excel_share": round(excel_share, 5)})


# A register file looks Excel-damaged when at least this many of its rows collide on a NIK and most of
# the colliding NIKs end in 0: Excel keeps 15 digits and zeroes the 16th, so rounded NIKs collide and
# all end in 0, where real duplicates end in 0 one time in ten.
EXCEL_DAMAGE_MIN_DUPLICATES = 10
EXCEL_DAMAGE_ZERO_SHARE = 0.5


def excel_damaged_files(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(file, rows rejected as duplicate NIK, how many of those NIKs end in 0) per register file whose
    duplicates point at Excel's 15-digit rounding."""
    if not scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'register_rejected'"):
        return []
    rows = con.execute("""SELECT f.file_name, count(*), count(*) FILTER (WHERE right(j._nik_digits, 1) = '0')
        FROM register_rejected j JOIN source_files f USING (file_id)
        WHERE j.reject_code = 'duplicate_nik' GROUP BY f.file_id, f.file_name ORDER BY f.file_id""").fetchall()
    return [(name, dup, zero) for name, dup, zero in rows
            if dup >= EXCEL_DAMAGE_MIN_DUPLICATES and zero > EXCEL_DAMAGE_ZERO_SHARE * dup]


def reject_share(con: duckdb.DuckDBPyConnection, config: ChecksConfig,
        previous_uncovered: int | None) -> Result:
    """The share of input rows rejected stays under the bound, per role, and no register file looks
    Excel-damaged (NIKs colliding after their 16th digit was zeroed)."""
    rows = con.execute("""SELECT f.role, sum(f.rows_in), (SELECT count(*) FROM rejects j WHERE j.role = f.role)
                          FROM source_files f GROUP BY f.role ORDER BY f.role""").fetchall()
    shares = {role: (rejected / rows_in if rows_in else 0.0) for role, rows_in, rejected in rows}
    worst = max(shares.values(), default=0.0)
    damaged = excel_damaged_files(con)
    passed = worst <= config.max_reject_share and not damaged
    message = (", ".join(f"{role}: {share:.2%} rejected" for role, share in shares.items())
               + f" (bound {config.max_reject_share:.0%})"
               + ("" if worst <= config.max_reject_share else ": see rejects.parquet for the reasons"))
    for name, dup, zero in damaged:
        message += (f"; {name}: the file looks Excel-damaged: {dup:,} rows rejected as duplicate NIK, {zero:,} of "
                    "those NIKs end in 0 (Excel keeps 15 digits and zeroes the 16th); export the NIK column "
                    "as text and run again")
    return (passed, message,
        {"shares": {k: round(v, 5) for k, v in shares.items()},
         "excel_damaged_files": [{"file": n, "duplicate_nik": d, "ending_in_0": z} for n, d, z in damaged]})


def membership_linked_once(con: duckdb.DuckDBPyConnection, config: ChecksConfig,
        previous_uncovered: int | None) -> Result:
    """No membership row is linked to two residents."""
    twice = scalar(con, """SELECT count(*) FROM (SELECT member_id FROM links WHERE decision = 'link'
                          GROUP BY member_id HAVING count(*) > 1)""") or 0
    return (twice == 0,
                        "every membership is linked to at most one resident" if twice == 0 else
                        f"{twice} memberships are linked to two or more residents", {"memberships_linked_twice": twice})


def candidate_listed_once(con: duckdb.DuckDBPyConnection, config: ChecksConfig,
        previous_uncovered: int | None) -> Result:
    """No person appears twice in the candidate list."""
    twice = scalar(con, """SELECT count(*) FROM (SELECT r.nik FROM candidates c JOIN residents r USING (resident_id)
                          GROUP BY r.nik HAVING count(*) > 1)""") or 0
    return (twice == 0,
                        "every candidate appears once" if twice == 0 else f"{twice} people appear twice in the list",
                        {"candidates_listed_twice": twice})


def _uncovered_now(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, "SELECT count(*) FROM candidates") or 0)


def _change(con: duckdb.DuckDBPyConnection, previous: int | None) -> tuple[int, float | None]:
    now = _uncovered_now(con)
    if previous is None or previous == 0:
        return now, None
    return now, abs(now - previous) / previous


def uncovered_change(con: duckdb.DuckDBPyConnection, config: ChecksConfig,
        previous_uncovered: int | None) -> Result:
    """The uncovered count moves no more than the bound against the last publication."""
    now, change = _change(con, previous_uncovered)
    passed = change is None or change <= config.max_uncovered_change
    message = ("no previous publication to compare with" if change is None else
               f"uncovered candidates {previous_uncovered:,} -> {now:,} ({change:.1%}; bound "
               f"{config.max_uncovered_change:.0%})" + ("" if passed else
               ": a wrong or partial export? check the inputs before publishing"))
    return (passed, message,
                        {"previous": previous_uncovered, "now": now,
                         "change": None if change is None else round(change, 5)})


def uncovered_drift(con: duckdb.DuckDBPyConnection, config: ChecksConfig,
        previous_uncovered: int | None) -> Result:
    """Warning: a softer move of the uncovered count."""
    now, change = _change(con, previous_uncovered)
    passed = change is None or change <= config.warn_uncovered_change
    return (passed,
                        "no previous publication" if change is None else
                        f"uncovered candidates moved {change:.1%} (warning above {config.warn_uncovered_change:.0%})",
                        {"previous": previous_uncovered, "now": now})


def review_share(con: duckdb.DuckDBPyConnection, config: ChecksConfig,
        previous_uncovered: int | None) -> Result:
    """Warning: many memberships waiting for human review means the model is unsure."""
    members = scalar(con, "SELECT count(*) FROM memberships") or 0
    review = scalar(con, "SELECT count(*) FROM member_outcomes WHERE outcome = 'review'") or 0
    share = review / members if members else 0.0
    passed = share <= config.warn_review_share
    return (passed,
                        f"{review:,} memberships ({share:.2%}) wait for review (warning above "
                        f"{config.warn_review_share:.0%})",
                        {"memberships_in_review": review, "share": round(share, 5)})


@dataclass(frozen=True)
class CheckSpec:
    name: str
    asset: str  # the asset the check guards
    blocking: bool
    function: Callable[[duckdb.DuckDBPyConnection, ChecksConfig, int | None], Result]

    @property
    def description(self) -> str:
        return (self.function.__doc__ or "").strip()


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("counts_reconcile", "rejects", True, counts_reconcile),
    CheckSpec("reject_share", "rejects", True, reject_share),
    CheckSpec("invalid_nik_share", "memberships", True, invalid_nik_share),
    CheckSpec("membership_linked_once", "links", True, membership_linked_once),
    CheckSpec("review_share", "links", False, review_share),
    CheckSpec("candidate_listed_once", "candidates", True, candidate_listed_once),
    CheckSpec("uncovered_change", "candidates", True, uncovered_change),
    CheckSpec("uncovered_drift", "candidates", False, uncovered_drift),
)


def run_check(spec: CheckSpec, con: duckdb.DuckDBPyConnection, config: ChecksConfig,
              previous_uncovered: int | None) -> CheckOutcome:
    passed, message, metadata = spec.function(con, config, previous_uncovered)
    return CheckOutcome(spec.name, spec.asset, spec.blocking, passed, message, metadata)


def run_checks(con: duckdb.DuckDBPyConnection, config: ChecksConfig,
               previous_uncovered: int | None) -> list[CheckOutcome]:
    """All checks, in graph order (what the manifest records)."""
    return [run_check(spec, con, config, previous_uncovered) for spec in CHECKS]
