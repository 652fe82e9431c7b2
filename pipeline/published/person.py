"""Why is a person on the list, or not: everything a publication knows about one resident, from the
source row to the decision (what `ucj explain` prints and the portal shows to auditors).

It reads only the publication's files, never the live warehouse, and looks the NIK up with a bound
parameter. The track and who pays are named in the resident's kabupaten/kota's words (its scheme from the
publication's [cost], "Pemkot"/"Pemkab": `pipeline.decisions.tracks.track_wording`), Kota Madiun's by default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipeline.decisions.tracks import FIELD_FLAGS, TrackWording, track_wording
from pipeline.errors import UcjError
from pipeline.published.budget import publication_cost, publication_regions
from pipeline.published.latest import latest_publication
from pipeline.reference import region_kind, region_title

__all__ = ["PersonExplanation", "explain_person", "resolve_publication", "render_text"]


@dataclass
class PersonExplanation:
    publication: dict[str, Any]
    resident: dict[str, Any]
    pairs: list[dict[str, Any]] = field(default_factory=list)
    candidate: dict[str, Any] | None = None
    wording: TrackWording = field(default_factory=TrackWording)
    """The words of the resident's kabupaten/kota (of the publication's regions for one living elsewhere)."""
    regions_title: str = "Kota Madiun"
    """The publication's regions, as residency is judged: "Kota Madiun", "Kabupaten Madiun dan Kota Madiun"."""
    rank_area: str = "kota"
    """Where `priority_rank` counts: "kota", "kabupaten", or "seluruh wilayah publikasi" for several."""

    def to_dict(self) -> dict[str, Any]:
        return {"publication": self.publication, "resident": self.resident, "pairs": self.pairs,
                "candidate": self.candidate}

    @property
    def track_label(self) -> str:
        return self.wording.labels.get(self.resident["track"], self.resident["track"])

    @property
    def track_short(self) -> str:
        return self.wording.short.get(self.resident["track"], self.resident["track"])

    @property
    def place_kind(self) -> str:
        """"desa" or "kelurahan": what the resident's desa/kelurahan is (where `kelurahan_rank` counts)."""
        code = str(self.resident.get("kelurahan_code") or "")
        return "desa" if len(code) == 10 and code[6] != "1" else "kelurahan"


def _wording(folder: Path, resident: dict[str, Any]) -> tuple[TrackWording, str, str]:
    """The resident's wording, the publication's regions' title and where its ranks count."""
    cost, regions = publication_cost(folder), publication_regions(folder)
    code = resident.get("kelurahan_code")
    wording = track_wording(cost, [code] if resident.get("is_resident") and code else regions)
    kind = region_kind(regions)
    return wording, region_title(regions), "seluruh wilayah publikasi" if kind == "kabupaten/kota" else kind


def resolve_publication(path: Path) -> Path:
    """A publication folder, or a publication root whose `latest` is used."""
    path = Path(path)
    if (path / "manifest.json").is_file():
        return path
    latest = latest_publication(path)
    if latest is None:
        raise UcjError(f"no publication found in {path}", hint="Run the pipeline first, or pass --publication")
    return latest


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    result = con.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def explain_person(publication: Path, nik: str) -> PersonExplanation:
    """Everything about the resident with this NIK in `publication` (a folder or a root)."""
    folder = resolve_publication(publication)
    digits = re.sub(r"[^0-9]", "", nik or "")
    if len(digits) != 16:
        raise UcjError("a NIK has 16 digits", hint="Check the number you typed")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect() as con:
        residents = _rows(con, "SELECT * FROM read_parquet(?) WHERE nik = ?",  # paths bound, never pasted
                          [(folder / "coverage.parquet").as_posix(), digits])
        if not residents:
            raise UcjError(f"this NIK is not among the residents of publication {manifest['publication_id']}",
                           hint="It may have been rejected at ingest: see rejects.parquet, or check the number")
        pairs = _rows(con, "SELECT * FROM read_parquet(?) WHERE resident_nik = ? ORDER BY probability DESC, kpj",
                      [(folder / "pairs.parquet").as_posix(), digits])
        candidates = _rows(con, "SELECT * FROM read_parquet(?) WHERE nik = ?",
                           [(folder / "candidates.parquet").as_posix(), digits])
    publication_info = {key: manifest.get(key) for key in
                        ("publication_id", "reference_date", "code_version", "config_sha256", "started_at")}
    publication_info["path"] = str(folder)
    wording, title, rank_area = _wording(folder, residents[0])
    return PersonExplanation(publication_info, residents[0], pairs, candidates[0] if candidates else None,
                             wording=wording, regions_title=title, rank_area=rank_area)


