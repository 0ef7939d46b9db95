"""Export any table, or an import kind in its import layout, to CSV or Parquet (chosen by extension).

``desist export outcome FILE`` writes the ``outcome`` table as stored (ids, person ids);
``desist export outcomes FILE`` writes the import layout (prison numbers instead of person ids), so an
export can be imported into another database and re-importing it into the same one changes nothing.
JSON columns are written as JSON text in both formats.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from desist.adapters.import_kinds import KINDS
from desist.adapters.orm import Base, Person
from desist.domain.errors import InputError

FORMATS = (".csv", ".parquet")


def exportable() -> list[str]:
    """Names accepted by :func:`export`: every table, then every import kind."""
    return [*sorted(Base.metadata.tables), *KINDS]


def read_export(engine: Engine, name: str) -> pd.DataFrame:
    """The rows ``export`` would write, as a DataFrame ordered by id."""
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


def export(engine: Engine, name: str, path: Path | str) -> int:
    """Write table or import kind ``name`` to ``path`` (.csv or .parquet); return the row count."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a file name ending .csv or .parquet")
    if p.suffix.lower() not in FORMATS:
        raise InputError(f"{p}: unknown export format {p.suffix or '(none)'!r}, expected .csv or .parquet")
    if not p.parent.is_dir():
        raise InputError(f"{p}: folder {p.parent} does not exist, expected an existing folder")
    frame = read_export(engine, name)
    # Write beside the target and rename: a failure part-way (disk full, killed) leaves no half-written
    # file, and an existing file at the path is replaced whole or not at all.
    tmp = p.with_name(f".{p.name}.{os.getpid()}.partial")
    try:
        if p.suffix.lower() == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, p)
    except OSError as exc:
        raise InputError(f"{p}: cannot write the file ({exc.strerror or type(exc).__name__})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return len(frame)
