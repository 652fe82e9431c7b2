"""The summary report an official reads: one HTML page and a PDF of it, written into a publication.

It answers the mayor's question from the publication's files only (coverage.parquet,
candidates.parquet, config.resolved.json, manifest.json when present): who is covered, who is not and
through which track they can be reached, what Pro JKK-JKM costs, and what an APBD amount buys
(pipeline.published.budget). Aggregates only: no NIK, no names.

A publication of several kabupaten/kota gets one budget scenario per kabupaten/kota (its own rate and
APBD) in a table on the budget page; who pays is named after the regions: "Pemkot" for one kota,
"Pemkab" for one kabupaten, "Pemda" for several, and the scheme after theirs ("Pro JKK-JKM" in Kota
Madiun; `pipeline.decisions.tracks.track_wording`).

Charts are matplotlib figures inlined as SVG text (no pyplot, fixed hash salt and metadata), so the
same publication gives byte-identical HTML; the PDF is WeasyPrint's rendering of that HTML, dated
with the reference date, so it is byte-identical too.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import jinja2
from markupsafe import Markup

from pipeline.config import CostConfig
from pipeline.decisions.tracks import CANDIDATE_TRACKS, OUT_OF_SCOPE_REASONS, track_wording
from pipeline.errors import UcjError
from pipeline.formatting import format_number, format_rupiah, format_rupiah_short, format_tanggal
from pipeline.publish.charts import TRACK_COLORS, cost_chart, coverage_chart, desil_chart, region_cost_chart
from pipeline.published.budget import budget_scenario, cost_curve, cost_curves, dotted_region, publication_regions
from pipeline.reference import region_name, region_title

__all__ = ["write_report", "render_report_html", "ReportError", "REPORT_HTML", "REPORT_PDF"]

log = logging.getLogger(__name__)

REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
_TEMPLATES = Path(__file__).with_name("templates")
_PDF_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"

TRACK_ACTIONS = {
    "pro_jkk_jkm": "Iuran JKK + JKM dibayar {government} (APBD, sisanya CSR); desil 1-{max_desil}, pekerja informal "
                   "atau rentan, termasuk yang kepesertaannya non aktif.",
    "employer_compliance": "Pekerja penerima upah tanpa kepesertaan aktif: dirujuk ke tim kepatuhan BPJS "
                           "Ketenagakerjaan, dikelompokkan per pemberi kerja bila datanya ada.",
    "reactivation": "Kepesertaan NON AKTIF, desil di atas batas: dihubungi agar mengaktifkan kembali.",
    "self_enrolment": "Pekerja informal desil di atas batas, belum pernah terdaftar: diajak mendaftar "
                      "mandiri sebagai peserta BPU.",
}
class ReportError(UcjError):
    """The report could not be written (missing publication files, PDF engine not installed)."""


@dataclass(frozen=True)
class _Publication:
    folder: Path
    publication_id: str
    reference_date: date | None
    eligibility: dict[str, Any]


def _long_date(value: date | None) -> str:
    return format_tanggal(value) if value else "tidak diketahui"


def _percent(part: int, whole: int) -> str:
    return format_number(100 * part / whole, 1) + "%" if whole else "-"


def _read_publication(folder: Path, publication_id: str | None, reference_date: date | None) -> _Publication:
    manifest: dict[str, Any] = {}
    if (folder / "manifest.json").is_file():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    config: dict[str, Any] = {}
    if (folder / "config.resolved.json").is_file():
        config = json.loads((folder / "config.resolved.json").read_text(encoding="utf-8"))
    eligibility = config.get("eligibility", {})
    if reference_date is None:
        text = manifest.get("reference_date") or eligibility.get("reference_date")
        reference_date = date.fromisoformat(text) if text else None
    if publication_id is None:
        publication_id = manifest.get("publication_id") or folder.name.removeprefix(".staging-")
    for name in ("coverage.parquet", "candidates.parquet"):
        if not (folder / name).is_file():
            raise ReportError(f"{folder / name} not found", hint="Write the report into a complete publication")
    return _Publication(folder, publication_id, reference_date, eligibility)


# A table and chart of one row per desa/kelurahan while it fits a page; above that, per kecamatan
# (one kabupaten/kota: Kabupaten Madiun has 206 desa/kelurahan in 15 kecamatan), else per kabupaten/kota.
_MAX_ROWS = 60
_LEVELS = {10: ("Desa/Kelurahan", "Kecamatan"), 6: ("Kecamatan", "Kabupaten/Kota"), 4: ("Kabupaten/Kota", "Provinsi")}


def _by_area(rows: list[dict[str, Any]], budget: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """Rows per desa/kelurahan summed to the level the report shows: (code length, rows with budget)."""
    digits = 10 if len(rows) <= _MAX_ROWS else 6 if len({r["kelurahan_code"][:4] for r in rows}) == 1 else 4
    if digits == 10:
        return 10, [{**r, "budget": budget[r["kelurahan_code"]]} for r in rows if r["kelurahan_code"] in budget]
    grouped: dict[str, dict[str, Any]] = {}
    sums = ("residents", "covered", "lapsed", "uncovered", "candidates", *CANDIDATE_TRACKS)
    for row in rows:
        code = row["kelurahan_code"][:digits]
        area = grouped.setdefault(code, {
            "kelurahan_code": code, "kelurahan": region_name(code),
            "kecamatan": region_name(code[:4] if digits == 6 else code[:2]), **dict.fromkeys(sums, 0),
            "budget": {"covered": 0, "remaining": 0, "remaining_cost_rp": 0}})
        for key in sums:
            area[key] += row[key]
        part = budget.get(row["kelurahan_code"])
        if part is not None:
            for key in area["budget"]:
                area["budget"][key] += getattr(part, key)
    for area in grouped.values():
        whole = area["covered"] + area["candidates"]
        area["coverage_pct"] = 100 * area["covered"] / whole if whole else 0.0
    return digits, [grouped[c] for c in sorted(grouped)]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    result = con.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _gather(pub: _Publication) -> dict[str, Any]:
    coverage = (pub.folder / "coverage.parquet").as_posix()
    candidates = (pub.folder / "candidates.parquet").as_posix()
    track_counts = ", ".join(f"count(*) FILTER (WHERE track = '{t}') AS {t}" for t in CANDIDATE_TRACKS)
    with duckdb.connect() as con:
        columns = {row[0] for row in con.execute("DESCRIBE SELECT * FROM read_parquet($p)", {"p": coverage}).fetchall()}
        status = dict(con.execute("SELECT coverage_status, count(*) FROM read_parquet($p) GROUP BY 1",
                                  {"p": coverage}).fetchall())
        tracks = dict(con.execute("SELECT track, count(*) FROM read_parquet($p) GROUP BY 1",
                                  {"p": coverage}).fetchall())
        kelurahan = _rows(con, f"""
            SELECT kelurahan_code, kelurahan, kecamatan, count(*) AS residents,
                count(*) FILTER (WHERE coverage_status = 'covered') AS covered,
                count(*) FILTER (WHERE coverage_status = 'lapsed') AS lapsed,
                count(*) FILTER (WHERE coverage_status = 'uncovered') AS uncovered, {track_counts}
            FROM read_parquet($p) GROUP BY ALL ORDER BY kelurahan_code""", {"p": coverage})
        by_desil = _rows(con, """SELECT track, desil, count(*) AS n FROM read_parquet($p)
                                 GROUP BY ALL ORDER BY track, desil NULLS LAST""", {"p": candidates})
        employers = _rows(con, """
            SELECT previous_employer AS employer, previous_npp AS npp, count(*) AS workers
            FROM read_parquet($p)
            WHERE track = 'employer_compliance' AND (previous_npp IS NOT NULL OR previous_employer IS NOT NULL)
            GROUP BY ALL ORDER BY workers DESC, npp, employer LIMIT 10""", {"p": candidates})
        employer_known = con.execute("""
            SELECT count(*) FILTER (WHERE previous_npp IS NOT NULL OR previous_employer IS NOT NULL),
                count(DISTINCT coalesce(previous_npp, previous_employer))
            FROM read_parquet($p) WHERE track = 'employer_compliance'""", {"p": candidates}).fetchall()[0]
        out_of_scope: list[tuple[str, int]] = []
        if "out_of_scope_reason" in columns:
            counts = dict(con.execute("""SELECT out_of_scope_reason, count(*) FROM read_parquet($p)
                                         WHERE track = 'out_of_scope' GROUP BY 1""", {"p": coverage}).fetchall())
            out_of_scope = [(code, int(counts[code])) for code in OUT_OF_SCOPE_REASONS if counts.get(code)]
        field_work = _field_work(con, coverage) if "field_answer" in columns else None
    for row in kelurahan:
        row["candidates"] = sum(row[t] for t in CANDIDATE_TRACKS)
        row["coverage_pct"] = 100 * row["covered"] / (row["covered"] + row["candidates"]) \
            if row["covered"] + row["candidates"] else 0.0
    return {"status": {k: int(v) for k, v in status.items()}, "tracks": {k: int(v) for k, v in tracks.items()},
            "kelurahan": kelurahan, "by_desil": by_desil, "employers": employers,
            "employer_known": (int(employer_known[0]), int(employer_known[1])), "out_of_scope": out_of_scope,
            "field_work": field_work}


_FIELD_ROWS = 60  # desa/kelurahan listed on the field-work page, most answers first


def _field_work(con: duckdb.DuckDBPyConnection, coverage: str) -> dict[str, Any]:
    """Officers' answers the publication applied (coverage.parquet's field_* columns), per desa/kelurahan:
    answers, enrolments reported (and what the export said), people settled out of the list, attempts,
    and the share of people with a pair to verify whose pair an officer settled."""
    rows = _rows(con, f"""
        SELECT kelurahan_code, kelurahan, count(field_answer) AS answers,
            count(*) FILTER (WHERE field_answer = 'enrolled') AS enrolled,
            count(*) FILTER (WHERE field_flag = 'enrolment_confirmed') AS confirmed,
            count(*) FILTER (WHERE field_flag IN ('enrolment_contradicted', 'enrolment_unconfirmed')) AS flagged,
            count(*) FILTER (WHERE field_answer IN ('moved', 'deceased', 'not_working')) AS left_scope,
            coalesce(sum(field_attempts) FILTER (WHERE field_answer IN ('refused', 'unreachable')), 0) AS attempts,
            count(*) FILTER (WHERE field_answer IN ('pair_same', 'pair_different')) AS pairs_settled,
            count(*) FILTER (WHERE review_pending) AS pairs_pending
        FROM read_parquet($p) GROUP BY ALL
        HAVING count(field_answer) > 0 OR count(*) FILTER (WHERE review_pending) > 0
        ORDER BY answers DESC, kelurahan_code LIMIT {_FIELD_ROWS + 1}""", {"p": coverage})
    totals = _rows(con, """
        SELECT count(field_answer) AS answers, count(*) FILTER (WHERE field_answer = 'enrolled') AS enrolled,
            count(*) FILTER (WHERE field_flag = 'enrolment_confirmed') AS confirmed,
            count(*) FILTER (WHERE field_answer IN ('pair_same', 'pair_different')) AS pairs_settled,
            count(*) FILTER (WHERE review_pending) AS pairs_pending
        FROM read_parquet($p)""", {"p": coverage})[0]
    to_verify = totals["pairs_settled"] + totals["pairs_pending"]
    return {"rows": rows[:_FIELD_ROWS], "more": len(rows) > _FIELD_ROWS, **totals,
            "settled_share": _percent(totals["pairs_settled"], to_verify)}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["angka"] = format_number
    env.filters["rp"] = format_rupiah
    env.filters["rp_singkat"] = format_rupiah_short
    env.filters["kode"] = dotted_region
    return env


def render_report_html(publication_dir: Path, *, cost: CostConfig, amount_rp: int | None = None,
                       publication_id: str | None = None, reference_date: date | None = None) -> str:
    """The report page for a publication folder, as HTML text (deterministic). The budget scenario is
    each kabupaten/kota's `apbd_budget_rp`, or `amount_rp` for each of them when given."""
    pub = _read_publication(Path(publication_dir), publication_id, reference_date)
    data = _gather(pub)
    scenario = budget_scenario(pub.folder, amount_rp=amount_rp, cost=cost)
    regions = publication_regions(pub.folder)
    wording = track_wording(cost, regions)
    if scenario.several_regions:
        curves = cost_curves(pub.folder, cost=cost)
        chart = region_cost_chart([(s, curves[s.region_code or ""]) for s in scenario.regions], wording)
    else:
        chart = cost_chart(cost_curve(pub.folder, cost=cost), scenario, wording)
    status, tracks = data["status"], data["tracks"]
    candidates = sum(tracks.get(t, 0) for t in CANDIDATE_TRACKS)
    covered = status.get("covered", 0)
    max_desil = int(pub.eligibility.get("pro_jkk_jkm_max_desil", 5))
    rules = {"min_age": pub.eligibility.get("min_age", 18), "max_age": pub.eligibility.get("max_age", 65),
             "max_desil": max_desil}
    kelurahan_budget = {k.code: k for k in scenario.kelurahan}
    government, labels = wording.government, wording.labels
    digits, areas = _by_area(data["kelurahan"], kelurahan_budget)
    context = {
        "region_title": region_title(regions),
        "government": government,
        "scheme": wording.scheme,
        "region_budgets": scenario.regions if scenario.several_regions else (),
        "amount_each": amount_rp if scenario.several_regions else None,
        "formula_rate": scenario.monthly_rp == CostConfig().bpu_monthly_rp,
        "area_label": _LEVELS[digits][0],
        "parent_label": _LEVELS[digits][1],
        "publication_id": pub.publication_id,
        "reference_date": _long_date(pub.reference_date),
        "reference_iso": pub.reference_date.isoformat() if pub.reference_date else "",
        "rules": rules,
        "residents": sum(status.values()),
        "status": {k: status.get(k, 0) for k in ("covered", "lapsed", "other_scheme", "uncovered")},
        "candidates": candidates,
        "coverage_pct": _percent(covered, covered + candidates),
        "tracks": [{"key": t, "label": labels[t],
                    "action": TRACK_ACTIONS[t].format(max_desil=max_desil, government=government),
                    "count": tracks.get(t, 0), "color": TRACK_COLORS[t],
                    "cost": scenario.total_cost_rp if t == "pro_jkk_jkm" else None} for t in CANDIDATE_TRACKS],
        "out_of_scope_total": tracks.get("out_of_scope", 0),
        "out_of_scope": [(_scope_label(code, rules), n) for code, n in data["out_of_scope"]],
        "kelurahan": [{**row, "coverage": format_number(row["coverage_pct"], 1) + "%"} for row in areas],
        "by_desil": _desil_table(data["by_desil"]),
        "employers": data["employers"],
        "employer_known": data["employer_known"],
        "employer_track_count": tracks.get("employer_compliance", 0),
        "field_work": data["field_work"],
        "scenario": scenario,
        "charts": {
            "coverage": Markup(coverage_chart(areas, wording)),
            "desil": Markup(desil_chart(data["by_desil"], max_desil, wording)),
            "cost": Markup(chart),
        },
    }
    return _environment().get_template("report.html.j2").render(context)


