"""Run the Alembic migrations programmatically (no alembic.ini at run time).

Example
-------
>>> from desist.adapters.migrate import upgrade, current_revision, head_revision
>>> engine = upgrade("sqlite://")        # an in-memory database, migrated to head
>>> current_revision(engine) == head_revision()
True
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from desist.adapters.engine import make_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations, optionally bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _as_engine(engine_or_url: Engine | str) -> Engine:
    return make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> Engine:
    """Migrate the database to ``revision`` (default the newest) and return the engine used.

    Parameters
    ----------
    engine_or_url : sqlalchemy.Engine or str
    revision : str
        Alembic revision id or ``"head"``.
    """
    engine = _as_engine(engine_or_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    return engine


def downgrade(engine_or_url: Engine | str, revision: str = "base") -> Engine:
    """Migrate the database down to ``revision`` (default: empty)."""
    engine = _as_engine(engine_or_url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)
    return engine


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for a database never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of desist."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_known_revision(revision: str) -> bool:
    """True when ``revision`` is one of the migrations shipped with this desist."""
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def newer_than_desist(revision: str) -> str:
    """The line for a database at a revision this desist does not know (made by a newer desist)."""
    from desist import __version__

    return (
        f"this database is newer than desist {__version__} (it is at schema revision {revision}, "
        f"the newest this desist knows is {head_revision()}); upgrade desist to use it"
    )


def explain_alembic(exc: BaseException) -> str | None:
    """One line for Alembic's "Can't locate revision" (a database from a newer desist), else None."""
    text = str(exc)
    marker = "Can't locate revision identified by "
    if marker in text:
        return newer_than_desist(text.split(marker, 1)[1].strip().strip("'\""))
    return None
