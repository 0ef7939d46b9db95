"""CLI: ``desist report RUN_ID`` writes report.html for a stored evaluation run, and the shared writer that
``desist evaluate --report`` and the demo use.

The page is written beside its target and renamed into place (desist.adapters.files), so a reader never sees
half a page; an existing file is replaced only with ``--force``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import typer

from desist.domain.errors import InputError
from desist.entrypoints.cli.casework_common import AsOpt


def write_report(
    path: Path, html: str, option: str = "--report", *, protect: Iterable[Path] = (), force: bool = False
) -> Path:
    """Write ``html`` to ``path`` through :mod:`desist.adapters.files` (atomic; never over the database, an
    input or an existing file without ``force``); one line, exit 2, when the path cannot take it."""
    from desist.adapters import files

    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{option} {path}: expected a file name ending .html")
    return files.write_text(path, html, protect=protect, force=force, what=option)


def register(app: typer.Typer) -> None:
    """Add ``desist report``."""

    @app.command("report")
    def report(
        run_id: int = typer.Argument(
            ...,
            metavar="RUN_ID",
            min=1,
            max=2**63 - 1,
            help="A stored evaluation run (see `desist evaluate runs`).",
        ),
        out: Path = typer.Option(Path("report.html"), "--out", help="Where to write the page (.html)."),
        db: str | None = typer.Option(
            None, "--db", help="Database URL (default DESIST_DATABASE_URL, else sqlite file desist.db here)."
        ),
        force: bool = typer.Option(False, "--force", help="Replace an existing file of that name."),
        as_user: str | None = AsOpt,
    ) -> None:
        """Write report.html for a stored evaluation run: one self-contained page, charts included.

        Acts as a stored user whose role may read evaluations (--as USER or DESIST_USER).
        """
        from desist.adapters.files import database_files
        from desist.entrypoints.cli.casework_common import user_uow_factory
        from desist.services.reports import report_of_run

        html = report_of_run(run_id, user_uow_factory(as_user, db)())
        protect = database_files(db or _default_url())
        written = write_report(out, html, "--out", protect=protect, force=force)
        typer.echo(f"report of evaluation run {run_id}: {written}")


def _default_url() -> str:
    import os

    return os.environ.get("DESIST_DATABASE_URL") or "sqlite:///desist.db"