def _scope_label(code: str, rules: dict[str, Any]) -> str:
    if code == "under_age":
        return f"usia di bawah {rules['min_age']} tahun"
    if code == "over_age":
        return f"usia di atas {rules['max_age']} tahun"
    return OUT_OF_SCOPE_REASONS[code]


def _desil_table(by_desil: list[dict[str, Any]]) -> list[dict[str, Any]]:
    desils = sorted({r["desil"] for r in by_desil}, key=lambda d: (d is None, d or 0))
    table = []
    for d in desils:
        counts = {r["track"]: r["n"] for r in by_desil if r["desil"] == d}
        table.append({"desil": "tidak diketahui" if d is None else str(d),
                      "counts": [counts.get(t, 0) for t in CANDIDATE_TRACKS], "total": sum(counts.values())})
    return table


def _write_pdf(html: str, base_url: Path, target: Path) -> None:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries are missing
        raise ReportError(f"cannot load WeasyPrint to write {target.name}: {exc}",
                          hint=f"Install the Debian packages {_PDF_PACKAGES} (apt-get install {_PDF_PACKAGES}) "
                               "and `pip install -e .`") from exc
    # WeasyPrint warns about SVG attributes it ignores (text-anchor); they change nothing on the page.
    # fontTools logs every table it reads at DEBUG (185 lines in a run's terminal when a caller, such as
    # Dagster, lets DEBUG through).
    quiet = {name: logging.getLogger(name) for name in ("weasyprint", "fontTools")}
    levels = {name: logger.level for name, logger in quiet.items()}
    quiet["weasyprint"].setLevel(logging.ERROR)
    quiet["fontTools"].setLevel(logging.WARNING)
    # fontTools stamps each embedded font subset with the time it was made unless SOURCE_DATE_EPOCH is
    # set (the reproducible-builds convention): fixed, so the same page gives the same bytes.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        weasyprint.HTML(string=html, base_url=str(base_url)).write_pdf(target)
    finally:
        for name, logger in quiet.items():
            logger.setLevel(levels[name])
        if epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = epoch


def write_report(publication_dir: Path, *, cost: CostConfig, amount_rp: int | None = None,
                 publication_id: str | None = None, reference_date: date | None = None,
                 out_dir: Path | None = None) -> tuple[Path, Path]:
    """Write `report.html` and `report.pdf` for the publication in `publication_dir` (into `out_dir`,
    default the publication folder itself); return both paths.

    `publication_id` and `reference_date` default to the publication's manifest.json and
    config.resolved.json (pass them when writing into a staging folder before the manifest exists).
    """
    folder = Path(publication_dir)
    target = Path(out_dir) if out_dir is not None else folder
    target.mkdir(parents=True, exist_ok=True)
    html = render_report_html(folder, amount_rp=amount_rp, cost=cost, publication_id=publication_id,
                              reference_date=reference_date)
    html_path, pdf_path = target / REPORT_HTML, target / REPORT_PDF
    html_path.write_text(html, encoding="utf-8")
    _write_pdf(html, target, pdf_path)
    log.info("report written (%d bytes HTML, %d bytes PDF)", html_path.stat().st_size, pdf_path.stat().st_size)
    return html_path, pdf_path
