"""Export use case: a table as stored, or an import kind in its import layout (``desist export``).

Such a file names men (prison numbers, PNC numbers, dates of birth): only a user whose role allows
``export.identified`` (administrators, ``data/access_policy.yaml``) may write one. Analysts export
pseudonymised tables instead (:mod:`desist.services.analyst_exports`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from desist.domain.access import Action, Principal


class ExportTarget(Protocol):
    """What exporting needs of the store (:class:`desist.adapters.store.Store`)."""

    def export(self, name: str, path: Path | str, *, force: bool = False) -> int: ...


def export_table(
    store: ExportTarget, name: str, path: Path | str, *, principal: Principal, force: bool = False
) -> int:
    """Write ``name`` (a table, e.g. ``outcome``, or an import kind, e.g. ``outcomes``) to ``path``.

    The format follows the extension (``.csv`` or ``.parquet``); returns the number of rows written. An
    existing file is replaced only with ``force``; the database's own files never are.

    Raises
    ------
    Forbidden
        ``principal``'s roles do not allow ``export.identified`` (checked first: nothing is written).
    InputError
        Unknown table or kind, unsupported extension, unwritable path.
    """
    principal.require(Action.EXPORT_IDENTIFIED, f"export {name}")
    return store.export(name, path, force=force)
