"""Score a run against generated ground truth (`pipeline.synthetic`).

What matters to the city is the list, not the pairs: a covered worker wrongly listed as uncovered is
a double-enrolment risk; an uncovered worker wrongly hidden is a person who needed help. Both are
counted, with pairwise link quality, blocking recall and a breakdown by the error each membership
row carried. The list is the set of residents in scope (Madiun kelurahan, working age, working
occupation) without an active membership; scope comes from register fields only, so the truth and
the run are compared on the same people.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["Scores", "evaluate", "format_report", "LabelScores", "label_scores", "format_label_report"]


@dataclass(frozen=True)
class Scores:
    list_true: int
    list_predicted: int
    covered_wrongly_listed: int
    uncovered_wrongly_hidden: int
    pair_true: int
    pair_predicted: int
    pair_correct: int
    blocking_found: int
    # Per error family of the membership rows: (error, rows, missed links, wrong links, not blocked,
    # rejected at ingest, covered people wrongly listed, uncovered people wrongly hidden). A wrongly
    # listed person counts under each family their active rows carried; a wrongly hidden person under
    # each family of the active rows wrongly linked to them. A person counts once per family.
    by_error: list[tuple[str, int, int, int, int, int, int, int]]
    # Covered people wrongly listed whose active rows give a linker nothing to tell them apart: each
    # row either rejected for carrying no identity, or without a NIK and with a name (and birth date,
    # when stated) that two or more residents share. No linker can place them from these files; they
    # bound the reachable precision.
    listed_beyond_evidence: int = 0

    @property
    def list_precision(self) -> float:
        return 1 - self.covered_wrongly_listed / self.list_predicted if self.list_predicted else 1.0

    @property
    def list_recall(self) -> float:
        return 1 - self.uncovered_wrongly_hidden / self.list_true if self.list_true else 1.0

    @property
    def list_f1(self) -> float:
        p, r = self.list_precision, self.list_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def pair_precision(self) -> float:
        return self.pair_correct / self.pair_predicted if self.pair_predicted else 1.0

    @property
    def pair_recall(self) -> float:
        return self.pair_correct / self.pair_true if self.pair_true else 1.0

    @property
    def pair_f1(self) -> float:
        p, r = self.pair_precision, self.pair_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def blocking_recall(self) -> float:
        return self.blocking_found / self.pair_true if self.pair_true else 1.0

    def summary(self) -> dict[str, float | int]:
        return {
            "list_precision": round(self.list_precision, 5), "list_recall": round(self.list_recall, 5),
            "list_f1": round(self.list_f1, 5), "covered_wrongly_listed": self.covered_wrongly_listed,
            "uncovered_wrongly_hidden": self.uncovered_wrongly_hidden, "list_true": self.list_true,
            "pair_precision": round(self.pair_precision, 5), "pair_recall": round(self.pair_recall, 5),
            "pair_f1": round(self.pair_f1, 5), "blocking_recall": round(self.blocking_recall, 5),
            "listed_beyond_evidence": self.listed_beyond_evidence,
            "reachable_precision": round(self.reachable_precision, 5),
        }

    @property
    def reachable_precision(self) -> float:
        """List precision had every wrongly listed person been placed but those beyond the evidence."""
        right = self.list_predicted - self.covered_wrongly_listed
        return right / (right + self.listed_beyond_evidence) if right + self.listed_beyond_evidence else 1.0


def _truth_tables(truth_dir: Path) -> tuple[pa.Table, pa.Table]:
    """The truth of one generated folder (`truth_dir` holds members.parquet) or of every part of a
    multi-part one (`truth_dir/part-*/truth`, as `ucj generate --region` writes a province). Each
    membership row gets the SHA-256 of its export when the export lies beside its truth folder, so rows
    of same-named files in different parts are told apart (the warehouse keeps each file's hash)."""
    folders = [truth_dir] if (truth_dir / "members.parquet").exists() else sorted(truth_dir.glob("part-*/truth"))
    if not folders:
        raise FileNotFoundError(f"no members.parquet in {truth_dir} nor in its part-*/truth folders")
    members, residents = [], []
    for folder in folders:
        table = pq.read_table(folder / "members.parquet")
        hashes = {name: hashlib.sha256((folder.parent / name).read_bytes()).hexdigest()
                  for name in set(table["source_file"].to_pylist()) if (folder.parent / name).is_file()}
        members.append(table.append_column("file_sha256", pa.array(
            [hashes.get(name) for name in table["source_file"].to_pylist()], pa.string())))
        residents.append(pq.read_table(folder / "residents.parquet"))
    return pa.concat_tables(members), pa.concat_tables(residents, promote_options="default")


def evaluate(con: duckdb.DuckDBPyConnection, truth_dir: Path, *, predicted_links: str = "engine") -> Scores:
    """Compare the warehouse in `con` with `truth_dir` (residents.parquet, members.parquet, or the
    part-*/truth folders of a multi-part generation).

    `predicted_links` is "engine" (the `links` table) or the name of a table with columns
    (member_id, resident_id) holding another linker's one-to-one links, e.g. Splink's.
    """
    members, residents = _truth_tables(Path(truth_dir))
    con.register("truth_members", members)
    con.register("truth_residents", residents)
    links = ("SELECT member_id, resident_id FROM links WHERE decision = 'link'" if predicted_links == "engine"
             else f"SELECT member_id, resident_id FROM {predicted_links}")
    con.execute("""
    CREATE OR REPLACE TEMP TABLE eval_truth AS
    SELECT tm.errors, tm.resident_nik AS true_nik, tm.status = 'AKTIF' AS active,
        m.member_id, m.is_active, tr.resident_id AS true_resident_id
    FROM truth_members tm
    LEFT JOIN source_files f ON f.role = 'members' AND (f.sha256 = tm.file_sha256
        OR (tm.file_sha256 IS NULL AND f.file_name = tm.source_file))
    LEFT JOIN memberships m ON m.file_id = f.file_id AND m.source_row = tm.source_row
    LEFT JOIN residents tr ON tr.nik = tm.resident_nik
    """)
    # Every truth row, loaded or not: a true pair whose row was rejected at ingest is a missed link
    # that was never compared (so rejecting hard rows cannot raise recall, nor keeping them lower
    # blocking recall). An exact copy dropped at ingest is no true pair: its original is.
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE eval_rows AS
    SELECT t.errors, t.true_nik, t.member_id, t.is_active, t.active, pr.nik AS predicted_nik,
        pr.resident_id AS predicted_resident_id, t.true_resident_id,
        list_contains(string_split(coalesce(t.errors, ''), ','), 'duplicate_row') AS is_copy,
        t.true_resident_id IS NOT NULL AND (t.member_id IS NOT NULL
            OR NOT list_contains(string_split(coalesce(t.errors, ''), ','), 'duplicate_row')) AS true_pair,
        t.member_id IS NOT NULL AND EXISTS (SELECT 1 FROM candidate_pairs c WHERE c.member_id = t.member_id
                AND c.resident_id = t.true_resident_id) AS blocked
    FROM eval_truth t
    LEFT JOIN ({links}) l ON l.member_id = t.member_id
    LEFT JOIN residents pr ON pr.resident_id = l.resident_id
    """)
    pair = con.execute("""SELECT count(*) FILTER (WHERE true_pair),
        count(*) FILTER (WHERE predicted_nik IS NOT NULL),
        count(*) FILTER (WHERE true_pair AND predicted_nik = true_nik),
        count(*) FILTER (WHERE true_pair AND blocked) FROM eval_rows""").fetchall()[0]
    # Truth coverage of each resident, recomputed from truth rows that survived cleaning (a row
    # rejected as a duplicate has its original among the memberships).
    con.execute("""
    CREATE OR REPLACE TEMP TABLE eval_people AS
    SELECT r.resident_id, r.nik, t.age_eligible AND t.works AND t.is_resident AS in_scope,
        coalesce(tr.true_status = 'covered', FALSE) AS truly_covered,
        c.coverage_status = 'covered' AS predicted_covered
    FROM residents r JOIN tracks t USING (resident_id) JOIN coverage c USING (resident_id)
    LEFT JOIN (SELECT DISTINCT ON (nik) nik, true_status FROM truth_residents ORDER BY nik, source_row) tr
      ON tr.nik = r.nik
    """)
    listed = con.execute("""SELECT count(*) FILTER (WHERE in_scope AND NOT truly_covered),
        count(*) FILTER (WHERE in_scope AND NOT predicted_covered),
        count(*) FILTER (WHERE in_scope AND truly_covered AND NOT predicted_covered),
        count(*) FILTER (WHERE in_scope AND NOT truly_covered AND predicted_covered) FROM eval_people""").fetchall()[0]
    beyond = con.execute("""
        WITH rows AS (
            SELECT p.resident_id,
                coalesce(j.reason_code = 'no_identity', FALSE) OR (m.member_id IS NOT NULL
                    AND m.nik IS NULL AND m.nik15 IS NULL AND m.nik_prefix IS NULL
                    AND (SELECT count(*) FROM residents x WHERE x.name_sorted = m.name_sorted
                         AND (m.birth_date IS NULL OR x.birth_date = m.birth_date)) >= 2) AS blind
            FROM eval_people p
            JOIN truth_members tm ON tm.resident_nik = p.nik AND tm.status = 'AKTIF'
            LEFT JOIN source_files f ON f.role = 'members' AND (f.sha256 = tm.file_sha256
        OR (tm.file_sha256 IS NULL AND f.file_name = tm.source_file))
            LEFT JOIN memberships m ON m.file_id = f.file_id AND m.source_row = tm.source_row
            LEFT JOIN rejects j ON j.role = 'members' AND j.file_id = f.file_id AND j.source_row = tm.source_row
            WHERE p.in_scope AND p.truly_covered AND NOT p.predicted_covered
              AND NOT list_contains(string_split(coalesce(tm.errors, ''), ','), 'duplicate_row'))
        SELECT count(*) FROM (SELECT resident_id FROM rows GROUP BY 1 HAVING bool_and(blind))""").fetchall()[0][0]
    by_error = con.execute("""
        WITH fam AS (
            SELECT coalesce(nullif(e, ''), 'none') AS error, *
            FROM (SELECT unnest(string_split(coalesce(errors, ''), ',')) AS e, * FROM eval_rows)),
        loaded AS (
            SELECT coalesce(nullif(e, ''), 'none') AS error, *
            FROM (SELECT unnest(string_split(coalesce(errors, ''), ',')) AS e, * FROM eval_rows
                  WHERE member_id IS NOT NULL)),
        listed AS (  -- covered residents wrongly listed, under the families of their active rows
            SELECT f.error, count(DISTINCT p.resident_id) AS n
            FROM eval_people p JOIN fam f ON f.true_nik = p.nik AND f.active
            WHERE p.in_scope AND p.truly_covered AND NOT p.predicted_covered GROUP BY 1),
        hidden AS (  -- uncovered residents wrongly hidden, under the families of rows wrongly linked to them
            SELECT coalesce(l.error, 'none') AS error, count(DISTINCT p.resident_id) AS n
            FROM eval_people p LEFT JOIN loaded l ON l.predicted_resident_id = p.resident_id
                AND l.is_active AND l.predicted_nik IS DISTINCT FROM l.true_nik
            WHERE p.in_scope AND NOT p.truly_covered AND p.predicted_covered GROUP BY 1),
        rows AS (
            SELECT error, count(*) AS n, count(*) FILTER (WHERE member_id IS NULL AND NOT is_copy) AS rejected
            FROM fam GROUP BY 1),
        links AS (
            SELECT error,
                count(*) FILTER (WHERE true_pair AND predicted_nik IS DISTINCT FROM true_nik) AS missed,
                count(*) FILTER (WHERE predicted_nik IS NOT NULL AND predicted_nik IS DISTINCT FROM true_nik)
                    AS wrong,
                count(*) FILTER (WHERE true_pair AND NOT blocked) AS unblocked
            FROM fam GROUP BY 1)
        SELECT r.error, r.n, coalesce(k.missed, 0), coalesce(k.wrong, 0), coalesce(k.unblocked, 0), r.rejected,
            coalesce(ls.n, 0), coalesce(h.n, 0)
        FROM rows r LEFT JOIN links k USING (error) LEFT JOIN listed ls USING (error) LEFT JOIN hidden h USING (error)
        ORDER BY 1""").fetchall()
    return Scores(list_true=listed[0], list_predicted=listed[1], covered_wrongly_listed=listed[2],
                  uncovered_wrongly_hidden=listed[3], pair_true=pair[0], pair_predicted=pair[1],
                  pair_correct=pair[2], blocking_found=pair[3],
                  by_error=[tuple(row) for row in by_error], listed_beyond_evidence=int(beyond))


def format_report(title: str, scores: Scores, seconds: float | None = None) -> str:
    """A Markdown report of one evaluation."""
    s = scores.summary()
    lines = [f"### {title}", ""]
    if seconds is not None:
        lines += [f"engine wall time: {seconds:.1f} s", ""]
    lines += [
        "| measure | value |", "|---|---|",
        f"| uncovered list: precision | {s['list_precision']:.4f} |",
        f"| uncovered list: recall | {s['list_recall']:.4f} |",
        f"| uncovered list: F1 | {s['list_f1']:.4f} |",
        f"| covered people wrongly listed (double-enrolment risk) | {s['covered_wrongly_listed']:,} of "
        f"{scores.list_predicted:,} listed |",
        f"| uncovered people wrongly hidden | {s['uncovered_wrongly_hidden']:,} of {s['list_true']:,} "
        f"truly uncovered |",
        f"| pairwise links: precision / recall / F1 | {s['pair_precision']:.4f} / {s['pair_recall']:.4f} / "
        f"{s['pair_f1']:.4f} |",
        f"| blocking recall (true pairs ever compared) | {s['blocking_recall']:.5f} |",
        f"| wrongly listed beyond the evidence (no NIK; name and stated birth date shared by residents) | "
        f"{s['listed_beyond_evidence']:,}: list precision reachable {s['reachable_precision']:.4f} |",
        "", "| error family of the membership row | rows | rejected at ingest | missed links | wrong links "
        "| never compared | covered wrongly listed | uncovered wrongly hidden |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {e} | {n:,} | {rejected:,} | {missed:,} | {wrong:,} | {unblocked:,} | {listed:,} | {hidden:,} |"
              for e, n, missed, wrong, unblocked, rejected, listed, hidden in scores.by_error]
    lines += ["", "A person wrongly listed counts under every family their active membership rows carried; a "
              "person wrongly hidden under every family of the rows wrongly linked to them ('none': no such row)."]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class LabelScores:
    """The model against officers' answers (the city's own labelled pairs): a confirmed pair is a match,
    a rejected one is not; the model's decision is what it decided before the answer was applied."""

    confirmed: int
    rejected: int
    true_links: int  # confirmed pairs the model linked
    false_links: int  # rejected pairs the model linked
    confirmed_in_review: int
    rejected_in_review: int

    @property
    def precision(self) -> float:
        linked = self.true_links + self.false_links
        return self.true_links / linked if linked else 1.0

    @property
    def recall(self) -> float:
        return self.true_links / self.confirmed if self.confirmed else 1.0


