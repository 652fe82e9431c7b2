"""`ucj serve` and `ucj users`: the officers' portal and its accounts.

    ucj serve [--host H] [--port P] [--publications DIR] [--db FILE] [--allow-remote] [--secure-cookie]
    ucj users add USERNAME --role ROLE [--area CODE] [--name TEXT] [--full-nik] [--password-stdin]
    ucj users disable|enable USERNAME
    ucj users reset USERNAME [--password-stdin]
    ucj users list

Settings also come from UCJ_PORTAL_* environment variables (see portal/settings.py); options win.
"""

from __future__ import annotations

import getpass
import logging
import sqlite3
import sys
from pathlib import Path

import click

from portal.settings import PortalSettings

__all__ = ["serve", "users"]

_REPO = Path(__file__).resolve().parents[1]
DEFAULT_PUBLICATIONS = _REPO / "data" / "published"
DEFAULT_DATABASE = _REPO / "data" / "portal" / "portal.sqlite"

_db_option = click.option("--db", "database", type=click.Path(dir_okay=False, path_type=Path), default=None,
                          help="Portal database [default: $UCJ_PORTAL_DATABASE or data/portal/portal.sqlite].")


def _settings(**overrides: object) -> PortalSettings:
    """This checkout's data/ folders, then UCJ_PORTAL_* variables, then the options given."""
    return PortalSettings.from_env(base=PortalSettings(publications=DEFAULT_PUBLICATIONS, database=DEFAULT_DATABASE),
                                   **overrides)


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1, loopback only].")
@click.option("--port", type=int, default=None, help="Port [default: 8080].")
@click.option("--publications", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Publication root; its `latest` is served [default: data/published].")
@_db_option
@click.option("--allow-remote", is_flag=True, default=None,
              help="Allow a non-loopback --host (needs UCJ_PORTAL_SECRET; put HTTPS in front).")
@click.option("--secure-cookie", is_flag=True, default=None, help="Send the session cookie over HTTPS only.")
def serve(host: str | None, port: int | None, publications: Path | None, database: Path | None,
          allow_remote: bool | None, secure_cookie: bool | None) -> None:
    """Serve the officers' portal (downloads of each officer's own area, recorded in the audit log)."""
    import uvicorn

    from pipeline.errors import UcjError
    from portal.app import create_app

    try:
        settings = _settings(host=host, port=port, publications=publications, database=database,
                             allow_remote=allow_remote or None, secure_cookie=secure_cookie or None)
        settings.check_serving()
    except UcjError as exc:
        raise click.ClickException(str(exc)) from None
    logging.getLogger("portal").setLevel(logging.INFO)
    click.echo(f"Portal UCJ on http://{settings.host}:{settings.port} (publications {settings.publications}, "
               f"database {settings.database})", err=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, access_log=False,
                server_header=False, proxy_headers=False, log_level="warning")


def _open(database: Path | None) -> sqlite3.Connection:
    from portal.db import connect, init_db

    path = _settings(database=database).database
    init_db(path)
    return connect(path)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group()
def users() -> None:
    """Portal accounts: admin, kecamatan and kelurahan officers, auditors."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "kecamatan", "kelurahan", "auditor"]), required=True)
@click.option("--area", default=None, help="Kecamatan code (357701) or kelurahan code (3577011001) of an officer.")
@click.option("--name", "display_name", default=None, help="Name shown in the portal [default: USERNAME].")
@click.option("--full-nik", is_flag=True, help="Show full NIKs to this user (default: masked).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@_db_option
def add_user(username: str, role: str, area: str | None, display_name: str | None, full_nik: bool,
             password_stdin: bool, database: Path | None) -> None:
    """Create an account (asks for the password twice)."""
    from portal import audit
    from portal.users import UserError, create_user

    password = _read_password(password_stdin)
    con = _open(database)
    try:
        user = create_user(con, username, password=password, role=role, area_code=area, display_name=display_name,
                           full_nik=full_nik)
        audit.record(con, actor=_actor(), action="user_add",
                     detail={"user": user.username, "role": user.role, "area": user.area_code,
                             "full_nik": user.full_nik})
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        con.close()
    click.echo(f"added {user.username} ({user.role_label}, {user.area_label})")


def _set_disabled(username: str, database: Path | None, disabled: bool) -> None:
    from portal import audit
    from portal.users import UserError, set_disabled

    con = _open(database)
    try:
        user = set_disabled(con, username, disabled)
        audit.record(con, actor=_actor(), action="user_disable" if disabled else "user_enable",
                     detail={"user": user.username})
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        con.close()
    click.echo(f"{'disabled' if disabled else 'enabled'} {user.username}")


@users.command("disable")
@click.argument("username")
@_db_option
def disable_user(username: str, database: Path | None) -> None:
    """Disable an account and end its sessions."""
    _set_disabled(username, database, True)


@users.command("enable")
@click.argument("username")
@_db_option
def enable_user(username: str, database: Path | None) -> None:
    """Enable a disabled account again."""
    _set_disabled(username, database, False)


@users.command("reset")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of standard input.")
@_db_option
def reset_user(username: str, password_stdin: bool, database: Path | None) -> None:
    """Set a new password (ends the user's sessions and lifts a login lock)."""
    from portal import audit
    from portal.users import UserError, get_user, reset_password

    con = _open(database)
    try:
        if get_user(con, username) is None:
            raise UserError(f"no user {username.strip().lower()}", hint="See `ucj users list`")
        password = _read_password(password_stdin)
        user = reset_password(con, username, password)
        audit.record(con, actor=_actor(), action="user_reset", detail={"user": user.username})
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        con.close()
    click.echo(f"new password set for {user.username}")


@users.command("list")
@_db_option
def list_accounts(database: Path | None) -> None:
    """Every account: username, role, area, full-NIK right, status."""
    from portal.users import list_users

    con = _open(database)
    try:
        accounts = list_users(con)
    finally:
        con.close()
    click.echo(f"{'USERNAME':<20} {'ROLE':<10} {'AREA':<11} {'FULL NIK':<8} {'STATUS':<8} NAME")
    for u in accounts:
        click.echo(f"{u.username:<20} {u.role:<10} {u.area_code or '-':<11} {'yes' if u.full_nik else 'no':<8} "
                   f"{'disabled' if u.disabled else 'active':<8} {u.display_name}")
