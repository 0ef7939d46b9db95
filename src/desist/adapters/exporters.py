"""Export any table, or an import kind in its import layout, to CSV or Parquet (chosen by extension).

``desist export outcome FILE`` writes the ``outcome`` table as stored (ids, person ids);
``desist export outcomes FILE`` writes the import layout (prison numbers instead of person ids), so an
export can be imported into another database and re-importing it into the same one changes nothing.
JSON columns are written as JSON text in both formats.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from desist.adapters import files, spreadsheet
from desist.adapters.import_kinds import KINDS
from desist.adapters.orm import Base, Person
from desist.adapters.orm_users import ACCOUNT_TABLES
from desist.domain.errors import InputError

FORMATS = (".csv", ".parquet")


def exportable() -> list[str]:
    """Names accepted by :func:`export`: every table but the accounts', then every import kind."""
    return [*sorted(t for t in Base.metadata.tables if t not in ACCOUNT_TABLES), *KINDS]


def read_export(engine: Engine, name: str) -> pd.DataFrame:
    """The rows ``export`` would write, as a DataFrame ordered by id."""
    if name in ACCOUNT_TABLES:
        raise InputError(f"table {name!r} holds accounts and credentials and is not exported")
    if name in Base.metadata.tables:
        table = Base.metadata.tables[name]
        stmt = select(table).order_by(*table.primary_key.columns)
    elif name in KINDS:
        kind = KINDS[name]
        table = kind.table
        file_cols = [c.name for c in kind.schema.columns if c.name != "prison_number" and c.name in table.c]
        if name == "assessments":
            file_cols.append("outputs")
        if name == "people":
            stmt = select(*(table.c[c] for c in kind.schema.names)).order_by(table.c.id)
        else:
            stmt = (
                select(Person.prison_number, *(table.c[c] for c in file_cols))
                .join(Person, Person.id == table.c.person_id)
                .order_by(table.c.id)
            )
    else:
        raise InputError(f"unknown table {name!r}, expected one of {', '.join(exportable())}")
    with engine.connect() as conn:
        result = conn.execute(stmt)
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for col in frame.columns:
        if frame[col].map(lambda v: isinstance(v, dict | list)).any():
            frame[col] = frame[col].map(lambda v: None if v is None else json.dumps(v, sort_keys=True))
    return frame


def export(
    engine: Engine,
    name: str,
    path: Path | str,
    *,
    force: bool = False,
    protect: Iterable[Path | str] = (),
) -> int:
    """Write table or import kind ``name`` to ``path`` (.csv or .parquet); return the row count.

    CSV text cells that a spreadsheet would run as a formula are written with a leading apostrophe
    (:mod:`desist.adapters.spreadsheet`), which ``desist import`` removes. The file is written through
    :mod:`desist.adapters.files`: never onto the database (``protect``, plus any SQLite file), never over an
    existing file unless ``force``, and whole or not at all.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a file name ending .csv or .parquet")
    if p.suffix.lower() not in FORMATS:
        raise InputError(f"{p}: unknown export format {p.suffix or '(none)'!r}, expected .csv or .parquet")
    protected = [*protect, *files.database_files(engine.url.render_as_string(hide_password=False))]
    files.check_target(p, protect=protected, force=force)  # before reading: refuse fast
    frame = read_export(engine, name)
    if p.suffix.lower() == ".csv":
        files.write_with(p, lambda tmp: spreadsheet.frame_to_csv(frame, tmp), protect=protected, force=force)
    else:
        files.write_with(p, lambda tmp: frame.to_parquet(tmp, index=False), protect=protected, force=force)
    return len(frame)
