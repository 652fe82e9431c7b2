"""Publication: exactly the files the README lists, byte-identical for the same inputs, atomic writes,
officer workbooks. (That a failing blocking check keeps `latest` is tested on real Dagster runs in
tests/assets/test_checks.py; a run killed while publishing in tests/assets/test_operations.py.)"""

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

import pipeline.publish.publish as publish_module
from pipeline.config import Config, CostConfig
from pipeline.publish.publish import publish
from pipeline.published.latest import latest_publication
from pipeline.runner import run_engine
from pipeline.synthetic import GeneratedFiles
from pipeline.warehouse import connect
from tests.conftest import REFERENCE_DATE, CityEngine

CREATED = datetime(2026, 1, 1)
# What the README's "What a publication holds" table promises, besides one workbook per desa/kelurahan.
PUBLICATION_FILES = {
    "candidates.parquet", "candidates.csv", "coverage.parquet", "links.parquet", "pairs.parquet", "review.parquet",
    "changes.parquet", "changes.csv", "employers.parquet", "rejects.parquet", "budget.json", "report.html",
    "report.pdf", "manifest.json", "config.resolved.json", "model.json",
}
NOT_COMPARED = {"manifest.json"}  # its timestamps differ; every other file, the report PDF included, may not


def _engine(city: GeneratedFiles) -> duckdb.DuckDBPyConnection:
    con = connect()
    run_engine(con, register=[city.register], members=list(city.members), config=Config(),
               reference_date=REFERENCE_DATE)
    return con


def _publish(con: duckdb.DuckDBPyConnection, root: Path, publication_id: str) -> Path:
    return publish(con, root, publication_id=publication_id, manifest={"note": "test"}, extra_files={},
                   created=CREATED, nik_visible_digits=6).path


def _publish_everything(con: duckdb.DuckDBPyConnection, root: Path, publication_id: str) -> Path:
    """As the publication asset does: with the budget scenario, the report, the config and the model."""
    config = Config().resolved(REFERENCE_DATE)
    model = json.loads(con.execute("SELECT model FROM link_model").fetchall()[0][0])
    return publish(con, root, publication_id=publication_id, manifest={"note": "test"},
                   extra_files={"config.resolved.json": config.to_dict(), "model.json": model}, created=CREATED,
                   nik_visible_digits=6, cost=CostConfig(), reference_date=REFERENCE_DATE).path


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _digests(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in _files(folder)
            if name not in NOT_COMPARED}


@pytest.fixture(scope="module")
def engine(city_engine: CityEngine) -> duckdb.DuckDBPyConnection:
    return city_engine.con


def test_a_publication_holds_exactly_the_promised_files(engine: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = _publish_everything(engine, tmp_path, "one")
    files = _files(folder)
    workbooks = [f for f in files if f.startswith("kelurahan/")]
    assert set(files) - set(workbooks) == PUBLICATION_FILES and len(files) == len(workbooks) + len(PUBLICATION_FILES)
    codes = sorted(code for (code,) in engine.execute("SELECT code FROM ref_kelurahan").fetchall())
    assert len(codes) == 27  # Kota Madiun
    assert all(f.endswith(".xlsx") for f in workbooks)
    assert sorted(Path(f).name.split("-")[0] for f in workbooks) == codes
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(manifest["outputs"]) == [f for f in files if f != "manifest.json"]


def test_same_inputs_give_byte_identical_outputs(small_city: GeneratedFiles, engine: duckdb.DuckDBPyConnection,
                                                 tmp_path: Path) -> None:
    first = _publish_everything(engine, tmp_path / "a", "20260101T010000-one")
    second = _publish_everything(_engine(small_city), tmp_path / "b", "20260101T010000-one")  # a fresh warehouse
    digests = _digests(first)
    assert {"budget.json", "report.html", "report.pdf", "model.json", "config.resolved.json"} <= set(digests)
    assert len(digests) == len(_files(first)) - len(NOT_COMPARED)
    assert digests == _digests(second)
    outputs = [{k: v for k, v in json.loads((f / "manifest.json").read_text())["outputs"].items()
                if k not in NOT_COMPARED} for f in (first, second)]
    assert outputs[0] == outputs[1]


def test_failed_publication_leaves_latest_untouched(engine: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "published"
    good = _publish(engine, root, "good")

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish_module, "write_kelurahan_workbooks", disk_full)
    with pytest.raises(OSError):
        _publish(engine, root, "broken")
    assert latest_publication(root) == good.resolve()
    assert sorted(p.name for p in root.iterdir()) == ["good", "latest"]


def test_officer_workbook_is_filterable_text_and_masked(engine: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = _publish(engine, tmp_path / "published", "x")
    expected = dict(engine.execute("""SELECT r.kelurahan_code, count(*) FROM candidates JOIN residents r
                                      USING (resident_id) GROUP BY 1""").fetchall())
    paths = sorted((folder / "kelurahan").rglob("*.xlsx"))  # <kabupaten/kota>/<kecamatan>/<code>-<name>.xlsx
    assert paths[0].relative_to(folder / "kelurahan").parts[:2] == ("3577-Kota_Madiun", "357701-Kartoharjo")
    assert len(paths) == 27
    for path in paths:
        sheet = openpyxl.load_workbook(path).active
        header = [c.value for c in sheet[1]]
        assert header[:4] == ["Peringkat di desa/kelurahan", "Jalur", "NIK", "Nama"]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref is not None
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert len(rows) == expected.get(path.name.split("-")[0], 0)
        for row in rows:
            nik = row[2]
            # only the region shows: the birth date and serial (digits 7-16) could be guessed back
            assert isinstance(nik, str) and len(nik) == 16 and nik[:6].isdigit() and nik[6:] == "*" * 10


def test_retention_deletes_old_publications_but_never_latest(tmp_path: Path) -> None:
    from pipeline.publish.publish import prune_publications

    root = tmp_path / "published"
    for name in ("20250101T010000-aaaa", "20251201T010000-bbbb", "20251231T010000-cccc", "notes"):
        (root / name).mkdir(parents=True)
    (root / "latest").symlink_to("20250101T010000-aaaa")  # an old publication that is still latest
    deleted = prune_publications(root, retention_days=30, now=datetime(2026, 1, 5, 12, 0))
    assert deleted == ["20251201T010000-bbbb"]
    assert sorted(p.name for p in root.iterdir()) == ["20250101T010000-aaaa", "20251231T010000-cccc",
                                                      "latest", "notes"]


def test_a_report_process_started_ahead_ends_with_its_failed_publication(tmp_path: Path) -> None:
    staging = publish_module.open_staging(tmp_path, "20260101T000000-ahead")
    publish_module.prepare_summary(staging)
    process = publish_module._WAITING[staging]._process
    assert process is not None and process.poll() is None  # waiting for its work
    publish_module.discard_staging(staging)
    assert process.poll() is not None  # no process outlives the publication it was started for
    assert staging not in publish_module._WAITING
