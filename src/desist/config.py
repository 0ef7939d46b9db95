"""Settings, read from the environment (prefix ``DESIST_``) when the application is built, never at import.

Plain Python rather than pydantic-settings: every casework command reads its settings at start-up, and
importing pydantic-settings (and pydantic with it) cost about 0.2 s of a command that must start in under
0.5 s. The behaviour is pydantic-settings' own for these six fields: environment names are case-insensitive,
keyword arguments win over the environment, numbers may be written as text, and a value out of range is
refused -- in one line naming the variable (or the parameter), which a pydantic ValidationError did not give.

Example
-------
>>> from desist.config import Settings
>>> Settings(database_url="sqlite:///:memory:").database_url
'sqlite:///:memory:'
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from desist.domain.errors import InputError

DEFAULT_DB_FILE = "desist.db"
ENV_PREFIX = "DESIST_"

#: the numeric settings: type and allowed range (inclusive)
_NUMBERS: dict[str, tuple[type, float, float]] = {
    "connect_timeout_s": (int, 0, 3600),
    "statement_timeout_s": (float, 0, 86400),
    "lock_timeout_s": (float, 0, 86400),
    "busy_timeout_s": (float, 0, 86400),
}


@dataclass(init=False)
class Settings:
    """Application settings.

    Each field not given as a keyword argument is read from the environment variable ``DESIST_<FIELD>``
    (any case) when the object is built.

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

    Raises
    ------
    InputError
        A number that is not one, or out of its range (the message names the variable or parameter).
    """

    database_url: str = ""
    db_path: Path = Path(DEFAULT_DB_FILE)
    connect_timeout_s: int = 10
    statement_timeout_s: float = 300
    lock_timeout_s: float = 30
    busy_timeout_s: float = 30

    def __init__(self, **values: Any) -> None:
        env = _environment()
        for f in fields(self):
            if f.name in values:
                raw, where = values[f.name], f.name
            elif ENV_PREFIX + f.name.upper() in env:
                raw, where = env[ENV_PREFIX + f.name.upper()], ENV_PREFIX + f.name.upper()
            else:
                setattr(self, f.name, f.default)
                continue
            setattr(self, f.name, _parse(f.name, raw, where))
        # unknown keywords are ignored, as pydantic-settings' extra="ignore" did
        # the embedded default: a file beside the user, resolved now so a later chdir cannot move it
        if not self.database_url:
            self.database_url = f"sqlite:///{self.db_path.expanduser().resolve()}"


def _environment() -> dict[str, str]:
    """``DESIST_*`` variables under their upper-case names (pydantic-settings matched them in any case)."""
    return {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}


def _parse(name: str, raw: Any, where: str) -> Any:
    if name == "database_url":
        if not isinstance(raw, str):
            raise InputError(f"{where}: expected a database URL as text")
        return raw
    if name == "db_path":
        if not isinstance(raw, str | os.PathLike):
            raise InputError(f"{where}: expected a file path")
        return Path(raw)
    kind, low, high = _NUMBERS[name]
    unit = "whole seconds" if kind is int else "seconds"
    expected = f"expected {unit} from {low:g} to {high:g}"
    value: float | int
    if isinstance(raw, bool):
        raise InputError(f"{where}: {raw!r} is not a number; {expected}")
    try:
        if kind is int:
            if isinstance(raw, float):
                if not raw.is_integer():
                    raise ValueError
                value = int(raw)
            else:
                value = int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        else:
            value = float(raw.strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {str(raw)[:40]!r} is not a number; {expected}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise InputError(f"{where}: {value!r} is out of range; {expected}")
    return value


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment now; keyword overrides win (e.g. a ``--db`` option).

    Parameters
    ----------
    **overrides
        Field values that take precedence over the environment; ``None`` values are ignored.
    """
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
