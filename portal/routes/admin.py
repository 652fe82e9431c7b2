"""For the admin: the accounts, and disabling or enabling one. Accounts are created and passwords
reset with `ucj users` on the server; the admin sees no personal data of residents."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from portal import audit
from portal.deps import Admin, ClientIp, CsrfSession, DbDep
from portal.users import UserError, get_user, list_users, set_disabled
from portal.web import render

router = APIRouter()


@router.get("/admin/pengguna")
def users_page(request: Request, user: Admin, db: DbDep) -> Response:
    return render(request, "users.html", {"users": list_users(db)})


@router.post("/admin/pengguna/{username}/{change}")
def change_user(username: str, change: Literal["nonaktifkan", "aktifkan"], user: Admin, session: CsrfSession,
                db: DbDep, ip: ClientIp) -> Response:
    target = get_user(db, username)
    if target is None:
        raise HTTPException(status_code=404)
    if target.id == user.id:
        raise HTTPException(status_code=403)
    try:
        set_disabled(db, target.username, change == "nonaktifkan")
    except UserError:
        raise HTTPException(status_code=404) from None
    audit.record(db, actor=user.username, role=user.role, client_ip=ip,
                 action="user_disable" if change == "nonaktifkan" else "user_enable",
                 detail={"user": target.username})
    return RedirectResponse("/admin/pengguna", status_code=303)
