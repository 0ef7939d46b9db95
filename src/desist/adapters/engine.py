"""Build engines and session factories for SQLite (embedded default) and PostgreSQL.

SQLite needs three settings to behave like a real casework database under concurrency:
foreign keys on, WAL journal (readers do not block the writer), and ``BEGIN IMMEDIATE`` so a transaction
takes the write lock when it starts. Without the last, two transactions that both read then write
deadlock on lock upgrade ("database is locked") instead of queueing; with it, writers wait up to
``busy_timeout`` and then run one after the other, which is what makes capacity checks race-free.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the settings desist relies on.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///desist.db`` or ``postgresql+psycopg://postgres@127.0.0.1/test``.
    **kwargs
        Passed to :func:`sqlalchemy.create_engine` (e.g. ``connect_args``).

    Returns
    -------
    sqlalchemy.Engine
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, **kwargs.pop("connect_args", {})}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit (services return plain values)."""
    return sessionmaker(engine, expire_on_commit=False)