def label_scores(publication: Path) -> LabelScores:
    """Score the model on the pairs officers settled, from a publication's pairs.parquet."""
    pairs = Path(publication) / "pairs.parquet"
    with duckdb.connect() as con:
        row = con.execute("""
            SELECT count(*) FILTER (WHERE decision = 'link'), count(*) FILTER (WHERE decision <> 'link'),
                count(*) FILTER (WHERE decision = 'link' AND model_decision = 'link'),
                count(*) FILTER (WHERE decision <> 'link' AND model_decision = 'link'),
                count(*) FILTER (WHERE decision = 'link' AND model_decision = 'review'),
                count(*) FILTER (WHERE decision <> 'link' AND model_decision = 'review')
            FROM read_parquet(?) WHERE answer_id IS NOT NULL""", [pairs.as_posix()]).fetchall()[0]
    return LabelScores(*(int(v) for v in row))


def format_label_report(title: str, s: LabelScores) -> str:
    return "\n".join([
        title,
        f"  pairs settled by officers: {s.confirmed:,} confirmed (same person), {s.rejected:,} rejected",
        f"  model precision {s.precision:.4f} (linked {s.true_links + s.false_links:,}, of which rejected "
        f"{s.false_links:,})",
        f"  model recall    {s.recall:.4f} (confirmed {s.confirmed:,}, of which the model linked {s.true_links:,}, "
        f"sent to review {s.confirmed_in_review:,})",
        f"  rejected pairs the model sent to review: {s.rejected_in_review:,}",
    ]) + "\n"
