"""FastAPI dependencies, as `Annotated` types the routes declare: settings, database, the session
and its user, role gates, CSRF, the publication, and the one area scope every list and download
goes through."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Query, Request

from pipeline.published.budget import publication_regions
from pipeline.reference import DEFAULT_REGION_CODES
from portal.auth import SessionInfo, session_for
from portal.candidates import CandidateFilter, FilterError
from portal.db import connect
from portal.publications import NoPublication, PublicationInfo, current
from portal.scope import OutOfScope, Scope, scope_for
from portal.security import same_token
from portal.settings import PortalSettings
from portal.users import User

__all__ = ["SESSION_COOKIE", "LOGIN_CSRF_COOKIE", "NotLoggedIn", "SettingsDep", "DbDep", "ClientIp", "SessionDep",
           "CurrentUser", "ListUser", "Auditor", "Admin", "CsrfSession", "ScopeDep", "FilterDep", "PublicationDep",
           "client_ip"]

SESSION_COOKIE = "ucj_session"
LOGIN_CSRF_COOKIE = "ucj_login_csrf"


class NotLoggedIn(Exception):
    """No live session: the app answers with a redirect to the login page."""


def _settings(request: Request) -> PortalSettings:
    settings: PortalSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[PortalSettings, Depends(_settings)]


def _db(settings: SettingsDep) -> Iterator[sqlite3.Connection]:
    con = connect(settings.database)
    try:
        yield con
    finally:
        con.close()


DbDep = Annotated[sqlite3.Connection, Depends(_db)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientIp = Annotated[str, Depends(client_ip)]


def _session(request: Request, db: DbDep, settings: SettingsDep) -> SessionInfo:
    session = session_for(db, settings, request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise NotLoggedIn()
    request.state.session = session  # for the templates: user name, CSRF token of the logout form
    return session


SessionDep = Annotated[SessionInfo, Depends(_session)]


def _user(session: SessionDep) -> User:
    return session.user


CurrentUser = Annotated[User, Depends(_user)]


def _role(*roles: str) -> Callable[[User], User]:
    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(status_code=403)
        return user
    return check


ListUser = Annotated[User, Depends(_role("kelurahan", "kecamatan", "auditor"))]
Auditor = Annotated[User, Depends(_role("auditor"))]
Admin = Annotated[User, Depends(_role("admin"))]


def _csrf(session: SessionDep, csrf_token: Annotated[str, Form(max_length=200)] = "") -> SessionInfo:
    if not same_token(csrf_token, session.csrf_token):
        raise HTTPException(status_code=403, detail="csrf")
    return session


CsrfSession = Annotated[SessionInfo, Depends(_csrf)]


def _regions(settings: SettingsDep) -> tuple[str, ...]:
    """The region codes of the latest publication (Kota Madiun before there is one)."""
    try:
        return publication_regions(current(settings.publications).folder)
    except NoPublication:
        return DEFAULT_REGION_CODES


def _scope(user: ListUser, settings: SettingsDep,
           kelurahan: Annotated[str | None, Query(max_length=20)] = None) -> Scope:
    """The only way a route gets kelurahan codes: the request's choice intersected with the user's area
    within the regions of the latest publication."""
    try:
        return scope_for(user, kelurahan, _regions(settings))
    except OutOfScope:
        raise HTTPException(status_code=404) from None


ScopeDep = Annotated[Scope, Depends(_scope)]


def _filter(jalur: Annotated[str | None, Query(max_length=40)] = None,
            desil: Annotated[str | None, Query(max_length=4)] = None,
            rt: Annotated[str | None, Query(max_length=4)] = None,
            rw: Annotated[str | None, Query(max_length=4)] = None,
            cari: Annotated[str | None, Query(max_length=200)] = None) -> CandidateFilter:
    try:
        return CandidateFilter.parse(track=jalur, desil=desil, rt=rt, rw=rw, search=cari)
    except FilterError:
        raise HTTPException(status_code=400) from None


FilterDep = Annotated[CandidateFilter, Depends(_filter)]


def _publication(settings: SettingsDep) -> PublicationInfo:
    """`latest` resolved once for the whole request, so a swap mid-request changes nothing."""
    try:
        return current(settings.publications)
    except NoPublication:
        raise HTTPException(status_code=503, detail="no-publication") from None


PublicationDep = Annotated[PublicationInfo, Depends(_publication)]
