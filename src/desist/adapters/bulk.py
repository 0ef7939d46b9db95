"""Insert many rows fast, with an audit row for each, inside the caller's transaction.

Rows arrive as a DataFrame of canonical text (see :mod:`desist.adapters.importers`): dates
``YYYY-MM-DD``, booleans ``true``/``false``, JSON as text, ``""`` for missing. Both paths hand the text to
the database driver column by column instead of building a Python object per cell, because at a million
rows the per-cell Python work, not the database, is what costs.

- PostgreSQL: the frame is streamed as CSV with ``COPY`` into a temporary table; one
  ``INSERT ... SELECT ... RETURNING`` moves the rows into the real table (every constraint checked) and
  writes their audit rows (``to_jsonb`` of each inserted row) in the same statement.
- SQLite: ``executemany`` on the driver, then one ``INSERT INTO audit_log ... SELECT json_object(...)``
  over the new ids. The unit of work holds SQLite's write lock from its first statement
  (``BEGIN IMMEDIATE``), so the rows above the previous highest id are exactly ours.

Nothing here commits: the caller's unit of work does, so a failure (or a killed process) leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from sqlalchemy import Boolean, Connection, Date, DateTime, Integer, Table, func, select

from desist.adapters.orm import is_json, utcnow

COPY_CHUNK_ROWS = 100_000


def insert_frame(conn: Connection, table: Table, frame: pd.DataFrame, actor: str) -> int:
    """Insert the rows of ``frame`` (canonical text, columns named as in ``table``) and audit each.

    Columns the frame leaves out get their Python-side defaults (evaluated once for the batch); version
    columns start at 1, as the ORM would set them. Returns the number of rows inserted.
    """
    if frame.empty:
        return 0
    frame = _with_defaults(frame, table, keep_timezone=conn.dialect.name != "sqlite")
    if conn.dialect.name == "postgresql":
        return _copy_insert(conn, table, frame, actor)
    return _sqlite_insert(conn, table, frame, actor)


def _with_defaults(frame: pd.DataFrame, table: Table, keep_timezone: bool) -> pd.DataFrame:
    out = frame.copy()
    for col in table.c:
        if col.name in out.columns or col.primary_key:
            continue
        default = col.default
        if col.name == "version":
            out[col.name] = "1"
        elif default is not None and getattr(default, "is_scalar", False):
            value = default.arg  # type: ignore[attr-defined]
            out[col.name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        elif default is not None and getattr(default, "is_callable", False):
            value = default.arg(None)  # type: ignore[attr-defined]
            if isinstance(value, dt.datetime):
                # SQLite keeps naive UTC text, as SQLAlchemy's own DateTime storage does
                value = value if keep_timezone else value.astimezone(dt.UTC).replace(tzinfo=None)
                out[col.name] = value.isoformat(sep=" ")
            else:
                out[col.name] = str(value)
    return out


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _copy_insert(conn: Connection, table: Table, frame: pd.DataFrame, actor: str) -> int:
    names = list(frame.columns)
    cols = _quoted(names)
    scratch = f"_desist_import_{table.name}"
    raw = conn.connection.driver_connection  # the psycopg connection, in the same transaction as ``conn``
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(
            f'CREATE TEMP TABLE "{scratch}" ON COMMIT DROP AS SELECT {cols} FROM "{table.name}" WITH NO DATA'
        )
        with cur.copy(f'COPY "{scratch}" ({cols}) FROM STDIN WITH (FORMAT csv)') as copy:
            # CSV COPY reads an unquoted empty field as NULL, which is what "" means here. Chunks keep
            # the CSV text small next to the frame.
            for begin in range(0, len(frame), COPY_CHUNK_ROWS):
                copy.write(frame.iloc[begin : begin + COPY_CHUNK_ROWS].to_csv(index=False, header=False))
        cur.execute(
            f'WITH ins AS (INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{scratch}" RETURNING *) '
            "INSERT INTO audit_log (actor, at, entity, entity_id, action, before, after) "
            "SELECT %s, %s, %s, ins.id::text, 'insert', NULL, to_jsonb(ins) FROM ins",
            (actor, utcnow(), table.name),
        )
        count = cur.rowcount
        cur.execute(f'DROP TABLE "{scratch}"')
    return int(count)


def _sqlite_insert(conn: Connection, table: Table, frame: pd.DataFrame, actor: str) -> int:
    names = list(frame.columns)
    columns = {}
    for name in names:
        values = frame[name].astype(object).where(frame[name] != "", None)
        if isinstance(table.c[name].type, Boolean):
            values = values.map({"true": 1, "false": 0, None: None})
        columns[name] = values.tolist()
    rows = list(zip(*(columns[n] for n in names), strict=True))
    start = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    placeholders = ", ".join("?" for _ in names)
    raw = conn.connection.driver_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(f'INSERT INTO "{table.name}" ({_quoted(names)}) VALUES ({placeholders})', rows)
        pairs = ", ".join(f"'{c.name}', {_sqlite_json_value(c)}" for c in table.c)
        cursor.execute(
            "INSERT INTO audit_log (actor, at, entity, entity_id, action, before, after) "
            f"SELECT ?, ?, ?, CAST(id AS TEXT), 'insert', NULL, json_object({pairs}) "
            f'FROM "{table.name}" WHERE id > ? ORDER BY id',
            (actor, utcnow().replace(tzinfo=None).isoformat(sep=" "), table.name, start),
        )
    finally:
        cursor.close()
    return len(rows)


def _sqlite_json_value(column) -> str:  # type: ignore[no-untyped-def]
    """SQL giving a column's value as the ORM audit listener would write it (true/false, nested JSON)."""
    name = f'"{column.name}"'
    if isinstance(column.type, Boolean):
        return f"CASE WHEN {name} IS NULL THEN NULL WHEN {name} THEN json('true') ELSE json('false') END"
    if is_json(column.type):
        return f"json({name})"
    if isinstance(column.type, DateTime):
        return f"replace({name}, ' ', 'T')"
    return name


def typed(table: Table, name: str, text: str) -> Any:
    """One canonical-text cell as the Python value for ``table.c[name]`` (for ORM updates)."""
    if text == "" or text is None:
        return None
    column_type = table.c[name].type
    if is_json(column_type):
        return json.loads(text)
    if isinstance(column_type, Boolean):
        return text == "true"
    if isinstance(column_type, DateTime):
        return dt.datetime.fromisoformat(text)
    if isinstance(column_type, Date):
        return dt.date.fromisoformat(text)
    if isinstance(column_type, Integer):
        return int(text)
    return text
