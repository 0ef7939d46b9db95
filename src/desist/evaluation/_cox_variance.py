"""Robust (sandwich) variance of a weighted, optionally clustered Cox model, vectorised with numpy.

Why hand-written: lifelines (0.30) computes the score residuals behind ``CoxPHFitter(robust=True)`` and
``cluster_col`` in a Python loop over the rows whose i-th step sums over the first i rows, so the work is
O(n^2); on a 1,000,000-row evaluation it was about 80% of the run time. No other maintained Python library
gives a weighted, cluster-robust Cox variance (statsmodels' ``PHReg`` ignores weights in its robust covariance
and has no Efron-weighted fit). The formula below is lifelines' own, term for term, computed with cumulative
sums over rows sorted by time once: O(n d) time and memory. lifelines still fits the coefficients and the
model-based (Efron) variance; only the sandwich around it is computed here.

The score residual of row i (rows sorted by time, then event, stably, as lifelines sorts them) is

    r_i = w_i [E_i (x_i - a_i / b_i) - phi_i sum_{j <= i} E_j w_j / b_j (x_i - a_j / b_j)]

with phi_k = exp(x_k beta), b_j = sum_{k >= j} w_k phi_k and a_j = sum_{k >= j} w_k phi_k x_k (the risk set
is positional, as in lifelines: tied rows later in the order are in an earlier row's risk set, not the other
way round; R's ``coxph`` treats ties with Efron's correction here and so differs slightly with tied times).
The residuals are summed within clusters (each row is its own cluster without them), R, and the robust
variance is V R'R V with V the model-based variance.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from numpy.typing import ArrayLike, NDArray
from scipy import stats


def _as_matrix(X: ArrayLike, n: int) -> NDArray[np.float64]:
    x = np.asarray(X, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != n:
        raise ValueError(f"covariates: expected {n} rows and 1 or more columns, got shape {x.shape}")
    return x


def cox_score_residuals(
    durations: ArrayLike,
    events: ArrayLike,
    X: ArrayLike,
    beta: ArrayLike,
    weights: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Weighted Cox score residuals, as lifelines computes them for its robust variance.

    Parameters
    ----------
    durations, events : array-like of shape (n,)
        Follow-up times and event indicators (0/1).
    X : array-like of shape (n, d) or (n,)
        Covariates, in the model's column order.
    beta : array-like of shape (d,)
        Fitted coefficients on the scale of ``X``.
    weights : array-like of shape (n,), optional
        Case weights (> 0); 1 for every row when omitted.

    Returns
    -------
    ndarray of shape (n, d)
        The residuals (already multiplied by the weights), in the rows' original order.
    """
    t = np.asarray(durations, dtype=float)
    e_raw = np.asarray(events)
    n = t.shape[0]
    x = _as_matrix(X, n)
    b_ = np.asarray(beta, dtype=float).reshape(-1)
    if b_.shape[0] != x.shape[1]:
        raise ValueError(f"beta: expected {x.shape[1]} coefficients, got {b_.shape[0]}")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    # lifelines sorts by (time, event) with pandas' stable lexsort; the positional risk sets depend on it
    order = np.lexsort((e_raw, t))
    x = x[order]
    e = e_raw[order].astype(bool).astype(float)
    w = w[order]
    # Centring X and scaling phi by a constant leave every ratio below unchanged; they keep exp() finite
    # and the cumulative sums well conditioned (lifelines standardises X for the same reason).
    x = x - x.mean(axis=0)
    eta = x @ b_
    phi = np.exp(eta - eta.max())
    wphi = w * phi
    risk = np.cumsum(wphi[::-1])[::-1]  # b_j
    risk_x = np.cumsum((x * wphi[:, None])[::-1], axis=0)[::-1]  # a_j
    xbar = risk_x / risk[:, None]  # a_j / b_j
    ew_over_b = e * w / risk
    h = np.cumsum(ew_over_b)  # sum_{j<=i} E_j w_j / b_j
    hx = np.cumsum(ew_over_b[:, None] * xbar, axis=0)  # sum_{j<=i} E_j w_j a_j / b_j^2
    score = e[:, None] * (x - xbar) - phi[:, None] * (x * h[:, None] - hx)
    out: NDArray[np.float64] = np.empty_like(score)
    out[order] = score * w[:, None]
    return out


