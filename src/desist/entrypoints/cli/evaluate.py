"""CLI commands: ``desist evaluate`` (did the programme work?) and ``desist survival`` (a Cox model).

The commands only read the file, translate options into an :class:`~desist.evaluation.evaluate.Evaluation`
or :func:`~desist.evaluation.survival.fit_cox` call and print the result; every user error is a
:class:`~desist.domain.errors.DesistError`, printed by ``app.main`` as one line with exit status 2.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import typer

from desist.domain.errors import InputError
from desist.entrypoints.cli.casework_common import AsOpt
from desist.entrypoints.cli.options import flag_names

FORMATS = ("json", "table")
#: files from which the evaluation runs with national-size process settings (cli/national_run.py)
LARGE_FILE = 50_000_000


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise InputError(f"{name} {value!r}: expected one of {', '.join(allowed)}")


def _option(param: str) -> str:
    """The CLI option for a Python parameter name (library messages name parameters)."""
    return "--" + param.replace("_", "-")


#: library parameter names -> this command's flags (library errors name parameters; users know flags)
LIBRARY_FLAGS = {
    "covariates": "--covariates",
    "outcome": "--outcome",
    "treatment": "--treatment",
    "time": "--time",
    "event": "--event",
    "subgroup": "--subgroup",
    "bootstrap": "--bootstrap",
    "denier_base_rate": "--denier-base-rate",
    "duration": "--time",
}
LIBRARY_PHRASES = {
    "missing='drop'": "--missing drop",
    "time and event: give both": "--time and --event: give both",
    "the time column": "the --time column",
    "the event column": "the --event column",
    "the duration column": "the --time column",
}


def _weight_settings(trim: float | None, trim_rule: str | None, clip: float | None) -> dict[str, Any]:
    """The weighting settings given on the command line (a setting left out keeps its default)."""
    _choice("--trim-rule", trim_rule, ("weightit", "group"))
    given = {"trim": trim, "trim_rule": trim_rule, "clip": clip}
    return {k: v for k, v in given.items() if v is not None}


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def read_table(path: Path, columns: list[str] | None = None):
    """Read a CSV or Parquet file into pandas (only ``columns``, when given), with one-line errors."""
    from desist.adapters.tables import read_table as read

    return read(path, columns, option="--input")


def read_columns(path: Path, columns: list[str]):
    """Read these columns of a CSV or Parquet file into numpy arrays (no pandas), with one-line errors."""
    from desist.adapters.tables import read_columns as read

    return read(path, columns, option="--input")


def _settings_for(path: Path) -> AbstractContextManager[None]:
    """Files over :data:`LARGE_FILE` bytes run with the settings of cli/national_run.py."""
    if path.is_file() and path.stat().st_size > LARGE_FILE:
        from desist.entrypoints.cli.national_run import national_run

        return national_run()
    return nullcontext()


def _plots_folder(plots: Path | None) -> None:
    """Refuse a --plots path that is an existing file before any work is done."""
    if plots is not None and plots.exists() and not plots.is_dir():
        raise InputError(f"--plots {plots}: is a file; expected a folder to write the PNG plots to")


def jsonable(obj: Any) -> Any:
    """Plain JSON values (numpy scalars to Python, NaN/inf to null): the result module's own rule."""
    from desist.evaluation.result import plain

    return plain(obj)


def _dump(d: dict) -> str:
    return json.dumps(jsonable(d), indent=2, allow_nan=False)


#: file-mode options that a store evaluation (--programme) takes from its spec instead
_FILE_ONLY = (
    "treatment",
    "outcome",
    "covariates",
    "method",
    "ratio",
    "caliper",
    "order",
    "exact",
    "estimand",
    "distance",
    "time",
    "event",
    "subgroup",
    "deniers",
    "denier_rate",
    "bootstrap",
    "trim",
    "trim_rule",
    "clip",
    "seed",
    "missing",
    "window",
    "plots",
)


