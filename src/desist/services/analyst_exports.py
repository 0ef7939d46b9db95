"""Analysts' exports: CSV tables in which every man appears by his pseudonym (a keyed hash of his prison
number, :mod:`desist.domain.pseudonym`; the key comes from the settings, never the database), with no direct
identifier and no free text. Needs ``export.pseudonymised`` (analysts). The web application downloads them
(``/exports``); ``desist export NAME FILE --pseudonymised`` writes one to a file
(:func:`write_pseudonymised`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from desist.domain.access import Action, Principal
from desist.domain.errors import InputError, NotFound
from desist.services.scope import acting
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

EXPORTS = {
    "people": "People: year of birth, sex, learning disability or challenges, maintains innocence",
    "referrals": "Referrals: programme, site, status, when referred and last changed",
    "programme_history": "Programme history: programme, start and end, result, targets met",
    "outcomes": "Proven reoffending: offence and proven dates, kind",
}


def pseudonymised_csv(uow: UnitOfWork, name: str, key: Callable[[], bytes]) -> str:
    """The export ``name`` as CSV text (header first). ``key`` returns the pseudonym key, or raises the
    one-line error saying how to set it (asked only after the permission check)."""
    from desist.adapters import analyst_export_queries as q
    from desist.adapters.spreadsheet import safe_row
    from desist.domain.pseudonym import pseudonym

    if name not in EXPORTS:
        raise NotFound(f"export {name!r}: unknown; expected one of {', '.join(EXPORTS)}")
    with uow:
        me: Principal = uow.principal  # type: ignore[attr-defined]
        me.require(Action.EXPORT_PSEUDONYMISED, f"export {name}")
        secret = key()
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["pseudonym", *q.columns(name)])
        cache: dict[str, str] = {}
        for number, *rest in q.rows(uow.session, name):  # type: ignore[attr-defined]
            alias = cache.get(number)
            if alias is None:
                alias = cache[number] = pseudonym(secret, number)
            w.writerow(safe_row([alias, *(_cell(v) for v in rest)]))
        return buf.getvalue()


def write_pseudonymised(
    uow: UnitOfWork, name: str, path: Path | str, key: Callable[[], bytes], *, force: bool = False
) -> int:
    """Write the export ``name`` to the CSV file ``path``; the number of rows (men's records) written.

    The file goes through :mod:`desist.adapters.files`: written whole or not at all, never onto the database's
    own files, and over an existing file only with ``force``.

    Raises
    ------
    Forbidden
        The acting user's roles do not allow ``export.pseudonymised`` (checked first).
    InputError
        ``path`` not a ``.csv`` name, an existing file without ``force``, an unwritable path, no key.
    """
    from desist.adapters import files

    acting(uow, Action.EXPORT_PSEUDONYMISED, f"export {name}")
    if Path(path).suffix.lower() != ".csv":
        raise InputError(f"{path}: a pseudonymised export is CSV; expected a file name ending .csv")
    text = pseudonymised_csv(uow, name, key)
    protect = files.database_files(uow.settings.database_url)  # type: ignore[attr-defined]
    files.write_text(path, text, protect=protect, force=force, what="FILE")
    return sum(1 for _ in csv.reader(io.StringIO(text))) - 1


def _cell(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
