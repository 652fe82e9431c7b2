"""The application: routers, error pages, security headers and an access log without query strings
(a search may hold a name; look-ups by NIK are POSTed, so no NIK reaches a URL)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response

from portal.answers import init_answers
from portal.db import init_db
from portal.deps import NotLoggedIn
from portal.routes import admin, answers, audit, auth, downloads, lists
from portal.settings import PortalSettings
from portal.web import STATIC_DIR, render

__all__ = ["create_app", "ROUTERS"]

log = logging.getLogger("portal.access")

ROUTERS = (auth.router, lists.router, downloads.router, audit.router, admin.router, answers.router)

_MESSAGES = {
    400: ("Permintaan tidak valid", "Periksa isian filter lalu coba lagi."),
    403: ("Tidak diizinkan", "Akun Anda tidak berhak membuka halaman ini."),
    404: ("Tidak ditemukan", "Halaman atau daftar yang Anda minta tidak ada."),
    405: ("Tidak diizinkan", "Cara membuka halaman ini tidak didukung."),
    503: ("Belum ada publikasi", "Data belum diterbitkan. Hubungi admin data."),
}
_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'")


def _error_page(request: Request, status: int, detail: str | None = None) -> Response:
    title, text = _MESSAGES.get(status, ("Terjadi kesalahan", "Coba lagi nanti."))
    if status == 403 and detail == "csrf":
        text = "Formulir sudah kedaluwarsa. Muat ulang halaman lalu coba lagi."
    return render(request, "error.html", {"title": title, "text": text, "status": status}, status_code=status)


def create_app(settings: PortalSettings) -> FastAPI:
    """The portal over `settings.publications`, keeping its state in `settings.database`."""
    init_db(settings.database)
    init_answers(settings.database)
    app = FastAPI(title="Portal UCJ Kota Madiun", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(NotLoggedIn)
    async def _to_login(request: Request, exc: NotLoggedIn) -> Response:
        return RedirectResponse("/masuk", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        return _error_page(request, exc.status_code, str(exc.detail) if exc.detail else None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error_page(request, 400)  # never echo the submitted values back

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        log.info("%s %s %d %.0f ms", request.method, request.url.path, response.status_code,
                 (time.perf_counter() - started) * 1000)
        return response

    return app
