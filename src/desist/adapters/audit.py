"""The audit trail: one ``audit_log`` row for every insert, update and delete a session flushes.

Installed per session by the unit of work (``install(session, actor)``), so it does not depend on which
session factory the caller built. Rows are written on the session's own connection inside the flush,
so they commit or roll back with the change they describe.

Bulk DML through the session (``session.execute(update(Person)...)``) never reaches the flush and would
slip past the trail, so the guard refuses it; code that must write in bulk (importers) writes its own
audit rows with :func:`audit_rows` on the same connection.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.base import NO_VALUE as _NO_VALUE

from desist.adapters.orm import AuditLog, utcnow

ACTOR_KEY = "desist.actor"
BEFORE_KEY = "desist.audit_before"
_AUDIT_TABLE: Table = AuditLog.__table__  # type: ignore[assignment]


def jsonable(value: Any) -> Any:
    """Turn a column value into something JSON can hold (dates as ISO text, decimals as text)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def snapshot(obj: Any, *, before: bool) -> dict[str, Any]:
    """Column values of a mapped object keyed by column name: as last loaded (``before``) or as now."""
    state = inspect(obj)
    out: dict[str, Any] = {}
    for prop in state.mapper.column_attrs:
        attr = state.attrs[prop.key]
        history = attr.history
        if before and history.deleted:
            value = history.deleted[0]
        else:
            value = attr.loaded_value
            if value is _NO_VALUE:
                value = None
        out[prop.columns[0].name] = jsonable(value)
    return out


def _entity_id(obj: Any) -> str:
    # identity is not assigned to new objects until after the flush completes; the key values are
    identity = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in identity)


Row = Mapping[str, Any] | None


def audit_rows(
    actor: str, entity: str, action: str, rows: Iterable[tuple[str, Row, Row]]
) -> list[dict[str, Any]]:
    """Build audit_log rows for ``(entity_id, before, after)`` triples (for bulk writers)."""
    at = utcnow()
    return [
        {"actor": actor, "at": at, "entity": entity, "entity_id": eid, "action": action,
         "before": None if b is None else {k: jsonable(v) for k, v in b.items()},
         "after": None if a is None else {k: jsonable(v) for k, v in a.items()}}
        for eid, b, a in rows
    ]


def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    # Taken before the flush because the flush itself bumps version columns without recording history.
    changing = (*session.dirty, *session.deleted)
    session.info[BEFORE_KEY] = {id(obj): snapshot(obj, before=True) for obj in changing}


def _after_flush(session: Session, _ctx: UOWTransaction) -> None:
    actor = session.info[ACTOR_KEY]
    befores: dict[int, dict[str, Any]] = session.info.pop(BEFORE_KEY, {})
    at = utcnow()
    rows: list[dict[str, Any]] = []

    def add(obj: Any, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        rows.append({"actor": actor, "at": at, "entity": inspect(obj).mapper.local_table.name,
                     "entity_id": _entity_id(obj), "action": action, "before": before, "after": after})

    for obj in session.new:
        add(obj, "insert", None, snapshot(obj, before=False))
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        before, after = befores.get(id(obj)) or snapshot(obj, before=True), snapshot(obj, before=False)
        if before != after:
            add(obj, "update", before, after)
    for obj in session.deleted:
        add(obj, "delete", befores.get(id(obj)) or snapshot(obj, before=True), None)
    if rows:
        session.connection().execute(_AUDIT_TABLE.insert(), rows)


def _refuse_bulk_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise RuntimeError(
            "bulk INSERT/UPDATE/DELETE through the session bypasses the audit log; "
            "change ORM objects instead (or write audit rows yourself on session.connection())"
        )


def install(session: Session, actor: str) -> None:
    """Record every write this session flushes under ``actor`` and refuse un-audited bulk DML."""
    if not actor or not actor.strip():
        raise ValueError("an audited session needs a non-empty actor")
    session.info[ACTOR_KEY] = actor
    event.listen(session, "before_flush", _before_flush)
    event.listen(session, "after_flush", _after_flush)
    event.listen(session, "do_orm_execute", _refuse_bulk_dml)

