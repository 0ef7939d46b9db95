"""Time to first proven reoffence: weighted Kaplan-Meier per arm, log-rank test, weighted Cox models.

lifelines draws the Kaplan-Meier curves and the log-rank test. The Cox models follow R's ``coxph`` to machine
precision (``_cox_efron``: Efron or Breslow ties, case weights; ``_cox_variance``: R's robust and clustered
variance, Efron's correction in the score residuals; ``_concordance``: R's weighted concordance), because
analysts compare desist with R and lifelines stops short of R's coefficients and leaves Efron's correction out
of its robust variance. This module adds the design (weights, pair clusters) and input checks with one-line
errors.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from numpy.typing import ArrayLike
from scipy import stats

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation._checks import check_finite, check_survival_roles, check_varies
from desist.evaluation._concordance import concordance
from desist.evaluation._cox_efron import CoxConvergenceError
from desist.evaluation._cox_variance import fit_robust_cox
from desist.evaluation._plotting import PlotPath, save
from desist.evaluation.chart_data import survival_curves

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

TIES = ("efron", "breslow")


def _check_survival(data: pd.DataFrame, duration: str, event: str) -> tuple[np.ndarray, np.ndarray]:
    for col in (duration, event):
        if col not in data.columns:
            raise InputError(
                f"survival: column {col!r} not found; columns are {', '.join(map(str, data.columns))}"
            )
    t = pd.to_numeric(data[duration], errors="coerce").to_numpy(dtype=float)
    e = pd.to_numeric(data[event], errors="coerce").to_numpy(dtype=float)
    if np.isnan(t).any() or np.isnan(e).any():
        raise InputError(
            f"survival: {int(np.isnan(t).sum())} missing/non-numeric values in {duration!r} and "
            f"{int(np.isnan(e).sum())} in {event!r}; expected complete numbers (drop or impute those rows)"
        )
    if np.isinf(t).any():  # lifelines stops with a TypeError on them
        infinite = int(np.isinf(t).sum())
        raise InputError(
            f"survival: {infinite} infinite value(s) in {duration!r}; expected finite follow-up times"
        )
    if (t < 0).any():
        raise InputError(f"survival: {int((t < 0).sum())} negative durations in {duration!r}; expected >= 0")
    if not set(np.unique(e).tolist()) <= {0.0, 1.0}:
        raise InputError(
            f"survival: event column {event!r} must be 0/1, found {sorted(set(np.unique(e).tolist()))[:5]}"
        )
    if e.sum() == 0:
        raise AnalysisError(f"survival: no events in {event!r}; a survival model needs at least one")
    if not t.any():  # nobody was followed up for any time: there is no ordering of events to model
        raise InputError(
            f"survival: all {len(t)} durations in {duration!r} are 0; expected follow-up times, "
            "most of them > 0 (is it the right column, in days or weeks?)"
        )
    return t, e.astype(int)


@dataclass(frozen=True)
class SurvivalResult:
    """Weighted survival comparison of two arms. ``to_dict()`` is the ``survival`` block of the CLI JSON."""

    hazard_ratio: float
    ci: tuple[float, float]
    p_value: float
    logrank_statistic: float
    logrank_p: float
    events_treated: int
    events_control: int
    curves: pd.DataFrame  # timeline, survival_treated, survival_control
    #: what the report's chart needs (95% bands, number at risk by year): :func:`chart_data.survival_curves`
    chart: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "hazard_ratio": self.hazard_ratio,
            "ci": list(self.ci),
            "p_value": self.p_value,
            "logrank": {"statistic": self.logrank_statistic, "p_value": self.logrank_p},
            "events": {"treated": self.events_treated, "control": self.events_control},
        }

    def to_frame(self) -> pd.DataFrame:
        return self.curves


def compare_survival(
    data: pd.DataFrame,
    duration: str,
    event: str,
    treated: ArrayLike,
    weights: ArrayLike,
    clusters: ArrayLike | None = None,
) -> SurvivalResult:
    """Weighted Kaplan-Meier curves per arm, weighted log-rank test and a weighted Cox hazard ratio.

    The Cox model regresses the hazard on the treatment indicator alone (the marginal hazard ratio, as MatchIt
    recommends after matching) with robust (sandwich) SEs, clustered on pairs when ``clusters`` is given.
    The log-rank test uses the design weights; its p-value ignores the pairing and is descriptive, the Cox
    model's robust p-value is the one to report.
    """
    t, e = _check_survival(data, duration, event)
    tr = np.asarray(treated, dtype=bool)
    w = np.asarray(weights, dtype=float)
    keep = w > 0
    if not (keep & tr).any() or not (keep & ~tr).any():
        raise AnalysisError("survival: an arm has no people with weight > 0")
    df = pd.DataFrame({"dur": t[keep], "E": e[keep], "treated": tr[keep].astype(int), "w": w[keep]})
    cluster_col = None
    if clusters is not None:
        cl = pd.Series(clusters).reset_index(drop=True)[keep].reset_index(drop=True)
        codes = pd.factorize(cl, use_na_sentinel=True)[0]
        if (codes >= 0).any():
            missing = codes < 0
            codes[missing] = codes.max() + 1 + np.arange(missing.sum())
            df["pair"] = codes
            cluster_col = "pair"
    cox = fit_robust_cox(df, "dur", "E", weights_col="w", cluster_col=cluster_col)
    beta = float(cox.params["treated"])
    se = float(cox.standard_errors["treated"])
    z = 1.959963984540054
    a, b = df["treated"] == 1, df["treated"] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = logrank_test(df.dur[a], df.dur[b], df.E[a], df.E[b], weights_A=df.w[a], weights_B=df.w[b])
        km1 = KaplanMeierFitter().fit(df.dur[a], df.E[a], weights=df.w[a], label="treated")
        km0 = KaplanMeierFitter().fit(df.dur[b], df.E[b], weights=df.w[b], label="control")
    timeline = np.unique(df["dur"].to_numpy())
    curves = pd.DataFrame(
        {
            "timeline": timeline,
            "survival_treated": km1.survival_function_at_times(timeline).to_numpy(),
            "survival_control": km0.survival_function_at_times(timeline).to_numpy(),
        }
    )
    return SurvivalResult(
        hazard_ratio=math.exp(beta),
        ci=(math.exp(beta - z * se), math.exp(beta + z * se)),
        p_value=float(cox.p_values["treated"]),
        logrank_statistic=float(lr.test_statistic),
        logrank_p=float(lr.p_value),
        events_treated=int(df.E[a].sum()),
        events_control=int(df.E[b].sum()),
        curves=curves,
        chart=survival_curves(t, e, tr, w),
    )


def plot_survival(
    result: SurvivalResult, ax: Axes | None = None, path: PlotPath | None = None
) -> Figure | SubFigure:
    """Share proven to reoffend by year since release per arm, 95% bands and number at risk.

    Drawn by :func:`desist.evaluation.charts.survival_chart` (durations read as days); returns the Figure.
    """
    from desist.evaluation.charts import survival_chart

    if result.chart is None:
        raise InputError("plot_survival: this result has no chart data (made before desist kept it)")
    fig = survival_chart(result.chart, ax=ax)
    save(fig, path)
    return fig


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model: ``coefficients`` (covariate, coef, se, hr, p) and Harrell's concordance.

    ``variance`` is ``"model"`` (inverse information) or ``"robust"`` (sandwich, clustered on ``cluster`` when
    given): the kind the ``se`` column and p-values use.
    """

    coefficients: pd.DataFrame
    concordance: float
    ties: str
    n: int
    events: int
    variance: str = "model"
    cluster: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ties": self.ties,
            "n": self.n,
            "events": self.events,
            "variance": self.variance,
            "cluster": self.cluster,
            "coefficients": [
                {**row, "hr_ci": self._hr_ci(row)} for row in self.coefficients.to_dict(orient="records")
            ],
            "concordance": self.concordance,
        }

    @staticmethod
    def _hr_ci(row: dict[Any, Any]) -> list[float]:
        """95% CI of the hazard ratio, exp(coef -/+ 1.96 se), as R's ``summary.coxph`` and lifelines give."""
        z = 1.959963984540054
        coef, se = float(row["coef"]), float(row["se"])
        return [math.exp(coef - z * se), math.exp(coef + z * se)]

    def table_text(self) -> str:
        """Coefficients with hazard ratios and 95% CIs as text within 80 columns."""
        from desist.evaluation import formatting as fmt

        lines = [f"  {'covariate':<28}{'coef':>9}{'se':>8}{'hazard ratio (95% CI)':>24}{'p':>9}"]
        for row in self.coefficients.to_dict(orient="records"):
            name = str(row["covariate"])
            name = name if len(name) <= 27 else name[:26] + "…"
            hr = fmt.ratio_ci(float(row["hr"]), self._hr_ci(row)).replace("95% CI ", "")
            lines.append(
                f"  {name:<28}{fmt.number(row['coef']):>9}{fmt.number(row['se']):>8}{hr:>24}"
                f"{fmt.p_value(row['p']):>9}"
            )
        clustered = f" clustered on {self.cluster}" if self.cluster else ""
        lines.append(
            f"concordance {self.concordance:.3f}; {fmt.count(self.n)} people, {fmt.count(self.events)} "
            f"events; {self.ties} ties; {self.variance} standard errors{clustered}"
        )
        return "\n".join(lines)


