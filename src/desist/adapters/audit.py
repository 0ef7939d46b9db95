"""The audit trail: one ``audit_log`` row for every insert, update and delete a session flushes.

Installed per session by the unit of work (``install(session, actor)``), so it does not depend on which
session factory the caller built. Rows are written on the session's own connection inside the flush,
so they commit or roll back with the change they describe.

Bulk DML through the session (``session.execute(update(Person)...)``) never reaches the flush and would
slip past the trail, so the guard refuses it, and so is any SQL the session's connection runs outside a
flush that is not plainly a read (``session.execute(text("UPDATE ..."))``,
``session.connection().exec_driver_sql(...)``). Code that must write in bulk (importers) asks for
:func:`trusted_writes` and writes its own audit rows with :func:`audit_rows` on the same connection.

The audit rows of a unit of work are written just before it commits, in the same transaction; the database
then gives each its time (its own clock) and its place in the hash chain (:mod:`desist.adapters.audit_chain`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.base import NO_VALUE as _NO_VALUE

from desist.adapters.orm import AuditLog, utcnow

ACTOR_KEY = "desist.actor"
BEFORE_KEY = "desist.audit_before"
PENDING_KEY = "desist.audit_pending"
WRITING_KEY = "desist.audit_writing"
FLUSHING_KEY = "desist.flushing"
TRUSTED_KEY = "desist.trusted_writer"
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


#: what the trail records for a column marked ``info={"secret": True}`` (hashes of passwords and tokens)
REDACTED = "[redacted]"


def snapshot(obj: Any, *, before: bool) -> dict[str, Any]:
    """Column values of a mapped object keyed by column name: as last loaded (``before``) or as now.

    Secret columns (``info={"secret": True}``) read ``"[redacted]"``: a changed password shows as an
    update of ``password_changed_at`` with the hash left out.
    """
    state = inspect(obj)
    out: dict[str, Any] = {}
    for prop in state.mapper.column_attrs:
        column = prop.columns[0]
        if column.info.get("secret"):  # a password hash, a token hash: never copied into the trail
            out[column.name] = REDACTED
            continue
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
    at = utcnow()  # a placeholder: the database sets ``at`` from its own clock (migration 0006)
    rows: list[dict[str, Any]] = session.info.setdefault(PENDING_KEY, [])

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


def _before_commit(session: Session) -> None:
    # The audit rows of every flush go in last, just before COMMIT. On PostgreSQL appending to the chain
    # takes the chain's lock until commit; taking it last (after every row lock the unit of work needs)
    # means two units of work can never each hold what the other waits for.
    session.flush()
    rows = session.info.pop(PENDING_KEY, [])
    if rows:
        session.info[WRITING_KEY] = True
        try:
            session.connection().execute(_AUDIT_TABLE.insert(), rows)
        finally:
            session.info.pop(WRITING_KEY, None)


def _forget_pending(session: Session, *_: Any) -> None:
    session.info.pop(PENDING_KEY, None)


def _refuse_bulk_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise RuntimeError(
            "bulk INSERT/UPDATE/DELETE through the session bypasses the audit log; "
            "change ORM objects instead (or write audit rows yourself on session.connection())"
        )


#: statements that only read: a SELECT (or WITH ... SELECT) with no writing keyword once row locks
#: (FOR UPDATE / FOR SHARE ...) are set aside
_READ_ONLY = re.compile(r"^\s*(\(\s*)*(select|with|explain|show|values)\b", re.IGNORECASE)
_WRITES = re.compile(
    r"\b(insert|update|delete|replace|merge|upsert|truncate|drop|alter|create|grant|revoke|copy|vacuum|"
    r"attach|detach|reindex|pragma|set_config|into|nextval|setval|lo_\w+|pg_\w*(terminate|cancel)\w*)\b",
    re.IGNORECASE,
)
_ROW_LOCKS = re.compile(r"\bfor\s+(no\s+key\s+)?(update|share|key\s+share)\b(\s+of\s+[\w\s,.\"]+)?",
                        re.IGNORECASE)


@functools.lru_cache(maxsize=4096)  # the same few statement texts come back on every request
def is_read_only(statement: str) -> bool:
    """True for SQL that can only read (conservative: anything unclear counts as a write)."""
    if not _READ_ONLY.match(statement):
        return False
    return _WRITES.search(_ROW_LOCKS.sub(" ", statement)) is None


def _guard_connection(session: Session, _transaction: Any, connection: Connection) -> None:
    # Everything this session's connection runs outside a flush (and outside the audit writer) must only
    # read: raw SQL through the unit of work would change data with no audit row.
    def check(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if session.info.get(FLUSHING_KEY) or session.info.get(WRITING_KEY) or session.info.get(TRUSTED_KEY):
            return
        if not is_read_only(statement):
            first = " ".join(statement.split())[:60]
            raise PermissionError(
                f"refused SQL through the unit of work: {first!r}; writes go through ORM objects "
                "so that the audit log records them"
            )

    event.listen(connection, "before_cursor_execute", check)


def _flushing(session: Session, *_: Any) -> None:
    session.info[FLUSHING_KEY] = True


def _flushed(session: Session, *_: Any) -> None:
    session.info.pop(FLUSHING_KEY, None)


@contextmanager
def trusted_writes(session: Session) -> Iterator[Connection]:
    """The session's connection for desist's own audited bulk writers (importers); nobody else's SQL."""
    session.info[TRUSTED_KEY] = True
    try:
        yield session.connection()
    finally:
        session.info.pop(TRUSTED_KEY, None)


def install(session: Session, actor: str) -> None:
    """Record every write this session flushes under ``actor``; refuse writes that would bypass the log.

    The hooks are registered once per process on every :class:`~sqlalchemy.orm.Session` and act only on
    sessions that carry an actor (registering nine hooks on each new session cost a fifth of a short
    read's time); a session never given one is left alone, as before.
    """
    if not actor or not actor.strip():
        raise ValueError("an audited session needs a non-empty actor")
    _register_once()
    session.info[ACTOR_KEY] = actor


def _only_audited(hook: Any) -> Any:
    def run(session: Any, *args: Any) -> None:
        target = session.session if isinstance(session, ORMExecuteState) else session
        if ACTOR_KEY in target.info:
            hook(session, *args)

    return run


_HOOKS = (
    ("before_flush", _before_flush),
    ("before_flush", _flushing),
    ("after_flush", _after_flush),
    ("after_flush_postexec", _flushed),
    ("after_rollback", _flushed),
    ("before_commit", _before_commit),
    ("after_rollback", _forget_pending),
    ("do_orm_execute", _refuse_bulk_dml),
    ("after_begin", _guard_connection),
)
_registered = threading.Lock()
_REGISTERED: list[bool] = []


def _register_once() -> None:
    if _REGISTERED:
        return
    with _registered:
        if not _REGISTERED:
            for name, hook in _HOOKS:
                event.listen(Session, name, _only_audited(hook))
            _REGISTERED.append(True)
