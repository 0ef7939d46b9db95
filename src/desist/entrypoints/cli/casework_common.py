"""Shared pieces of the casework commands: the database, the acting user, argument parsing and output.

A casework command is declared with :func:`casework_command`, which adds ``--as``, ``--db`` (and
``--format``) to its own options and hands it an :class:`Acting`: the command parses its arguments and makes
its one service call as ``act(lambda uow: service(uow, ...))``.

The database is reached through the composition root (:func:`desist.bootstrap.bootstrap`) when a command
runs, never at import: ``--db``, else ``DESIST_DATABASE_URL``, else the SQLite file ``DESIST_DB_PATH``
(default ``desist.db``). The shared options follow the CLI convention (:mod:`desist.entrypoints.cli.options`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer

from desist.domain.errors import InputError
from desist.entrypoints.cli import collector
from desist.entrypoints.cli.options import DbOpt, Format, FormatOpt, emit_json, plain

ROLE_REMOVED = "--role was removed; act as a named user with --as USER (see desist user --help)"

#: the named user a command acts as (checked like a signed-in user of the web app)
AsOpt = typer.Option(
    None,
    "--as",
    metavar="USER",
    envvar="DESIST_USER",
    help="Act as this user (their roles and organisation are checked; env DESIST_USER).",
)

#: ids and counts are 32-bit integer columns on PostgreSQL (``integer``): a larger number cannot exist, so
#: the CLI refuses it as out of range instead of sending it to the database, on SQLite too
MAX_ID = 2**31 - 1
GroupArg = typer.Argument(..., metavar="GROUP", min=1, max=MAX_ID, help="Group id.")
ReferralArg = typer.Argument(..., metavar="REFERRAL", min=1, max=MAX_ID, help="Referral id.")
PersonArg = typer.Argument(..., metavar="PERSON", help="Prison number, or #ID for an internal id.")
PersonOpt = typer.Option(..., "--person", help="Prison number, or #ID for an internal id.")
OnOpt = typer.Option(None, "--on", help="Date it takes effect, YYYY-MM-DD (default today).")
AppellantOpt = typer.Option(False, "--appellant", help="A recognised appellant.")
MaintainsInnocenceOpt = typer.Option(False, "--maintains-innocence", help="He denies the offence.")
DryRunOpt = typer.Option(False, "--dry-run", help="List who would move; write nothing.")
#: the database option (kept under its old name for the command modules)
UrlOpt = DbOpt

__all__ = ["DbOpt", "Format", "FormatOpt", "emit_json", "plain"]

T = TypeVar("T")


def open_app(db: str | None, *, require_head: bool = True, create: bool = False) -> Any:
    """The composition root for this command: settings (``db`` overrides the environment) -> engine."""
    from desist.bootstrap import bootstrap
    from desist.config import get_settings
    from desist.entrypoints.cli.options import flag_names

    with flag_names(database_url="database URL (--db or DESIST_DATABASE_URL)"):
        app = bootstrap(get_settings(database_url=db), require_head=require_head, create=create)
    collector.resume()  # the command's imports are done: the garbage collector back on (cli.collector)
    return app


def acting_user(as_user: str | None, url: str | None = None) -> tuple[Any, Any]:
    """The composition root and the :class:`Principal` of the named user ``--as`` (or ``DESIST_USER``)."""
    import os

    from desist.services.users import principal_for

    if os.environ.get("DESIST_ROLE"):
        raise InputError(ROLE_REMOVED.replace("--role", "DESIST_ROLE"))
    if (not as_user or not as_user.strip()) and os.environ.get("DESIST_ACTOR"):
        typer.echo("warning: DESIST_ACTOR is deprecated; use DESIST_USER (a named user)", err=True)
        as_user = os.environ["DESIST_ACTOR"]
    app = open_app(url)  # a missing or old database first: nobody can act on it
    try:
        if not as_user or not as_user.strip():
            raise InputError("--as: missing; expected the user you act as (--as USER, or set DESIST_USER)")
        principal = principal_for(app.uow("system:lookup"), as_user)
    except Exception:
        app.close()
        raise
    return app, principal


def user_uow_factory(as_user: str | None, url: str | None = None) -> Callable[[], Any]:
    """Fresh units of work acting as the named user ``as_user`` (looked up now, else one line)."""
    app, principal = acting_user(as_user, url)
    return app.uow_factory(principal)  # type: ignore[no-any-return]


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn 'no such table' (a database never initialised) into one line instead of a traceback."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc.orig) if exc.orig is not None else str(exc)
        if "no such table" in text or "does not exist" in text:
            from desist.bootstrap import shown_url
            from desist.config import get_settings

            raise InputError(  # the URL as it may be printed: a password in it is hidden
                f"database {shown_url(get_settings().database_url)}: not initialised; "
                "expected `desist db init` first"
            ) from None
        raise


class Acting:
    """What a casework command gets in place of ``--as``, ``--db`` and ``--format``: ``act(call)`` runs its
    one service call as that user; ``act.fmt`` is the output format (``table`` where it has no ``--format``).
    """

    def __init__(self, as_user: str | None, url: str | None, fmt: Format) -> None:
        self.as_user, self.url, self.fmt = as_user, url, fmt

    def __call__(self, call: Callable[[Any], T]) -> T:
        """``call(uow)`` on a unit of work of the acting user; 'no such table' is one line."""
        with database_errors():
            return call(user_uow_factory(self.as_user, self.url)())


def casework_command(
    group: typer.Typer, name: str, *, formats: bool = False
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn(act, ...)`` as ``group``'s command ``name`` with ``--as`` and ``--db`` (and ``--format``
    with ``formats``) after its own options: ``fn`` parses its own arguments and calls ``act(service)``.

    The format is checked first, then ``fn`` runs: what it parses before ``act`` is refused before the
    database is opened, what it parses inside the call after the user is looked up.
    """

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        import inspect

        own = list(inspect.signature(fn, eval_str=True).parameters.values())[1:]  # all but ``act``
        shared = [_keyword("as_user", str, AsOpt), _keyword("url", str, UrlOpt)]
        if formats:
            shared.append(_keyword("fmt", Format, FormatOpt))

        def command(as_user: str | None, url: str | None, fmt: Any = Format.TABLE, **options: Any) -> None:
            fn(Acting(as_user, url, check_format(fmt)), **options)

        params = own + shared
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        command.__doc__, command.__name__ = fn.__doc__, fn.__name__
        group.command(name)(command)
        return fn

    return register


