"""The report's charts: matplotlib figures as inline SVG text, reproducible byte for byte (fixed
hash salt, no dates, ids made unique per chart), with Indonesian labels in the publication's words
(`wording`: its scheme's name; Kota Madiun's by default)."""

from __future__ import annotations

import io
import re
from typing import Any

from pipeline.decisions.tracks import CANDIDATE_TRACKS, TrackWording
from pipeline.formatting import format_number, format_rupiah_short
from pipeline.published.budget import BudgetScenario, CostCurve

__all__ = ["TRACK_COLORS", "svg", "coverage_chart", "desil_chart", "cost_chart", "region_cost_chart"]

TRACK_COLORS = {"covered": "#2e7d32", "pro_jkk_jkm": "#1565c0", "employer_compliance": "#ef6c00",
           "reactivation": "#8e24aa", "self_enrolment": "#9e9e9e"}
_MADIUN = TrackWording()


def svg(figure: Any, salt: str) -> str:
    """The figure as inline SVG text; the same figure gives the same bytes."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.id": salt, "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight",
                       pad_inches=0.05)
    text = buffer.getvalue()
    text = text[text.index("<svg"):].strip()
    # Ids unique across the page's charts (each chart has its own salt and prefix).
    text = re.sub(r'id="([^"]+)"', lambda m: m.group(0) if m.group(1) == salt else f'id="{salt}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{salt}-\1)", text)
    return re.sub(r'href="#([^"]+)"', rf'href="#{salt}-\1"', text)


def _style() -> dict[str, Any]:
    return {"font.family": "DejaVu Sans", "font.size": 8, "axes.spines.top": False, "axes.spines.right": False,
            "axes.titlesize": 9, "axes.titleweight": "bold", "legend.frameon": False}


def _thousands(value: float, _pos: int | None = None) -> str:
    return format_number(value)


def coverage_chart(kelurahan: list[dict[str, Any]], wording: TrackWording = _MADIUN) -> str:
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    rows = sorted(kelurahan, key=lambda r: (-r["coverage_pct"], r["kelurahan_code"]))
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(7.0, 0.19 * len(rows) + 1.1))
        axes = figure.add_subplot()
        labels = [f"{r['kelurahan']} ({r['kecamatan'][:4]}.)" for r in rows]
        left = [0] * len(rows)
        short = wording.short
        for key, label in (("covered", short["covered"]), *((t, short[t]) for t in CANDIDATE_TRACKS)):
            values = [r[key] for r in rows]
            axes.barh(labels, values, left=left, color=TRACK_COLORS[key], label=label, height=0.72)
            left = [a + b for a, b in zip(left, values, strict=True)]
        for y, (total, row) in enumerate(zip(left, rows, strict=True)):
            axes.text(total, y, f" {format_number(row['coverage_pct'], 1)}%", va="center", fontsize=7)
        axes.set_xlim(0, max(left, default=1) * 1.12 or 1)
        axes.xaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.set_xlabel("Pekerja (terlindungi + sasaran belum terlindungi); angka di ujung batang: cakupan")
        axes.tick_params(axis="y", length=0)
        axes.legend(loc="lower center", bbox_to_anchor=(0.45, 1.0), ncol=3, fontsize=7)
        return svg(figure, "grafik-cakupan-kelurahan")


def desil_chart(by_desil: list[dict[str, Any]], max_desil: int, wording: TrackWording = _MADIUN) -> str:
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    categories = list(range(1, 11))
    has_unknown = any(r["desil"] is None for r in by_desil)
    names = [str(d) for d in categories] + (["?"] if has_unknown else [])
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(7.0, 2.9))
        axes = figure.add_subplot()
        bottom = [0] * len(names)
        for track in CANDIDATE_TRACKS:
            counts = {r["desil"]: r["n"] for r in by_desil if r["track"] == track}
            values = [counts.get(d, 0) for d in categories] + ([counts.get(None, 0)] if has_unknown else [])
            axes.bar(names, values, bottom=bottom, color=TRACK_COLORS[track], label=wording.short[track], width=0.7)
            bottom = [a + b for a, b in zip(bottom, values, strict=True)]
        axes.axvline(max_desil - 0.5, color="#424242", linestyle="--", linewidth=0.8)
        axes.text(max_desil - 0.55, max(bottom, default=0) * 1.02, f"batas {wording.scheme}: desil 1-{max_desil} ",
                  fontsize=7, va="bottom", ha="right")
        axes.set_ylim(0, max(max(bottom, default=0) * 1.1, 1))
        axes.yaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.set_xlabel("Desil kesejahteraan DTSEN (1 = paling miskin; ? = tidak diketahui)")
        axes.set_ylabel("Orang")
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=7)
        return svg(figure, "grafik-jalur-desil")


def cost_chart(curve: CostCurve, scenario: BudgetScenario, wording: TrackWording = _MADIUN) -> str:
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    largest = max(max(curve.cumulative_rp, default=0), scenario.amount_rp)
    billion, unit = (1e9, "miliar") if largest >= 1e9 else (1e6, "juta")
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(7.0, 2.35))
        axes = figure.add_subplot()
        xs, ys = list(curve.ranks), [v / billion for v in curve.cumulative_rp]
        covered = scenario.covered
        inside = [(x, y) for x, y in zip(xs, ys, strict=True) if x <= covered]
        outside = [(x, y) for x, y in zip(xs, ys, strict=True) if x >= covered]
        if inside:
            axes.plot(*zip(*inside, strict=True), color=TRACK_COLORS["pro_jkk_jkm"], linewidth=2,
                      label="Ditanggung APBD")
        if len(outside) > 1:
            axes.plot(*zip(*outside, strict=True), color="#c62828", linewidth=2, label="Sisa: pendanaan CSR")
        axes.axhline(scenario.amount_rp / billion, color="#424242", linestyle="--", linewidth=1,
                     label=f"Anggaran APBD {format_rupiah_short(scenario.amount_rp)}")
        for desil, rank, rp in curve.desil_milestones:
            axes.plot([rank], [rp / billion], marker="o", markersize=3.5, color="#424242")
            axes.annotate(f"desil 1-{desil}" if desil > 1 else "desil 1", (rank, rp / billion),
                          textcoords="offset points", xytext=(4, -8), ha="left", va="top", fontsize=6.5)
        if covered:
            axes.axvline(covered, color=TRACK_COLORS["pro_jkk_jkm"], linestyle=":", linewidth=1)
            axes.annotate(f"{format_number(covered)} orang ", (covered, 0), textcoords="offset points", xytext=(0, 4),
                          ha="right", va="bottom", fontsize=7, color=TRACK_COLORS["pro_jkk_jkm"])
        top = max(max(ys, default=0), scenario.amount_rp / billion) * 1.15 or 1
        axes.set_ylim(0, top)
        axes.set_xlim(0, max(xs[-1] if xs else 0, 1) * 1.02)
        axes.xaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v, 1)))
        axes.set_xlabel(f"Calon {wording.scheme} yang ditanggung, menurut peringkat prioritas (orang)")
        axes.set_ylabel(f"Biaya kumulatif per tahun (Rp {unit})")
        axes.legend(loc="upper left", bbox_to_anchor=(0.0, 0.78), fontsize=7)
        return svg(figure, "grafik-kurva-biaya")


_REGION_COLORS = ("#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457")


def region_cost_chart(regions: list[tuple[BudgetScenario, CostCurve]], wording: TrackWording = _MADIUN) -> str:
    """The cost curves of several kabupaten/kota side by side: each one's cumulative cost over its own
    candidates in rank order, its APBD amount (dashed) and the point its amount reaches; the eight with
    most candidates when there are more."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    shown = sorted(regions, key=lambda r: (-r[0].candidates, r[0].region_code or ""))[:len(_REGION_COLORS)]
    shown.sort(key=lambda r: r[0].region_code or "")
    largest = max([max(c.cumulative_rp, default=0) for _, c in shown] + [s.amount_rp for s, _ in shown] + [0])
    billion, unit = (1e9, "miliar") if largest >= 1e9 else (1e6, "juta")
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(7.0, 2.6))
        axes = figure.add_subplot()
        for (scenario, curve), color in zip(shown, _REGION_COLORS, strict=False):
            axes.plot(list(curve.ranks), [v / billion for v in curve.cumulative_rp], color=color, linewidth=1.8,
                      label=f"{scenario.region_name}: APBD {format_rupiah_short(scenario.amount_rp)}")
            axes.axhline(scenario.amount_rp / billion, color=color, linestyle="--", linewidth=0.8)
            if scenario.covered:
                axes.plot([scenario.covered], [scenario.covered_cost_rp / billion], marker="o", markersize=4,
                          color=color)
        most = max([c.ranks[-1] for _, c in shown] + [1])
        axes.set_ylim(0, largest / billion * 1.15 or 1)
        axes.set_xlim(0, most * 1.02)
        axes.xaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v, 1)))
        more = f" ({len(shown)} dari {len(regions)} kabupaten/kota: calon terbanyak)"
        more = more if len(shown) < len(regions) else ""
        axes.set_xlabel(f"Calon {wording.scheme} kabupaten/kota yang ditanggung, menurut peringkat prioritas (orang)"
                        + more)
        axes.set_ylabel(f"Biaya kumulatif per tahun (Rp {unit})")
        axes.legend(loc="upper left", fontsize=6.5)
        return svg(figure, "grafik-kurva-biaya")


# --- page ---------------------------------------------------------------------------------------
