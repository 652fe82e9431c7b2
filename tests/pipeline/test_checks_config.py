"""The review-share warning: many memberships waiting for human review is reported (not blocking), at the
bound `[checks] warn_review_share` sets, like every other check's bound."""

from pathlib import Path

import duckdb
import pytest

from pipeline.checks import CHECKS, run_check
from pipeline.config import ChecksConfig, load_config

REVIEW_SHARE = next(spec for spec in CHECKS if spec.name == "review_share")


def _warehouse(con: duckdb.DuckDBPyConnection, members: int, in_review: int) -> None:
    """`members` membership rows, `in_review` of them waiting for review, the others linked."""
    con.execute("CREATE TABLE memberships AS SELECT range AS member_id FROM range($n)", {"n": members})
    con.execute("""CREATE TABLE member_outcomes AS SELECT member_id,
                   CASE WHEN member_id < $r THEN 'review' ELSE 'link' END AS outcome FROM memberships""",
                {"r": in_review})


@pytest.mark.parametrize("in_review, bound, passed", [
    (20, None, True),    # 2.0 % at the default bound of 2 %
    (21, None, False),   # 2.1 %
    (21, 0.05, True),    # the same run under a looser bound
    (5, 0.004, False),   # 0.5 % under a stricter one
])
def test_review_share_warns_at_the_configured_bound(con: duckdb.DuckDBPyConnection, in_review: int,
                                                    bound: float | None, passed: bool) -> None:
    _warehouse(con, members=1000, in_review=in_review)
    config = ChecksConfig() if bound is None else ChecksConfig(warn_review_share=bound)
    outcome = run_check(REVIEW_SHARE, con, config, previous_uncovered=None)
    assert outcome.passed is passed
    assert not outcome.blocking  # a warning: the publication goes ahead
    assert outcome.metadata == {"memberships_in_review": in_review, "share": in_review / 1000}
    assert f"warning above {config.warn_review_share:.0%}" in outcome.message


def test_review_share_bound_is_read_from_the_checks_table(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[checks]\nwarn_review_share = 0.05\n", encoding="utf-8")
    config = load_config(path)
    assert config.checks.warn_review_share == 0.05
    _warehouse(con, members=100, in_review=4)
    assert run_check(REVIEW_SHARE, con, config.checks, None).passed
    assert not run_check(REVIEW_SHARE, con, ChecksConfig(), None).passed


INVALID_NIK = next(spec for spec in CHECKS if spec.name == "invalid_nik_share")


@pytest.mark.parametrize("statuses, passed", [
    ({"valid": 90, "missing": 10}, True),  # a realistic export: a tenth of the rows without a NIK
    ({"valid": 75, "missing": 17, "non_numeric": 3, "excel_rounded": 5}, True),  # a rough one, still usable
    ({"valid": 65, "missing": 35}, False),  # over 30 % unusable
    ({"excel_scientific": 100}, False),  # every NIK in scientific notation
    ({"valid": 85, "excel_rounded": 15}, False),  # a NIK column Excel rounded
])
def test_invalid_nik_share_stops_destroyed_niks_only(con: duckdb.DuckDBPyConnection, statuses: dict[str, int],
                                                     passed: bool) -> None:
    rows = [status for status, n in statuses.items() for _ in range(n)]
    con.execute("CREATE TABLE memberships AS SELECT unnest($s) AS nik_status", {"s": rows})
    outcome = run_check(INVALID_NIK, con, ChecksConfig(), None)
    assert outcome.passed is passed
    assert outcome.blocking
