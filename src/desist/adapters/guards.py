"""The store's own check of every row it writes: text (control characters, length) and dates (ranges).

Services and the import's updates write through ORM sessions; a ``before_flush`` hook on every session
desist makes (:func:`desist.adapters.engine.make_session_factory`) checks each new or changed value against
:mod:`desist.domain.limits`, so the CLI, the importers and any later entry point (the web application) get
the same rules without each remembering to call them. The import's bulk inserts bypass the ORM and are
checked column by column beforehand (:func:`desist.adapters.importers.limit_problems`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, String, Text, event, inspect
from sqlalchemy.orm import Session

from desist.domain.limits import check_date, check_text, limits


def install(factory: Any) -> None:
    """Check every flush of sessions made by ``factory`` (a ``sessionmaker``)."""
    event.listen(factory, "before_flush", _before_flush)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    today = dt.date.today()
    for obj in list(session.new) + [o for o in session.dirty if session.is_modified(o)]:
        check_row(session, obj, today, new=obj in session.new)


def check_row(session: Session, obj: Any, today: dt.date, *, new: bool = True) -> None:
    """Refuse (``InputError``) a value of ``obj`` outside the limits; only changed values of an old row."""
    state = inspect(obj)
    mapper = state.mapper
    table = mapper.local_table.name
    lim = limits()
    born: dt.date | None = None
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if not new and not state.attrs[attr.key].history.has_changes():
            continue  # old data is escaped on output, not a reason to refuse an unrelated change
        value = getattr(obj, attr.key)
        if value is None:
            continue
        field = f"{table}.{column.name}"
        if isinstance(column.type, String | Text) and isinstance(value, str):
            # a column newer than data/limits.yaml still gets its database size as the limit
            checked = check_text(value, field, max_length=getattr(column.type, "length", None))
            if checked != value:  # CRLF stored as LF in multi-line fields
                setattr(obj, attr.key, checked)
        elif isinstance(column.type, Date) and isinstance(value, dt.date):
            if field in lim.within_life and born is None:
                born = _born(session, obj)
            check_date(value, field, today=today, born=born)


def _born(session: Session, obj: Any) -> dt.date | None:
    person_id = getattr(obj, "person_id", None)
    if person_id is None:
        return None
    from desist.adapters.orm import Person

    with session.no_autoflush:
        person = session.get(Person, person_id)
    return None if person is None else person.date_of_birth
