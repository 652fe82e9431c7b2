"""For auditors: the audit log with its chain check, the publication history with manifests and
check results, and the explanation of one person by NIK (posted, so the NIK stays out of URLs).

An account without the full-NIK right never sees a full NIK here, not even the one it typed, and
look-ups are throttled per account (`explain_per_hour`, `explain_misses_per_day`): otherwise the
page would confirm guesses of the digits a masked list hides."""

from __future__ import annotations

import math
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from starlette.responses import Response

from pipeline.errors import UcjError
from pipeline.privacy import mask_nik
from pipeline.published.person import explain_person
from portal import audit
from portal.db import stored_secret
from portal.deps import Auditor, ClientIp, CsrfSession, DbDep, PublicationDep, SettingsDep
from portal.publications import NoPublication, current, find, history
from portal.security import nik_digest
from portal.settings import PortalSettings
from portal.users import ROLE_LABELS, User
from portal.web import render

router = APIRouter()

_PAGE = 100


@router.get("/audit")
def audit_log(request: Request, user: Auditor, db: DbDep,
              halaman: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
              aksi: Annotated[str | None, Query(max_length=40)] = None,
              pengguna: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    action = aksi if aksi in audit.ACTIONS else None
    actor = (pengguna or "").strip().lower() or None
    total = audit.count_entries(db, action=action, actor=actor)
    pages = max(math.ceil(total / _PAGE), 1)
    number = min(halaman, pages)
    query = "&".join(f"{k}={v}" for k, v in (("aksi", action), ("pengguna", actor)) if v)
    return render(request, "audit.html", {
        "entries": audit.entries(db, limit=_PAGE, offset=(number - 1) * _PAGE, action=action, actor=actor),
        "chain": audit.verify_chain(db), "total": total, "page": number, "pages": pages, "actions": audit.ACTIONS,
        "action": action, "actor": actor or "", "query": query, "roles": ROLE_LABELS,
    })


@router.get("/riwayat")
def publication_history(request: Request, user: Auditor, settings: SettingsDep) -> Response:
    try:
        latest: str | None = current(settings.publications).publication_id
    except NoPublication:
        latest = None
    publications = history(settings.publications)
    return render(request, "history.html", {"publications": publications, "latest": latest})


@router.get("/riwayat/{publication_id}")
def publication_detail(request: Request, publication_id: str, user: Auditor, settings: SettingsDep) -> Response:
    publication = find(settings.publications, publication_id)
    if publication is None:
        raise HTTPException(status_code=404)
    manifest = publication.manifest
    outputs = sorted(manifest.get("outputs", {}).items())
    return render(request, "publication.html", {"publication": publication, "m": manifest, "outputs": outputs,
                                                "wording": publication.wording()})


@router.get("/penjelasan")
def explain_form(request: Request, user: Auditor, publication: PublicationDep) -> Response:
    return render(request, "explain.html", {"publication": publication, "result": None, "message": None})


def _masked_pairs(pairs: list[dict[str, Any]], full: bool, visible: int) -> list[dict[str, Any]]:
    return [{**p, "member_nik": p.get("member_nik") if full else mask_nik(p.get("member_nik"), visible)}
            for p in pairs]


def _explain_limit_reached(db: sqlite3.Connection, user: User, settings: PortalSettings) -> bool:
    """The account's look-ups in the last hour, or its misses in the last day, are at the limit
    (counted on the audit log, which records every look-up)."""
    now = datetime.now(UTC)

    def since(delta: timedelta, extra: str = "") -> int:
        cutoff = (now - delta).isoformat(timespec="microseconds")
        return int(db.execute("SELECT count(*) FROM audit_log WHERE action = 'explain' AND actor = ? AND at_utc >= ?"
                              + extra, (user.username, cutoff)).fetchone()[0])

    return (since(timedelta(hours=1)) >= settings.explain_per_hour
            or since(timedelta(days=1), " AND json_extract(detail, '$.found') = 0") >= settings.explain_misses_per_day)


@router.post("/penjelasan")
def explain(request: Request, user: Auditor, session: CsrfSession, publication: PublicationDep, db: DbDep,
            settings: SettingsDep, ip: ClientIp, nik: Annotated[str, Form(max_length=40)] = "") -> Response:
    digits = re.sub(r"[^0-9]", "", nik)
    context: dict[str, Any] = {"publication": publication, "result": None, "message": None}
    status = 200
    if len(digits) != 16:
        context["message"] = "NIK terdiri dari 16 angka."
        status = 400
    elif _explain_limit_reached(db, user, settings):
        audit.record(db, actor=user.username, role=user.role, action="explain_refused",
                     publication_id=publication.publication_id, client_ip=ip, detail={"nik": mask_nik(digits)})
        context["message"] = "Terlalu banyak pencarian penjelasan dari akun ini. Coba lagi nanti."
        status = 429
    else:
        try:
            result = explain_person(publication.folder, digits)
        except UcjError:
            result = None
            context["message"] = "NIK ini tidak ada di antara penduduk pada publikasi ini."
            status = 404
        secret = settings.secret or stored_secret(db)
        audit.record(db, actor=user.username, role=user.role, action="explain",
                     publication_id=publication.publication_id, client_ip=ip,
                     detail={"nik": mask_nik(digits), "nik_hmac": nik_digest(secret, digits),
                             "found": result is not None},
                     row_count=1 if result is not None else 0)
        if result is not None:
            context["result"] = result
            context["nik"] = digits if user.full_nik else mask_nik(digits, publication.nik_visible_digits)
            context["pairs"] = _masked_pairs(result.pairs, user.full_nik, publication.nik_visible_digits)
    return render(request, "explain.html", context, status_code=status)