def _deprecated(old: str, new: str) -> None:
    typer.echo(f"warning: {old} is deprecated; use {new}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` (with ``evaluate runs``) and ``survival`` to the app."""
    from desist.entrypoints.cli import evaluate_runs

    evaluate_app = typer.Typer(
        help="Did the programme work? On a data file (--input) or the casework database (--programme).",
        no_args_is_help=False,
    )
    app.add_typer(evaluate_app, name="evaluate")
    evaluate_runs.register(evaluate_app)

    @evaluate_app.callback(invoke_without_command=True)
    def evaluate(
        ctx: typer.Context,
        input_: Path | None = typer.Option(None, "--input", help="CSV or Parquet file, one row per person."),
        data: Path | None = typer.Option(None, "--data", hidden=True, help="Deprecated: use --input."),
        programme: str | None = typer.Option(
            None,
            "--programme",
            help="Catalogue code: evaluate it from the casework database (e.g. SOTP-CORE).",
        ),
        as_of: str | None = typer.Option(
            None, "--as-of", help="With --programme: the data cut-off, YYYY-MM-DD (default today)."
        ),
        spec_file: Path | None = typer.Option(
            None, "--spec", help="JSON or YAML EvaluationSpec (with --programme, or instead of the options)."
        ),
        db: str | None = typer.Option(
            None, "--db", help="With --programme: database URL (default DESIST_DATABASE_URL, else desist.db)."
        ),
        as_user: str | None = AsOpt,
        treatment: str | None = typer.Option(None, "--treatment", help="0/1 column: took the programme."),
        outcome: str | None = typer.Option(None, "--outcome", help="Outcome column (0/1, count or number)."),
        covariates: str | None = typer.Option(
            None, "--covariates", help="Comma-separated confounders, e.g. age,risk_band"
        ),
        method: str | None = typer.Option(None, "--method", help="nearest (default), ipw, aipw or subclass."),
        ratio: int | None = typer.Option(None, "--ratio", help="Controls per treated person (nearest)."),
        replace: bool = typer.Option(False, "--replace", help="Match with replacement (nearest)."),
        caliper: float | None = typer.Option(None, "--caliper", help="Caliper in SDs of the distance."),
        order: str | None = typer.Option(None, "--order", help="largest, smallest, random or data."),
        exact: str | None = typer.Option(None, "--exact", help="Comma-separated columns to match exactly."),
        estimand: str | None = typer.Option(None, "--estimand", help="ATT (default) or ATE."),
        distance: str | None = typer.Option(
            None, "--distance", help="glm (default), logit, gbm or mahalanobis."
        ),
        time: str | None = typer.Option(None, "--time", help="Time to first reoffence (adds survival)."),
        event: str | None = typer.Option(None, "--event", help="1 if the time ended in a reoffence."),
        subgroup: str | None = typer.Option(
            None, "--subgroup", help="Column for subgroup effects (at most 20 levels)."
        ),
        deniers: str | None = typer.Option(None, "--deniers", help="0/1 column: maintains innocence."),
        denier_rate: float | None = typer.Option(
            None, "--denier-base-rate", help="Outcome for innocent deniers (default: remove them)."
        ),
        bootstrap: int | None = typer.Option(
            None, "--bootstrap", help="Cluster-bootstrap replicates for CIs."
        ),
        trim: float | None = typer.Option(
            None, "--trim", help="ipw: trim weights at this quantile (e.g. 0.99) or count of largest weights."
        ),
        trim_rule: str | None = typer.Option(
            None,
            "--trim-rule",
            metavar="[weightit|group]",
            help="ipw: how --trim applies: weightit (WeightIt's trim()) or group (per-group quantile).",
        ),
        clip: float | None = typer.Option(
            None, "--clip", help="aipw: clip propensity scores into [clip, 1 - clip], e.g. 0.01."
        ),
        seed: int | None = typer.Option(None, "--seed", help="Random seed (bootstrap, random order)."),
        missing: str | None = typer.Option(
            None, "--missing", help="error (default) or drop rows with missing values."
        ),
        window: str | None = typer.Option(None, "--window", help='Words for the window: "within two years".'),
        plots: Path | None = typer.Option(
            None, "--plots", help="Directory to write PNG plots to (replacing earlier ones)."
        ),
        report: Path | None = typer.Option(
            None, "--report", help="Also write the result as report.html (one self-contained page) here."
        ),
        force: bool = typer.Option(False, "--force", help="With --report: replace an existing file."),
        fmt: str = typer.Option("table", "--format", help="table or json."),
    ) -> None:
        """Estimate a programme's effect after matching or weighting, with sensitivity analyses.

        From a file: --input FILE with --treatment, --outcome and --covariates (or --spec FILE). From the
        casework database: --programme CODE [--as-of DATE] [--spec FILE] --as USER (an analyst); the run is
        stored (see `desist evaluate runs`).
        """
        if ctx.invoked_subcommand is not None:
            return
        _choice("--format", fmt, FORMATS)
        if data is not None:
            _deprecated("--data", "--input")
            if input_ is not None:
                raise InputError("--data: give the file once, as --input")
            input_ = data
        options = dict(locals())
        if programme is not None:
            given = [name for name in _FILE_ONLY if options[name] is not None] + (
                ["replace"] if replace else []
            )
            if input_ is not None:
                raise InputError("--input: not with --programme, which reads the casework database")
            if given:
                flag = "--" + given[0].replace("_", "-").replace("denier-rate", "denier-base-rate")
                raise InputError(
                    f"{flag}: not used with --programme; the cohort's columns are fixed and the design comes "
                    "from --spec FILE (see docs/evaluation.md)"
                )
            evaluate_runs.evaluate_store(
                programme, as_of, spec_file, db, as_user, fmt, report=report, force=force
            )
            return
        for name, value in (("--as-of", as_of), ("--db", db)):
            if value is not None:
                raise InputError(f"{name}: only with --programme (the casework database)")
        if input_ is None:
            raise InputError(
                "give --input FILE (a data file) or --programme CODE (the casework database); "
                "see `desist evaluate --help`"
            )
        from desist.evaluation.evaluate import Evaluation
        from desist.evaluation.report import table_text
        from desist.evaluation.spec import EvaluationSpec, design_from_settings

        if spec_file is not None:
            given = [name for name in _FILE_ONLY if name != "plots" and options[name] is not None]
            if given or replace:
                flag = "--" + (given[0] if given else "replace").replace("_", "-")
                raise InputError(f"{flag}: give the settings in --spec FILE or as options, not both")
            with flag_names(spec="--spec"):
                spec = EvaluationSpec.read(spec_file)
        else:
            for name, value in (
                ("--treatment", treatment),
                ("--outcome", outcome),
                ("--covariates", covariates),
            ):
                if value is None:
                    raise InputError(f"{name}: missing; expected it with --input (or give --spec FILE)")
            _choice("--method", method, ("nearest", "ipw", "aipw", "subclass"))
            _choice("--order", order, ("largest", "smallest", "random", "data"))
            _choice("--estimand", estimand, ("ATT", "ATE"))
            _choice("--missing", missing, ("error", "drop"))
            covs = _split(covariates)
            if not covs:
                raise InputError("--covariates: expected a comma-separated list of column names")
            # the library checks the settings (a setting the design does not have, bootstrap count, base
            # rate, a column in two roles) when the spec is made, so they are refused before the file is read
            design = design_from_settings(
                method or "nearest",
                estimand or "ATT",
                distance or "glm",
                seed,
                name=_option,
                ratio=1 if ratio is None else ratio,
                replace=replace,
                caliper=caliper,
                order=order,
                exact=_split(exact) or None,
                **_weight_settings(trim, trim_rule, clip),
            )
            with flag_names(**LIBRARY_FLAGS, phrases=LIBRARY_PHRASES):
                spec = EvaluationSpec(
                    outcome=str(outcome),
                    covariates=tuple(covs),
                    design=design,
                    treatment=str(treatment),
                    time=time,
                    event=event,
                    subgroup=subgroup,
                    deniers=deniers,
                    denier_base_rate=denier_rate,
                    bootstrap=0 if bootstrap is None else bootstrap,
                    missing=missing or "error",
                    window=window,
                    random_state=seed,
                )
        ev = Evaluation.from_spec(spec)
        _plots_folder(plots)
        with _settings_for(input_):
            df = read_columns(input_, spec.columns())
            with flag_names(**LIBRARY_FLAGS, phrases=LIBRARY_PHRASES):
                ev.fit(df)
            result = ev.result(source={"kind": "file", "path": str(input_)}).to_dict()
        if plots is not None:
            result["plots"] = _write_plots(ev, plots, protect=(input_,))
        if report is not None:
            from desist.entrypoints.cli.report import write_report
            from desist.evaluation.report_html import render_report
            from desist.evaluation.report_words import wording_for

            page = render_report(result, wording=wording_for(result))
            result["report"] = str(write_report(report, page, protect=(input_,), force=force))
        typer.echo(_dump(result) if fmt == "json" else table_text(jsonable(result), window=spec.window))

    @app.command("survival")
    def survival(
        input_: Path | None = typer.Option(None, "--input", help="CSV or Parquet file."),
        data: Path | None = typer.Option(None, "--data", hidden=True, help="Deprecated: use --input."),
        duration: str = typer.Option(..., "--time", metavar="COLUMN", help="Follow-up time column."),
        event: str = typer.Option(..., "--event", help="1 = event (reoffence), 0 = censored."),
        covariates: str = typer.Option(..., "--covariates", help="Comma-separated covariates."),
        ties: str = typer.Option("efron", "--ties", help="efron (lifelines) or breslow (statsmodels)."),
        weights: str | None = typer.Option(None, "--weights", help="Weights column (robust SEs)."),
        missing: str = typer.Option("error", "--missing", help="error or drop rows with missing values."),
        fmt: str = typer.Option("json", "--format", help="json or table."),
    ) -> None:
        """Fit a Cox proportional hazards model and print coefficients, hazard ratios and concordance."""
        _choice("--format", fmt, FORMATS)
        if data is not None:
            _deprecated("--data", "--input")
            if input_ is not None:
                raise InputError("--data: give the file once, as --input")
            input_ = data
        if input_ is None:
            raise InputError("--input: missing; expected a CSV or Parquet file")
        _choice("--ties", ties, ("efron", "breslow"))
        _choice("--missing", missing, ("error", "drop"))
        from desist.evaluation.design import check_columns
        from desist.evaluation.survival import fit_cox

        covs = _split(covariates)
        used = [duration, event, *covs, *([weights] if weights else [])]
        df = read_table(input_, used)
        check_columns(df, used, "column")
        counts = df[used].isna().sum()
        if counts.any():
            if missing == "error":
                detail = ", ".join(f"{c}: {int(k)}" for c, k in counts[counts > 0].items())
                raise InputError(
                    f"missing values in {detail} (of {len(df)} rows); expected complete data "
                    "or --missing drop"
                )
            df = df.dropna(subset=used)
        with flag_names(**LIBRARY_FLAGS, weights="--weights", phrases=LIBRARY_PHRASES):
            res = fit_cox(df, duration, event, covs, ties=ties, weights=weights)
        # "duration" stays in the JSON for programs written against earlier releases; "time" is the name now
        out = {"data": str(input_), "time": duration, "duration": duration, "event": event, **res.to_dict()}
        if fmt == "json":
            typer.echo(_dump(out))
        else:
            typer.echo(res.table_text())


def _write_plots(ev, folder: Path, protect: tuple[Path, ...] = ()) -> list[str]:
    """Save every plot the evaluation supports into ``folder``; returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--plots {folder}: cannot create the folder ({exc.strerror})") from None
    written = []
    makers = [("balance", ev.plot_balance)]
    if ev.survival_ is not None:
        makers.append(("survival", ev.plot_survival))
    if ev.deniers_ is not None:
        makers.append(("deniers", ev.plot_deniers))
    if ev.subgroups_ is not None:
        makers.append(("subgroups", ev.plot_subgroups))
    from desist.adapters import files

    for name, make in makers:
        path = folder / f"{name}.png"
        # replaces an earlier plot of the same name (the rule for --plots), atomically; never the data file
        files.write_with(path, lambda tmp, make=make: plt.close(make(path=tmp)), protect=protect, force=True)
        written.append(str(path))
    return written
