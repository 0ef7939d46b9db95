"""The database's own limit checks (CHECK constraints on PostgreSQL, triggers on SQLite), as SQL text.

Used by the migrations that add text or date columns (0005 for the tables then, 0010 for the men's names).
Each migration passes its own frozen figures, so a later change to data/limits.yaml never changes what an
old migration did; this module only spells the SQL, and is frozen too (what a function returns for given
figures must never change; a new spelling is a new function). Hand-written because no library writes a
portable "length and no control character" check: SQLAlchemy's ``CheckConstraint`` takes the SQL text as
given, and SQLite cannot add a CHECK to an existing table at all (hence the triggers).
"""

from __future__ import annotations

from collections.abc import Mapping, Set

EARLIEST, LATEST = "1900-01-01", "2199-12-31"


def pg_checks(
    table: str,
    lengths: Mapping[str, int],
    dates: tuple[str, ...] = (),
    multiline: Set[str] = frozenset(),
) -> list[tuple[str, str]]:
    """``(constraint name, condition)`` for each column of ``table``: length, control characters, dates."""
    out = []
    for col, n in lengths.items():
        lf = "" if col in multiline else "\\x0a"
        controls = f"[\\x01-\\x08{lf}\\x0b-\\x1f\\x7f]"
        out.append((f"lim_{table}_{col}", f"char_length({col}) <= {n} AND {col} !~ E'{controls}'"))
    for col in dates:
        out.append((f"lim_{table}_{col}", f"{col} BETWEEN DATE '{EARLIEST}' AND DATE '{LATEST}'"))
    return out


def sqlite_condition(
    lengths: Mapping[str, int], dates: tuple[str, ...] = (), multiline: Set[str] = frozenset()
) -> str:
    """True when NEW holds a value outside the limits (NULLs are never outside)."""
    parts = []
    for col, n in lengths.items():
        # GLOB with a character class built from char(): SQLite has no escapes in string literals
        lf = "" if col in multiline else "char(10) || "
        cls = f"'*[' || char(1) || '-' || char(8) || {lf}char(11) || '-' || char(31) || char(127) || ']*'"
        parts.append(f"length(NEW.{col}) > {n} OR NEW.{col} GLOB ({cls})")
    for col in dates:
        parts.append(f"NEW.{col} < '{EARLIEST}' OR NEW.{col} > '{LATEST}'")
    return " OR ".join(f"({p})" for p in parts)


def sqlite_triggers(name: str, table: str, condition: str) -> list[str]:
    """``CREATE TRIGGER`` statements aborting an insert or update of ``table`` when ``condition`` holds."""
    return [
        f"CREATE TRIGGER {name}_{when.lower()} BEFORE {when} ON {table} "
        f"WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{table}: a value outside the limits of data/limits.yaml'); END"
        for when in ("INSERT", "UPDATE")
    ]


def limit_statements(
    dialect: str,
    table: str,
    trigger: str,
    lengths: Mapping[str, int],
    dates: tuple[str, ...] = (),
    multiline: Set[str] = frozenset(),
    not_valid: bool = False,
) -> list[tuple[str, str]]:
    """``(statement adding a limit, statement removing it)`` pairs for ``table`` on ``dialect``.

    PostgreSQL: one named CHECK constraint a column (``NOT VALID`` with ``not_valid``: rows already there
    are not checked). Otherwise (SQLite): the insert and update triggers named ``<trigger>_insert`` and
    ``<trigger>_update``.
    """
    if dialect == "postgresql":
        valid = " NOT VALID" if not_valid else ""
        return [
            (f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({check}){valid}",
             f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
            for name, check in pg_checks(table, lengths, dates, multiline)
        ]
    creates = sqlite_triggers(trigger, table, sqlite_condition(lengths, dates, multiline))
    drops = [f"DROP TRIGGER IF EXISTS {trigger}_{when}" for when in ("insert", "update")]
    return list(zip(creates, drops, strict=True))
