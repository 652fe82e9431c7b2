"""Publication: byte-identical outputs for the same inputs, atomic writes, officer workbooks."""

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

import pipeline.publish.publish as publish_module
from pipeline.config import Config
from pipeline.publish.publish import publish
from pipeline.published.latest import latest_publication
from pipeline.runner import run_engine
from pipeline.synthetic import GeneratedFiles
from pipeline.warehouse import connect
from tests.conftest import REFERENCE_DATE

CREATED = datetime(2026, 1, 1)


def _engine(city: GeneratedFiles) -> duckdb.DuckDBPyConnection:
    con = connect()
    run_engine(con, register=[city.register], members=list(city.members), config=Config(),
               reference_date=REFERENCE_DATE)
    return con


def _publish(con: duckdb.DuckDBPyConnection, root: Path, publication_id: str) -> Path:
    return publish(con, root, publication_id=publication_id, manifest={"note": "test"}, extra_files={},
                   created=CREATED, nik_visible_digits=6).path


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


@pytest.fixture(scope="module")
def engine(small_city: GeneratedFiles) -> duckdb.DuckDBPyConnection:
    return _engine(small_city)


def test_same_inputs_give_byte_identical_outputs(small_city: GeneratedFiles, engine: duckdb.DuckDBPyConnection,
                                                 tmp_path: Path) -> None:
    first = _publish(engine, tmp_path / "a", "one")
    second = _publish(_engine(small_city), tmp_path / "b", "two")  # a fresh warehouse, run again
    digests = _digests(first)
    assert len(digests) >= 27 + 6
    assert digests == _digests(second)
    assert (json.loads((first / "manifest.json").read_text())["outputs"]
            == json.loads((second / "manifest.json").read_text())["outputs"])


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


def test_latest_moves_only_after_the_gate(engine: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    root = tmp_path / "published"
    good = _publish(engine, root, "good")

    def veto(folder: Path) -> None:
        assert (folder / "manifest.json").is_file()
        raise RuntimeError("a blocking check failed")

    with pytest.raises(RuntimeError):
        publish(engine, root, publication_id="vetoed", manifest={}, extra_files={}, created=CREATED,
                nik_visible_digits=6, before_latest=veto)
    assert latest_publication(root) == good.resolve()


def test_officer_workbook_is_filterable_text_and_masked(engine: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = _publish(engine, tmp_path / "published", "x")
    expected = dict(engine.execute("""SELECT r.kelurahan_code, count(*) FROM candidates JOIN residents r
                                      USING (resident_id) GROUP BY 1""").fetchall())
    for path in sorted((folder / "kelurahan").glob("*.xlsx")):
        sheet = openpyxl.load_workbook(path).active
        header = [c.value for c in sheet[1]]
        assert header[:4] == ["Peringkat di kelurahan", "Jalur", "NIK", "Nama"]
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
