"""Shared pieces of the casework commands: the database, the acting user, and argument parsing.

The engine is built when a command runs (never at import), from ``DESIST_DATABASE_URL`` or the SQLite file
``DESIST_DB_PATH`` (default ``desist.db``), so tests and scripts choose the database by environment.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import Any

import typer

from desist.domain.errors import InputError
from desist.domain.referrals import Role, parse_role

ActorOpt = typer.Option(
    ..., "--actor", envvar="DESIST_ACTOR", help="Who is acting (recorded in the audit log)."
)
RoleOpt = typer.Option(
    "programme_team", "--role", envvar="DESIST_ROLE", help="referrer or programme_team (who may do what)."
)
#: the --role of the referrer's own commands (creating and submitting a referral)
ReferrerRoleOpt = typer.Option("referrer", "--role", envvar="DESIST_ROLE")
#: ids and counts are 32-bit integer columns on PostgreSQL (``integer``): a larger number cannot exist, so
#: the CLI refuses it as out of range instead of sending it to the database, on SQLite too
MAX_ID = 2**31 - 1
GroupArg = typer.Argument(..., metavar="GROUP", min=1, max=MAX_ID)
ReferralArg = typer.Argument(..., metavar="REFERRAL", min=1, max=MAX_ID)
PersonArg = typer.Argument(..., metavar="PERSON", help="Prison number, or #ID for an internal id.")
PersonOpt = typer.Option(..., "--person")
OnOpt = typer.Option(None, "--on")
AppellantOpt = typer.Option(False, "--appellant", help="A recognised appellant.")
DryRunOpt = typer.Option(False, "--dry-run", help="List who would move; write nothing.")
FormatOpt = typer.Option("text", "--format", help="text or json.")
UrlOpt = typer.Option(
    None, "--url", help="Database URL (default: DESIST_DATABASE_URL, else sqlite file desist.db here)"
)


def shown_url(url: str) -> str:
    """The database URL as it may be printed (password hidden)."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def open_engine(resolved: str, *, create: bool = False) -> Any:
    """An engine on ``resolved`` that has answered a connection, else one line saying why not.

    Every command reaches the database through here (or :func:`engine_at_head`), so a malformed URL, a
    missing driver, an unreachable server or a file that is not a database is one ``InputError`` instead
    of a SQLAlchemy traceback. Without ``create`` a missing SQLite file is refused rather than created
    (connecting would leave an empty file behind).
    """

    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from desist.adapters.engine import make_engine

    try:
        parsed = make_url(resolved)
    except ArgumentError:
        # the text itself is not echoed: it may hold a password
        raise InputError(
            "database URL (--url or DESIST_DATABASE_URL): not a database URL; expected e.g. "
            "sqlite:///desist.db or postgresql+psycopg://user@host:5432/desist"
        ) from None
    shown = shown_url(resolved)
    from desist.adapters.files import sqlite_path

    path = sqlite_path(resolved)
    if parsed.get_backend_name() == "sqlite" and path is not None:
        if path.is_dir():
            raise InputError(f"database {shown}: {path} is a folder; expected a SQLite file name")
        if not path.parent.is_dir():
            raise InputError(
                f"database {shown}: folder {path.parent} does not exist; expected an existing folder"
            )
        if not create and not path.exists():
            raise InputError(f"database {shown} does not exist; run `desist db init` first")
    try:
        engine = make_engine(resolved)
    except (NoSuchModuleError, ImportError) as exc:
        raise InputError(
            f"database {shown}: driver {parsed.drivername!r} is not available ({_first_line(exc)}); "
            "expected sqlite:/// or postgresql+psycopg://"
        ) from None
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise InputError(f"database {shown}: cannot connect ({_first_line(exc.orig or exc)})") from None
    return engine


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0].strip()


def engine_at_head(resolved: str) -> Any:
    """An engine on ``resolved``, refused in one line unless its schema is initialised and the newest."""
    from desist.adapters.migrate import current_revision, head_revision, is_known_revision, newer_than_desist

    engine = open_engine(resolved)
    current = current_revision(engine)
    if current != head_revision():
        engine.dispose()
        if current is not None and not is_known_revision(current):
            raise InputError(f"database {shown_url(resolved)}: {newer_than_desist(current)}")
        state = "not initialised" if current is None else f"at revision {current}"
        raise InputError(f"database {shown_url(resolved)} is {state}; run `desist db init` first")
    return engine


def uow_factory(actor: str, url: str | None = None) -> Callable[[], Any]:
    """Fresh units of work on the database (``url``, else the settings), acting as ``actor``.

    Refuses, in one line, a database that is not initialised or not at the newest schema.
    """
    from desist.adapters.engine import make_session_factory
    from desist.config import get_settings
    from desist.services.unit_of_work import UnitOfWork

    if not actor or not actor.strip():
        raise InputError("--actor: empty; expected the name of the person acting")
    engine = engine_at_head(get_settings(database_url=url).database_url)
    sessions = make_session_factory(engine)
    return lambda: UnitOfWork(sessions, actor=actor.strip())


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn 'no such table' (a database never initialised) into one line instead of a traceback."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc.orig) if exc.orig is not None else str(exc)
        if "no such table" in text or "does not exist" in text:
            from desist.config import get_settings

            raise InputError(
                f"database {get_settings().database_url}: not initialised; expected `desist db init` first"
            ) from None
        raise


def role(value: str) -> Role:
    return parse_role(value)


def date_opt(value: str | None, option: str) -> dt.date | None:
    """Parse an ISO date given to ``option``; None stays None."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{option}: {value!r} is not a date; expected YYYY-MM-DD") from None


def required_date(value: str, option: str) -> dt.date:
    """Parse an ISO date given to a required ``option``."""
    parsed = date_opt(value, option)
    if parsed is None:
        raise InputError(f"{option}: missing; expected YYYY-MM-DD")
    return parsed


def people_list(value: str | None) -> list[str]:
    """Comma-separated people (prison numbers or ids)."""
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(_plain(value), indent=2, sort_keys=False))


def check_format(fmt: str) -> str:
    if fmt not in ("text", "json"):
        raise InputError(f"--format: {fmt!r}; expected text or json")
    return fmt
