"""Storage CLI: ``desist db init|status``, ``desist import``, ``desist export``, ``desist audit``.

Each command parses its options, calls one service and prints the result. The database comes from the
composition root (``--db``, else ``DESIST_DATABASE_URL``, else the SQLite file ``desist.db`` here).
``import``, ``export`` and ``audit`` act as a stored user (``--as USER`` or ``DESIST_USER``) whose role the
service checks, as the web app's would be; ``db init`` and ``db status`` need no user (a database with no
user yet is set up with ``desist db init`` and ``desist user add --first-admin``).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from desist.entrypoints.cli.casework_common import (
    AsOpt,
    DbOpt,
    Format,
    FormatOpt,
    acting_user,
    emit_json,
    open_app,
)
from desist.entrypoints.cli.options import (
    choices,
    command_group,
    deprecated_positional,
    emit_csv,
    flag_names,
)


class ImportKind(StrEnum):
    """The kinds of file ``desist import`` reads (columns: docs/import.md)."""

    PEOPLE = "people"
    SENTENCES = "sentences"
    ASSESSMENTS = "assessments"
    PROGRAMME_HISTORY = "programme-history"
    OUTCOMES = "outcomes"


KIND_NAMES = tuple(k.value for k in ImportKind)


def register(app: typer.Typer) -> None:
    """Add ``db``, ``import``, ``export`` and ``audit`` to the app."""
    db = command_group(app, "db", "Create, migrate and inspect the casework database.")

    @db.command("init")
    def db_init(url: str = DbOpt) -> None:
        """Create the database, or migrate it to the newest schema (safe to repeat)."""
        from desist.services.database import initialise

        with open_app(url, require_head=False, create=True) as store_app:
            state = initialise(store_app.store())
        typer.echo(f"{state.url}: schema at revision {state.revision} (newest)")

    @db.command("status")
    def db_status(url: str = DbOpt, fmt: Format = FormatOpt) -> None:
        """Show the schema revision and the row count of every table."""
        from desist.services.database import status

        with open_app(url) as store_app:
            state = status(store_app.store())
        if fmt is Format.JSON:
            emit_json(state)
            return
        if fmt is Format.CSV:
            emit_csv([{"table": t, "rows": n} for t, n in state.counts.items()], ["table", "rows"])
            return
        typer.echo(f"{state.url}: schema up to date (revision {state.revision})")
        for name, count in state.counts.items():
            typer.echo(f"  {name:<24}{count:>10}")

    @app.command("import")
    def import_(
        kind: str = typer.Argument(
            ..., metavar=choices(ImportKind), help="What the file holds (columns: docs/import.md)."
        ),
        file: Path = typer.Argument(
            None, metavar="[FILE]", help="Deprecated: the input file as a positional argument; use --input."
        ),
        input_path: Path = typer.Option(
            None, "--input", metavar="FILE", help="CSV or Parquet file (columns: docs/import.md)."
        ),
        url: str = DbOpt,
        as_user: str = AsOpt,
        dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing."),
    ) -> None:
        """Import a file all-or-nothing: any bad row imports nothing and every bad row is listed.

        Needs a user whose role may import (an administrator); the audit log names them.
        """
        from desist.domain.errors import InputError
        from desist.services.imports import ImportRejected, import_file

        if kind not in KIND_NAMES:
            raise InputError(f"unknown import kind {kind!r}, expected one of {', '.join(KIND_NAMES)}")
        path = deprecated_positional(file, input_path, "FILE", "--input")
        if path is None:
            raise InputError("--input: missing; expected the CSV or Parquet file to import")
        store_app, me = acting_user(as_user, url)
        with store_app:
            try:
                report = import_file(
                    store_app.uow(me),
                    kind,
                    path,
                    progress=lambda msg: typer.echo(msg, err=True),
                    dry_run=dry_run,
                )
            except ImportRejected as exc:
                for problem in exc.problems:
                    typer.echo(f"error: {exc.path}: {problem}", err=True)
                raise
        typer.echo(report.summary())

    @app.command("export")
    def export_(
        table: str = typer.Argument(..., help="A table (e.g. outcome) or an import kind (e.g. outcomes)."),
        file: Path = typer.Argument(..., help="Output file: .csv or .parquet."),
        url: str = DbOpt,
        as_user: str = AsOpt,
        force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
        pseudonymised: bool = typer.Option(
            False,
            "--pseudonymised",
            help="Analysts: men as pseudonyms, no direct identifier (people, referrals, programme_history, "
            "outcomes; CSV; needs DESIST_PSEUDONYM_KEY or DESIST_PSEUDONYM_KEY_FILE).",
        ),
    ) -> None:
        """Export a table as stored, or an import kind in its import layout (re-importable).

        The file names men, so it needs a user whose role may export identified data (an administrator);
        with --pseudonymised an analyst writes one of the analysts' exports instead, every man by his
        pseudonym. CSV text cells that a spreadsheet would run as a formula get a leading apostrophe (removed
        again by import). The file is never the database, and an existing file is replaced only with --force.
        """
        store_app, me = acting_user(as_user, url)
        with store_app:
            if pseudonymised:
                from desist.services.analyst_exports import write_pseudonymised

                key = store_app.settings.pseudonym_key_bytes
                count = write_pseudonymised(store_app.uow(me), table, file, key, force=force)
                typer.echo(f"{file}: {count} row(s) of {table}, pseudonymised")
                return
            from desist.services.exports import export_table

            count = export_table(store_app.store(), table, file, principal=me, force=force)
        typer.echo(f"{file}: {count} row(s) of {table}")

    audit = typer.Typer(
        help="The audit log: show it (newest first), or check its hash chain (audit verify).",
        invoke_without_command=True,
    )
    app.add_typer(audit, name="audit")

    @audit.callback()
    def audit_(
        ctx: typer.Context,
        entity: str = typer.Option(None, "--entity", help="Only this table, e.g. referral."),
        entity_id: str = typer.Option(None, "--id", help="Only this row id (with --entity)."),
        limit: int = typer.Option(50, "--limit", min=1, max=1_000_000_000, help="Newest N entries."),
        fmt: Format = FormatOpt,
        url: str = DbOpt,
        as_user: str = AsOpt,
    ) -> None:
        """Show the audit log, newest first: who changed what, when (UTC), before and after.

        Needs a user whose role may read the audit log (an administrator).
        """
        if ctx.invoked_subcommand is not None:  # `audit --as X verify`: the subcommand acts as X too
            ctx.obj = {"as_user": as_user, "url": url}
            return
        from desist.services.audit import read_audit

        store_app, me = acting_user(as_user, url)
        with store_app, flag_names(entity="--entity", entity_id="--id", limit="--limit"):
            entries = read_audit(
                store_app.store(), principal=me, entity=entity, entity_id=entity_id, limit=limit
            )
        if fmt is Format.JSON:
            for e in entries:  # one JSON object per line: the log can be long
                typer.echo(json.dumps(e.to_dict(), sort_keys=True, default=str))
            return
        if fmt is Format.CSV:
            emit_csv([e.to_dict() for e in entries])
            return
        for e in entries:
            changes = ", ".join(
                f"{k}: {b!r} -> {a!r}" if e.before and e.after else f"{k}={(a if e.after else b)!r}"
                for k, (b, a) in e.changes().items()
            )
            typer.echo(
                f"{e.id:>6} {e.at:%Y-%m-%d %H:%M:%S}Z {e.actor:<18} {e.action:<6} "
                f"{e.entity} {e.entity_id}  {changes}"
            )

    @audit.command("verify")
    def audit_verify(
        ctx: typer.Context,
        expect_head: str = typer.Option(
            None, "--expect-head", help="The head hash an earlier verify printed; refuse if it is gone."
        ),
        url: str = DbOpt,
        as_user: str = AsOpt,
    ) -> None:
        """Check the audit log's hash chain: exit 0 when intact, 1 naming the first row that breaks it."""
        from desist.services.audit import verify_chain

        given = ctx.obj or {}  # --as and --db given before `verify`
        store_app, me = acting_user(as_user or given.get("as_user"), url or given.get("url"))
        with store_app:
            check = verify_chain(store_app.store(), principal=me, expect_head=expect_head)
        if check.problem is not None:
            typer.echo(f"error: audit log: {check.problem}", err=True)
            raise typer.Exit(1)
        typer.echo(f"audit log: {check.rows} row(s), chain intact; head {check.head}")
