"""The audit log's hash chain: what each row's hash covers, the database code that writes it, and verify.

Each ``audit_log`` row carries ``hash = sha256(previous row's hash + content)`` in hex, where ``content`` is
every column of the row (id, actor, at, entity, entity_id, action, before, after), each written as
``length:text`` so no two different rows give the same text. The first row follows :data:`GENESIS`.

The database computes the hash, in the transaction that writes the row, with its own clock for ``at``:

- PostgreSQL: a ``BEFORE INSERT`` trigger takes a transaction-scoped advisory lock (so two writers cannot
  both append after the same row and fork the chain), then draws the row's id, sets ``at`` to
  ``clock_timestamp()`` and computes the hash. Drawing the id after the lock keeps id order = chain order.
- SQLite: an ``AFTER INSERT`` trigger sets ``at`` and ``hash`` (the only update the append-only
  trigger allows, and only while ``hash`` is empty). SQLite has no SHA-256, so desist registers
  ``desist_sha256`` on each connection it opens (:func:`register_sqlite_functions`); a connection that
  did not (the ``sqlite3`` shell) cannot append at all. Writers are serialised by SQLite's write lock.

The content is produced by the same SQL expression (:func:`content_sql`) when writing and when checking, so
verification does not depend on how a driver turns JSON or timestamps into Python values.

This is format 1. It is frozen: migration 0006 installs it; a change would be a new format and migration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

GENESIS = "0" * 64
#: the columns a hash covers, in order
COVERED = ("id", "actor", "at", "entity", "entity_id", "action", "before", "after")


def sha256_hex(value: str) -> str:
    """SHA-256 of ``value`` (UTF-8) in lower-case hex, as PostgreSQL's ``encode(sha256(...), 'hex')``."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def content_sql(dialect: str, prefix: str = "", at: str | None = None) -> str:
    """SQL giving a row's content text (``prefix`` e.g. ``"NEW."`` inside a trigger).

    PostgreSQL: the row constructor's text form, which quotes and escapes each field (so no two rows give
    one text) and is cheap inside the per-row trigger; ``at`` in a fixed format in UTC and the JSON in
    jsonb's own text, neither depending on session settings. SQLite: each value as ``length:text``
    (``-`` for NULL), the same guarantee from plain SQL.
    """
    if dialect == "postgresql":
        fields = [f"{prefix}{c}" for c in COVERED]
        fields[2] = f"to_char({prefix}at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
        return f"ROW({', '.join(fields)})::text"
    parts = []
    for column in COVERED:
        value = at if column == "at" and at else f"CAST({prefix}{column} AS TEXT)"
        parts.append(f"coalesce(length({value}) || ':' || {value}, '-')")
    return " || '|' || ".join(parts)


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Make ``desist_sha256(text)`` available to SQLite triggers on this connection."""
    dbapi_connection.create_function("desist_sha256", 1, sha256_hex, deterministic=True)


def sqlite_ddl() -> tuple[str, ...]:
    """Triggers making ``audit_log`` append-only and hash-chained on SQLite."""
    raise_ = "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ("id", "actor", "entity", "entity_id",
                                                               "action", "before", "after"))
    previous = "(SELECT p.hash FROM audit_log p WHERE p.id < NEW.id ORDER BY p.id DESC LIMIT 1)"
    now = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
    return (
        # REPLACE / INSERT OR REPLACE / upserts delete the old row without firing delete triggers
        # (unless recursive_triggers is on): refuse any insert whose id is taken, before it happens.
        "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
        f"WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) {raise_}",
        "CREATE TRIGGER audit_log_hash_by_database BEFORE INSERT ON audit_log WHEN NEW.hash IS NOT NULL "
        "BEGIN SELECT RAISE(ABORT, 'audit_log.hash is computed by the database'); END",
        # the chain trigger's own two updates are the only ones allowed: at and hash, while hash is empty
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        f"WHEN OLD.hash IS NOT NULL OR {changed} {raise_}",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log " + raise_,
        # 'now' is one instant within a statement, so ``at`` and the hash of it agree
        f"CREATE TRIGGER audit_log_chain AFTER INSERT ON audit_log BEGIN UPDATE audit_log SET at = {now}, "
        f"hash = desist_sha256(coalesce({previous}, '{GENESIS}') || '|' || {content_sql('sqlite', at=now)}) "
        "WHERE id = NEW.id; END",
    )


SQLITE_TRIGGERS = (
    "audit_log_no_replace",
    "audit_log_hash_by_database",
    "audit_log_no_update",
    "audit_log_no_delete",
    "audit_log_chain",
)


def postgres_ddl() -> tuple[str, ...]:
    """The chain trigger on PostgreSQL (append-only triggers are migration 0001's).

    The first append of a transaction takes the chain's lock and reads the last id and hash; later
    appends in the same transaction (a bulk import writes one per row) take them from a transaction-local
    setting, which is what keeps the trigger's cost per row small. The id from the column default is
    kept unless a row appended meanwhile has a higher one (then the row draws a new id, after the lock).
    """
    return (
        "CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE head text := current_setting('desist.audit_chain_head', true); "
        "prev text; last_id bigint; BEGIN "
        "IF head IS NULL OR head = '' THEN "
        # one chain per schema: the advisory lock is database-wide, so key it by the schema's name
        "PERFORM pg_advisory_xact_lock(hashtext('desist.audit_log.' || current_schema())); "
        "SELECT a.id, a.hash INTO last_id, prev FROM audit_log a ORDER BY a.id DESC LIMIT 1; "
        "ELSE last_id := split_part(head, ':', 1)::bigint; prev := split_part(head, ':', 2); "
        "END IF; "
        # an id drawn before the lock may be below one appended meanwhile: draw again, after the lock
        "IF NEW.id IS NULL OR NEW.id <= coalesce(last_id, 0) THEN "
        "NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id')); END IF; "
        "NEW.at := clock_timestamp(); "
        f"NEW.hash := encode(sha256(convert_to(coalesce(prev, '{GENESIS}') || '|' || "
        f"{content_sql('postgresql', 'NEW.')}, 'UTF8')), 'hex'); "
        "PERFORM set_config('desist.audit_chain_head', NEW.id || ':' || NEW.hash, true); "
        "RETURN NEW; END $$",
        "CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW "
        "EXECUTE FUNCTION audit_log_chain()",
    )


POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS audit_log_chain ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_chain()",
)


@dataclass(frozen=True)
class ChainReport:
    """The result of checking the chain: rows read, the last hash, and the first break (if any)."""

    rows: int
    head: str
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def chain_rows(conn: Connection, batch: int = 5_000) -> Iterator[tuple[int, str | None, str]]:
    """``(id, stored hash, content text)`` of every row in id order, a page of ``batch`` rows at a time.

    Pages by id (keyset), so no cursor stays open and the caller may write between pages (sealing).
    """
    stmt = text(
        f"SELECT id, hash, {content_sql(conn.dialect.name)} AS content FROM audit_log "
        "WHERE id > :after ORDER BY id LIMIT :n"
    )
    after = -1
    while True:
        page = conn.execute(stmt, {"after": after, "n": batch}).all()
        for row in page:
            yield int(row[0]), row[1], str(row[2])
        if len(page) < batch:
            return
        after = int(page[-1][0])


def verify(conn: Connection) -> ChainReport:
    """Recompute the chain from the first row; report the first row whose hash does not follow."""
    previous, previous_id, count = GENESIS, None, 0
    for row_id, stored, content in chain_rows(conn):
        count += 1
        after = f"row {previous_id}, the row before it" if previous_id is not None else "the start of the log"
        if stored is None:
            return ChainReport(
                count, previous, row_id, f"row {row_id} has no hash (written around the chain)"
            )
        if stored != sha256_hex(f"{previous}|{content}"):
            return ChainReport(
                count,
                previous,
                row_id,
                f"row {row_id}'s hash does not follow from its content and {after}: "
                f"row {row_id} was changed, or a row before it was removed or rewritten",
            )
        previous, previous_id = stored, row_id
    return ChainReport(count, previous)


def seal_existing(conn: Connection) -> int:
    """Give every row without a hash its chained hash, in id order (migration 0006, rows written before)."""
    previous, done = GENESIS, 0
    for row_id, stored, content in chain_rows(conn):
        if stored is None:
            stored = sha256_hex(f"{previous}|{content}")
            conn.execute(text("UPDATE audit_log SET hash = :h WHERE id = :id"), {"h": stored, "id": row_id})
            done += 1
        previous = stored
    return done
