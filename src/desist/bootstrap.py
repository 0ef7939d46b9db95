"""The composition root: settings -> engine -> migration-head check -> unit-of-work factory, once per process.

The CLI, the tests and the web application build their database access here and nowhere else, so a bad
URL, a missing driver, an unreachable server, a file that is not a database or a schema that is not the
newest is one :class:`~desist.domain.errors.InputError` line for every caller alike.

Example
-------
>>> from desist.bootstrap import bootstrap
>>> from desist.config import Settings
>>> with bootstrap(Settings(database_url="sqlite://"), require_head=False) as app:
...     app.database_url
'sqlite://'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from desist.config import Settings, get_settings
from desist.domain.errors import InputError

if TYPE_CHECKING:  # the engine and sessions are built when bootstrap() runs, never at import
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from desist.adapters.store import Store
    from desist.adapters.unit_of_work import UnitOfWork
    from desist.domain.access import Principal


def shown_url(url: str) -> str:
    """The database URL as it may be printed (password hidden)."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def open_engine(url: str, *, create: bool = False, pool_size: int | None = None) -> Engine:
    """An engine on ``url`` that has answered a connection, else one line saying why not.

    Without ``create`` a missing SQLite file is refused rather than created (connecting would leave an
    empty file behind).

    Parameters
    ----------
    url : str
        SQLAlchemy URL.
    create : bool
        Allow a SQLite file that does not exist yet (``desist db init``).
    pool_size : int, optional
        Connections the engine keeps open for reuse (default: SQLAlchemy's, 5).
    """
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from desist.adapters.engine import make_engine

    try:
        parsed = make_url(url)
    except ArgumentError:
        # the text itself is not echoed: it may hold a password
        raise InputError(
            "database_url: not a database URL; expected e.g. sqlite:///desist.db or "
            "postgresql+psycopg://user@host:5432/desist"
        ) from None
    shown = shown_url(url)
    from desist.adapters.files import sqlite_path

    path = sqlite_path(url)
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
        engine = make_engine(url, **({"pool_size": pool_size} if pool_size else {}))
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


def check_head(engine: Engine, url: str) -> None:
    """Refuse, in one line, a database whose schema is not initialised or not the newest."""
    from desist.adapters.schema_version import head_revision, stored_revision

    current = stored_revision(engine)
    if current != head_revision():
        from desist.adapters.migrate import is_known_revision, newer_than_desist  # Alembic: this path only

        if current is not None and not is_known_revision(current):
            raise InputError(f"database {shown_url(url)}: {newer_than_desist(current)}")
        state = "not initialised" if current is None else f"at revision {current}"
        raise InputError(f"database {shown_url(url)} is {state}; run `desist db init` first")


@dataclass
class App:
    """What one process needs to reach the store: settings, the engine, and units of work on it.

    Use it as a context manager (or call :meth:`close`) so the engine's connections are released.
    """

    settings: Settings
    engine: Engine
    _sessions: Callable[[], Session] = field(repr=False)

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    @property
    def shown_url(self) -> str:
        """The URL as it may be printed (password hidden)."""
        return shown_url(self.settings.database_url)

    @property
    def session_factory(self) -> Callable[[], Session]:
        """Sessions on the engine (for the bulk import, which manages its own unit of work)."""
        return self._sessions

    def uow(self, actor: str | Principal) -> UnitOfWork:
        """A fresh unit of work acting as a user (a :class:`Principal`, checked by the services).

        A plain name (``"system:..."``) gives a unit of work with no principal: every service that checks
        access refuses it; only the first administrator's creation and the look-up of a user use one.
        """
        from desist.adapters.unit_of_work import UnitOfWork
        from desist.domain.access import Principal

        if isinstance(actor, Principal):
            return UnitOfWork(self._sessions, principal=actor, settings=self.settings)
        if not actor or not actor.strip():
            raise InputError("actor: empty; expected the name of the person acting")
        return UnitOfWork(self._sessions, actor=actor.strip(), settings=self.settings)

    def uow_factory(self, actor: str | Principal) -> Callable[[], UnitOfWork]:
        """A function returning fresh units of work acting as ``actor``."""
        self.uow(actor)  # refuse an empty actor now
        return lambda: self.uow(actor)

    def store(self) -> Store:
        """The store-wide operations (schema revision, migration, table counts, export)."""
        from desist.adapters.store import Store

        return Store(self.engine, self.shown_url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> App:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def bootstrap(settings: Settings | None = None, *, require_head: bool = True, create: bool = False) -> App:
    """Build the store access for this process.

    Parameters
    ----------
    settings : Settings, optional
        Default: read from the environment now (``DESIST_DATABASE_URL``, ``DESIST_DB_PATH``).
    require_head : bool
        Refuse a database that is not initialised or not at the newest schema (every command but
        ``db init``).
    create : bool
        Allow a SQLite file that does not exist yet (``db init`` creates it).

    Raises
    ------
    InputError
        Bad URL, missing driver, unreachable server, missing file, schema not the newest.
    """
    from desist.adapters.engine import make_session_factory

    settings = settings or get_settings()
    engine = open_engine(settings.database_url, create=create, pool_size=settings.db_pool_size)
    if require_head:
        try:
            check_head(engine, settings.database_url)
        except InputError:
            engine.dispose()
            raise
    return App(settings, engine, make_session_factory(engine))
