"""Kerja lapangan: officers settle the pairs marked "perlu verifikasi" and record the outcome of
outreach for any candidate of their own area (portal/answers.py keeps the answers).

A person is addressed by a keyed reference (HMAC of the NIK with the portal's secret), never by the
NIK, so no NIK reaches a URL or a form. A reference resolves only among the candidates of the
publication within the user's area: anyone else's person is "not found" (404), exactly like a
reference that does not exist. Only kelurahan and kecamatan officers answer; auditors read.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from contextlib import AbstractContextManager
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from pipeline.privacy import mask_nik
from portal import answers as store
from portal import audit
from portal.db import stored_secret
from portal.deps import ClientIp, CsrfSession, DbDep, ListUser, PublicationDep, ScopeDep, SettingsDep
from portal.publications import PublicationInfo, find, sandboxed_views
from portal.scope import KELURAHAN_NAMES, Scope
from portal.users import User
from portal.web import render

router = APIRouter()

_COLUMNS = ("nik, nama, sex, birth_date, age, alamat, rt, rw, kelurahan_code, kelurahan, track, track_reason, "
            "kelurahan_rank, verify_kpj")


def _officer(user: ListUser) -> User:
    if user.role not in ("kelurahan", "kecamatan"):
        raise HTTPException(status_code=403)
    return user


Officer = Annotated[User, Depends(_officer)]


def _secret(settings: SettingsDep, db: DbDep) -> str:
    return settings.secret or stored_secret(db)


SecretDep = Annotated[str, Depends(_secret)]


def person_ref(secret: str, nik: str) -> str:
    """The keyed reference of a person in URLs and forms (same in every publication)."""
    return hmac.new(secret.encode(), b"person:" + nik.encode(), hashlib.sha256).hexdigest()[:24]


def _connect(publication: PublicationInfo) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB that may read only this publication's candidates and pairs."""
    return sandboxed_views({"candidates": publication.candidates, "pairs": publication.folder / "pairs.parquet"})


