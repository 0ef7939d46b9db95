"""Database faults a user can fix, as one line: read-only, busy, missing table, silent server, full disk.

The drivers say these things in their own words (``sqlite3.OperationalError: attempt to write a readonly
database``, ``psycopg.errors.QueryCanceled: canceling statement due to statement timeout``); the entry points
ask :func:`explain` for the line to show instead of reporting a bug. It looks at the driver's exception class
and SQLSTATE where there is one, and at SQLite's fixed messages where there is not (the sqlite3 module gives
no error codes before Python 3.11's ``sqlite_errorcode``, which is used when present).

Example
-------
>>> import sqlite3
>>> explain(sqlite3.OperationalError("database is locked"))
'the database is busy (another desist or program is writing to it); try again'
"""

from __future__ import annotations

import sqlite3

#: SQLite result codes (sqlite3.h) -> what the user is told
_SQLITE_CODES = {
    5: "busy",  # SQLITE_BUSY
    6: "busy",  # SQLITE_LOCKED
    8: "readonly",  # SQLITE_READONLY
    10: "io",  # SQLITE_IOERR
    13: "full",  # SQLITE_FULL
    14: "cantopen",  # SQLITE_CANTOPEN
    26: "notadb",  # SQLITE_NOTADB
}
_SQLITE_TEXT = (
    ("database is locked", "busy"),
    ("database table is locked", "busy"),
    ("readonly database", "readonly"),
    ("database or disk is full", "full"),
    ("disk i/o error", "io"),
    ("unable to open database file", "cantopen"),
    ("file is not a database", "notadb"),
    ("no such table", "missing_table"),
    ("outside the limits of data/limits.yaml", "limits"),
)
#: PostgreSQL SQLSTATE -> kind
_PG_STATES = {
    "57014": "timeout",  # query_canceled (statement_timeout)
    "55P03": "busy",  # lock_not_available (lock_timeout)
    "40P01": "busy",  # deadlock_detected
    "40001": "busy",  # serialization_failure
    "42P01": "missing_table",  # undefined_table
    "25006": "readonly",  # read_only_sql_transaction
    "53100": "full",  # disk_full
    "23514": "limits",  # check_violation
    "22001": "limits",  # string_data_right_truncation (varchar(n))
    "57P01": "gone",  # admin_shutdown
    "57P03": "unreachable",  # cannot_connect_now
    "08000": "gone",
    "08003": "gone",
    "08006": "gone",
}

LINES = {
    "busy": "the database is busy (another desist or program is writing to it); try again",
    "readonly": "the database is read-only; expected a database you may write (check the file's permissions "
    "or the user's rights)",
    "full": "the disk holding the database is full; nothing was written, free some space and try again",
    "io": "the database file could not be read or written (disk I/O error); check the disk and try again",
    "cantopen": "the database file cannot be opened; check the path and the folder's permissions",
    "notadb": "the database file is not a SQLite database; expected a file made by `desist db init`",
    "missing_table": "the database has no table {table}; run `desist db init` (a database that lost a table "
    "must be restored from a backup)",
    "timeout": "the database did not answer in time (statement timeout {seconds}); try again, or raise "
    "DESIST_STATEMENT_TIMEOUT_S",
    "limits": "the database refused a value outside its limits ({detail}); expected values within "
    "data/limits.yaml",
    "gone": "the connection to the database was lost; try again",
    "unreachable": "the database server is not accepting connections; try again later",
}


def _kind(orig: BaseException) -> str | None:
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str) and state in _PG_STATES:
        return _PG_STATES[state]
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if isinstance(code, int) and (code & 0xFF) in _SQLITE_CODES:
            return _SQLITE_CODES[code & 0xFF]
    text = str(orig).lower()
    for needle, kind in _SQLITE_TEXT:
        if needle in text:
            return kind
    if "statement timeout" in text:
        return "timeout"
    if "timeout expired" in text or "connection timeout" in text:
        return "unreachable"
    if "server closed the connection" in text or "connection is closed" in text:
        return "gone"
    return None


def _missing_table(text: str) -> str:
    for marker in ("no such table: ", 'relation "'):
        if marker in text:
            rest = text.split(marker, 1)[1]
            return rest.split('"')[0].split()[0].strip("'\"")
    return "(unknown)"


def explain(exc: BaseException, statement_timeout_s: float | None = None) -> str | None:
    """The one line to show for a database fault the user can fix, or None when it is not one.

    Parameters
    ----------
    exc : BaseException
        A SQLAlchemy ``DBAPIError`` (its ``orig`` is examined) or a driver exception.
    statement_timeout_s : float, optional
        The configured statement timeout, named in the timeout line.
    """
    orig = getattr(exc, "orig", None) or exc
    kind = _kind(orig)
    if kind is None:
        return None
    line = LINES[kind]
    if kind == "missing_table":
        return line.format(table=_missing_table(str(orig)))
    if kind == "limits":
        text = str(orig)
        marker = 'constraint "'
        name = text.split(marker, 1)[1].split('"')[0] if marker in text else text.splitlines()[0]
        return line.format(detail=name.removeprefix("lim_").split(":")[0])
    if kind == "timeout":
        return line.format(seconds=f"{statement_timeout_s:g} s" if statement_timeout_s else "reached")
    return line
