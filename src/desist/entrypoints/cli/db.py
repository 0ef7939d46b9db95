"""Storage CLI: ``desist db init|status``, ``desist import``, ``desist export``, ``desist audit``.

The engine is built inside each command from :class:`desist.config.Settings` (``DESIST_DATABASE_URL``, or
the SQLite file ``desist.db`` in the current directory), never at import. ``--url`` overrides both.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import typer

from desist.domain.errors import InputError
from desist.entrypoints.cli.casework_common import UrlOpt, engine_at_head, open_engine, shown_url

KIND_NAMES = ("people", "sentences", "assessments", "programme-history", "outcomes")


def _url(url: str | None) -> str:
    from desist.config import get_settings

    return get_settings(database_url=url).database_url


def _ready_engine(url: str | None):  # type: ignore[no-untyped-def]
    """An engine on a database that has been initialised to the current schema (else one clear line)."""
    # engine_at_head refuses a missing SQLite file (connecting would create an empty one), a bad URL and
    # an unreachable server in one line each
    return engine_at_head(_url(url))


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def register(app: typer.Typer) -> None:
    """Add ``db``, ``import``, ``export`` and ``audit`` to the app."""
    db = typer.Typer(help="Create, migrate and inspect the casework database.", no_args_is_help=True)
    app.add_typer(db, name="db")

    @db.command("init")
    def db_init(url: str = UrlOpt) -> None:
        """Create the database, or migrate it to the newest schema (safe to repeat)."""
        from desist.adapters.migrate import current_revision, upgrade

        resolved = _url(url)
        engine = upgrade(open_engine(resolved, create=True))
        typer.echo(f"{shown_url(resolved)}: schema at revision {current_revision(engine)} (newest)")
        engine.dispose()

    @db.command("status")
    def db_status(url: str = UrlOpt) -> None:
        """Show the schema revision and the row count of every table."""
        from sqlalchemy import func, select

        from desist.adapters.orm import Base

        engine = _ready_engine(url)
        typer.echo(f"{shown_url(_url(url))}: schema up to date")
        with engine.connect() as conn:
            for name, table in sorted(Base.metadata.tables.items()):
                count = conn.execute(select(func.count()).select_from(table)).scalar_one()
                typer.echo(f"  {name:<24}{count:>10}")
        engine.dispose()

    @app.command("import")
    def import_(
        kind: str = typer.Argument(..., help="people, sentences, assessments, programme-history or outcomes"),
        file: Path = typer.Argument(..., help="CSV or Parquet file (columns: docs/import.md)"),
        url: str = UrlOpt,
        actor: str = typer.Option(None, "--actor", help="Recorded in the audit log (default cli:<user>)"),
        dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing"),
    ) -> None:
        """Import a file all-or-nothing: any bad row imports nothing and every bad row is listed."""
        from desist.adapters.engine import make_session_factory
        from desist.services.imports import ImportRejected, import_file

        if kind not in KIND_NAMES:
            raise InputError(f"unknown import kind {kind!r}, expected one of {', '.join(KIND_NAMES)}")
        engine = _ready_engine(url)
        try:
            report = import_file(
                make_session_factory(engine),
                kind,
                file,
                actor=actor or _default_actor(),
                progress=lambda msg: typer.echo(msg, err=True),
                dry_run=dry_run,
            )
        except ImportRejected as exc:
            for problem in exc.problems:
                typer.echo(f"error: {exc.path}: {problem}", err=True)
            raise
        finally:
            engine.dispose()
        typer.echo(report.summary())

    @app.command("export")
    def export_(
        table: str = typer.Argument(..., help="A table (e.g. outcome) or an import kind (e.g. outcomes)"),
        file: Path = typer.Argument(..., help="Output file: .csv or .parquet"),
        url: str = UrlOpt,
        force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
    ) -> None:
        """Export a table as stored, or an import kind in its import layout (re-importable).

        CSV text cells that a spreadsheet would run as a formula get a leading apostrophe (removed again by
        import). The file is never the database, and an existing file is replaced only with --force.
        """
        from desist.adapters.exporters import export
        from desist.adapters.files import check_target, database_files

        resolved = _url(url)
        check_target(file, protect=database_files(resolved), force=force)  # before opening the database
        engine = _ready_engine(url)
        try:
            count = export(engine, table, file, force=force)
        finally:
            engine.dispose()
        typer.echo(f"{file}: {count} row(s) of {table}")

    audit = typer.Typer(
        help="The audit log: show it (newest first), or check its hash chain (audit verify).",
        invoke_without_command=True,
    )
    app.add_typer(audit, name="audit")

    @audit.callback()
    def audit_(
        ctx: typer.Context,
        entity: str = typer.Option(None, "--entity", help="Only this table, e.g. referral"),
        entity_id: str = typer.Option(None, "--id", help="Only this row id (with --entity)"),
        limit: int = typer.Option(50, "--limit", min=1, max=1_000_000_000, help="Newest N entries"),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
        url: str = UrlOpt,
    ) -> None:
        """Show the audit log, newest first: who changed what, when, before and after."""
        if ctx.invoked_subcommand is not None:
            return
        from sqlalchemy import select

        from desist.adapters.orm import AuditLog, Base

        if entity and entity not in Base.metadata.tables:
            tables = ", ".join(sorted(t for t in Base.metadata.tables if t != "audit_log"))
            raise InputError(f"--entity {entity!r}: not a table, expected one of {tables}")
        engine = _ready_engine(url)
        stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
        if entity:
            stmt = stmt.where(AuditLog.entity == entity)
        if entity_id:
            stmt = stmt.where(AuditLog.entity_id == entity_id)
        with engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        engine.dispose()
        for row in rows:
            if as_json:
                typer.echo(json.dumps({**row, "at": row["at"].isoformat()}, sort_keys=True, default=str))
                continue
            changes = _changes(row["before"], row["after"])
            typer.echo(
                f"{row['id']:>6} {row['at']:%Y-%m-%d %H:%M:%S} {row['actor']:<18} {row['action']:<6} "
                f"{row['entity']} {row['entity_id']}  {changes}"
            )



    @audit.command("verify")
    def audit_verify(
        expect_head: str = typer.Option(
            None, "--expect-head", help="The head hash an earlier verify printed; refuse if it is gone."
        ),
        url: str = UrlOpt,
    ) -> None:
        """Check the audit log's hash chain: exit 0 when intact, 1 naming the first row that breaks it."""
        from sqlalchemy import text

        from desist.adapters.audit_chain import verify

        engine = _ready_engine(url)
        try:
            with engine.connect() as conn:
                report = verify(conn)
                known = None
                if expect_head:
                    known = conn.execute(
                        text("SELECT id FROM audit_log WHERE hash = :h"), {"h": expect_head.strip().lower()}
                    ).first()
        finally:
            engine.dispose()
        if not report.intact:
            typer.echo(
                f"error: audit log: chain broken at row {report.broken_at}: {report.problem}", err=True
            )
            raise typer.Exit(1)
        if expect_head and known is None:
            typer.echo(
                f"error: audit log: no row has the expected head {expect_head}; the log was cut back "
                "or rewritten since that hash was recorded",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(f"audit log: {report.rows} row(s), chain intact; head {report.head}")


def _changes(before: dict | None, after: dict | None) -> str:  # type: ignore[type-arg]
    """A short view: the changed fields for updates, all fields for inserts and deletes."""
    if before and after:
        return ", ".join(
            f"{k}: {before.get(k)!r} -> {after[k]!r}" for k in after if before.get(k) != after[k]
        )
    shown = after or before or {}
    return ", ".join(f"{k}={v!r}" for k, v in shown.items())