def _dicts(result: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _verify_kpjs(row: dict[str, Any]) -> list[str]:
    return [k.strip() for k in (row.get("verify_kpj") or "").split(",") if k.strip()]


def _find_person(publication: PublicationInfo, codes: tuple[str, ...], ref: str,
                 secret: str) -> dict[str, Any] | None:
    """The candidate of `publication` within `codes` whose reference is `ref`."""
    if len(ref) != 24 or any(c not in "0123456789abcdef" for c in ref):
        return None
    with _connect(publication) as con:
        rows = _dicts(con.execute(f"SELECT {_COLUMNS} FROM candidates WHERE list_contains(?, kelurahan_code)",
                                  [list(codes)]))
    return next((r for r in rows if hmac.compare_digest(person_ref(secret, r["nik"]), ref)), None)


def _publication(settings: SettingsDep, latest: PublicationInfo, requested: str | None) -> PublicationInfo:
    """The publication an answer is made on: the one the page was shown from (still retained), else latest."""
    if not requested or requested == latest.publication_id:
        return latest
    found = find(settings.publications, requested)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _masked(nik: str | None, scope_full: bool, visible: int) -> str:
    if not nik:
        return "-"
    return nik if scope_full else mask_nik(nik, visible)


@router.get("/lapangan")
def field_list(request: Request, user: ListUser, scope: ScopeDep, publication: PublicationDep, settings: SettingsDep,
               db: DbDep, secret: SecretDep, ip: ClientIp,
               halaman: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """Candidates of the area, those with a pair to verify first, with their latest answers."""
    where = "WHERE list_contains(?, kelurahan_code)"
    with _connect(publication) as con:
        total = int(con.execute(f"SELECT count(*) FROM candidates {where}", [list(scope.codes)]).fetchall()[0][0])
        to_verify = int(con.execute(f"SELECT count(*) FROM candidates {where} AND verify_kpj IS NOT NULL",
                                    [list(scope.codes)]).fetchall()[0][0])
        pages = max(math.ceil(total / settings.page_size), 1)
        number = min(halaman, pages)
        rows = _dicts(con.execute(
            f"SELECT {_COLUMNS} FROM candidates {where} ORDER BY verify_kpj IS NULL, kelurahan_code, track, "
            "kelurahan_rank, nik LIMIT ? OFFSET ?", [list(scope.codes), settings.page_size,
                                                     (number - 1) * settings.page_size]))
    latest = store.latest_answers(db, [r["nik"] for r in rows])
    # a list of people, like the candidate list: recorded in the audit log
    audit.record(db, actor=user.username, role=user.role, action="view_list", publication_id=publication.publication_id,
                 detail={"kelurahan": list(scope.codes) if len(scope.codes) < len(scope.allowed) else "semua",
                         "filter": {"halaman": "kerja lapangan"}, "page": number},
                 row_count=len(rows), client_ip=ip)
    visible = publication.nik_visible_digits
    labels = publication.wording(scope.codes).labels
    people = [{**r, "ref": person_ref(secret, r["nik"]), "nik": _masked(r["nik"], scope.full_nik, visible),
               "track_label": labels.get(r["track"], r["track"]), "kpjs": _verify_kpjs(r),
               "answers": latest.get(r["nik"], [])} for r in rows]
    return render(request, "fieldwork.html", {
        "publication": publication, "scope": scope, "people": people, "total": total, "to_verify": to_verify,
        "page": number, "pages": pages, "kelurahan_options": [(c, KELURAHAN_NAMES[c]) for c in scope.allowed],
        "can_answer": user.role in ("kelurahan", "kecamatan"),
    })


def _track_label(publication: PublicationInfo, person: dict[str, Any]) -> str:
    """The person's track in the words of their own kabupaten/kota."""
    code = person.get("kelurahan_code")
    return publication.wording([code] if code else None).labels.get(person["track"], person["track"])


def _person_context(request: Request, scope: Scope, publication: PublicationInfo, person: dict[str, Any],
                    db: Any, secret: str, message: str | None = None, saved: bool = False) -> dict[str, Any]:
    visible = publication.nik_visible_digits
    kpjs = _verify_kpjs(person)
    with _connect(publication) as con:
        pairs = _dicts(con.execute(
            "SELECT kpj, decision, probability, member_nama, member_birth_date, member_nik, membership_status, "
            "segment, employer, explanation FROM pairs WHERE resident_nik = ? AND list_contains(?, kpj) "
            "ORDER BY probability DESC, kpj", [person["nik"], kpjs or [""]]))
    history = store.answers_about(db, person["nik"])
    current_ids = {a.id for a in store.latest_answers(db, [person["nik"]]).get(person["nik"], [])}
    return {
        "publication": publication, "scope": scope, "ref": person_ref(secret, person["nik"]),
        "person": {**person, "nik": _masked(person["nik"], scope.full_nik, visible),
                   "track_label": _track_label(publication, person)},
        "pairs": [{**p, "member_nik": _masked(p["member_nik"], scope.full_nik, visible)} for p in pairs],
        "history": history, "current_ids": current_ids, "pair_answers": store.PAIR_ANSWERS,
        "outcomes": store.OUTCOMES, "message": message, "saved": saved, "note_max": store.NOTE_MAX,
        "can_answer": scope.user.role in ("kelurahan", "kecamatan"),
    }


@router.get("/lapangan/orang/{ref}")
def person_page(request: Request, ref: str, user: ListUser, scope: ScopeDep, latest: PublicationDep,
                settings: SettingsDep, db: DbDep, secret: SecretDep, ip: ClientIp,
                publikasi: Annotated[str | None, Query(max_length=130)] = None,
                tersimpan: Annotated[int, Query(ge=0, le=1)] = 0) -> Response:
    publication = _publication(settings, latest, publikasi)
    person = _find_person(publication, scope.allowed, ref, secret)
    if person is None:
        raise HTTPException(status_code=404)
    audit.record(db, actor=user.username, role=user.role, action="view_list", publication_id=publication.publication_id,
                 detail={"kelurahan": [person["kelurahan_code"]], "nik": mask_nik(person["nik"]),
                         "filter": {"halaman": "kerja lapangan, satu orang"}}, row_count=1, client_ip=ip)
    return render(request, "field_person.html",
                  _person_context(request, scope, publication, person, db, secret, saved=bool(tersimpan)))


def _saved(ref: str, publication: PublicationInfo, latest: PublicationInfo) -> Response:
    query = "" if publication.publication_id == latest.publication_id else f"publikasi={publication.publication_id}&"
    return RedirectResponse(f"/lapangan/orang/{ref}?{query}tersimpan=1", status_code=303)


@router.post("/lapangan/orang/{ref}/pasangan")
def answer_pair(request: Request, ref: str, user: Officer, session: CsrfSession, scope: ScopeDep,
                latest: PublicationDep, settings: SettingsDep, db: DbDep, secret: SecretDep,
                kpj: Annotated[str, Form(max_length=40)] = "", jawaban: Annotated[str, Form(max_length=20)] = "",
                publikasi: Annotated[str, Form(max_length=130)] = "",
                catatan: Annotated[str, Form(max_length=2000)] = "") -> Response:
    publication = _publication(settings, latest, publikasi or None)
    person = _find_person(publication, scope.allowed, ref, secret)
    if person is None:
        raise HTTPException(status_code=404)
    if kpj not in _verify_kpjs(person):  # only a pair the publication marked for verification
        raise HTTPException(status_code=404)
    try:
        store.record_answer(db, user=user, publication_id=publication.publication_id,
                            kelurahan_code=person["kelurahan_code"], nik=person["nik"], kind="pair", answer=jawaban,
                            kpj=kpj, note=catatan)
    except store.AnswerError as exc:
        return render(request, "field_person.html",
                      _person_context(request, scope, publication, person, db, secret, message=str(exc)),
                      status_code=400)
    return _saved(ref, publication, latest)


@router.post("/lapangan/orang/{ref}/hasil")
def answer_outcome(request: Request, ref: str, user: Officer, session: CsrfSession, scope: ScopeDep,
                   latest: PublicationDep, settings: SettingsDep, db: DbDep, secret: SecretDep,
                   hasil: Annotated[str, Form(max_length=20)] = "", tanggal: Annotated[str, Form(max_length=20)] = "",
                   kpj_baru: Annotated[str, Form(max_length=40)] = "",
                   catatan: Annotated[str, Form(max_length=2000)] = "",
                   publikasi: Annotated[str, Form(max_length=130)] = "") -> Response:
    publication = _publication(settings, latest, publikasi or None)
    person = _find_person(publication, scope.allowed, ref, secret)
    if person is None:
        raise HTTPException(status_code=404)
    try:
        store.record_answer(db, user=user, publication_id=publication.publication_id,
                            kelurahan_code=person["kelurahan_code"], nik=person["nik"], kind="outcome", answer=hasil,
                            outcome_date=tanggal, new_kpj=kpj_baru, note=catatan)
    except store.AnswerError as exc:
        return render(request, "field_person.html",
                      _person_context(request, scope, publication, person, db, secret, message=str(exc)),
                      status_code=400)
    return _saved(ref, publication, latest)
