"""The table, column and index shapes the Alembic migrations repeat, spelled once.

A migration lists what is particular to a table (its columns, checks, references, unique keys and
indexes); :class:`TableShape` adds the surrogate key, names every constraint the way the ORM's naming
convention does (``pk_``, ``fk_``, ``uq_``, ``ck_``, ``ix_`` names, fixed with ``op.f``), and creates
the table then its indexes, or drops the indexes (last first) then the table.

Frozen: migrations that have shipped call these, so what any of them emits must never change (that would
change what an old migration did to the databases already out there). A new shape is a new function, or a
new keyword whose default keeps the old output.

A shape holds ``sa.Column`` objects, which belong to the one table they are created in, so a migration
builds its shapes afresh each time it runs (in a function, not at import).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

#: a JSON column's type: JSON on SQLite, JSONB on PostgreSQL
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def integer(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), nullable=nullable)


def string(name: str, length: int, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    """A ``varchar(length)`` column."""
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def text(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    """A text column of no set length."""
    return sa.Column(name, sa.Text(), nullable=nullable)


def date(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Date(), nullable=nullable)


def boolean(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Boolean(), nullable=nullable)


def number(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    """A floating-point column."""
    return sa.Column(name, sa.Float(), nullable=nullable)


def flag(name: str) -> sa.Column:  # type: ignore[type-arg]
    """A NOT NULL boolean that is false unless set (rows that were there before it read as false)."""
    return sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())


def timestamp(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    """A column holding a moment with its time zone."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def json_column(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    """A column holding a JSON document (JSONB on PostgreSQL)."""
    return sa.Column(name, JSON, nullable=nullable)


@dataclass(frozen=True)
class IndexShape:
    """An index of a table: plain, or unique over the rows where ``where`` holds (on both backends).

    ``fixed`` names it through ``op.f`` (the name as given, never run through the naming convention).
    """

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None
    fixed: bool = True

    def _name(self) -> str:
        return op.f(self.name) if self.fixed else self.name

    def create(self, table: str) -> None:
        where: dict[str, Any] = {}
        if self.where is not None:
            where = {"sqlite_where": sa.text(self.where), "postgresql_where": sa.text(self.where)}
        op.create_index(self._name(), table, list(self.columns), unique=self.unique, **where)

    def drop(self, table: str) -> None:
        op.drop_index(self._name(), table_name=table)


def partial_unique(name: str, columns: tuple[str, ...], where: str) -> IndexShape:
    """A unique index over the rows where ``where`` holds (say, the open ones), named as given."""
    return IndexShape(name, columns, unique=True, where=where, fixed=False)


@dataclass(frozen=True)
class TableShape:
    """A table as a migration creates it: ``id`` first (unless ``primary_key`` names other columns), then
    ``columns``; constraints in the order checks, references, primary key, unique keys; then the indexes:
    ``indexed`` columns one each (``ix_<table>_<column>``), then ``indexes``.

    ``checks`` maps a check's name (after ``ck_<table>_``) to its condition; ``references`` a column to the
    table whose ``id`` it holds; ``unique`` lists the column tuples that are unique keys.
    """

    name: str
    columns: tuple[sa.Column, ...]  # type: ignore[type-arg]
    checks: Mapping[str, str] = field(default_factory=dict)
    references: Mapping[str, str] = field(default_factory=dict)
    unique: tuple[tuple[str, ...], ...] = ()
    primary_key: tuple[str, ...] = ("id",)
    indexed: tuple[str, ...] = ()
    indexes: tuple[IndexShape, ...] = ()

    def constraints(self) -> list[sa.Constraint]:
        t = self.name
        return [
            *(sa.CheckConstraint(cond, name=op.f(f"ck_{t}_{name}")) for name, cond in self.checks.items()),
            *(
                sa.ForeignKeyConstraint([col], [f"{target}.id"], name=op.f(f"fk_{t}_{col}_{target}"))
                for col, target in self.references.items()
            ),
            sa.PrimaryKeyConstraint(*self.primary_key, name=op.f(f"pk_{t}")),
            *(sa.UniqueConstraint(*cols, name=op.f(f"uq_{t}_{'_'.join(cols)}")) for cols in self.unique),
        ]

    def all_indexes(self) -> tuple[IndexShape, ...]:
        return (*(IndexShape(f"ix_{self.name}_{c}", (c,)) for c in self.indexed), *self.indexes)

    def create(self) -> None:
        key = (sa.Column("id", sa.Integer(), nullable=False),) if self.primary_key == ("id",) else ()
        op.create_table(self.name, *key, *self.columns, *self.constraints())
        for index in self.all_indexes():
            index.create(self.name)

    def drop(self) -> None:
        for index in reversed(self.all_indexes()):
            index.drop(self.name)
        op.drop_table(self.name)


def create_tables(tables: list[TableShape]) -> None:
    """Create ``tables`` (each with its indexes) in order."""
    for table in tables:
        table.create()


def drop_tables(tables: list[TableShape]) -> None:
    """Drop ``tables`` last first (each after its indexes)."""
    for table in reversed(tables):
        table.drop()
