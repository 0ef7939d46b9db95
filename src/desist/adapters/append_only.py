"""Triggers that make a table append-only (refuse UPDATE and DELETE, and TRUNCATE on PostgreSQL), as SQL text.

Used for ``audit_log`` and ``evaluation_run`` by the ORM (``metadata.create_all``) and by the migrations
that made them (0001, 0006, 0007), so both ways of building a database carry the same guard.

Frozen: migrations that have shipped run these statements, so what a function here returns for a table must
never change (that would change what an old migration did). A new kind of guard is a new function.

>>> append_only_drop("evaluation_run", "sqlite")
('DROP TRIGGER IF EXISTS evaluation_run_no_update', 'DROP TRIGGER IF EXISTS evaluation_run_no_delete')
>>> append_only_ddl("evaluation_run", "mysql")
()
"""

from __future__ import annotations


def pg_row_trigger(table: str) -> str:
    """PostgreSQL: the trigger refusing UPDATE and DELETE of a row of ``table`` (needs its function)."""
    return (
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
    )


def append_only_ddl(table: str, dialect: str) -> tuple[str, ...]:
    """The statements making ``table`` append-only on ``dialect`` (none for another dialect)."""
    refused = f"'{table} is append-only'"
    if dialect == "sqlite":
        return tuple(
            f"CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {refused}); END"
            for what in ("UPDATE", "DELETE")
        )
    if dialect == "postgresql":
        return (
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION {refused}; END $$",
            pg_row_trigger(table),
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
        )
    return ()


def append_only_drop(table: str, dialect: str) -> tuple[str, ...]:
    """The statements undoing :func:`append_only_ddl` (none for another dialect)."""
    if dialect == "sqlite":
        return (f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if dialect == "postgresql":
        return (
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_append_only()",
        )
    return ()