_ANSWER_WORDS = {
    "pair_same": "pasangan dikonfirmasi (sama orang)", "pair_different": "pasangan ditolak (bukan orang yang sama)",
    "enrolled": "sudah mendaftar", "refused": "menolak", "unreachable": "tidak dapat dihubungi", "moved": "pindah",
    "deceased": "meninggal", "not_working": "tidak bekerja",
}



def render_text(explanation: PersonExplanation) -> str:
    """Plain text for a terminal, in Indonesian."""
    r, pub = explanation.resident, explanation.publication
    yes = {True: "ya", False: "tidak", None: "-"}
    lines = [
        f"Publikasi {pub['publication_id']} (tanggal acuan {pub['reference_date']}, "
        f"kode {(pub['code_version'] or {}).get('commit', '-')}, konfigurasi {str(pub['config_sha256'])[:12]})",
        "",
        f"Penduduk: {r['nama']} | NIK {r['nik']} | lahir {r['birth_date']} | {r['sex']} | usia {r['age']}",
        f"  {r['alamat'] or '-'} RT {r['rt'] or '-'} RW {r['rw'] or '-'}, {r['kelurahan']}, Kec. {r['kecamatan']}",
        f"  pekerjaan {r['occupation'] or 'tidak dikenal'} ({r['occupation_group']}); hubungan {r['shdk'] or '-'}; "
        f"desil {r['desil'] if r['desil'] is not None else '-'}",
        f"  sumber: {r['source_file']} baris {r['source_row']} (sha256 {r['source_sha256'][:12]}…)",
        "",
        f"Kepesertaan: {r['coverage_status']} — {r['coverage_rule']}",
    ]
    if r["kpj"]:
        lines.append(f"  KPJ {r['kpj']} ({r['segment'] or '-'}, {r['membership_status']}, "
                     f"{r['employer'] or 'tanpa pemberi kerja'}), peluang {r['link_probability']:.3f}, "
                     f"aturan {r['link_rule']}")
    lines += ["", f"Keanggotaan yang dibandingkan ({len(explanation.pairs)}):"]
    for p in explanation.pairs:
        lines.append(f"  - KPJ {p['kpj']} [{p['decision']}] {p['member_nama']} lahir {p['member_birth_date']} "
                     f"({p['source_file']} baris {p['source_row']})")
        lines.append(f"    {p['explanation']}")
        if p.get("answer_id") is not None:  # an officer settled this pair (lineage: who, when)
            lines.append(f"    jawaban petugas #{p['answer_id']}: {p['answered_by']}, {p['answered_at']} "
                         f"(model: {p.get('model_decision') or '-'})")
    if not explanation.pairs:
        lines.append("  (tidak ada kepesertaan yang mendekati)")
    lines += [
        "",
        f"Jalur: {explanation.track_short} — {r['track_reason']}",
        f"  domisili [{yes[r['is_resident']]}]: {r.get('resident_reason') or '-'}",
        f"  usia [{yes[r['age_eligible']]}]: {r.get('age_reason') or '-'}",
        f"  pekerjaan [{yes[r['works']]}]: {r.get('work_reason') or '-'}",
        f"  desil [{yes[r['desil_eligible']]}]: {r.get('desil_reason') or '-'}",
    ]
    if r.get("field_answer"):
        attempts = f"; dihubungi {r['field_attempts']} kali" if r.get("field_attempts") else ""
        flag = f"; {FIELD_FLAGS.get(r['field_flag'], r['field_flag'])}" if r.get("field_flag") else ""
        answer = _ANSWER_WORDS.get(r["field_answer"], r["field_answer"])
        lines.append(f"Jawaban petugas #{r['field_answer_id']}: {answer} oleh {r['field_answered_by']}, "
                     f"{r['field_answered_at']}{attempts}{flag}")
    c = explanation.candidate
    if c is not None:
        lines += [
            f"Prioritas: {c['priority_reason']}",
            f"  peringkat {c['priority_rank']} di {explanation.rank_area}, {c['kelurahan_rank']} di "
            f"{explanation.place_kind} (jalur {c['track']}); iuran {explanation.wording.government} "
            f"Rp {c['yearly_cost_rp']:,}/tahun".replace(f"{c['yearly_cost_rp']:,}",
                                                       f"{c['yearly_cost_rp']:,}".replace(",", ".")),
        ]
    else:
        lines.append("Tidak ada di daftar calon.")
    return "\n".join(lines) + "\n"
