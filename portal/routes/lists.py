"""Daftar calon: the candidate list of the user's area, with search, filters and pages."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pipeline.decisions.tracks import CANDIDATE_TRACKS
from portal import audit, candidates
from portal.deps import ClientIp, DbDep, FilterDep, ListUser, PublicationDep, ScopeDep, SettingsDep
from portal.publications import published_workbooks
from portal.scope import KELURAHAN_NAMES
from portal.web import render

router = APIRouter()


@router.get("/daftar")
def candidate_list(request: Request, user: ListUser, scope: ScopeDep, filters: FilterDep,
                   publication: PublicationDep, settings: SettingsDep, db: DbDep, ip: ClientIp,
                   halaman: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    total = candidates.count(publication, scope, filters)
    pages = max(math.ceil(total / settings.page_size), 1)
    number = min(halaman, pages)
    rows = candidates.page(publication, scope, filters, number, settings.page_size)
    rts, rws = candidates.rt_rw_options(publication, scope)
    args = filters.query_args()
    if scope.single and len(scope.allowed) > 1:
        args["kelurahan"] = scope.single
    audit.record(db, actor=user.username, role=user.role, action="view_list",
                 publication_id=publication.publication_id,
                 detail={"kelurahan": list(scope.codes) if len(scope.codes) < len(scope.allowed) else "semua",
                         "filter": filters.for_audit(), "page": number},
                 row_count=len(rows), client_ip=ip)
    short = publication.wording(scope.codes).short  # the scope's scheme name
    return render(request, "list.html", {
        "publication": publication, "scope": scope, "filters": filters, "rows": rows, "total": total,
        "page": number, "pages": pages, "first_row": (number - 1) * settings.page_size + 1,
        "query": urlencode(args), "tracks": [(t, short[t]) for t in CANDIDATE_TRACKS],
        "kelurahan_options": [(c, KELURAHAN_NAMES[c]) for c in scope.allowed], "rts": rts, "rws": rws,
        "workbooks": published_workbooks(publication, scope.codes),
        "visible_digits": publication.nik_visible_digits,
    })
