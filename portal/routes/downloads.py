"""Unduh: the filtered list as XLSX or CSV (built per request), and the publication's own
per-kelurahan workbooks. Every download is written to the audit log before it is sent."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from starlette.responses import Response

from portal import audit
from portal.deps import ClientIp, DbDep, FilterDep, ListUser, PublicationDep, ScopeDep
from portal.exports import FORMATS, build_export
from portal.publications import workbook_path

router = APIRouter()


def _attachment(file_name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{file_name}"'}


@router.get("/daftar/unduh/{fmt}")
def download_list(fmt: str, user: ListUser, scope: ScopeDep, filters: FilterDep, publication: PublicationDep,
                  db: DbDep, ip: ClientIp) -> Response:
    if fmt not in FORMATS:
        raise HTTPException(status_code=404)
    export = build_export(publication, scope, filters, fmt)
    audit.record(db, actor=user.username, role=user.role, action="download", publication_id=publication.publication_id,
                 detail={"format": fmt, "file": export.file_name, "kelurahan": list(scope.codes),
                         "filter": filters.for_audit(), "full_nik": scope.full_nik, "sha256": export.sha256},
                 row_count=export.rows, client_ip=ip)
    return Response(export.content, media_type=export.media_type, headers=_attachment(export.file_name))


@router.get("/daftar/berkas/{name:path}")
def download_workbook(name: str, user: ListUser, scope: ScopeDep, publication: PublicationDep, db: DbDep,
                      ip: ClientIp) -> Response:
    """One of the publication's workbooks, by its listed name; anything else is not found."""
    workbook = workbook_path(publication, name, scope.allowed)
    if workbook is None:
        raise HTTPException(status_code=404)
    audit.record(db, actor=user.username, role=user.role, action="download", publication_id=publication.publication_id,
                 detail={"format": "xlsx", "file": f"kelurahan/{workbook.relative}",
                         "kelurahan": [workbook.kelurahan_code],
                         "published": True, "full_nik": False, "sha256": workbook.sha256},
                 row_count=workbook.rows, client_ip=ip)
    return FileResponse(publication.folder / "kelurahan" / workbook.relative, media_type=FORMATS["xlsx"],
                        filename=workbook.name)
