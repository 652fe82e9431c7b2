"""The candidate list of one scope: filter, count, page and export rows.

Queries run in a fresh in-memory DuckDB that may read nothing but the publication's
`candidates.parquet` (external access off, configuration locked); every value from a request is a
bound parameter. NIKs leave this module masked unless the user's account allows full NIK.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from pipeline.decisions.tracks import CANDIDATE_TRACKS
from pipeline.privacy import mask_digit_runs, mask_nik, nik_digits
from portal.publications import PublicationInfo, sandboxed_views
from portal.scope import Scope

__all__ = ["CandidateFilter", "CandidateRow", "FilterError", "count", "page", "export_rows", "rt_rw_options",
           "normalise_rt_rw"]


_TRACK_ORDER = "CASE track " + " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(CANDIDATE_TRACKS)) + " END"
_ORDER = f"ORDER BY kelurahan_code, {_TRACK_ORDER}, kelurahan_rank, nik"
_DIGITS = re.compile(r"^\d+$")
_MAX_SEARCH = 60


class FilterError(ValueError):
    """A filter value that is not one of the allowed ones (answered as 400)."""


def normalise_rt_rw(value: str | None) -> str | None:
    """Examples:

    >>> normalise_rt_rw("1"), normalise_rt_rw(" 012 "), normalise_rt_rw("")
    ('001', '012', None)
    """
    value = (value or "").strip()
    if not value:
        return None
    if not _DIGITS.match(value) or len(value) > 3:
        raise FilterError("RT/RW has at most 3 digits")
    return value.zfill(3)


@dataclass(frozen=True)
class CandidateFilter:
    track: str | None = None
    desil: int | None = None
    rt: str | None = None
    rw: str | None = None
    search: str | None = None

    @classmethod
    def parse(cls, *, track: str | None, desil: str | None, rt: str | None, rw: str | None,
              search: str | None) -> CandidateFilter:
        track = (track or "").strip() or None
        if track is not None and track not in CANDIDATE_TRACKS:
            raise FilterError("unknown track")
        desil_value = None
        if (desil or "").strip():
            if not _DIGITS.match(desil.strip()) or not 1 <= int(desil) <= 10:
                raise FilterError("desil is 1-10")
            desil_value = int(desil)
        search = " ".join((search or "").split())[:_MAX_SEARCH] or None
        return cls(track, desil_value, normalise_rt_rw(rt), normalise_rt_rw(rw), search)

    def for_audit(self) -> dict[str, Any]:
        """The filter as recorded in the audit log: a NIK typed as search, in any form (spaces, dots,
        dashes between the digits), is recorded as its region digits only."""
        values = {k: v for k, v in asdict(self).items() if v is not None}
        if self.search:
            values["search"] = mask_digit_runs(self.search)
        return values

    def query_args(self) -> dict[str, str]:
        """The filter as URL query parameters (for page links and download links)."""
        names = {"track": "jalur", "desil": "desil", "rt": "rt", "rw": "rw", "search": "cari"}
        return {names[k]: str(v) for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class CandidateRow:
    """One candidate as shown on screen; `nik` is masked unless the account allows full NIK."""

    kelurahan: str
    kelurahan_rank: int
    track: str
    track_label: str
    track_short: str
    nik: str
    nama: str
    sex: str | None
    age: int | None
    alamat: str | None
    rt: str | None
    rw: str | None
    occupation: str | None
    desil: int | None
    coverage_status: str
    priority_score: float | None
    priority_reason: str | None
    review_pending: bool


def _connect(publication: PublicationInfo) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    return sandboxed_views({"candidates": publication.candidates})


def _where(scope: Scope, f: CandidateFilter, visible: int) -> tuple[str, list[Any]]:
    clauses, params = ["list_contains(?, kelurahan_code)"], [list(scope.codes)]
    if f.track:
        clauses.append("track = ?")
        params.append(f.track)
    if f.desil is not None:
        clauses.append("desil = ?")
        params.append(f.desil)
    if f.rt:
        clauses.append("rt = ?")
        params.append(f.rt)
    if f.rw:
        clauses.append("rw = ?")
        params.append(f.rw)
    if f.search:
        digits = nik_digits(f.search)  # `3577 0106 ...`, `3577.0106...`: a NIK as people type it
        if digits is not None:
            # without full-NIK rights a search cannot probe the hidden digits
            clauses.append("starts_with(nik, ?)")
            params.append(digits if scope.full_nik else digits[:visible])
        else:
            clauses.append("contains(lower(nama), lower(?))")
            params.append(f.search)
    return " WHERE " + " AND ".join(clauses), params


def count(publication: PublicationInfo, scope: Scope, f: CandidateFilter) -> int:
    where, params = _where(scope, f, publication.nik_visible_digits)
    with _connect(publication) as con:
        return int(con.execute(f"SELECT count(*) FROM candidates{where}", params).fetchall()[0][0])


def page(publication: PublicationInfo, scope: Scope, f: CandidateFilter, number: int, size: int) -> list[CandidateRow]:
    """Rows of page `number` (from 1), tracks named in the scope's words (`PublicationInfo.wording`)."""
    visible = publication.nik_visible_digits
    wording = publication.wording(scope.codes)
    labels, short = wording.labels, wording.short
    where, params = _where(scope, f, visible)
    sql = (f"SELECT kelurahan, kelurahan_rank, track, nik, nama, sex, age, alamat, rt, rw, occupation, desil, "
           f"coverage_status, priority_score, priority_reason, review_pending FROM candidates{where} {_ORDER} "
           "LIMIT ? OFFSET ?")
    with _connect(publication) as con:
        rows = con.execute(sql, [*params, size, (max(number, 1) - 1) * size]).fetchall()
    return [CandidateRow(kelurahan=r[0], kelurahan_rank=r[1], track=r[2], track_label=labels.get(r[2], r[2]),
                         track_short=short.get(r[2], r[2]),
                         nik=r[3] if scope.full_nik else mask_nik(r[3], visible), nama=r[4], sex=r[5], age=r[6],
                         alamat=r[7], rt=r[8], rw=r[9], occupation=r[10], desil=r[11],
                         coverage_status="Non aktif" if r[12] == "lapsed" else "Belum terdaftar",
                         priority_score=float(r[13]) if r[13] is not None else None, priority_reason=r[14],
                         review_pending=bool(r[15])) for r in rows]


def export_rows(publication: PublicationInfo, scope: Scope, f: CandidateFilter,
                expressions: list[str]) -> list[tuple[Any, ...]]:
    """Every row of the filtered scope, one value per expression over candidates.parquet columns,
    in the officer workbooks' order. The caller masks the NIK column."""
    where, params = _where(scope, f, publication.nik_visible_digits)
    with _connect(publication) as con:
        return con.execute(f"SELECT {', '.join(expressions)} FROM candidates{where} {_ORDER}", params).fetchall()


def rt_rw_options(publication: PublicationInfo, scope: Scope) -> tuple[list[str], list[str]]:
    """The RT and RW values present in the scope (for the filter lists)."""
    where, params = _where(scope, CandidateFilter(), publication.nik_visible_digits)
    with _connect(publication) as con:
        rts = [r[0] for r in con.execute(f"SELECT DISTINCT rt FROM candidates{where} AND rt IS NOT NULL ORDER BY 1",
                                         params).fetchall()]
        rws = [r[0] for r in con.execute(f"SELECT DISTINCT rw FROM candidates{where} AND rw IS NOT NULL ORDER BY 1",
                                         params).fetchall()]
    return rts, rws
