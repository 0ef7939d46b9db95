"""Outcome estimates after matching or weighting: rates, difference, risk ratio, odds ratio, with honest CIs.

The design (matching or weighting) is fixed first and never sees the outcome; here the outcome is compared
between arms with the design's weights. Standard errors account for the design:

* pair matching without replacement: cluster-robust on the pair / matched-set id (Abadie & Spiess 2022;
  MatchIt's recommended ``vcovCL(cluster = ~subclass)``);
* other designs (replacement, subclassification, IPW): heteroscedasticity-robust HC1 (MatchIt's advice);
* ``bootstrap=N``: the cluster (pair) bootstrap of Austin & Small (2014), holding the matching fixed.

Arm means come from a no-intercept weighted least squares of the outcome on the two arm indicators, whose
robust covariance gives the difference directly and the risk and odds ratios by the delta method. That
regression has a closed form (weighted arm means, and a sandwich whose bread is diagonal), computed here in
numpy with statsmodels' small-sample corrections rather than through statsmodels, whose import alone costs
more than R takes for a whole MatchIt run on a few thousand people (tests check the two agree).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from desist.domain.errors import AnalysisError, InputError

if TYPE_CHECKING:
    import pandas as pd

#: the columns of :meth:`OutcomeResult.to_frame`
MEASURE_COLUMNS = ("measure", "estimate", "ci_low", "ci_high", "p_value")

#: the Justice Data Lab will not publish an analysis with fewer treated people than this
JDL_MIN_TREATED = 60
Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class Ratio:
    """A ratio measure with its 95% CI."""

    estimate: float
    ci: tuple[float, float]


@dataclass(frozen=True)
class OutcomeResult:
    """One outcome compared between arms. ``to_dict()`` is the ``outcome`` block of the CLI JSON."""

    name: str
    type: str  # "binary", "count" or "continuous"
    estimand: str
    treated_mean: float
    control_mean: float
    estimate: float  # difference, treated minus (weighted) control
    se: float
    ci: tuple[float, float]
    p_value: float
    ci_method: str
    n_treated: int
    n_control: int
    risk_ratio: Ratio | None = None
    odds_ratio: Ratio | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def per_100(self) -> dict[str, Any] | None:
        """Binary and count outcomes as the Justice Data Lab reports them: per 100 people."""
        if self.type == "continuous":
            return None
        return {
            "treated": 100 * self.treated_mean,
            "control": 100 * self.control_mean,
            "difference": 100 * self.estimate,
            "ci": [100 * self.ci[0], 100 * self.ci[1]],
        }

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci)
        d["warnings"] = list(self.warnings)
        for key in ("risk_ratio", "odds_ratio"):
            if d[key] is None:
                d.pop(key)
            else:
                d[key]["ci"] = list(d[key]["ci"])
        d["per_100"] = self.per_100
        return d

    def rows(self) -> list[dict[str, Any]]:
        """One dict per measure (keys :data:`MEASURE_COLUMNS`): difference, and for binary outcomes risk
        ratio and odds ratio (their p-value NaN)."""
        rows = [("difference", self.estimate, *self.ci, self.p_value)]
        for label, r in (("risk_ratio", self.risk_ratio), ("odds_ratio", self.odds_ratio)):
            if r is not None:
                rows.append((label, r.estimate, *r.ci, np.nan))
        return [dict(zip(MEASURE_COLUMNS, row, strict=True)) for row in rows]

    def to_frame(self) -> pd.DataFrame:
        """One row per measure: difference, and for binary outcomes risk ratio and odds ratio."""
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=list(MEASURE_COLUMNS))


def outcome_type(y: np.ndarray) -> str:
    """'binary' for 0/1 values, 'count' for other whole numbers >= 0, else 'continuous'."""
    finite = y[np.isfinite(y)]
    if np.all((finite == 0) | (finite == 1)):  # without sorting: outcomes can be millions of rows
        return "binary"
    vals = np.unique(finite)
    if np.all(vals >= 0) and np.all(vals == np.round(vals)):
        return "count"
    return "continuous"


def _as_float(y: ArrayLike, name: str) -> np.ndarray:
    raw = np.asarray(y)
    if raw.dtype.kind in "biuf":  # already numbers: no per-value conversion
        arr = raw.astype(float)
        bad = np.zeros(0, dtype=bool)
    else:  # text or mixed values (rare): pandas' number parsing
        import pandas as pd

        arr = pd.to_numeric(pd.Series(np.asarray(y, dtype=object)), errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(arr) & pd.notna(pd.Series(np.asarray(y, dtype=object))).to_numpy()
    if bad.any():
        raise InputError(
            f"outcome {name!r}: {int(bad.sum())} values are not numbers; expected 0/1 or numbers"
        )
    if raw.dtype.kind in "biu":  # whole numbers of numpy's integer types: finite, squares far from overflow
        return arr
    lo, hi = (float(arr.min()), float(arr.max())) if len(arr) else (0.0, 0.0)
    finite = arr
    if np.isnan(lo) or np.isnan(hi):  # gaps (refused later if among the people analysed)
        finite = arr[~np.isnan(arr)]
        lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    if np.isinf(lo) or np.isinf(hi):
        infinite = int(np.isinf(finite).sum())
        raise InputError(f"outcome {name!r}: {infinite} infinite value(s); expected finite numbers")
    biggest = max(abs(lo), abs(hi))
    if biggest >= 1e100:  # below, the squares cannot overflow (see design.py)
        with np.errstate(over="ignore", invalid="ignore"):
            if not np.isfinite(np.std(finite)):
                # squares overflow: means, variances and every CI would come out NaN
                raise InputError(
                    f"outcome {name!r}: values as large as {biggest:.3g} are too large to compute with; "
                    "expected numbers on a sensible scale (rescale the column)"
                )
    return arr


def _cluster_codes(clusters: ArrayLike | None, keep: np.ndarray) -> np.ndarray | None:
    """Integer cluster ids 0 .. G-1 for kept rows; rows without a cluster become their own cluster.

    None when there are no clusters at all (none given, or every kept row's id is missing).
    """
    if clusters is None:
        return None
    if isinstance(clusters, np.ndarray) and clusters.dtype.kind in "iu":  # integer ids, none missing
        vals = clusters[keep].astype(np.int64, copy=False)
        missing = np.zeros(len(vals), dtype=bool)
        if not len(vals):
            return None
        if vals.min() >= 0 and vals.max() <= 4 * len(vals):
            return _number_ids(vals, missing)
        codes = np.zeros(len(vals), dtype=np.int64)
        codes[~missing] = np.unique(vals[~missing], return_inverse=True)[1].ravel()
        return _own_clusters(codes, missing)
    import pandas as pd

    s = clusters if isinstance(clusters, pd.Series) else pd.Series(clusters)
    missing = s.isna().to_numpy()[keep]
    if missing.all():
        return None
    vals = s.to_numpy(dtype=np.int64, na_value=0)[keep] if pd.api.types.is_integer_dtype(s.dtype) else None
    if vals is not None and vals.min() >= 0 and vals.max() <= 4 * len(vals):
        return _number_ids(vals, missing)
    codes = np.asarray(pd.factorize(s.reset_index(drop=True)[keep], use_na_sentinel=True)[0])
    return _own_clusters(codes, missing)


def _number_ids(vals: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Pair ids (1 .. pairs) numbered 0 .. G-1 in order, by table lookup rather than a sort."""
    present = np.zeros(int(vals.max()) + 1, dtype=bool)
    present[vals[~missing]] = True
    codes: np.ndarray = (np.cumsum(present) - 1)[vals]
    return _own_clusters(codes, missing)


def _own_clusters(codes: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Rows without a cluster become clusters of their own, numbered after the others."""
    n_cl = int(codes[~missing].max()) + 1
    codes[missing] = n_cl + np.arange(int(missing.sum()))
    return codes


def arm_means(
    y: ArrayLike, treated: ArrayLike, weights: ArrayLike, clusters: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted arm means (treated, control) and their robust covariance matrix.

    The WLS fit ``y ~ 0 + treated + control`` (rows with weight 0, the unmatched, left out) in closed form:
    the coefficients are the weighted arm means and the bread of the sandwich is ``diag(W1, W0)``, the arms'
    weight totals. With clusters (pairs) the meat sums each cluster's scores first and the correction is
    statsmodels' ``G / (G - 1) * (N - 1) / (N - 2)``; without, it is HC1's ``N / (N - 2)``.
    """
    w = np.asarray(weights, dtype=float)
    keep = w > 0
    return _arm_means(y, treated, w, _cluster_codes(clusters, keep))


def _arm_means(
    y: ArrayLike, treated: ArrayLike, w: np.ndarray, codes: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`arm_means` given the cluster codes of the rows with weight > 0."""
    t = np.asarray(treated, dtype=bool)
    keep = w > 0
    yk, tk, wk = np.asarray(y, dtype=float)[keep], t[keep], w[keep]
    totals = np.array([wk[tk].sum(), wk[~tk].sum()])
    means = np.array([wk[tk] @ yk[tk], wk[~tk] @ yk[~tk]]) / totals
    score = wk * (yk - np.where(tk, means[0], means[1]))  # each row's score lies in its own arm's column
    n = len(yk)
    g = int(codes.max()) + 1 if codes is not None else n  # factorized: ids 0 .. G-1
    if codes is not None and g < n:
        s1 = np.bincount(codes, np.where(tk, score, 0.0), g)
        s0 = np.bincount(codes, np.where(tk, 0.0, score), g)
        meat = np.array([[s1 @ s1, s1 @ s0], [s0 @ s1, s0 @ s0]]) * (g / (g - 1) * (n - 1) / (n - 2))
    else:
        meat = np.diag([score[tk] @ score[tk], score[~tk] @ score[~tk]]) * (n / (n - 2))
    cov = meat / np.outer(totals, totals)
    return means, cov


def _ratio_ci(m1: float, m0: float, cov: np.ndarray, kind: str) -> Ratio | None:
    """Risk or odds ratio with a delta-method CI on the log scale."""
    if not (0 < m0 < 1 and 0 < m1 < 1):
        return None
    if kind == "rr":
        grad = np.array([1 / m1, -1 / m0])
        log_est = math.log(m1 / m0)
    else:
        grad = np.array([1 / (m1 * (1 - m1)), -1 / (m0 * (1 - m0))])
        log_est = math.log(m1 / (1 - m1)) - math.log(m0 / (1 - m0))
    se = math.sqrt(max(float(grad @ cov @ grad), 0.0))
    return Ratio(math.exp(log_est), (math.exp(log_est - Z95 * se), math.exp(log_est + Z95 * se)))


def _bootstrap(
    y: np.ndarray,
    t: np.ndarray,
    w: np.ndarray,
    clusters: ArrayLike | None,
    n_boot: int,
    seed: int | None,
) -> np.ndarray:
    """Cluster bootstrap of the arm means; returns an (n_boot, 2) array of (treated, control) means."""
    keep = w > 0
    codes = _cluster_codes(clusters, keep)
    if codes is None:
        codes = np.arange(keep.sum())
    yk, tk, wk = y[keep], t[keep], w[keep]
    n_cl = codes.max() + 1
    # per-cluster sums, so each replicate is a weighted sum over cluster counts (no row copying)
    sums = np.column_stack(
        [
            np.bincount(codes, wk * yk * tk, n_cl),
            np.bincount(codes, wk * tk, n_cl),
            np.bincount(codes, wk * yk * ~tk, n_cl),
            np.bincount(codes, wk * ~tk, n_cl),
        ]
    )
    rng = np.random.default_rng(seed)
    out = np.empty((n_boot, 2))
    for b in range(n_boot):
        counts = np.bincount(rng.integers(0, n_cl, n_cl), minlength=n_cl)
        s = counts @ sums
        out[b] = (s[0] / s[1] if s[1] > 0 else np.nan, s[2] / s[3] if s[3] > 0 else np.nan)
    return out


def _pct_ci(values: np.ndarray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    return (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5)))


def estimate_outcome(
    y: ArrayLike,
    treated: ArrayLike,
    weights: ArrayLike,
    clusters: ArrayLike | None = None,
    *,
    name: str = "outcome",
    estimand: str = "ATT",
    kind: str | None = None,
    bootstrap: int = 0,
    seed: int | None = None,
) -> OutcomeResult:
    """Compare an outcome between arms using design weights.

    Parameters
    ----------
    y : array-like
        The outcome (0/1, a count, or a number). Missing values are an error: drop them (and re-run the
        design) or derive a complete fixed-window outcome with
        :func:`desist.evaluation.followup.jdl_followup`.
    treated : array-like of bool
    weights : array-like
        Design weights (MatchIt's matching weights, or IPW weights); 0 leaves a person out.
    clusters : array-like, optional
        Pair or matched-set ids (``subclass_``), <NA> for none. Gives pair-cluster robust SEs.
    kind : {"binary", "count", "continuous"}, optional
        Inferred from the values when not given.
    bootstrap : int
        Number of cluster-bootstrap replicates for percentile CIs (0: analytic robust SEs).
    seed : int, optional
        Seed for the bootstrap.

    Returns
    -------
    OutcomeResult
    """
    y = _as_float(y, name)
    t = np.asarray(treated, dtype=bool)
    w = np.asarray(weights, dtype=float)
    if not (len(y) == len(t) == len(w)):
        raise InputError(f"outcome {name!r}: outcome, treatment and weights differ in length")
    keep = w > 0
    if np.isnan(y[keep]).any():
        raise InputError(
            f"outcome {name!r}: {int(np.isnan(y[keep]).sum())} missing values among the people analysed; "
            "expected complete outcomes (drop them, or use full follow-up only)"
        )
    n1, n0 = int((keep & t).sum()), int((keep & ~t).sum())
    if n1 == 0 or n0 == 0:
        raise AnalysisError(
            f"outcome {name!r}: no {'treated' if n1 == 0 else 'comparison'} people with weight > 0"
        )
    kind = kind or outcome_type(y[keep])
    codes = _cluster_codes(clusters, keep)
    params, cov = _arm_means(y, t, w, codes)
    m1, m0 = float(params[0]), float(params[1])
    diff = m1 - m0
    grad = np.array([1.0, -1.0])
    se = math.sqrt(max(float(grad @ cov @ grad), 0.0))
    has_clusters = codes is not None
    method = "cluster-robust (pairs)" if has_clusters else "HC1 robust"
    rr = _ratio_ci(m1, m0, cov, "rr") if kind == "binary" else None
    orr = _ratio_ci(m1, m0, cov, "or") if kind == "binary" else None
    if bootstrap:
        if bootstrap < 50:
            raise InputError(f"bootstrap = {bootstrap} replicates is too few; expected at least 50")
        bs = _bootstrap(y, t, w, clusters, int(bootstrap), seed)
        d = bs[:, 0] - bs[:, 1]
        se = float(np.nanstd(d, ddof=1))
        ci = _pct_ci(d)
        method = (
            f"{'cluster' if has_clusters else 'individual'} bootstrap ({bootstrap} replicates, seed {seed})"
        )
        if kind == "binary":
            with np.errstate(divide="ignore", invalid="ignore"):
                rr_b = bs[:, 0] / bs[:, 1]
                or_b = (bs[:, 0] / (1 - bs[:, 0])) / (bs[:, 1] / (1 - bs[:, 1]))
            rr = Ratio(rr.estimate, _pct_ci(rr_b)) if rr else None
            orr = Ratio(orr.estimate, _pct_ci(or_b)) if orr else None
    else:
        ci = (diff - Z95 * se, diff + Z95 * se)
    p = math.erfc(abs(diff) / se / math.sqrt(2)) if se > 0 else (1.0 if diff == 0 else 0.0)
    notes = []
    if n1 < JDL_MIN_TREATED:
        notes.append(
            f"only {n1} treated people analysed; the Justice Data Lab requires at least {JDL_MIN_TREATED}, "
            "so treat this estimate as indicative only"
        )
        warnings.warn(notes[-1], stacklevel=2)
    return OutcomeResult(
        name=name,
        type=kind,
        estimand=estimand,
        treated_mean=m1,
        control_mean=m0,
        estimate=diff,
        se=se,
        ci=(float(ci[0]), float(ci[1])),
        p_value=p,
        ci_method=method,
        n_treated=n1,
        n_control=n0,
        risk_ratio=rr,
        odds_ratio=orr,
        warnings=tuple(notes),
    )
