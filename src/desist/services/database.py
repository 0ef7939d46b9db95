"""Database use cases: initialise or migrate the schema, and report its state (``desist db init|status``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


class StoreLike(Protocol):
    """What these use cases need of the store (:class:`desist.adapters.store.Store`)."""

    shown_url: str

    def revision(self) -> str | None: ...
    def head_revision(self) -> str | None: ...
    def upgrade(self) -> None: ...
    def table_counts(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class DatabaseStatus:
    """The schema revision of a database, the newest one, and the rows in every table."""

    url: str
    revision: str | None
    head: str | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def up_to_date(self) -> bool:
        return self.revision is not None and self.revision == self.head

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "up_to_date": self.up_to_date}


def initialise(store: StoreLike) -> DatabaseStatus:
    """Create the schema, or migrate it to the newest revision (safe to repeat)."""
    store.upgrade()
    return DatabaseStatus(store.shown_url, store.revision(), store.head_revision())


def status(store: StoreLike) -> DatabaseStatus:
    """The schema revision and the row count of every table."""
    return DatabaseStatus(store.shown_url, store.revision(), store.head_revision(), store.table_counts())
