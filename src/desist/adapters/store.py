"""Store-wide operations a service asks of the database as a whole: schema revision, migration, row counts,
the audit log and table export.

Built by :meth:`desist.bootstrap.App.store`; services call these methods and never see SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from desist.adapters.orm import AuditLog, Base


class Store:
    """The database as a whole.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine that has answered a connection (see :func:`desist.bootstrap.open_engine`).
    shown_url : str
        The URL as it may be printed (password hidden).
    """

    def __init__(self, engine: Engine, shown_url: str) -> None:
        self.engine = engine
        self.shown_url = shown_url

    def revision(self) -> str | None:
        """The schema revision the database is at (``None``: never initialised)."""
        from desist.adapters.schema_version import stored_revision

        return stored_revision(self.engine)

    @staticmethod
    def head_revision() -> str | None:
        """The newest schema revision this desist ships."""
        from desist.adapters.schema_version import head_revision

        return head_revision()

    def upgrade(self) -> None:
        """Create the schema or migrate it to the newest revision (Alembic)."""
        from desist.adapters.migrate import upgrade

        upgrade(self.engine)

    def table_names(self) -> list[str]:
        return sorted(Base.metadata.tables)

    def table_counts(self) -> dict[str, int]:
        """Rows in every desist table, by table name."""
        with self.engine.connect() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in sorted(Base.metadata.tables.items())
            }

    def audit_entries(
        self, *, entity: str | None = None, entity_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Audit-log rows, newest first, as plain dicts (``at`` a timezone-aware UTC datetime)."""
        stmt = select(AuditLog.__table__).order_by(AuditLog.id.desc()).limit(limit)
        if entity:
            stmt = stmt.where(AuditLog.entity == entity)
        if entity_id:
            stmt = stmt.where(AuditLog.entity_id == entity_id)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(stmt).mappings().all()]

    def audit_chain(self, expect_head: str | None = None) -> tuple[Any, bool]:
        """The hash chain's verification report, and whether a row carries ``expect_head``."""
        from sqlalchemy import text

        from desist.adapters.audit_chain import verify

        with self.engine.connect() as conn:
            report = verify(conn)
            known = False
            if expect_head:
                row = conn.execute(
                    text("SELECT id FROM audit_log WHERE hash = :h"), {"h": expect_head.strip().lower()}
                ).first()
                known = row is not None
        return report, known

    def audit_count(self, *, actor_prefix: str = "", except_actor: str | None = None) -> int:
        """Audit-log rows whose actor starts with ``actor_prefix`` (other than ``except_actor``)."""
        stmt = select(func.count()).select_from(AuditLog).where(AuditLog.actor.like(f"{actor_prefix}%"))
        if except_actor is not None:
            stmt = stmt.where(AuditLog.actor != except_actor)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def export(self, name: str, path: Path | str, *, force: bool = False) -> int:
        """Write a table (as stored) or an import kind (in its import layout) to CSV/Parquet; rows written.

        The file is never the database itself, and an existing file is replaced only with ``force``.
        """
        from desist.adapters.exporters import export

        return export(self.engine, name, path, force=force)

    @staticmethod
    def exportable() -> list[str]:
        from desist.adapters.exporters import exportable

        return exportable()
