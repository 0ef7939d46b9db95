"""CLI: ``desist evaluate --programme CODE`` (evaluate from the casework database and store the run) and
``desist evaluate runs`` / ``desist evaluate runs show ID`` (the stored runs).

Each command translates options into a call of :mod:`desist.services.evaluations` on the configured
database (``--db`` or ``DESIST_DATABASE_URL``, else ``desist.db``) and prints the result. Each acts as a
stored user (``--as USER`` or ``DESIST_USER``): running an evaluation needs an analyst, reading the stored
runs a role that may read evaluations (the service checks, as for the web app).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import typer

from desist.domain.errors import InputError
from desist.entrypoints.cli.casework_common import AsOpt

FORMATS = ("table", "json")
DbOpt = typer.Option(None, "--db", help="Database URL (default DESIST_DATABASE_URL, else sqlite desist.db).")

FormatOpt = typer.Option("table", "--format", help="table or json.")


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return fmt


def _uow(db: str | None, as_user: str | None) -> Any:
    """Units of work acting as the stored user ``as_user`` (looked up now, else one line)."""
    from desist.entrypoints.cli.casework_common import user_uow_factory

    return user_uow_factory(as_user, db)


def evaluate_store(
    programme: str,
    as_of: str | None,
    spec_file: Path | None,
    db: str | None,
    as_user: str | None,
    fmt: str,
    *,
    report: Path | None = None,
    force: bool = False,
) -> None:
    """``desist evaluate --programme CODE [--as-of DATE] [--spec FILE]``."""
    from desist.entrypoints.cli.casework_common import date_opt
    from desist.evaluation.spec import EvaluationSpec
    from desist.services.evaluations import evaluate_programme

    _format(fmt)
    day = date_opt(as_of, "--as-of") or dt.date.today()
    from desist.entrypoints.cli.options import flag_names

    with flag_names(spec="--spec"):
        spec = EvaluationSpec.read(spec_file) if spec_file is not None else None
    run = evaluate_programme(programme, day, spec, _uow(db, as_user)())
    if report is not None:
        from desist.entrypoints.cli.report import write_report
        from desist.services.reports import run_report

        write_report(report, run_report(run), force=force)
    if fmt == "json":
        typer.echo(json.dumps(run.to_dict(), indent=2, allow_nan=False))
        return
    typer.echo(_run_line(run))
    typer.echo(run.result.report())


def _run_line(run: Any) -> str:
    n = run.result.n
    return (
        f"evaluation run {run.id}: {run.programme} as of {run.as_of.isoformat()}, {n['treated']} treated "
        f"({run.result.treatment.get('definition')}) and {n['control']} in the comparison pool; stored "
        f"{run.created_at} by {run.actor}"
    )


def _headline(result: Any) -> str:
    measure = "hazard_ratio" if result.survival else "difference"
    for row in result.estimates:
        if row["measure"] == measure:
            lo, hi = row["ci_low"], row["ci_high"]
            if measure == "difference":  # a rate difference reads per 100 men
                return f"per 100 {100 * row['estimate']:+.1f} ({100 * lo:+.1f} to {100 * hi:+.1f})"
            return f"hazard ratio {row['estimate']:.2f} ({lo:.2f} to {hi:.2f})"
    return ""


def register(evaluate_app: typer.Typer) -> None:
    """Add ``runs`` (list) and ``runs show ID`` under ``desist evaluate``."""
    runs_app = typer.Typer(
        help="Stored evaluation runs (desist evaluate --programme).", no_args_is_help=False
    )
    evaluate_app.add_typer(runs_app, name="runs")

    @runs_app.callback(invoke_without_command=True)
    def runs(
        ctx: typer.Context,
        programme: str | None = typer.Option(None, "--programme", help="Only runs of this programme."),
        limit: int = typer.Option(
            100, "--limit", min=1, max=100_000, help="At most this many, newest first."
        ),
        db: str | None = DbOpt,
        as_user: str | None = AsOpt,
        fmt: str = FormatOpt,
    ) -> None:
        """List the stored evaluation runs, newest first."""
        if ctx.invoked_subcommand is not None:
            return
        from desist.services.evaluations import list_runs

        _format(fmt)
        stored = list_runs(_uow(db, as_user)(), programme, limit)
        if fmt == "json":
            rows = [
                {k: v for k, v in r.to_dict().items() if k != "result"}
                | {"headline": _headline(r.result), "data_fingerprint": r.result.data_fingerprint}
                for r in stored
            ]
            typer.echo(json.dumps(rows, indent=2))
            return
        if not stored:
            typer.echo("no stored evaluation runs; `desist evaluate --programme CODE` makes one")
            return
        typer.echo(
            f"{'id':>5}  {'programme':<11} {'as of':<10}  {'treated':>7}  {'estimate (95% CI)':<32}  stored"
        )
        for r in stored:
            typer.echo(
                f"{r.id:>5}  {r.programme:<11} {r.as_of.isoformat():<10}  {r.result.n['treated']:>7}  "
                f"{_headline(r.result):<32}  {r.created_at[:16].replace('T', ' ')} by {r.actor}"
            )

    @runs_app.command("show")
    def show(
        run_id: int = typer.Argument(..., metavar="ID", min=1, max=2**63 - 1, help="Run id (from the list)."),
        db: str | None = DbOpt,
        as_user: str | None = AsOpt,
        fmt: str = FormatOpt,
    ) -> None:
        """Show one stored run: everything needed to reproduce it and its full result."""
        from desist.services.evaluations import get_run

        _format(fmt)
        run = get_run(_uow(db, as_user)(), run_id)
        if fmt == "json":
            typer.echo(json.dumps(run.to_dict(), indent=2, allow_nan=False))
            return
        r = run.result
        typer.echo(_run_line(run))
        typer.echo(
            f"data fingerprint {r.data_fingerprint}; desist {r.desist_version}; fitted {r.fitted_at}\n"
            f"spec: {json.dumps(r.spec, separators=(',', ':'))}\n"
        )
        typer.echo(r.report())
