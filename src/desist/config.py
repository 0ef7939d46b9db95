"""Settings, read from the environment (prefix ``DESIST_``) when the application is built, never at import.

Example
-------
>>> from desist.config import Settings
>>> Settings(database_url="sqlite:///:memory:").database_url
'sqlite:///:memory:'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from desist.domain.errors import InputError

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
    session_idle_minutes : float
        A signed-in session ends after this long without a request (``DESIST_SESSION_IDLE_MINUTES``, 30).
    session_absolute_hours : float
        ... and this long after sign-in whatever happens (``DESIST_SESSION_ABSOLUTE_HOURS``, 10).
    cookie_secure : bool
        Send the session cookie over HTTPS only (``DESIST_COOKIE_SECURE``, default on; the demo and the
        tests turn it off for ``http://127.0.0.1``).
    pseudonym_key, pseudonym_key_file :
        The key of analysts' pseudonyms (``DESIST_PSEUDONYM_KEY``, or a file holding it,
        ``DESIST_PSEUDONYM_KEY_FILE``); never stored in the database. See :meth:`pseudonym_key_bytes`.
    """

    model_config = SettingsConfigDict(env_prefix="DESIST_", extra="ignore")

    database_url: str = ""
    db_path: Path = Path(DEFAULT_DB_FILE)
    connect_timeout_s: int = Field(10, ge=0, le=3600)
    statement_timeout_s: float = Field(300, ge=0, le=86400)
    lock_timeout_s: float = Field(30, ge=0, le=86400)
    busy_timeout_s: float = Field(30, ge=0, le=86400)
    session_idle_minutes: float = Field(30, gt=0, le=24 * 60)
    session_absolute_hours: float = Field(10, gt=0, le=24 * 30)
    cookie_secure: bool = True
    pseudonym_key: SecretStr | None = None
    pseudonym_key_file: Path | None = None

    @model_validator(mode="after")
    def _default_url(self) -> Settings:
        # The embedded default: a file beside the user, resolved now so a later chdir cannot move it.
        if not self.database_url:
            self.database_url = f"sqlite:///{self.db_path.expanduser().resolve()}"
        return self

    def pseudonym_key_bytes(self) -> bytes:
        """The pseudonym key, or one line saying how to set it (analysts' exports refuse without it)."""
        from desist.domain.pseudonym import MIN_KEY_BYTES

        how = (
            "set DESIST_PSEUDONYM_KEY to a secret of at least 16 characters, or DESIST_PSEUDONYM_KEY_FILE "
            "to a file holding one (e.g. `python3 -c 'import secrets; print(secrets.token_hex(32))' > key`)"
        )
        if self.pseudonym_key is not None:
            key = self.pseudonym_key.get_secret_value().strip().encode("utf-8")
            where = "DESIST_PSEUDONYM_KEY"
        elif self.pseudonym_key_file is not None:
            path = self.pseudonym_key_file.expanduser()
            try:
                key = path.read_bytes().strip()
            except OSError as exc:
                raise InputError(
                    f"DESIST_PSEUDONYM_KEY_FILE: cannot read {path} ({exc.strerror or exc}); {how}"
                ) from None
            where = f"DESIST_PSEUDONYM_KEY_FILE ({path})"
        else:
            raise InputError(f"pseudonym key: not set, so pseudonymised exports are refused; {how}")
        if len(key) < MIN_KEY_BYTES:
            raise InputError(f"{where}: the key is shorter than {MIN_KEY_BYTES} characters; {how}")
        return key


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment now; keyword overrides win (e.g. a ``--url`` option).

    Parameters
    ----------
    **overrides
        Field values that take precedence over the environment; ``None`` values are ignored.
    """
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
