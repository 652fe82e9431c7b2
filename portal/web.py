"""Templates (Jinja2, autoescaped) and the few filters and shared values every page uses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from portal.audit import JAKARTA

__all__ = ["templates", "render", "rupiah", "number", "moment", "STATIC_DIR"]

_HERE = Path(__file__).resolve().parent
STATIC_DIR = _HERE / "static"


def rupiah(value: Any) -> str:
    """Examples:

    >>> rupiah(3119961600)
    'Rp 3.119.961.600'
    """
    return "Rp " + number(value)


def number(value: Any) -> str:
    """Thousands with dots, decimals with a comma (Indonesian).

    Examples:

    >>> number(45884), number(12.5), number(None)
    ('45.884', '12,5', '-')
    """
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    text = f"{float(value):,.1f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def moment(value: Any) -> str:
    """An ISO timestamp as Jakarta time.

    Examples:

    >>> moment("2026-01-01T02:00:00+07:00"), moment("2026-01-01T00:00:00+00:00"), moment(None)
    ('2026-01-01 02:00 WIB', '2026-01-01 07:00 WIB', '-')
    """
    if not value:
        return "-"
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(JAKARTA)
    return parsed.strftime("%Y-%m-%d %H:%M") + " WIB"


def _nav(request: Request) -> dict[str, Any]:
    session = getattr(request.state, "session", None)
    user = session.user if session else None
    items: list[tuple[str, str]] = []
    if user is not None:
        if user.role in ("kelurahan", "kecamatan", "auditor"):
            items.append(("/daftar", "Daftar calon"))
        if user.role in ("kelurahan", "kecamatan"):
            items.append(("/lapangan", "Kerja lapangan"))
        if user.role == "auditor":
            items += [("/audit", "Log audit"), ("/riwayat", "Riwayat publikasi"), ("/penjelasan", "Penjelasan")]
        if user.role == "admin":
            items.append(("/admin/pengguna", "Pengguna"))
    return {"session": session, "current_user": user, "nav": items, "path": request.url.path}


templates = Jinja2Templates(directory=_HERE / "templates", context_processors=[_nav])
templates.env.filters["rupiah"] = rupiah
templates.env.filters["number"] = number
templates.env.filters["moment"] = moment


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
