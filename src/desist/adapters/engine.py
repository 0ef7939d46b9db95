"""Build engines and session factories for SQLite (embedded default) and PostgreSQL.

SQLite needs three settings to behave like a real casework database under concurrency:
foreign keys on, WAL journal (readers do not block the writer), and ``BEGIN IMMEDIATE`` so a transaction
that may write takes the write lock when it starts. Without the last, two transactions that both read then
write deadlock on lock upgrade ("database is locked") instead of queueing; with it, writers wait up to
``busy_timeout`` and then run one after the other, which is what makes capacity checks race-free.

A transaction that only reads (a unit of work entered with ``reading()``, whose connection carries the
options of :func:`reading_options`) starts with a plain, deferred ``BEGIN`` instead: it reads a snapshot
without the write lock, so page views neither queue behind a writer nor behind each other. On PostgreSQL
such reads run without ``BEGIN`` and ``ROLLBACK`` at all (autocommit): in its default isolation (read
committed) each statement of a transaction reads its own snapshot anyway, so the transaction added only two
round trips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from desist.adapters.audit_chain import register_sqlite_functions

SQLITE_BUSY_TIMEOUT_S = 30
#: execution option of a connection whose transaction only reads (SQLite: a deferred BEGIN, no write lock)
READ_ONLY = "desist_read_only"
#: how often a PostgreSQL server checks, during a query, that desist is still connected
CLIENT_CHECK_MS = 2000


@dataclass(frozen=True)
class Timeouts:
    """How long desist waits on the database before saying so in one line (0 = no limit).

    Without them a PostgreSQL server that accepts a connection and never answers hangs desist forever,
    and a SQLite writer waits on another for ever or fails at once. Names match
    :class:`desist.config.Settings`.
    """

    connect_timeout_s: int = 10
    statement_timeout_s: float = 300
    lock_timeout_s: float = 30
    busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S

    @classmethod
    def from_settings(cls, settings: Any = None) -> Timeouts:
        """From settings (default: the environment, ``DESIST_CONNECT_TIMEOUT_S`` etc., read now)."""
        if settings is None:
            from desist.config import get_settings

            settings = get_settings()
        return cls(
            connect_timeout_s=settings.connect_timeout_s,
            statement_timeout_s=settings.statement_timeout_s,
            lock_timeout_s=settings.lock_timeout_s,
            busy_timeout_s=settings.busy_timeout_s,
        )


def reading_options(dialect: str) -> dict[str, Any]:
    """Execution options of a connection that only reads (see the module's docstring)."""
    if dialect == "postgresql":
        return {READ_ONLY: True, "isolation_level": "AUTOCOMMIT"}
    return {READ_ONLY: True}


def make_engine(url: str, *, timeouts: Timeouts | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the settings desist relies on.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///desist.db`` or ``postgresql+psycopg://postgres@127.0.0.1/test``.
    timeouts : Timeouts, optional
        Default: from the settings (environment) now.
    **kwargs
        Passed to :func:`sqlalchemy.create_engine` (e.g. ``connect_args``).

    Returns
    -------
    sqlalchemy.Engine
    """
    parsed = make_url(url)
    limits = timeouts or Timeouts.from_settings()
    if parsed.get_backend_name() == "sqlite":
        connect_args = {"timeout": limits.busy_timeout_s, **kwargs.pop("connect_args", {})}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        in_memory = parsed.database in (None, "", ":memory:")
        _configure_sqlite(engine, in_memory=in_memory, busy_s=limits.busy_timeout_s)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {**_postgres_args(parsed, limits), **kwargs.get("connect_args", {})}
    return create_engine(url, **kwargs)


def _postgres_args(parsed: Any, limits: Timeouts) -> dict[str, Any]:
    """libpq connection parameters for the timeouts, keeping any ``options`` the URL already carries."""
    args: dict[str, Any] = {}
    if limits.connect_timeout_s:
        args["connect_timeout"] = max(2, int(limits.connect_timeout_s))  # libpq: whole seconds, 1 means 2
    settings = [
        f"-c statement_timeout={int(limits.statement_timeout_s * 1000)}",
        f"-c lock_timeout={int(limits.lock_timeout_s * 1000)}",
        # A client that dies (killed, network gone) must not leave its statement running for minutes
        # holding locks: the server checks the client's socket every few seconds during a query
        # (PostgreSQL 14+), and TCP keepalives notice a silent peer between queries.
        f"-c client_connection_check_interval={CLIENT_CHECK_MS}",
        "-c tcp_keepalives_idle=30",
        "-c tcp_keepalives_interval=10",
        "-c tcp_keepalives_count=3",
    ]
    args.update(keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
    given = parsed.query.get("options")
    given = " ".join(given) if isinstance(given, tuple) else given
    args["options"] = " ".join([*([given] if given else []), *settings])
    return args


def _configure_sqlite(engine: Engine, in_memory: bool, busy_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_s * 1000)}")
        cursor.close()
        # the audit log's hash-chain trigger calls desist_sha256 (SQLite has no SHA-256 of its own)
        register_sqlite_functions(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit (services return plain values).

    Every flush checks the rows written against the limits (:mod:`desist.adapters.guards`).
    """
    from desist.adapters import guards

    factory = sessionmaker(engine, expire_on_commit=False)
    guards.install(factory)
    return factory
