"""Settings, read from the environment (prefix ``DESIST_``) when the application is built, never at import.

Example
-------
>>> from desist.config import Settings
>>> Settings(database_url="sqlite:///:memory:").database_url
'sqlite:///:memory:'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_FILE = "desist.db"


class Settings(BaseSettings):
    """Application settings.

    Parameters
    ----------
    database_url : str, optional
        SQLAlchemy URL (``DESIST_DATABASE_URL``), e.g. ``postgresql+psycopg://user@host/db``. When unset,
        a SQLite file at ``db_path`` is used.
    db_path : pathlib.Path
        The SQLite file used when no URL is given (``DESIST_DB_PATH``); default ``desist.db`` in the
        current directory.
    connect_timeout_s : int
        PostgreSQL: seconds to wait for a server to accept a connection and answer
        (``DESIST_CONNECT_TIMEOUT_S``; libpq's ``connect_timeout``, whole seconds, at least 2; 0 = forever).
    statement_timeout_s : float
        PostgreSQL: longest a statement may run before the server cancels it (``DESIST_STATEMENT_TIMEOUT_S``;
        0 = no limit).
    lock_timeout_s : float
        PostgreSQL: longest a statement waits for a lock (``DESIST_LOCK_TIMEOUT_S``; 0 = no limit).
    busy_timeout_s : float
        SQLite: how long a writer waits for another writer before "the database is busy"
        (``DESIST_BUSY_TIMEOUT_S``).
    """

    model_config = SettingsConfigDict(env_prefix="DESIST_", extra="ignore")

    database_url: str = ""
    db_path: Path = Path(DEFAULT_DB_FILE)
    connect_timeout_s: int = Field(10, ge=0, le=3600)
    statement_timeout_s: float = Field(300, ge=0, le=86400)
    lock_timeout_s: float = Field(30, ge=0, le=86400)
    busy_timeout_s: float = Field(30, ge=0, le=86400)

    @model_validator(mode="after")
    def _default_url(self) -> Settings:
        # The embedded default: a file beside the user, resolved now so a later chdir cannot move it.
        if not self.database_url:
            self.database_url = f"sqlite:///{self.db_path.expanduser().resolve()}"
        return self


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment now; keyword overrides win (e.g. a ``--url`` option).

    Parameters
    ----------
    **overrides
        Field values that take precedence over the environment; ``None`` values are ignored.
    """
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