def _keyword(name: str, annotation: Any, default: Any) -> Any:
    import inspect

    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


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


def check_format(fmt: Any) -> Format:
    """The output format (an old ``text`` is ``table``)."""
    value = getattr(fmt, "value", fmt)
    if value == "text":
        return Format.TABLE
    try:
        return Format(value)
    except ValueError:
        raise InputError(f"--format: {value!r}; expected table, json or csv") from None


def rows_per_item(view: Any, items: str, prefix: str) -> Iterator[dict[str, Any]]:
    """CSV rows of a view with a list ``items``: one row per item, its fields named ``prefix`` + field and
    the view's own fields repeated (the view's fields alone when the list is empty). Lazy: nothing is
    computed unless the rows are read."""
    base = {k: v for k, v in plain(view).items() if k != items}
    children = getattr(view, items)
    if not children:
        yield base
    for child in children:
        yield {**base, **{f"{prefix}{k}": v for k, v in plain(child).items()}}


def emit_rows(
    rows: Any,
    fmt: Format,
    table: Callable[[], None],
    columns: list[str] | None = None,
    csv_rows: Iterable[Any] | None = None,
) -> None:
    """Print views as JSON, CSV (``csv_rows`` if given, else ``rows``) or (``table``) by calling ``table``."""
    from desist.entrypoints.cli.options import emit_csv

    if fmt is Format.JSON:
        emit_json(rows)
    elif fmt is Format.CSV:
        emit_csv(rows if csv_rows is None else csv_rows, columns)
    else:
        table()
