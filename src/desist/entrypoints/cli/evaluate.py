"""CLI commands: ``desist evaluate`` (did the programme work?) and ``desist survival`` (a Cox model).

The commands only read the file, translate options into an :class:`~desist.evaluation.evaluate.Evaluation`
or :func:`~desist.evaluation.survival.fit_cox` call and print the result; every user error is a
:class:`~desist.domain.errors.DesistError`, printed by ``app.main`` as one line with exit status 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer

from desist.domain.errors import InputError

FORMATS = ("json", "table")


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise InputError(f"{name} {value!r}: expected one of {', '.join(allowed)}")


def _option(param: str) -> str:
    """The CLI option for a Python parameter name (library messages name parameters)."""
    return "--" + param.replace("_", "-")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def read_table(path: Path, columns: list[str] | None = None):
    """Read a CSV or Parquet file into pandas (only ``columns``, when given), with one-line errors."""
    from desist.adapters.tables import read_table as read

    return read(path, columns, option="--data")


def _plots_folder(plots: Path | None) -> None:
    """Refuse a --plots path that is an existing file before any work is done."""
    if plots is not None and plots.exists() and not plots.is_dir():
        raise InputError(f"--plots {plots}: is a file; expected a folder to write the PNG plots to")


def jsonable(obj: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, NaN/inf to null, tuples to lists."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is not None and not isinstance(obj, str | int | float | bool):
        try:
            import pandas as pd

            if pd.isna(obj):
                return None
        except (TypeError, ValueError):
            pass
        return str(obj)
    return obj


def _dump(d: dict) -> str:
    return json.dumps(jsonable(d), indent=2, allow_nan=False)


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` and ``survival`` to the app."""

    @app.command("evaluate")
    def evaluate(
        data: Path = typer.Option(..., "--data", help="CSV or Parquet file, one row per person."),
        treatment: str = typer.Option(..., "--treatment", help="0/1 column: took the programme."),
        outcome: str = typer.Option(..., "--outcome", help="Outcome column (0/1, count or number)."),
        covariates: str = typer.Option(
            ..., "--covariates", help="Comma-separated confounders, e.g. age,risk_band"
        ),
        method: str = typer.Option("nearest", "--method", help="nearest, ipw, aipw or subclass."),
        ratio: int = typer.Option(1, "--ratio", help="Controls per treated person (nearest)."),
        replace: bool = typer.Option(False, "--replace", help="Match with replacement (nearest)."),
        caliper: float | None = typer.Option(None, "--caliper", help="Caliper in SDs of the distance."),
        order: str | None = typer.Option(None, "--order", help="largest, smallest, random or data."),
        exact: str | None = typer.Option(None, "--exact", help="Comma-separated columns to match exactly."),
        estimand: str = typer.Option("ATT", "--estimand", help="ATT or ATE."),
        distance: str = typer.Option("glm", "--distance", help="glm, logit, gbm or mahalanobis."),
        time: str | None = typer.Option(None, "--time", help="Time to first reoffence (adds survival)."),
        event: str | None = typer.Option(None, "--event", help="1 if the time ended in a reoffence."),
        subgroup: str | None = typer.Option(
            None, "--subgroup", help="Column for subgroup effects (at most 20 levels)."
        ),
        deniers: str | None = typer.Option(None, "--deniers", help="0/1 column: maintains innocence."),
        denier_rate: float | None = typer.Option(
            None, "--denier-base-rate", help="Outcome for innocent deniers (default: remove them)."
        ),
        bootstrap: int = typer.Option(0, "--bootstrap", help="Cluster-bootstrap replicates for CIs."),
        seed: int | None = typer.Option(None, "--seed", help="Random seed (bootstrap, random order)."),
        missing: str = typer.Option("error", "--missing", help="error or drop rows with missing values."),
        window: str | None = typer.Option(None, "--window", help='Words for the window: "within two years".'),
        plots: Path | None = typer.Option(
            None, "--plots", help="Directory to write PNG plots to (replacing earlier ones)."
        ),
        fmt: str = typer.Option("table", "--format", help="json or table."),
    ) -> None:
        """Estimate the programme's effect on an outcome after matching or weighting, with sensitivity."""
        _choice("--format", fmt, FORMATS)
        _choice("--method", method, ("nearest", "ipw", "aipw", "subclass"))
        _choice("--order", order, ("largest", "smallest", "random", "data"))
        _choice("--estimand", estimand, ("ATT", "ATE"))
        _choice("--missing", missing, ("error", "drop"))
        covs = _split(covariates)
        if not covs:
            raise InputError("--covariates: expected a comma-separated list of column names")
        from desist.evaluation.evaluate import Evaluation
        from desist.evaluation.report import table_text
        from desist.evaluation.spec import EvaluationSpec, design_from_settings

        # the library checks the settings (a setting the design does not have, bootstrap count, base rate,
        # a column in two roles) when the spec is made, so they are refused before the file is read
        design = design_from_settings(
            method,
            estimand,
            distance,
            seed,
            name=_option,
            ratio=ratio,
            replace=replace,
            caliper=caliper,
            order=order,
            exact=_split(exact) or None,
        )
        spec = EvaluationSpec(
            outcome=outcome,
            covariates=tuple(covs),
            design=design,
            treatment=treatment,
            time=time,
            event=event,
            subgroup=subgroup,
            deniers=deniers,
            denier_base_rate=denier_rate,
            bootstrap=bootstrap,
            missing=missing,
            window=window,
            random_state=seed,
        )
        ev = Evaluation.from_spec(spec)
        _plots_folder(plots)
        roles = (time, event, subgroup, deniers)
        used = [treatment, outcome, *covs, *_split(exact), *[c for c in roles if c]]
        df = read_table(data, used)
        ev.fit(df)
        result = ev.result(source={"kind": "file", "path": str(data)}).to_dict()
        if plots is not None:
            result["plots"] = _write_plots(ev, plots, protect=(data,))
        typer.echo(_dump(result) if fmt == "json" else table_text(jsonable(result), window=window))

    @app.command("survival")
    def survival(
        data: Path = typer.Option(..., "--data", help="CSV or Parquet file."),
        duration: str = typer.Option(..., "--duration", help="Follow-up time column."),
        event: str = typer.Option(..., "--event", help="1 = event (reoffence), 0 = censored."),
        covariates: str = typer.Option(..., "--covariates", help="Comma-separated covariates."),
        ties: str = typer.Option("efron", "--ties", help="efron (lifelines) or breslow (statsmodels)."),
        weights: str | None = typer.Option(None, "--weights", help="Weights column (robust SEs)."),
        missing: str = typer.Option("error", "--missing", help="error or drop rows with missing values."),
        fmt: str = typer.Option("json", "--format", help="json or table."),
    ) -> None:
        """Fit a Cox proportional hazards model and print coefficients, hazard ratios and concordance."""
        _choice("--format", fmt, FORMATS)
        _choice("--ties", ties, ("efron", "breslow"))
        _choice("--missing", missing, ("error", "drop"))
        from desist.evaluation.design import check_columns
        from desist.evaluation.survival import fit_cox

        covs = _split(covariates)
        used = [duration, event, *covs, *([weights] if weights else [])]
        df = read_table(data, used)
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
        res = fit_cox(df, duration, event, covs, ties=ties, weights=weights)
        out = {"data": str(data), "duration": duration, "event": event, **res.to_dict()}
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
