"""The import's reads and writes on the store: who is on file, what is stored by natural key, bulk insert and
audited updates. :mod:`desist.services.imports` decides; this module only talks to the database.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Column, ColumnElement, String, cast, select
from sqlalchemy.orm import Session

from desist.adapters import bulk
from desist.adapters.import_kinds import Kind
from desist.adapters.importers import cell_text
from desist.adapters.orm import Person, is_json

DIFF_PARTITION = 100_000


class ImportStore:
    """The import's access to the store, inside one unit of work (``uow.imports``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def person_ids(self) -> dict[str, int]:
        """Prison number -> person id, for everyone on file."""
        return dict(self.session.connection().execute(select(Person.prison_number, Person.id)).all())

    def person_sexes(self) -> dict[int, str]:
        """Person id -> sex as recorded."""
        return dict(self.session.connection().execute(select(Person.id, Person.sex)).all())

    def person_births(self) -> dict[int, str]:
        """Person id -> date of birth as ISO text."""
        rows = self.session.connection().execute(select(Person.id, Person.date_of_birth)).all()
        return {pid: born.isoformat() for pid, born in rows if born is not None}

    def pnc_owners(self) -> dict[str, str]:
        """PNC number -> the prison number it belongs to."""
        stmt = select(Person.pnc_number, Person.prison_number).where(Person.pnc_number.is_not(None))
        return dict(self.session.connection().execute(stmt).all())

    def diff(self, spec: Kind, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Split rows into new, changed (with the stored ``id``) and unchanged, by natural key."""
        return _diff(self.session.connection(), spec, rows)

    def insert(self, spec: Kind, rows: pd.DataFrame, actor: str) -> int:
        """Insert new rows in bulk, with their audit rows; the number inserted."""
        return bulk.insert_frame(self.session.connection(), spec.table, rows, actor)

    def update(self, spec: Kind, changed: pd.DataFrame) -> None:
        """Apply changed values through the ORM so the audit listener records before and after."""
        _update(self.session, spec, changed)


def _diff(conn: Any, spec: Kind, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split rows into new, changed (with the stored ``id``) and unchanged, by natural key."""
    wanted = ["id", *spec.key, *spec.values]
    # Dates and numbers come back as text from the database itself ('YYYY-MM-DD' on both backends),
    # which is much faster than converting a million Python date objects.
    exprs = [spec.table.c.id] + [_as_text_expr(spec.table.c[c]) for c in wanted[1:]]
    # Read in partitions so a million stored rows never exist as Row objects all at once.
    parts = []
    stmt = select(*exprs).execution_options(yield_per=DIFF_PARTITION)  # on the statement, not the connection
    for part in conn.execute(stmt).partitions():
        frame = pd.DataFrame(part, columns=wanted)
        for col in [*spec.key, *spec.values]:
            # share one string object per distinct value (dates, ids and codes repeat a lot)
            canonical = _as_canonical(frame[col], spec.table.c[col].type)
            codes, uniques = pd.factorize(canonical, use_na_sentinel=False)
            frame[col] = np.asarray(uniques, dtype=object)[codes]
        parts.append(frame)
    if not parts:
        return rows, rows.iloc[0:0], rows.iloc[0:0]
    stored = pd.concat(parts, ignore_index=True)
    del parts
    merged = rows.merge(stored, on=list(spec.key), how="left", suffixes=("", "__stored"), indicator=True)
    is_new = merged["_merge"] == "left_only"
    differs = pd.Series(False, index=merged.index)
    for col in spec.values:
        differs |= merged[col] != merged[f"{col}__stored"]
    keep = list(rows.columns)
    changed = merged[~is_new & differs][[*keep, "id"]]
    return merged[is_new][keep], changed, merged[~is_new & ~differs][keep]


def _as_text_expr(column: Column[Any]) -> ColumnElement[Any]:
    if isinstance(column.type, Boolean) or is_json(column.type):
        return column
    return cast(column, String).label(column.name)


def _as_canonical(values: pd.Series, column_type: object) -> pd.Series:
    """Stored values as the canonical text the importer produces (vectorised where the type allows)."""
    if isinstance(column_type, Boolean) or is_json(column_type):
        return values.map(cell_text)
    return values.astype(str).where(values.notna(), "")


def _update(session: Session, spec: Kind, changed: pd.DataFrame) -> None:
    """Apply changed values through the ORM so the audit listener records before and after."""
    if changed.empty:
        return
    model = next(m.class_ for m in Person.registry.mappers if m.local_table is spec.table)
    for record in changed[["id", *spec.values]].to_dict("records"):
        obj = session.get(model, int(record.pop("id")))
        for name, value in record.items():
            setattr(obj, str(name), bulk.typed(spec.table, str(name), value))
    session.flush()
