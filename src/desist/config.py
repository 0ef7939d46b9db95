"""Settings, read from the environment (prefix ``DESIST_``) when the application is built, never at import.

Plain Python rather than pydantic-settings: every casework command reads its settings at start-up, and
importing pydantic-settings (and pydantic with it) cost about 0.2 s of a command that must start in under
0.5 s. The behaviour is pydantic-settings' own for these fields: environment names are case-insensitive,
keyword arguments win over the environment, numbers and yes/no may be written as text, the key is a secret
that does not print itself, and a bad value is refused -- in one line naming the variable (or the
parameter), which a pydantic ValidationError did not give.

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
from typing import Any, ClassVar

from desist.domain.errors import InputError

DEFAULT_DB_FILE = "desist.db"
ENV_PREFIX = "DESIST_"

#: the numeric settings: type, allowed range, and whether the low end itself is allowed
_NUMBERS: dict[str, tuple[type, float, float, bool]] = {
    "connect_timeout_s": (int, 0, 3600, True),
    "statement_timeout_s": (float, 0, 86400, True),
    "lock_timeout_s": (float, 0, 86400, True),
    "busy_timeout_s": (float, 0, 86400, True),
    "db_pool_size": (int, 1, 1000, True),
    "session_idle_minutes": (float, 0, 24 * 60, False),
    "session_absolute_hours": (float, 0, 24 * 30, False),
}
#: yes/no words, as pydantic reads a bool (any case)
_BOOLS = {
    **dict.fromkeys(("1", "on", "t", "true", "y", "yes"), True),
    **dict.fromkeys(("0", "off", "f", "false", "n", "no"), False),
}


class SecretText:
    """A secret that does not show itself in ``repr`` or logs (pydantic's SecretStr, without pydantic)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretText('**********')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretText) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


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
    db_pool_size : int
        Database connections each process keeps open for reuse (``DESIST_DB_POOL_SIZE``, 16). The web
        server also runs at most this many requests at once per process, so a busy server neither waits
        for a connection nor opens and closes extra ones (a new PostgreSQL connection costs more than a page).
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

    Raises
    ------
    InputError
        A number or yes/no that is not one, or out of its range (the message names the variable or
        parameter).
    """

    database_url: str = ""
    db_path: Path = Path(DEFAULT_DB_FILE)
    connect_timeout_s: int = 10
    statement_timeout_s: float = 300
    lock_timeout_s: float = 30
    busy_timeout_s: float = 30
    db_pool_size: int = 16
    session_idle_minutes: float = 30
    session_absolute_hours: float = 10
    cookie_secure: bool = True
    pseudonym_key: SecretText | None = None
    pseudonym_key_file: Path | None = None

    #: the fields by name (pydantic's spelling, which callers used to test for a setting)
    model_fields: ClassVar[dict[str, Any]] = {}

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


Settings.model_fields = {f.name: f for f in fields(Settings)}


def _environment() -> dict[str, str]:
    """``DESIST_*`` variables under their upper-case names (pydantic-settings matched them in any case)."""
    return {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}


def _parse(name: str, raw: Any, where: str) -> Any:
    if name == "database_url":
        if not isinstance(raw, str):
            raise InputError(f"{where}: expected a database URL as text")
        return raw
    if name in ("db_path", "pseudonym_key_file"):
        if raw is None and name == "pseudonym_key_file":
            return None
        if not isinstance(raw, str | os.PathLike):
            raise InputError(f"{where}: expected a file path")
        return Path(raw)
    if name == "pseudonym_key":
        if raw is None or isinstance(raw, SecretText):
            return raw
        if hasattr(raw, "get_secret_value"):  # a pydantic SecretStr
            return SecretText(str(raw.get_secret_value()))
        if not isinstance(raw, str):
            raise InputError(f"{where}: expected the key as text")
        return SecretText(raw)
    if name == "cookie_secure":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word not in _BOOLS:
            raise InputError(f"{where}: {str(raw)[:40]!r} is not yes or no; expected true or false")
        return _BOOLS[word]
    kind, low, high, low_ok = _NUMBERS[name]
    unit = name.rsplit("_", 1)[-1]
    unit = {"s": "seconds", "minutes": "minutes", "hours": "hours"}.get(unit, unit)
    if kind is int:
        unit = "whole " + unit
    expected = (
        f"expected {unit} from {low:g} to {high:g}"
        if low_ok
        else f"expected {unit} above {low:g}, at most {high:g}"
    )
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
    if not math.isfinite(value) or not (low <= value if low_ok else low < value) or value > high:
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
