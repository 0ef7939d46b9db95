"""Insert many rows fast, with an audit row for each, inside the caller's transaction.

PostgreSQL: rows are streamed with ``COPY`` into a temporary table, then one ``INSERT ... SELECT`` moves
them into the real table and writes their audit rows (``to_jsonb`` of each inserted row) in the same
statement. That keeps a million rows to seconds while still checking every constraint.
Other databases (SQLite): SQLAlchemy's batched ``insertmanyvalues`` with ``RETURNING``, in chunks.

Nothing here commits: the caller's unit of work does, so a failure (or a killed process) leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Table, insert

from desist.adapters.audit import audit_rows
from desist.adapters.orm import AuditLog, utcnow

CHUNK_ROWS = 20_000
_AUDIT = AuditLog.__table__


def typed_records(
    frame: pd.DataFrame, table: Table, json_columns: tuple[str, ...] = ()
) -> Iterator[dict[str, Any]]:
    """Turn canonical-text rows into Python values for ``table`` ("" -> None, dates, booleans, JSON)."""
    converters = {name: _converter(table, name, name in json_columns) for name in frame.columns}
    names = list(frame.columns)
    for values in frame.itertuples(index=False, name=None):
        yield {n: converters[n](v) for n, v in zip(names, values, strict=True)}


def _converter(table: Table, name: str, is_json: bool) -> Any:
    python_type: type | None
    try:
        python_type = table.c[name].type.python_type
    except NotImplementedError:
        python_type = None
    if is_json:
        return lambda v: v if isinstance(v, dict | list) else (json.loads(v) if v else None)
    if python_type is dt.date:
        return lambda v: dt.date.fromisoformat(v) if v else None
    if python_type is bool:
        return lambda v: None if v == "" else v == "true"
    if python_type is int:
        return lambda v: int(v) if v != "" else None
    return lambda v: v if v != "" else None


def insert_rows(conn: Connection, table: Table, rows: Iterator[dict[str, Any]], actor: str) -> int:
    """Insert ``rows`` (dicts of column values) into ``table`` and audit each; return how many.

    Columns the rows leave out get their Python-side defaults (evaluated once for the batch) and
    version columns start at 1, as the ORM would do.
    """
    fill = _defaults(table)
    rows = ({**fill, **row} for row in rows)
    if conn.dialect.name == "postgresql":
        return _copy_insert(conn, table, rows, actor)
    total = 0
    stmt = insert(table).returning(*table.c, sort_by_parameter_order=True)
    for chunk in _chunks(rows, CHUNK_ROWS):
        inserted = conn.execute(stmt, chunk).mappings().all()
        audits = audit_rows(actor, table.name, "insert", ((str(r["id"]), None, dict(r)) for r in inserted))
        conn.execute(_AUDIT.insert(), audits)
        total += len(inserted)
    return total


def _defaults(table: Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.c:
        default = col.default
        if col.name == "version":
            out[col.name] = 1
        elif default is not None and getattr(default, "is_scalar", False):
            out[col.name] = default.arg  # type: ignore[attr-defined]
        elif default is not None and getattr(default, "is_callable", False):
            out[col.name] = default.arg(None)  # type: ignore[attr-defined]
    out.pop("id", None)
    return out


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _copy_insert(conn: Connection, table: Table, rows: Iterator[dict[str, Any]], actor: str) -> int:
    first = next(rows, None)
    if first is None:
        return 0
    names = list(first)
    cols = ", ".join(f'"{n}"' for n in names)
    json_cols = {n for n in names if type(table.c[n].type).__name__ in ("JSON", "JSONB")}
    scratch = f"_desist_import_{table.name}"
    raw = conn.connection.driver_connection  # psycopg connection, same transaction as ``conn``
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(
            f'CREATE TEMP TABLE "{scratch}" ON COMMIT DROP AS SELECT {cols} FROM "{table.name}" WITH NO DATA'
        )
        with cur.copy(f'COPY "{scratch}" ({cols}) FROM STDIN') as copy:
            for row in _prepend(first, rows):
                copy.write_row(
                    [json.dumps(row[n]) if n in json_cols and row[n] is not None else row[n] for n in names]
                )
        cur.execute(
            f'WITH ins AS (INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{scratch}" RETURNING *) '
            "INSERT INTO audit_log (actor, at, entity, entity_id, action, before, after) "
            "SELECT %s, %s, %s, ins.id::text, 'insert', NULL, to_jsonb(ins) FROM ins",
            (actor, utcnow(), table.name),
        )
        count = cur.rowcount
        cur.execute(f'DROP TABLE "{scratch}"')
    return int(count)


def _prepend(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest
