"""Masuk and keluar: the login form (its own CSRF cookie, as there is no session yet), logout, and
the start page that sends each role to its first page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from portal import auth
from portal.deps import LOGIN_CSRF_COOKIE, SESSION_COOKIE, ClientIp, CsrfSession, CurrentUser, DbDep, SettingsDep
from portal.security import new_token, same_token
from portal.web import render

router = APIRouter()

_FAILED = "Nama pengguna atau kata sandi salah."
_LOCKED = "Terlalu banyak percobaan masuk yang gagal. Coba lagi beberapa menit lagi."
_START = {"admin": "/admin/pengguna", "auditor": "/audit", "kecamatan": "/daftar", "kelurahan": "/daftar"}


def _login_page(request: Request, settings: SettingsDep, message: str | None, status: int) -> Response:
    token = new_token()
    response = render(request, "login.html", {"csrf_token": token, "message": message}, status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=settings.secure_cookie, path="/masuk")
    return response


@router.get("/")
def start(user: CurrentUser) -> Response:
    return RedirectResponse(_START[user.role], status_code=303)


@router.get("/masuk")
def login_form(request: Request, settings: SettingsDep, db: DbDep) -> Response:
    if auth.session_for(db, settings, request.cookies.get(SESSION_COOKIE)) is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request, settings, None, 200)


@router.post("/masuk")
def login(request: Request, settings: SettingsDep, db: DbDep, ip: ClientIp,
          username: Annotated[str, Form(max_length=200)] = "", password: Annotated[str, Form(max_length=1000)] = "",
          csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_page(request, settings, "Formulir sudah kedaluwarsa. Silakan coba lagi.", 403)
    result = auth.login(db, settings, username, password, ip)
    if result.locked:
        return _login_page(request, settings, _LOCKED, 429)
    if result.user is None or result.token is None:
        return _login_page(request, settings, _FAILED, 401)
    response = RedirectResponse(_START[result.user.role], status_code=303)
    response.set_cookie(SESSION_COOKIE, result.token, max_age=int(settings.session_hours * 3600), httponly=True,
                        samesite="strict", secure=settings.secure_cookie, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/masuk")
    return response


@router.post("/keluar")
def logout(session: CsrfSession, db: DbDep, ip: ClientIp) -> Response:
    auth.logout(db, session, ip)
    response = RedirectResponse("/masuk", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
