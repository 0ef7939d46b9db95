"""Sensitivity analysis: how strong would hidden bias have to be to explain the result away?

Three tools, each answering a different worry about an observational comparison:

* :func:`e_value` (VanderWeele & Ding 2017): the minimum strength of association, on the risk-ratio scale,
  that an unmeasured confounder would need with both treatment and outcome to explain the estimate away.
* Rosenbaum bounds for matched pairs (:func:`rosenbaum_binary`, :func:`rosenbaum_wilcoxon`,
  :func:`rosenbaum_grid`): the largest odds Gamma of differential selection into treatment within a pair
  that the conclusion survives.
* :func:`innocent_deniers`: the seed's scenario, re-estimating as more men maintaining innocence are
  assumed innocent.

The check values (E(3.9) = 7.26, the Gamma table for 110/12 discordant pairs) are in domain.md section 6
and in the tests. No maintained Python library implements these (R has EValue and rbounds), so they are
written here from the published formulas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation._binomial import binomial_sf
from desist.evaluation._plotting import PlotPath, save

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

MEASURES = ("RR", "OR", "HR")
#: treatments of zero paired differences in the Wilcoxon bound (see :func:`rosenbaum_wilcoxon`)
ZEROS = ("drop", "pratt", "keep")


class EValue(NamedTuple):
    """E-values for a point estimate and for the CI limit nearest the null (1.0 if the CI crosses 1)."""

    point: float
    ci: float | None


def _e_rr(rr: float) -> float:
    """E-value for a risk ratio (VanderWeele & Ding 2017, eq. 1); protective ratios are inverted first."""
    if rr < 1:
        rr = 1.0 / rr
    return rr + math.sqrt(rr * (rr - 1.0))


def _to_rr(value: float, measure: str, rare: bool) -> float:
    """Approximate a ratio on the risk-ratio scale (VanderWeele & Ding 2017, section 4).

    OR: RR ~ OR for a rare outcome (< 15%), sqrt(OR) for a common one.
    HR: RR ~ HR for a rare outcome, (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)) for a common one.
    """
    if measure == "RR" or rare:
        return value
    if measure == "OR":
        return math.sqrt(value)
    # typeshed types float ** float as Any (a negative base can give a complex); 0.5 ** x is a float
    rr: float = (1.0 - 0.5 ** math.sqrt(value)) / (1.0 - 0.5 ** math.sqrt(1.0 / value))
    return rr


def e_value(
    estimate: float,
    lo: float | None = None,
    hi: float | None = None,
    measure: str = "RR",
    rare: bool = False,
) -> EValue:
    """E-value for a ratio estimate and its confidence interval.

    Parameters
    ----------
    estimate : float
        The ratio (risk ratio, odds ratio or hazard ratio), > 0.
    lo, hi : float, optional
        The confidence limits. The CI E-value uses the limit nearest 1 and is 1.0 when the CI includes 1.
    measure : {"RR", "OR", "HR"}
        Scale of ``estimate``. OR and HR are converted to the risk-ratio scale first.
    rare : bool
        Whether the outcome is rare (< 15% by the end of follow-up). For a rare outcome OR and HR approximate
        RR directly; otherwise the common-outcome conversions are used (sqrt(OR); domain.md's HR formula).
        Default False, the conservative choice for reoffending over several years.

    Returns
    -------
    EValue
        ``point`` and ``ci`` (None when no limit was given).

    Examples
    --------
    >>> round(e_value(3.9).point, 2)
    7.26
    >>> e_value(0.8, 0.6, 1.1).ci
    1.0
    """
    measure = measure.upper()
    if measure not in MEASURES:
        raise InputError(
            f"e_value: measure {measure!r} is not supported; expected one of {', '.join(MEASURES)}"
        )
    for name, v in (("estimate", estimate), ("lo", lo), ("hi", hi)):
        if v is not None and not (v > 0 and math.isfinite(v)):
            raise InputError(f"e_value: {name} = {v} is not a positive finite ratio")
    if lo is not None and hi is not None and lo > hi:
        raise InputError(f"e_value: lower limit {lo} is above upper limit {hi}")
    point = _e_rr(_to_rr(estimate, measure, rare))
    # the CI E-value uses the limit on the estimate's side of 1, nearest the null
    limit = lo if estimate >= 1 else hi
    if limit is None:
        return EValue(point, None)
    if (estimate >= 1 and limit <= 1) or (estimate < 1 and limit >= 1):
        return EValue(point, 1.0)
    return EValue(point, _e_rr(_to_rr(limit, measure, rare)))


def rosenbaum_binary(treated_only: int, control_only: int, gamma: float) -> float:
    """Upper one-sided p-value of McNemar's test for matched pairs under hidden bias ``gamma``.

    With D = treated_only + control_only discordant pairs, the bound is
    P(Binomial(D, gamma / (1 + gamma)) >= treated_only) (Rosenbaum 2002, section 4.3.2).
    The test is of "more treated-only events than chance"; to test a reduction, swap the counts.

    Examples
    --------
    >>> f"{rosenbaum_binary(110, 12, 3.0):.1e}"
    '2.0e-05'
    """
    if (
        treated_only < 0
        or control_only < 0
        or int(treated_only) != treated_only
        or int(control_only) != control_only
    ):
        raise InputError(
            f"rosenbaum_binary: counts must be whole numbers >= 0, got {treated_only} and {control_only}"
        )
    if not gamma >= 1:
        raise InputError(f"rosenbaum_binary: gamma = {gamma} must be >= 1")
    d = int(treated_only) + int(control_only)
    if d == 0:
        return 1.0
    p_plus = gamma / (1.0 + gamma)
    # scipy's binomial tail (bdtrc, what scipy.stats.binom.sf calls) transcribed: importing scipy.special
    # alone would cost every `desist evaluate` more than R's whole match of a thousand people
    return binomial_sf(int(treated_only) - 1, d, p_plus)


def rosenbaum_wilcoxon(differences: ArrayLike, gamma: float, zeros: str = "drop") -> float:
    """Upper one-sided p-value of Wilcoxon's signed rank test for matched pairs under hidden bias ``gamma``.

    ``differences`` are treated minus control outcomes per pair (positive = treated higher). Tied absolute
    differences get average ranks; the bound uses the large-sample normal approximation, as R's
    ``rbounds::psens``: T = sum of the ranks of positive differences, E = p+ * sum(r),
    V = p+ (1 - p+) sum(r^2), p+ = gamma / (1 + gamma), p = 1 - Phi((T - E) / sqrt(V)) (psens prints it
    rounded to 4 digits).

    ``zeros`` says what a zero difference (a pair with equal outcomes) does:

    * ``"drop"`` (default): left out before ranking (Wilcoxon 1945). This is rbounds' ``psens`` from version
      0.7 (2011) to the current 2.2 (2022): ``diff <- diff[diff != 0]`` before ``rank(abs(diff))``.
    * ``"pratt"``: ranked with the others (so they push the other ranks up) and then left out of T, E and V
      (Pratt 1959; coin's ``wilcoxsign_test(zero.method = "Pratt")``, scipy's ``zero_method="pratt"``).
    * ``"keep"``: ranked with the others and kept in E and V, though they can never count in T: rbounds
      0.1-0.3 (2008-2009). It makes the bound more conservative the more zeros there are.
    """
    if not gamma >= 1:
        raise InputError(f"rosenbaum_wilcoxon: gamma = {gamma} must be >= 1")
    if zeros not in ZEROS:
        raise InputError(f"rosenbaum_wilcoxon: zeros {zeros!r}; expected one of {', '.join(ZEROS)}")
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if zeros == "drop":
        d = d[d != 0]
    from scipy.stats import rankdata  # continuous outcomes only: keeps scipy.stats off the default path

    ranks = rankdata(np.abs(d))
    if zeros == "pratt":
        ranks, d = ranks[d != 0], d[d != 0]
    if d.size == 0 or not (d != 0).any():
        return 1.0
    t_plus = ranks[d > 0].sum()
    p_plus = gamma / (1.0 + gamma)
    mean = p_plus * ranks.sum()
    var = p_plus * (1 - p_plus) * np.sum(ranks**2)
    return 0.5 * math.erfc((t_plus - mean) / math.sqrt(var) / math.sqrt(2))  # normal upper tail


def _critical_gamma(pfun: Callable[[float], float], alpha: float, upper: float = 1000.0) -> float | None:
    """Smallest Gamma where pfun(Gamma) reaches alpha; None if significant beyond ``upper``; 1.0 if never."""
    if pfun(1.0) >= alpha:
        return 1.0
    if pfun(upper) < alpha:
        return None
    # bisection (pfun rises with Gamma) to well inside brentq's xtol=1e-6, without importing scipy.optimize
    lo, hi = 1.0, upper
    while hi - lo > 1e-7:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if pfun(mid) < alpha else (lo, mid)
    return (lo + hi) / 2


def rosenbaum_grid(
    *,
    treated_only: int | None = None,
    control_only: int | None = None,
    differences: ArrayLike | None = None,
    gammas: ArrayLike | None = None,
    alpha: float = 0.05,
    zeros: str = "drop",
) -> tuple[pd.DataFrame, float | None]:
    """Rosenbaum bounds over a grid of Gamma and the Gamma at which significance is lost.

    Give either the discordant-pair counts (binary outcome) or the paired ``differences`` (continuous;
    ``zeros`` as in :func:`rosenbaum_wilcoxon`).

    Returns
    -------
    table : DataFrame
        Columns ``gamma`` and ``p_upper``.
    gamma_critical : float or None
        The Gamma at which the upper p-value first reaches ``alpha`` (1.0: not significant even without
        hidden bias; None: still significant at Gamma = 1000).
    """
    import pandas as pd

    rows, critical = _grid(treated_only, control_only, differences, gammas, alpha, zeros)
    return pd.DataFrame(rows, columns=["gamma", "p_upper"]), critical


def _grid(
    treated_only: int | None,
    control_only: int | None,
    differences: ArrayLike | None,
    gammas: ArrayLike | None,
    alpha: float,
    zeros: str,
) -> tuple[list[dict[str, float]], float | None]:
    """:func:`rosenbaum_grid` with the table as a list of ``{"gamma", "p_upper"}`` rows."""
    if differences is not None:

        def pfun(g: float) -> float:
            return rosenbaum_wilcoxon(differences, g, zeros)
    elif treated_only is not None and control_only is not None:

        def pfun(g: float) -> float:
            return rosenbaum_binary(treated_only, control_only, g)
    else:
        raise InputError("rosenbaum_grid: give treated_only and control_only, or differences")
    grid = np.asarray(gammas if gammas is not None else np.round(np.arange(1.0, 6.01, 0.25), 2), dtype=float)
    rows = [{"gamma": float(g), "p_upper": pfun(float(g))} for g in grid]
    return rows, _critical_gamma(pfun, alpha)


def innocent_deniers(
    y: ArrayLike,
    treated: ArrayLike,
    weights: ArrayLike,
    deniers: ArrayLike,
    *,
    base_rate: float | None = None,
    fractions: ArrayLike | None = None,
    clusters: ArrayLike | None = None,
    name: str = "outcome",
) -> pd.DataFrame:
    """Re-estimate the effect assuming a fraction of men maintaining innocence are in fact innocent.

    The seed's worry: men who maintained innocence could not join SOTP, so they sit in the comparison group;
    if some were wrongly convicted their (low) reoffending flatters the comparison group and makes the
    programme look worse. For each assumed fraction f (0 to 1) of deniers being innocent:

    * with ``base_rate`` given, the innocent men's outcome is set to that rate (e.g. the general population's
      rate of a first sexual conviction over the same window);
    * with ``base_rate=None`` the innocent men are removed.

    Which deniers are innocent is unknown, so the function uses the expectation over that choice: a denier's
    outcome becomes (1 - f) * y + f * base_rate, or his weight becomes (1 - f) * weight. This makes the curve
    exact and free of simulation noise. The design (who is matched to whom) is held fixed.

    Parameters
    ----------
    y, treated, weights, clusters
        As for :func:`desist.evaluation.outcomes.estimate_outcome`.
    deniers : array-like of bool
        Whether each man maintained innocence.
    base_rate : float, optional
        Outcome assumed for an innocent man; None removes them instead.
    fractions : array-like, optional
        Assumed innocent fractions; default 0, 0.1, ..., 1.

    Returns
    -------
    DataFrame
        ``fraction, treated_mean, control_mean, estimate, ci_low, ci_high, p_value`` (NaN where an arm is
        left empty), with ``attrs["scenario"]`` describing the assumption.
    """
    import pandas as pd

    from desist.evaluation.outcomes import estimate_outcome, outcome_type

    y = np.asarray(y, dtype=float)
    w = np.asarray(weights, dtype=float)
    den = pd.Series(deniers).fillna(False).astype(bool).to_numpy()
    if len(den) != len(y):
        raise InputError("innocent deniers: the deniers column differs in length from the outcome")
    if base_rate is not None and not (np.isfinite(base_rate) and base_rate >= 0):
        raise InputError(f"innocent deniers: base rate {base_rate} must be a number >= 0")
    kind = outcome_type(y[w > 0])
    grid = np.asarray(fractions if fractions is not None else np.round(np.linspace(0, 1, 11), 2), dtype=float)
    if ((grid < 0) | (grid > 1)).any():
        raise InputError("innocent deniers: fractions must lie between 0 and 1")
    rows = []
    for f in grid:
        if base_rate is None:
            yy, ww = y, np.where(den, (1 - f) * w, w)
        else:
            yy, ww = np.where(den, (1 - f) * y + f * base_rate, y), w
        try:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = estimate_outcome(yy, treated, ww, clusters, name=name, kind=kind)
            rows.append((f, r.treated_mean, r.control_mean, r.estimate, r.ci[0], r.ci[1], r.p_value))
        except (AnalysisError, InputError):
            rows.append((f, *[np.nan] * 6))
    table = pd.DataFrame(
        rows, columns=["fraction", "treated_mean", "control_mean", "estimate", "ci_low", "ci_high", "p_value"]
    )
    table.attrs["scenario"] = (
        f"innocent deniers' outcome set to {base_rate}"
        if base_rate is not None
        else "innocent deniers removed"
    )
    table.attrs["n_deniers"] = {
        "treated": int((den & np.asarray(treated, bool) & (w > 0)).sum()),
        "control": int((den & ~np.asarray(treated, bool) & (w > 0)).sum()),
    }
    return table


def plot_deniers(
    table: pd.DataFrame, ax: Axes | None = None, path: PlotPath | None = None
) -> Figure | SubFigure:
    """Estimate and 95% CI against the share of comparison men maintaining innocence assumed innocent.

    Drawn by :func:`desist.evaluation.charts.deniers_chart`; returns the matplotlib Figure.
    """
    from desist.evaluation.charts import deniers_chart

    rows = [{str(k): v for k, v in r.items()} for r in table.to_dict(orient="records")]
    fig = deniers_chart(rows, ax=ax)
    save(fig, path)
    return fig


def rosenbaum_matched(
    y: ArrayLike,
    match_treated: ArrayLike,
    match_matrix: ArrayLike,
    direction: float,
    *,
    binary: bool,
    zeros: str = "drop",
) -> dict[str, Any]:
    """Rosenbaum bounds from a 1:1 pair matching, testing in the direction of the estimate.

    Parameters
    ----------
    y : array
        Outcomes for every row of the matched data.
    match_treated, match_matrix : arrays
        Row positions of each pair's treated man and (first column) his control, as the matchers give them.
    direction : float
        Sign of the estimated effect: > 0 tests "treated higher", < 0 tests "treated lower".
    binary : bool
        Binomial bound on discordant pairs (True) or Wilcoxon signed rank bound (False).
    zeros : {"drop", "pratt", "keep"}
        Zero differences in the Wilcoxon bound (see :func:`rosenbaum_wilcoxon`).

    Returns
    -------
    dict
        ``available``, ``test``, ``pairs``, ``table`` (list of {gamma, p_upper}) and ``gamma_critical``.
    """
    y = np.asarray(y, dtype=float)
    mm = np.asarray(match_matrix)
    if mm.ndim != 2 or mm.shape[1] != 1:
        return {"available": False, "reason": "Rosenbaum bounds here need 1:1 pair matching"}
    ok = mm[:, 0] >= 0
    diff = y[np.asarray(match_treated)[ok]] - y[mm[ok, 0]]
    sign = 1.0 if direction >= 0 else -1.0
    if binary:
        t_only, c_only = int((diff > 0).sum()), int((diff < 0).sum())
        first, second = (t_only, c_only) if sign > 0 else (c_only, t_only)
        table, gcrit = _grid(first, second, None, None, 0.05, zeros)
        info = {
            "test": "binomial (McNemar) on discordant pairs",
            "treated_only": t_only,
            "control_only": c_only,
        }
    else:
        table, gcrit = _grid(None, None, sign * diff, None, 0.05, zeros)
        info = {"test": "Wilcoxon signed rank", "zeros": zeros, "zero_pairs": int((diff == 0).sum())}
    return {
        "available": True,
        **info,
        "direction": "treated higher" if sign > 0 else "treated lower",
        "pairs": int(ok.sum()),
        "table": table,
        "gamma_critical": gcrit,
    }
