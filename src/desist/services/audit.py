"""Reading the audit log: who changed what, when, before and after (``desist audit``).

Only a user whose role allows ``audit.read`` (administrators, ``data/access_policy.yaml``) reads the log
or checks its chain: the log holds every change to every man's record, before and after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from desist.domain.access import Action, Principal
from desist.domain.errors import InputError


class AuditSource(Protocol):
    """What reading the audit log needs of the store (:class:`desist.adapters.store.Store`)."""

    def table_names(self) -> list[str]: ...
    def audit_chain(self, expect_head: str | None = None) -> tuple[Any, bool]: ...
    def audit_entries(
        self, *, entity: str | None = None, entity_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class AuditEntry:
    """One audit-log row. ``at`` is always timezone-aware UTC."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def changes(self) -> dict[str, tuple[Any, Any]]:
        """Changed fields ``{name: (before, after)}`` (every field for an insert or a delete)."""
        return diff(self.before, self.after)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "before": self.before,
            "after": self.after,
        }


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    """Changed fields ``{name: (before, after)}``: for an insert every field is ``(None, value)``, for a
    delete ``(value, None)``."""
    if before and after:
        return {k: (before.get(k), after[k]) for k in after if before.get(k) != after[k]}
    if after:
        return {k: (None, v) for k, v in after.items()}
    return {k: (v, None) for k, v in (before or {}).items()}


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (a naive value is UTC: desist only ever writes UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def read_audit(
    store: AuditSource,
    *,
    principal: Principal,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """The newest ``limit`` audit entries, newest first, optionally of one table (and one row of it).

    Raises
    ------
    Forbidden
        ``principal``'s roles do not allow ``audit.read``.
    InputError
        ``entity`` is not a table; ``limit`` below 1.
    """
    principal.require(Action.AUDIT_READ, "read the audit log")
    if limit < 1:
        raise InputError(f"limit: {limit}; expected 1 or more")
    tables = [t for t in store.table_names() if t != "audit_log"]
    if entity and entity not in tables:
        raise InputError(f"entity: {entity!r} is not a table; expected one of {', '.join(tables)}")
    rows = store.audit_entries(entity=entity or None, entity_id=entity_id or None, limit=limit)
    return [
        AuditEntry(
            int(r["id"]),
            as_utc(r["at"]),
            r["actor"],
            r["action"],
            r["entity"],
            str(r["entity_id"]),
            r["before"],
            r["after"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ChainCheck:
    """The audit log's hash chain: rows, the head hash, and what is wrong (``None`` when intact)."""

    rows: int
    head: str | None
    problem: str | None


def verify_chain(store: AuditSource, *, principal: Principal, expect_head: str | None = None) -> ChainCheck:
    """Check the audit log's hash chain, and (with ``expect_head``) that a head hash recorded earlier is
    still in it (a log cut back or rewritten since would have lost it). Needs ``audit.read``."""
    principal.require(Action.AUDIT_READ, "verify the audit log")
    report, known = store.audit_chain(expect_head)
    if not report.intact:
        return ChainCheck(
            report.rows, report.head, f"chain broken at row {report.broken_at}: {report.problem}"
        )
    if expect_head and not known:
        return ChainCheck(
            report.rows,
            report.head,
            f"no row has the expected head {expect_head}; the log was cut back or rewritten since that hash "
            "was recorded",
        )
    return ChainCheck(report.rows, report.head, None)