def cox_robust_variance(
    durations: ArrayLike,
    events: ArrayLike,
    X: ArrayLike,
    beta: ArrayLike,
    variance: ArrayLike,
    weights: ArrayLike | None = None,
    clusters: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Robust (sandwich) variance of Cox coefficients, clustered when ``clusters`` is given.

    Parameters
    ----------
    durations, events, X, beta, weights
        As for :func:`cox_score_residuals`.
    variance : array-like of shape (d, d)
        The model-based variance (inverse information) at ``beta``: lifelines' ``variance_matrix_`` of a
        fit without ``robust``.
    clusters : array-like of shape (n,), optional
        Cluster labels (matched pairs); residuals are summed within each cluster. Without it every row is
        its own cluster (Lin & Wei's robust variance).

    Returns
    -------
    ndarray of shape (d, d)
        ``V R'R V`` where R holds the (cluster-summed) score residuals.
    """
    resid = cox_score_residuals(durations, events, X, beta, weights)
    v = np.asarray(variance, dtype=float)
    if clusters is not None:
        labels = pd.Series(np.asarray(clusters))
        if len(labels) != resid.shape[0]:
            raise ValueError(f"clusters: expected {resid.shape[0]} labels, got {len(labels)}")
        if labels.isna().any():
            raise ValueError(f"clusters: {int(labels.isna().sum())} missing labels; expected a label per row")
        codes, uniques = pd.factorize(labels)
        resid = np.column_stack(
            [np.bincount(codes, weights=resid[:, k], minlength=len(uniques)) for k in range(resid.shape[1])]
        )
    delta = resid @ v
    return np.asarray(delta.T @ delta)


@dataclass(frozen=True)
class RobustCox:
    """A Cox fit with robust (optionally clustered) variance.

    ``model`` is lifelines' fit without ``robust`` (its coefficients, baseline and concordance are the
    same as a robust fit's; its ``standard_errors_`` and ``summary`` are the model-based ones).
    """

    params: pd.Series
    variance: pd.DataFrame
    standard_errors: pd.Series
    p_values: pd.Series
    model: CoxPHFitter


def fit_robust_cox(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    weights_col: str | None = None,
    cluster_col: str | None = None,
) -> RobustCox:
    """Fit ``CoxPHFitter`` (Efron ties) and give it lifelines' robust variance, computed in O(n d).

    Equivalent to ``CoxPHFitter().fit(df, duration_col, event_col, weights_col=weights_col, robust=True,
    cluster_col=cluster_col)``: every column other than duration, event, weights and cluster is a covariate.
    The p-values are Wald tests on the robust SEs, as lifelines reports them.
    """
    clusters = df[cluster_col].to_numpy() if cluster_col else None
    data = df.drop(columns=[cluster_col]) if cluster_col else df
    # lifelines picks its per-row ("single") or per-unique-time ("batch") Efron code from a polynomial fitted
    # on small data, which picks "single" for large data with few distinct times (days, weeks); there batch
    # is 4-6x faster (100,000 rows, 3,650 days: 0.6 s against 2.2 s) and equal to 1e-12. Both are lifelines'.
    batch = bool(data[duration_col].nunique() <= 0.25 * len(data)) or None
    cph = CoxPHFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns non-integer weights need robust SEs: they get them
        cph.fit(data, duration_col, event_col, weights_col=weights_col, batch_mode=batch)
    names = cph.params_.index
    drop = [duration_col, event_col] + ([weights_col] if weights_col else [])
    X = data.drop(columns=drop)[list(names)].to_numpy(dtype=float)
    w = data[weights_col].to_numpy(dtype=float) if weights_col else None
    var = cox_robust_variance(
        data[duration_col].to_numpy(dtype=float),
        data[event_col].to_numpy(),
        X,
        cph.params_.to_numpy(),
        cph.variance_matrix_.loc[names, names].to_numpy(),
        weights=w,
        clusters=clusters,
    )
    se = pd.Series(np.sqrt(np.diag(var)), index=names, name="se")
    p = pd.Series(stats.chi2.sf((cph.params_ / se) ** 2, 1), index=names, name="p")
    return RobustCox(
        params=cph.params_.copy(),
        variance=pd.DataFrame(var, index=names, columns=names),
        standard_errors=se,
        p_values=p,
        model=cph,
    )
