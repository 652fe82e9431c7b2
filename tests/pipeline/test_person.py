"""`explain_person` / `ucj explain`: why a known person is or is not on the list."""

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli.main import main
from pipeline.errors import UcjError
from pipeline.publish.publish import publish
from pipeline.published.person import explain_person, render_text
from pipeline.synthetic import GeneratedFiles
from tests.conftest import CityEngine


@pytest.fixture(scope="module")
def publication(city_engine: CityEngine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    con = city_engine.con
    root = tmp_path_factory.mktemp("published")
    publish(con, root, publication_id="20260101T010000-test", manifest={"reference_date": "2026-01-01"},
            extra_files={}, created=datetime(2026, 1, 1), nik_visible_digits=6)
    return root


def _known(city: GeneratedFiles, publication: Path, sql: str) -> tuple:
    """The first row of a query joining the publication with the generated truth."""
    con = duckdb.connect()
    con.register("truth_members", pq.read_table(city.truth_members))
    con.register("truth_residents", pq.read_table(city.truth_residents))
    return con.execute(sql.format(folder=(publication / "latest").as_posix())).fetchall()[0]


def test_covered_person_shows_the_membership_it_rests_on(small_city: GeneratedFiles, publication: Path) -> None:
    nik, kpj = _known(small_city, publication, """
        SELECT tm.resident_nik, tm.kpj FROM truth_members tm
        JOIN read_parquet('{folder}/coverage.parquet') c ON c.nik = tm.resident_nik AND c.kpj = tm.kpj
        WHERE tm.status = 'AKTIF' AND tm.errors = '' ORDER BY tm.kpj LIMIT 1""")
    explanation = explain_person(publication, nik)
    assert explanation.resident["coverage_status"] == "covered"
    assert explanation.resident["source_file"] == small_city.register.name
    link = next(p for p in explanation.pairs if p["kpj"] == kpj)
    assert link["decision"] == "link" and link["explanation"].startswith("Ditautkan")
    assert explanation.candidate is None
    text = render_text(explanation)
    assert f"KPJ {kpj}" in text and "Tidak ada di daftar calon." in text


def test_uncovered_candidate_shows_track_and_priority(small_city: GeneratedFiles, publication: Path) -> None:
    nik, rank = _known(small_city, publication, """
        SELECT c.nik, c.priority_rank FROM read_parquet('{folder}/candidates.parquet') c
        JOIN truth_residents tr ON tr.nik = c.nik
        WHERE tr.true_status = 'uncovered' AND c.track = 'pro_jkk_jkm' ORDER BY c.priority_rank LIMIT 1""")
    result = CliRunner().invoke(main, ["explain", nik, "--publication", str(publication)])
    assert result.exit_code == 0, result.output
    assert "Jalur: Pro JKK-JKM" in result.output
    assert "Prioritas: skor" in result.output and f"peringkat {rank} di kota" in result.output


def test_unknown_or_malformed_nik_is_a_clear_error_without_echo(publication: Path) -> None:
    with pytest.raises(UcjError, match="16 digits"):
        explain_person(publication, "12345")
    with pytest.raises(UcjError, match="not among the residents") as caught:
        explain_person(publication, "9999999999999999")
    assert "9999999999999999" not in str(caught.value)
