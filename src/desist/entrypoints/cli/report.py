"""CLI: ``desist report RUN_ID`` writes report.html for a stored evaluation run, and the shared writer that
``desist evaluate --report`` and the demo use.

A report is a view of a stored result (re-rendering gives the same page), so writing one over an older
report of the same name is the rule; the file is written beside its target and renamed into place, so a
reader never sees half a page and a failed write leaves the old report as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer

from desist.domain.errors import InputError


def write_report(path: Path, html: str, option: str = "--report") -> Path:
    """Write ``html`` to ``path`` atomically; one line (exit 2) when the path cannot take it."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; expected a file name such as {path / 'report.html'}")
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{option} {path}: expected a file name ending .html")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{option} {path}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if "tmp" in locals() and os.path.exists(tmp):
            os.unlink(tmp)
        raise InputError(f"{option} {path}: cannot write ({exc.strerror})") from None
    return path


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
    ) -> None:
        """Write report.html for a stored evaluation run: one self-contained page, charts included."""
        from desist.entrypoints.cli.casework_common import uow_factory
        from desist.services.reports import report_of_run

        html = report_of_run(run_id, uow_factory("cli:read", db)())
        typer.echo(f"report of evaluation run {run_id}: {write_report(out, html, '--out')}")
