"""Each blocking check fails on purpose-built bad data and keeps the publication (and `latest`)
as it was; warnings do not block."""

import csv
import io
from pathlib import Path

import dagster as dg
import pytest

import pipeline.decisions.priority
import pipeline.linking.link
from assets.definitions import PIPELINE_JOB, defs
from assets.linking import regency_range_tags
from pipeline.config import load_config
from pipeline.synthetic import GeneratedFiles

pytestmark = pytest.mark.slow


def _run(register: Path, members: list[Path], out: Path, warehouse: Path,
         config: Path | None = None) -> dg.ExecuteInProcessResult:
    settings = {"register_files": [str(register)], "member_files": [str(m) for m in members],
                "publication_root": str(out), "config_file": str(config) if config else ""}
    with dg.DagsterInstance.get() as instance:
        return defs.resolve_job_def(PIPELINE_JOB).execute_in_process(
            instance=instance, raise_on_error=False,
            tags={"ucj/reference_date": "2026-01-01", **regency_range_tags(load_config(config))},
            run_config={"resources": {"settings": {"config": settings},
                                      "warehouse": {"config": {"database": str(warehouse)}}}})


def _failed(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {e.check_name: e.description for e in result.get_asset_check_evaluations() if not e.passed}


def _published(result: dg.ExecuteInProcessResult) -> bool:
    return dg.AssetKey("publication") in {e.asset_key for e in result.get_asset_materialization_events()}


@pytest.fixture
def baseline(small_city: GeneratedFiles, dagster_home: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    out, warehouse = tmp_path / "published", tmp_path / "wh.duckdb"
    result = _run(small_city.register, list(small_city.members), out, warehouse)
    assert result.success and _published(result) and not _failed(result)
    return out, warehouse, (out / "latest").resolve()


def _rewrite_csv(source: Path, target: Path, encoding: str, change: callable) -> Path:
    text = source.read_bytes().decode(encoding)
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
    rows = [rows[0]] + [change(i, row) for i, row in enumerate(rows[1:])]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    target.write_bytes(buffer.getvalue().encode(encoding))
    return target


def test_many_rejected_rows_block(small_city: GeneratedFiles, baseline: tuple[Path, Path, Path],
                                  tmp_path: Path) -> None:
    out, warehouse, first = baseline
    # One register row in ten loses its kelurahan: 10% rejected, above the 5% bound.
    broken = _rewrite_csv(small_city.register, tmp_path / small_city.register.name, "utf-8",
                          lambda i, row: row[:8] + ["Kelurahan Entah"] + row[9:] if i % 10 == 0 else row)
    result = _run(broken, list(small_city.members), out, warehouse)
    assert "reject_share" in _failed(result) and "register: 10." in _failed(result)["reject_share"]
    assert not _published(result) and (out / "latest").resolve() == first


def test_damaged_niks_block(small_city: GeneratedFiles, baseline: tuple[Path, Path, Path], tmp_path: Path) -> None:
    out, warehouse, first = baseline
    bpu = next(p for p in small_city.members if p.suffix == ".csv")
    damaged = _rewrite_csv(bpu, tmp_path / bpu.name, "cp1252",
                           lambda i, row: [row[0], "3.57701E+15", *row[2:]] if i % 2 == 0 else row)
    others = [p for p in small_city.members if p != bpu]
    result = _run(small_city.register, [*others, damaged], out, warehouse)
    assert "invalid_nik_share" in _failed(result)
    assert not _published(result) and (out / "latest").resolve() == first


def test_membership_linked_twice_blocks(small_city: GeneratedFiles, baseline: tuple[Path, Path, Path],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out, warehouse, first = baseline
    real = pipeline.linking.link._links_table

    def buggy_links_table(db):  # a bug that links one membership to a second resident
        real(db)
        db.con.execute("""INSERT INTO links SELECT * REPLACE (resident_id + 1 AS resident_id)
                       FROM links WHERE decision = 'link' LIMIT 1""")

    monkeypatch.setattr(pipeline.linking.link, "_links_table", buggy_links_table)
    result = _run(small_city.register, list(small_city.members), out, warehouse)
    assert set(_failed(result)) == {"membership_linked_once"}
    assert not _published(result) and (out / "latest").resolve() == first


def test_candidate_listed_twice_blocks(small_city: GeneratedFiles, baseline: tuple[Path, Path, Path],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out, warehouse, first = baseline
    real = pipeline.decisions.priority.build_candidates

    def buggy_candidates(con, *args, **kwargs):
        counts = real(con, *args, **kwargs)
        con.execute("INSERT INTO candidates SELECT * FROM candidates LIMIT 1")
        return counts

    monkeypatch.setattr("assets.decisions.build_candidates", buggy_candidates)
    result = _run(small_city.register, list(small_city.members), out, warehouse)
    assert set(_failed(result)) == {"candidate_listed_once"}
    assert not _published(result) and (out / "latest").resolve() == first


def test_uncovered_jump_blocks_and_drift_warns(small_city: GeneratedFiles, baseline: tuple[Path, Path, Path],
                                               tmp_path: Path) -> None:
    out, warehouse, first = baseline
    # Without the bigger export most covered workers look uncovered: the count jumps.
    xlsx = [p for p in small_city.members if p.suffix == ".xlsx"]
    result = _run(small_city.register, xlsx, out, warehouse)
    failed = _failed(result)
    assert set(failed) == {"uncovered_change", "uncovered_drift"}
    assert "->" in failed["uncovered_change"]
    assert not _published(result) and (out / "latest").resolve() == first

    # A looser bound lets the same run publish; the drift stays a (non-blocking) warning.
    config = tmp_path / "loose.toml"
    config.write_text("[checks]\nmax_uncovered_change = 0.9\n")
    result = _run(small_city.register, xlsx, out, warehouse, config)
    assert set(_failed(result)) == {"uncovered_drift"} and _published(result)
    assert (out / "latest").resolve() != first