def fit_cox(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: list[str],
    *,
    ties: str = "efron",
    weights: str | None = None,
    robust: bool = False,
    cluster: str | None = None,
) -> CoxResult:
    """Fit a Cox proportional hazards model as R's ``coxph``, with Efron (default) or Breslow ties.

    String and categorical covariates become dummy variables (first level dropped, as R's formulas do; levels
    sort by code point, so "X-linked" comes before "autosomal" where R's locale may order them the other way).
    The coefficients are the exact maximum of the partial likelihood (R's ``coxph.control(eps = 1e-14)``
    agrees to ~1e-14). The concordance is R's, weighted when ``weights`` is given.

    Parameters
    ----------
    weights : str, optional
        Case-weight column. Weighted fits report robust SEs (R's advice for non-integer weights).
    robust : bool
        Robust (sandwich) SEs, R's ``robust = TRUE``.
    cluster : str, optional
        Cluster column (a person with several rows, a matched pair): robust SEs clustered on it, R's
        ``cluster()``.

    Raises
    ------
    InputError
        A column used twice (event == duration, a covariate that is the duration or event), infinite or
        overflowing numbers, all durations 0, a constant covariate, or a cluster column with missing values.
    AnalysisError
        No events, or a fit that does not converge (collinear covariates, a coefficient running to infinity).
    """
    if ties not in TIES:
        raise InputError(f"survival: ties {ties!r} is not supported; expected one of {', '.join(TIES)}")
    if not covariates:
        raise InputError("covariates: none given; expected at least one column name")
    check_survival_roles(duration, event, covariates)
    extra = [c for c in (weights, cluster) if c]
    used = [duration, event, *covariates, *extra]
    missing_cols = [c for c in used if c not in data.columns]
    if missing_cols:
        raise InputError(
            f"survival: column {missing_cols[0]!r} not found; columns are {', '.join(map(str, data.columns))}"
        )
    check_finite(data, [c for c in used if c not in (event, cluster)])
    t, e = _check_survival(data, duration, event)
    check_varies(data, covariates)
    X = pd.get_dummies(data[covariates], drop_first=True, dtype=float)
    if X.isna().any().any():
        counts = X.isna().sum()
        raise InputError(
            "survival: missing covariate values: "
            + ", ".join(f"{k} {v}" for k, v in counts[counts > 0].items())
        )
    w = None
    if weights:
        w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)
        if np.isnan(w).any() or (w < 0).any():
            raise InputError(f"survival: weights column {weights!r} must hold numbers >= 0")
    if cluster and data[cluster].isna().any():
        raise InputError(
            f"survival: cluster column {cluster!r} has {int(data[cluster].isna().sum())} missing values; "
            "expected a cluster label on every row"
        )
    frame = X.copy()
    frame["__T"], frame["__E"] = t, e
    if w is not None:
        frame["__w"] = w
    if cluster:
        frame["__cluster"] = data[cluster].to_numpy()
    try:
        cox = fit_robust_cox(
            frame, "__T", "__E", "__w" if w is not None else None, "__cluster" if cluster else None, ties
        )
    except CoxConvergenceError as exc:
        raise AnalysisError(
            f"survival: the Cox model did not converge ({exc}) with covariates {', '.join(covariates)} on "
            f"{len(t)} rows; expected covariates that are not collinear and enough rows and events"
        ) from None
    kind = "robust" if (robust or cluster or w is not None) else "model"
    coef = cox.params.to_numpy()
    robust_se = cox.standard_errors.to_numpy()
    se = robust_se if kind == "robust" else np.sqrt(np.diag(cox.fit.variance))
    p = 2 * stats.norm.sf(np.abs(coef / se))
    table = pd.DataFrame({"covariate": X.columns, "coef": coef, "se": se, "hr": np.exp(coef), "p": p})
    conc = concordance(t, e, _tied_score(X.to_numpy(dtype=float), coef), w).value
    return CoxResult(
        coefficients=table,
        concordance=conc,
        ties=ties,
        n=len(t),
        events=int(e.sum()),
        variance=kind,
        cluster=cluster,
    )


def _tied_score(X: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Linear predictor computed once per distinct covariate row, so equal rows give exactly equal scores
    (the concordance counts them as tied, as R does)."""
    uniq, inverse = np.unique(X, axis=0, return_inverse=True)
    return np.asarray((uniq @ coef)[inverse.reshape(-1)])
