"""`pipeline.evaluation.evaluate` on a hand-made city whose scores are worked out by hand.

Seven residents (R7 out of scope), six membership rows in the truth (one rejected at ingest, one an
exact copy), and a decided list:

    resident  truth      predicted   in scope   why
    R1        covered    covered     yes        row 2 linked right
    R2        covered    uncovered   yes        row 3 (nickname) never linked  -> wrongly listed
    R3        covered    uncovered   yes        row 4 (no NIK, no date) rejected -> wrongly listed
    R4        uncovered  covered     yes        row 5, an outsider namesake, linked to R4 -> wrongly hidden
    R5        uncovered  uncovered   yes        row 7, inactive, linked to R5 by mistake: no harm to the list
    R6        uncovered  uncovered   yes
    R7        covered    covered     no         row 6 linked right

List: truly uncovered in scope {R4, R5, R6} = 3; listed {R2, R3, R5, R6} = 4; wrongly listed 2, wrongly
hidden 1: precision 1 - 2/4 = 0.5, recall 1 - 1/3 = 2/3, F1 = 2 * 0.5 * 2/3 / (0.5 + 2/3) = 4/7.
Pairs: true 4 (rows 2, 3, 6, and 4, rejected at ingest; row 8 is an exact copy of row 2, no pair of its
own), predicted 4 (2, 5, 6, 7), correct 2: precision 0.5, recall 0.5. Blocking: true pairs compared 2
(rows 2, 6) of 4.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.evaluation import evaluate, format_report

NIK = {i: f"35770{i}0101900001" for i in range(1, 8)}
OUTSIDER = "3502010101900001"


@pytest.fixture()
def scored(tmp_path: Path):
    truth = tmp_path / "truth"
    truth.mkdir()
    status = {1: "covered", 2: "covered", 3: "covered", 4: "uncovered", 5: "uncovered", 6: "uncovered", 7: "covered"}
    pq.write_table(pa.table({"source_row": list(range(2, 9)), "nik": [NIK[i] for i in range(1, 8)],
                             "true_status": [status[i] for i in range(1, 8)]}), truth / "residents.parquet")
    rows = [  # source_row, resident NIK, status, errors
        (2, NIK[1], "AKTIF", ""),
        (3, NIK[2], "AKTIF", "name_nickname"),
        (4, NIK[3], "AKTIF", "nik_missing,dob_missing,no_nik_no_dob"),
        (5, None, "AKTIF", "namesake_other_region"),
        (6, NIK[7], "AKTIF", ""),
        (7, None, "NON AKTIF", "nik_substitution"),
        (8, NIK[1], "AKTIF", "name_title,duplicate_row"),
    ]
    pq.write_table(pa.table({"source_file": ["m.xlsx"] * len(rows), "source_row": [r[0] for r in rows],
                             "resident_nik": pa.array([r[1] for r in rows], pa.string()),
                             "status": [r[2] for r in rows], "errors": [r[3] for r in rows]}),
                   truth / "members.parquet")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE source_files AS SELECT 1 AS file_id, 'm.xlsx' AS file_name, 'members' AS role, "
                "NULL::VARCHAR AS sha256")
    con.execute("CREATE TABLE residents (resident_id INTEGER, nik VARCHAR, name_sorted VARCHAR, birth_date DATE)")
    con.executemany("INSERT INTO residents VALUES (?, ?, ?, DATE '1990-01-01')",
                    [[i, NIK[i], f"NAME {i}"] for i in range(1, 8)])
    con.execute("CREATE TABLE tracks (resident_id INTEGER, age_eligible BOOLEAN, works BOOLEAN, is_resident BOOLEAN)")
    con.executemany("INSERT INTO tracks VALUES (?, TRUE, TRUE, ?)", [[i, i != 7] for i in range(1, 8)])
    predicted = {1: "covered", 2: "uncovered", 3: "uncovered", 4: "covered", 5: "lapsed", 6: "uncovered", 7: "covered"}
    con.execute("CREATE TABLE coverage (resident_id INTEGER, coverage_status VARCHAR)")
    con.executemany("INSERT INTO coverage VALUES (?, ?)", [[i, s] for i, s in predicted.items()])
    # Rows 4 (rejected) and 8 (exact copy) never became memberships.
    con.execute("CREATE TABLE memberships (member_id INTEGER, file_id INTEGER, source_row INTEGER, is_active BOOLEAN, "
                "nik VARCHAR, nik15 VARCHAR, nik_prefix VARCHAR, birth_date DATE, nik_birth_date DATE, "
                "name_sorted VARCHAR)")
    con.executemany("INSERT INTO memberships VALUES (?, 1, ?, ?, ?, NULL, NULL, NULL, NULL, ?)",
                    [[102, 2, True, NIK[1], "NAME 1"], [103, 3, True, NIK[2], "NICK"],
                     [105, 5, True, OUTSIDER, "NAME 4"], [106, 6, True, NIK[7], "NAME 7"],
                     [107, 7, False, None, "NAME 5"]])
    # Row 4 carried neither NIK nor birth date nor a full name: nothing any linker could place.
    con.execute("CREATE TABLE rejects AS SELECT 'members' AS role, 1 AS file_id, 4 AS source_row, "
                "'no_identity' AS reason_code")
    con.execute("CREATE TABLE links (member_id INTEGER, resident_id INTEGER, decision VARCHAR)")
    con.executemany("INSERT INTO links VALUES (?, ?, ?)",
                    [[102, 1, "link"], [105, 4, "link"], [106, 7, "link"], [107, 5, "link"], [103, 2, "review"]])
    con.execute("CREATE TABLE candidate_pairs (member_id INTEGER, resident_id INTEGER)")
    con.executemany("INSERT INTO candidate_pairs VALUES (?, ?)", [[102, 1], [105, 4], [106, 7], [107, 5]])
    yield evaluate(con, truth)
    con.close()


def test_list_scores_match_the_hand_count(scored) -> None:
    assert (scored.list_true, scored.list_predicted) == (3, 4)
    assert (scored.covered_wrongly_listed, scored.uncovered_wrongly_hidden) == (2, 1)
    assert scored.list_precision == pytest.approx(0.5)
    assert scored.list_recall == pytest.approx(2 / 3)
    assert scored.list_f1 == pytest.approx(4 / 7)


def test_people_listed_beyond_the_evidence_bound_the_reachable_precision(scored) -> None:
    # R3's only row was rejected for carrying no identity; R2's nickname row had a NIK (resolvable).
    assert scored.listed_beyond_evidence == 1
    assert scored.reachable_precision == pytest.approx(2 / 3)  # 2 right of 4 listed, plus R2 placed


def test_pair_and_blocking_scores_match_the_hand_count(scored) -> None:
    assert (scored.pair_true, scored.pair_predicted, scored.pair_correct) == (4, 4, 2)
    assert scored.pair_precision == pytest.approx(0.5)
    assert scored.pair_recall == pytest.approx(0.5)  # the rejected row is a missed link
    assert scored.blocking_recall == pytest.approx(0.5)  # a review pair is not a link, nor was it blocked


def test_wrongly_listed_and_hidden_are_counted_by_error_family(scored) -> None:
    # family: (rows, missed links, wrong links, never compared, rejected at ingest, wrongly listed, wrongly hidden)
    expected = {
        "dob_missing": (1, 1, 0, 1, 1, 1, 0),  # rejected: missed and never compared
        "duplicate_row": (1, 0, 0, 0, 0, 0, 0),  # an exact copy dropped at ingest is not a loss
        "name_nickname": (1, 1, 0, 1, 0, 1, 0),
        "namesake_other_region": (1, 0, 1, 0, 0, 0, 1),
        "nik_missing": (1, 1, 0, 1, 1, 1, 0),
        "nik_substitution": (1, 0, 1, 0, 0, 0, 0),  # wrong, but an inactive row hides nobody
        "no_nik_no_dob": (1, 1, 0, 1, 1, 1, 0),
        "name_title": (1, 0, 0, 0, 0, 0, 0),  # the copy's own errors: not rejected, not a pair
        "none": (2, 0, 0, 0, 0, 0, 0),
    }
    assert {row[0]: tuple(row[1:]) for row in scored.by_error} == expected


def test_report_shows_the_families(scored) -> None:
    report = format_report("hand-made", scored)
    assert "| namesake_other_region | 1 | 0 | 0 | 1 | 0 | 0 | 1 |" in report
    assert "| covered people wrongly listed (double-enrolment risk) | 2 of 4 listed |" in report


def test_ucj_eval_needs_no_publication_unless_scoring_labels(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.main import main

    missing = tmp_path / "never-published"
    result = CliRunner().invoke(main, ["eval", "--scale", "0.005", "--profiles", "standard", "--publication",
                                       str(missing)])
    assert result.exit_code == 0, result.output
    assert "standard profile" in result.output
    labels = CliRunner().invoke(main, ["eval", "--labels", "--publication", str(missing)])
    assert labels.exit_code != 0 and "no publication found" in str(labels.exception)


def test_the_parts_of_a_province_are_scored_together(tmp_path: Path) -> None:
    # Two parts, each with an export of the same name: its rows are told apart by the file's hash.
    # Part 0's row is linked right; part 1's (same file name, same row number) is not: R2 wrongly listed.
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE source_files (file_id INTEGER, file_name VARCHAR, role VARCHAR, sha256 VARCHAR)")
    for part in (0, 1):
        folder = tmp_path / f"part-00{part}"
        (folder / "truth").mkdir(parents=True)
        (folder / "m.csv").write_text(f"export of part {part}\n", encoding="utf-8")
        digest = hashlib.sha256((folder / "m.csv").read_bytes()).hexdigest()
        con.execute("INSERT INTO source_files VALUES (?, 'm.csv', 'members', ?)", [10 + part, digest])
        pq.write_table(pa.table({"source_row": [2], "nik": [NIK[part + 1]], "true_status": ["covered"]}),
                       folder / "truth" / "residents.parquet")
        pq.write_table(pa.table({"source_file": ["m.csv"], "source_row": [2], "resident_nik": [NIK[part + 1]],
                                 "status": ["AKTIF"], "errors": [""]}), folder / "truth" / "members.parquet")
    con.execute("CREATE TABLE residents AS SELECT * FROM (VALUES (1, ?, 'A', DATE '1990-01-01'), "
                "(2, ?, 'B', DATE '1990-01-01')) t(resident_id, nik, name_sorted, birth_date)", [NIK[1], NIK[2]])
    con.execute("CREATE TABLE tracks AS SELECT resident_id, TRUE AS age_eligible, TRUE AS works, TRUE AS is_resident "
                "FROM residents")
    con.execute("CREATE TABLE coverage AS SELECT * FROM (VALUES (1, 'covered'), (2, 'uncovered')) "
                "t(resident_id, coverage_status)")
    con.execute("CREATE TABLE memberships AS SELECT * FROM (VALUES (100, 10, 2, TRUE, ?), (101, 11, 2, TRUE, ?)) "
                "t(member_id, file_id, source_row, is_active, nik)", [NIK[1], NIK[2]])
    for column in ("nik15 VARCHAR", "nik_prefix VARCHAR", "birth_date DATE", "nik_birth_date DATE",
                   "name_sorted VARCHAR"):
        con.execute(f"ALTER TABLE memberships ADD COLUMN {column}")
    con.execute("CREATE TABLE links AS SELECT 100 AS member_id, 1 AS resident_id, 'link' AS decision")
    con.execute("CREATE TABLE candidate_pairs AS SELECT 100 AS member_id, 1 AS resident_id")
    con.execute("CREATE TABLE rejects (role VARCHAR, file_id INTEGER, source_row INTEGER, reason_code VARCHAR)")
    scores = evaluate(con, tmp_path)
    assert (scores.pair_true, scores.pair_correct, scores.blocking_found) == (2, 1, 1)
    assert (scores.list_predicted, scores.covered_wrongly_listed) == (1, 1)
