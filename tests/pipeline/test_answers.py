"""Officers' answers as an input of the engine: read from a real portal database (the portal's own
store code writes it), snapshotted with the backup API, applied by linking (settled pairs) and the
tracks (outcomes of outreach), with lineage. The end-to-end path through the browser and `ucj run` is
tests/portal/test_browser_answers.py."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline.config import Config, EligibilityConfig
from pipeline.decisions.tracks import build_tracks
from pipeline.ingest.answers import AnswerChainError, load_answers
from pipeline.runner import run_engine
from pipeline.synthetic import GeneratedFiles
from pipeline.warehouse import connect as connect_warehouse
from portal.answers import init_answers, record_answer
from portal.db import connect, init_db
from portal.users import User, create_user, get_user
from tests.conftest import REFERENCE_DATE, CityEngine

AT = datetime(2025, 12, 28, 3, 0, tzinfo=UTC)
ENROLLED_ON = "2025-12-22"  # 10 days before the reference date
NOT_IN_REGISTER = "3577019999990001"


@dataclass(frozen=True)
class Subjects:
    confirmed: tuple[str, str]  # (nik, kpj): a review pair, first rejected then confirmed (superseded)
    rejected: tuple[str, str]  # a pair the model linked, rejected by an officer
    enrolled: str
    contradicted: str
    contradicted_kpj: str  # a NON AKTIF KPJ of the export, linked to nobody
    moved: str
    deceased: str
    attempts: str  # refused, then not reachable
    superseded: str  # moved, then refused: stays a candidate


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def _pick(con: duckdb.DuckDBPyConnection) -> Subjects:
    review = _rows(con, "SELECT resident_nik, kpj FROM links WHERE decision = 'review' ORDER BY probability DESC, kpj")
    linked = _rows(con, "SELECT l.resident_nik, l.kpj FROM links l JOIN memberships m USING (member_id) "
                        "WHERE l.decision = 'link' AND m.is_active AND l.rule = 'nik_exact' ORDER BY l.kpj LIMIT 1")
    listed = [r[0] for r in _rows(con, "SELECT r.nik FROM candidates k JOIN residents r USING (resident_id) "
                                       "WHERE k.verify_kpj IS NULL ORDER BY r.nik LIMIT 6")]
    lapsed_kpj = _rows(con, "SELECT m.kpj FROM memberships m JOIN member_outcomes o USING (member_id) "
                            "WHERE NOT m.is_active AND o.outcome = 'unlinked' ORDER BY m.kpj LIMIT 1")
    assert review and linked and len(listed) == 6 and lapsed_kpj, "the small city lacks a subject for these tests"
    return Subjects(review[0], linked[0], listed[0], listed[1], lapsed_kpj[0][0], listed[2], listed[3], listed[4],
                    listed[5])


def _officer(con: sqlite3.Connection) -> User:
    create_user(con, "kel_lapangan", password="kata-sandi-uji-1", role="kelurahan", area_code="3577011001",
                full_nik=False, display_name="Petugas Lapangan")
    user = get_user(con, "kel_lapangan")
    assert user is not None
    return user


def write_answers(database: Path, s: Subjects) -> None:
    init_db(database)
    init_answers(database)
    con = connect(database)
    user = _officer(con)
    step = iter(range(100))

    def answer(nik: str, kind: str, value: str, **extra: str) -> None:
        record_answer(con, user=user, publication_id="20251201T020000-old00000", kelurahan_code="3577011001",
                      nik=nik, kind=kind, answer=value, at=AT + timedelta(minutes=next(step)), **extra)

    answer(s.confirmed[0], "pair", "different", kpj=s.confirmed[1])
    answer(s.confirmed[0], "pair", "same", kpj=s.confirmed[1])  # supersedes the rejection
    answer(s.rejected[0], "pair", "different", kpj=s.rejected[1])
    answer(s.enrolled, "outcome", "enrolled", outcome_date=ENROLLED_ON, new_kpj="990 0000 0001")
    answer(s.contradicted, "outcome", "enrolled", outcome_date=ENROLLED_ON, new_kpj=s.contradicted_kpj)
    answer(s.moved, "outcome", "moved", outcome_date=ENROLLED_ON, note="pindah ke Surabaya")
    answer(s.deceased, "outcome", "deceased", outcome_date=ENROLLED_ON)
    answer(s.attempts, "outcome", "refused", outcome_date="2025-12-20")
    answer(s.attempts, "outcome", "unreachable", outcome_date="2025-12-27")
    answer(s.superseded, "outcome", "moved", outcome_date="2025-12-20")
    answer(s.superseded, "outcome", "refused", outcome_date="2025-12-27")
    answer(NOT_IN_REGISTER, "outcome", "deceased", outcome_date=ENROLLED_ON)
    answer(NOT_IN_REGISTER, "pair", "same", kpj=s.rejected[1])
    con.close()


@dataclass
class Answered:
    con: duckdb.DuckDBPyConnection
    subjects: Subjects
    database: Path


@pytest.fixture(scope="module")
def answered(small_city: GeneratedFiles, city_engine: CityEngine,
             tmp_path_factory: pytest.TempPathFactory) -> Answered:
    """The engine on the small city with a portal database full of answers (its own warehouse)."""
    subjects = _pick(city_engine.con)
    database = tmp_path_factory.mktemp("portal") / "portal.sqlite"
    write_answers(database, subjects)
    con = connect_warehouse()
    run_engine(con, register=[small_city.register], members=list(small_city.members), config=Config(),
               reference_date=REFERENCE_DATE, answers=database)
    yield Answered(con, subjects, database)
    con.close()


def _track(con: duckdb.DuckDBPyConnection, nik: str) -> dict:
    result = con.execute("SELECT t.*, c.coverage_status, c.link_rule, k.resident_id IS NOT NULL AS listed "
                         "FROM tracks t JOIN residents r USING (resident_id) JOIN coverage c USING (resident_id) "
                         "LEFT JOIN candidates k USING (resident_id) WHERE r.nik = ?", [nik])
    names = [d[0] for d in result.description]
    return dict(zip(names, result.fetchall()[0], strict=True))


def _pair(con: duckdb.DuckDBPyConnection, nik: str, kpj: str) -> dict:
    result = con.execute("SELECT * FROM scored_pairs WHERE resident_nik = ? AND kpj = ?", [nik, kpj])
    names = [d[0] for d in result.description]
    return dict(zip(names, result.fetchall()[0], strict=True))


def test_a_confirmed_pair_links_with_rule_verified_and_names_the_answer(answered: Answered,
                                                                        city_engine: CityEngine) -> None:
    nik, kpj = answered.subjects.confirmed
    before = _pair(city_engine.con, nik, kpj)
    assert before["decision"] == "review"
    pair = _pair(answered.con, nik, kpj)
    assert (pair["decision"], pair["rule"], pair["model_decision"]) == ("link", "verified", "review")
    assert pair["answered_by"] == "kel_lapangan" and pair["answered_at"].startswith("2025-12-28T03:01")
    assert "Petugas kel_lapangan" in pair["explanation"] and pair["explanation"].endswith("sama orang.")
    row = _track(answered.con, nik)
    assert row["link_rule"] == "verified" and row["field_answer"] == "pair_same"
    assert row["field_answered_by"] == "kel_lapangan" and row["field_answer_id"] == 2
    # the membership row belongs to this resident only
    assert _rows(answered.con, "SELECT count(*) FROM links WHERE kpj = ? AND decision <> 'no_link'", [kpj]) == [(1,)]


def test_a_rejected_pair_never_links_nor_returns_to_review(answered: Answered, city_engine: CityEngine) -> None:
    nik, kpj = answered.subjects.rejected
    assert _pair(city_engine.con, nik, kpj)["decision"] == "link"
    pair = _pair(answered.con, nik, kpj)
    assert (pair["decision"], pair["model_decision"], pair["answer_id"]) == ("no_link", "link", 3)
    assert _rows(answered.con, "SELECT count(*) FROM links WHERE resident_nik = ? AND kpj = ?", [nik, kpj]) == [(0,)]
    assert _rows(answered.con, "SELECT count(*) FROM verification_hints h JOIN residents r USING (resident_id) "
                               "WHERE r.nik = ? AND h.kpj = ?", [nik, kpj]) == [(0,)]
    assert _track(answered.con, nik)["field_answer"] == "pair_different"


def test_the_latest_answer_supersedes_and_attempts_are_counted(answered: Answered) -> None:
    s = answered.subjects
    superseded = _track(answered.con, s.superseded)
    assert superseded["listed"] and superseded["track"] != "out_of_scope"
    assert (superseded["field_answer"], superseded["field_attempts"]) == ("refused", 1)
    attempts = _track(answered.con, s.attempts)
    assert attempts["listed"] and (attempts["field_answer"], attempts["field_attempts"]) == ("unreachable", 2)
    assert attempts["track_reason"].endswith("; dihubungi 2 kali, terakhir: tidak dapat dihubungi "
                                             "(petugas kel_lapangan, 27-12-2025)")
    # the store keeps both answers; the second names the first
    con = connect(answered.database)
    chain = con.execute("SELECT id, answer, supersedes FROM field_answers WHERE resident_nik = ? ORDER BY id",
                        [s.superseded]).fetchall()
    assert [(r["answer"], r["supersedes"]) for r in chain] == [("moved", None), ("refused", chain[0]["id"])]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE field_answers SET answer = 'moved' WHERE id = ?", [chain[1]["id"]])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM field_answers WHERE id = ?", [chain[1]["id"]])
    con.close()


def test_moved_and_deceased_are_out_of_scope_with_that_reason(answered: Answered) -> None:
    moved, deceased = _track(answered.con, answered.subjects.moved), _track(answered.con, answered.subjects.deceased)
    assert (moved["track"], moved["out_of_scope_reason"], moved["listed"]) == ("out_of_scope", "moved_away", False)
    assert moved["track_reason"] == "pindah (dilaporkan petugas kel_lapangan, 22-12-2025)"
    assert (deceased["track"], deceased["out_of_scope_reason"]) == ("out_of_scope", "deceased")
    assert deceased["field_answered_by"] == "kel_lapangan" and deceased["field_answered_at"].startswith("2025-12-28")


def test_a_reported_enrolment_covers_until_the_export_says_otherwise(answered: Answered) -> None:
    enrolled = _track(answered.con, answered.subjects.enrolled)
    assert (enrolled["track"], enrolled["field_flag"], enrolled["listed"]) == ("covered", "enrolment_reported", False)
    assert enrolled["coverage_status"] == "uncovered"  # the export does not know it yet
    assert "KPJ 99000000001" in enrolled["track_reason"] and "sampai 20-02-2026" in enrolled["track_reason"]
    contradicted = _track(answered.con, answered.subjects.contradicted)
    assert contradicted["listed"] and contradicted["field_flag"] == "enrolment_contradicted"
    assert "NON AKTIF" in contradicted["track_reason"]


def test_the_grace_period_ends_and_the_person_is_listed_again_flagged(answered: Answered) -> None:
    con, nik = answered.con, answered.subjects.enrolled
    grace = Config().eligibility.reported_enrolment_grace_days
    last_day = date.fromisoformat(ENROLLED_ON) + timedelta(days=grace)
    try:
        build_tracks(con, Config().eligibility, last_day)
        assert _track(con, nik)["track"] == "covered"
        build_tracks(con, Config().eligibility, last_day + timedelta(days=1))
        late = _track(con, nik)
        assert late["track"] != "covered" and late["field_flag"] == "enrolment_unconfirmed"
        assert f"belum terlihat di ekspor BPJS TK setelah {grace} hari" in late["track_reason"]
        short = replace(Config().eligibility, reported_enrolment_grace_days=5)
        build_tracks(con, short, REFERENCE_DATE)  # the setting, not a constant, decides
        assert _track(con, nik)["field_flag"] == "enrolment_unconfirmed"
    finally:
        build_tracks(con, Config().eligibility, REFERENCE_DATE)
    with pytest.raises(Exception, match="reported_enrolment_grace_days"):
        EligibilityConfig(reported_enrolment_grace_days=-1)


def test_answers_about_people_no_longer_in_the_register_change_nothing(answered: Answered,
                                                                       city_engine: CityEngine) -> None:
    con = connect_warehouse()
    try:
        snapshot = load_answers(con, answered.database)  # no residents table: nobody to match
        assert snapshot.unmatched == 0 and snapshot.rows == 13
        con.register("register_niks", city_engine.con.sql("SELECT nik FROM residents").arrow())
        con.execute("CREATE TABLE residents AS SELECT * FROM register_niks")
        snapshot = load_answers(con, answered.database)
        assert snapshot.unmatched == 2  # the outcome and the pair answer about a NIK not in the register
        assert (snapshot.pair_answers, snapshot.outcomes) == (3, 7)
    finally:
        con.close()
    # the rest of the list is the model's: everyone not answered about keeps their track
    answered_niks = {n for n in answered.subjects.__dict__.values() if isinstance(n, str)}
    answered_niks |= {answered.subjects.confirmed[0], answered.subjects.rejected[0]}
    before = dict(_rows(city_engine.con, "SELECT r.nik, t.track FROM tracks t JOIN residents r USING (resident_id)"))
    after = dict(_rows(answered.con, "SELECT r.nik, t.track FROM tracks t JOIN residents r USING (resident_id)"))
    assert {n for n in before if before[n] != after[n]} <= answered_niks


def test_a_changed_answer_row_breaks_the_chain_and_stops_the_run(tmp_path: Path, answered: Answered) -> None:
    database = tmp_path / "portal.sqlite"
    source = sqlite3.connect(answered.database)
    target = sqlite3.connect(database)
    source.backup(target)
    source.close()
    target.execute("DROP TRIGGER field_answers_no_update")
    target.execute("UPDATE field_answers SET answer = 'same' WHERE id = 3")  # someone edits the file by hand
    target.commit()
    target.close()
    con = connect_warehouse()
    try:
        with pytest.raises(AnswerChainError, match="answer #3"):
            load_answers(con, database)
    finally:
        con.close()


def test_a_snapshot_while_the_portal_writes_never_blocks_it(tmp_path: Path) -> None:
    """The portal writes answers (and holds a write transaction open) while runs take snapshots: every
    write succeeds promptly, every snapshot verifies and holds only committed answers."""
    database = tmp_path / "portal.sqlite"
    init_db(database)
    init_answers(database)
    setup = connect(database)
    user = _officer(setup)
    setup.close()
    stop, errors, latencies = threading.Event(), [], []

    def portal() -> None:
        con = connect(database)
        n = 0
        while not stop.is_set():
            started = time.perf_counter()
            try:
                record_answer(con, user=user, publication_id="p", kelurahan_code="3577011001",
                              nik=f"35770101019{n % 1000:05d}", kind="outcome", answer="refused",
                              outcome_date="2025-12-20")
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(repr(exc))
            latencies.append(time.perf_counter() - started)
            n += 1
        con.close()

    writer = threading.Thread(target=portal)
    writer.start()
    counts = []
    try:
        holder = connect(database)
        holder.execute("BEGIN IMMEDIATE")  # the portal in the middle of a write
        holder.execute("INSERT INTO field_answers (at_utc, actor, role, publication_id, kelurahan_code, resident_nik, "
                       "kind, answer, prev_hash, row_hash) VALUES ('x', 'x', 'x', 'x', 'x', 'x', 'outcome', 'moved', "
                       "'x', 'uncommitted')")
        con = connect_warehouse()
        started = time.perf_counter()
        snapshot = load_answers(con, database)  # not blocked by the open write transaction
        assert time.perf_counter() - started < 5
        assert con.execute("SELECT count(*) FROM field_answers WHERE answer = 'moved'").fetchall() == [(0,)]
        holder.execute("ROLLBACK")
        holder.close()
        counts.append(snapshot.rows)
        for _ in range(15):
            counts.append(load_answers(con, database).rows)
            time.sleep(0.02)
        con.close()
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not errors
    assert counts == sorted(counts) and counts[-1] > counts[0]  # each run sees what was committed by then
    assert max(latencies) < 5  # no write waited on a snapshot for long


def test_eval_labels_scores_the_model_on_the_settled_pairs(answered: Answered, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.main import main
    from pipeline.evaluation import label_scores
    from pipeline.publish.publish import OUTPUT_QUERIES

    folder = tmp_path / "publication"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    answered.con.execute(f"COPY ({OUTPUT_QUERIES['pairs']}) TO '{(folder / 'pairs.parquet').as_posix()}' "
                         "(FORMAT parquet)")
    scores = label_scores(folder)
    # the confirmed pair was a review pair (missed by the model), the rejected one a model link
    assert (scores.confirmed, scores.rejected, scores.true_links, scores.false_links) == (1, 1, 0, 1)
    assert (scores.confirmed_in_review, scores.precision, scores.recall) == (1, 0.0, 0.0)
    result = CliRunner().invoke(main, ["eval", "--labels", "--publication", str(folder)])
    assert result.exit_code == 0, result.output
    assert "1 confirmed (same person), 1 rejected" in result.output and "model precision 0.0000" in result.output


def test_the_report_has_a_field_work_page(answered: Answered, tmp_path: Path) -> None:
    import json

    from pipeline.publish.publish import OUTPUT_QUERIES
    from pipeline.publish.report import render_report_html

    folder = tmp_path / "publication"
    folder.mkdir()
    for name in ("coverage", "candidates"):
        answered.con.execute(f"COPY ({OUTPUT_QUERIES[name]}) TO '{(folder / f'{name}.parquet').as_posix()}' "
                             "(FORMAT parquet)")
    config = Config().resolved(REFERENCE_DATE)
    (folder / "config.resolved.json").write_text(json.dumps(config.to_dict()))
    html = render_report_html(folder, amount_rp=config.cost.apbd_budget_rp, cost=config.cost,
                              publication_id="p", reference_date=REFERENCE_DATE)
    page = html.split("<h2>Kerja lapangan</h2>", 1)[1].split("<h2>", 1)[0]
    # 6 outcomes about people in the register + 2 settled pairs; the enrolments: 2 reported, none confirmed
    assert "Jawaban petugas yang dipakai publikasi ini: <b>8</b>" in page
    assert "pendaftaran dilaporkan petugas:\n  <b>2</b> (0 sudah terkonfirmasi" in page
    assert "yang sudah dijawab: 2 dari" in page
    assert page.count("<td class=\"place\">") >= 1  # the desa/kelurahan with answers
