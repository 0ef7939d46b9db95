"""Export use case: a table as stored, or an import kind in its import layout (``desist export``)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class ExportTarget(Protocol):
    """What exporting needs of the store (:class:`desist.adapters.store.Store`)."""

    def export(self, name: str, path: Path | str, *, force: bool = False) -> int: ...


def export_table(store: ExportTarget, name: str, path: Path | str, *, force: bool = False) -> int:
    """Write ``name`` (a table, e.g. ``outcome``, or an import kind, e.g. ``outcomes``) to ``path``.

    The format follows the extension (``.csv`` or ``.parquet``); returns the number of rows written. An
    existing file is replaced only with ``force``; the database's own files never are.

    Raises
    ------
    InputError
        Unknown table or kind, unsupported extension, unwritable path.
    """
    return store.export(name, path, force=force)
