"""Covariate balance before and after a design: standardised mean differences, variance ratios, eCDF gaps.

Definitions follow R's cobalt (and MatchIt's ``summary``): the SMD denominator is always computed in the
*unadjusted* sample, so before and after are on the same scale - the treated SD for the ATT, the control SD
for the ATC, and sqrt((var_treated + var_control) / 2) for the ATE. Binary covariates get the raw difference
in proportions (cobalt's default ``binary = "raw"``); MatchIt's summary would standardise them too. Weighted
variances use the unbiased weighted estimator sum w (x - m)^2 / (sum w - sum w^2 / sum w).
Thresholds (domain.md section 6): |SMD| < 0.1, < 0.05 for key covariates; variance ratio within 0.5-2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation._ecdf import ecdf_max
from desist.evaluation._frame import as_columns
from desist.evaluation._plotting import save_figure
from desist.evaluation.design import check_columns, design_columns, treatment_vector

if TYPE_CHECKING:
    import pandas as pd

THRESHOLD = 0.1
_BLOCK = 1 << 16
STRICT_THRESHOLD = 0.05


#: one group's values and weights (None: every weight 1, so no products with ones over millions of rows)
Group = tuple[np.ndarray, np.ndarray | None]


def _wmean(x: np.ndarray, w: np.ndarray | None) -> float:
    return float(x.sum() / len(x)) if w is None else float((w * x).sum() / w.sum())


def _wvar(x: np.ndarray, w: np.ndarray | None) -> float:
    if w is None:  # the weighted formula with every weight 1, a block at a time (no full-size temporaries)
        n = float(len(x))
        denom = n - 1.0
        m = x.sum() / n
        ss = sum(float(((x[i : i + _BLOCK] - m) ** 2).sum()) for i in range(0, len(x), _BLOCK))
        return ss / denom if denom > 0 else float("nan")
    sw = w.sum()
    m = (w * x).sum() / sw
    denom = sw - (w**2).sum() / sw
    return float((w * (x - m) ** 2).sum() / denom) if denom > 0 else float("nan")


def _groups(x: np.ndarray, t: np.ndarray, w: np.ndarray | None) -> tuple[Group, Group]:
    """Treated and control values with weight > 0 and their weights (None when all are 1)."""
    x1, x0 = x[t], x[~t]
    if w is None:
        return (x1, None), (x0, None)
    out = []
    for xs, ws in ((x1, w[t]), (x0, w[~t])):
        kept = ws > 0
        xs, ws = (xs, ws) if kept.all() else (xs[kept], ws[kept])
        out.append((xs, None if len(ws) and ws.min() == ws.max() == 1.0 else ws))
    return out[0], out[1]


def _flag(smd: float) -> str:
    if not np.isfinite(smd):
        return "n/a"
    a = abs(smd)
    return ">0.1" if a > THRESHOLD else (">0.05" if a > STRICT_THRESHOLD else "ok")


def _stats(treated: Group, control: Group, denom: float, binary: bool) -> tuple[float, float, float]:
    (x1, w1), (x0, w0) = treated, control
    if not len(x1) or not len(x0):
        return float("nan"), float("nan"), float("nan")
    diff = _wmean(x1, w1) - _wmean(x0, w0)
    smd = diff if binary else (diff / denom if denom > 0 else float("nan"))
    if binary:
        vr = float("nan")
    else:
        v0 = _wvar(x0, w0)
        vr = _wvar(x1, w1) / v0 if v0 > 0 else float("nan")
    return smd, vr, ecdf_max(x1, w1, x0, w0)


def balance_table(
    data: Any,
    treatment: str,
    covariates: list[str],
    weights: Any = None,
    estimand: str = "ATT",
    s_weights: Any = None,
) -> pd.DataFrame:
    """Balance of each design-matrix column before and after weighting or matching (:func:`balance_rows`
    as a pandas frame).

    Parameters
    ----------
    data : pandas or polars DataFrame
    treatment : str
        0/1 treatment column.
    covariates : list of str
        Columns; categorical ones get one row per level (``"col_level"``), the reference level included.
    weights : array-like (n,), optional
        Matching or IPW weights (0 = unmatched). Without weights the "after" columns repeat "before".
    estimand : {"ATT", "ATC", "ATE"}
        Chooses the SMD denominator (see module docstring).
    s_weights : array-like (n,), optional
        Sampling weights applied both before and after.

    Returns
    -------
    pandas.DataFrame
        One row per design column: covariate, type ("binary"/"continuous"), smd_before, smd_after,
        variance_ratio_before, variance_ratio_after (NaN for binary, as cobalt), ecdf_max_before,
        ecdf_max_after, flag ("ok", ">0.05" or ">0.1" on |smd_after|).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 1, 0, 0], "age": [30, 40, 30, 50]})
    >>> balance_table(df, "t", ["age"])[["covariate", "smd_before"]]
      covariate  smd_before
    0       age   -0.707107
    """
    import pandas as pd

    return pd.DataFrame(
        balance_rows(data, treatment, covariates, weights, estimand, s_weights), columns=list(COLUMNS)
    )


#: the balance table's columns
COLUMNS = (
    "covariate", "type", "smd_before", "smd_after", "variance_ratio_before", "variance_ratio_after",
    "ecdf_max_before", "ecdf_max_after", "flag",
)  # fmt: skip


def balance_rows(
    data: Any,
    treatment: str,
    covariates: list[str],
    weights: Any = None,
    estimand: str = "ATT",
    s_weights: Any = None,
) -> list[dict[str, Any]]:
    """The rows of :func:`balance_table` (a dict per design column, keys :data:`COLUMNS`), without pandas."""
    if estimand not in ("ATT", "ATC", "ATE"):
        raise InputError(f"estimand {estimand!r}: expected ATT, ATC or ATE")
    df = as_columns(data)
    check_columns(df, [treatment], "treatment column")
    names, X = design_columns(df, covariates, drop_first=False)  # every category gets a row, as in cobalt
    t = treatment_vector(df, treatment)
    n = len(df)

    def as_weights(w: Any, what: str) -> np.ndarray | None:
        if w is None:
            return None
        arr = np.asarray(w, dtype=float)
        if arr.shape != (n,) or not np.isfinite(arr).all() or (arr < 0).any():
            raise InputError(f"{what}: expected {n} finite non-negative numbers, got shape {arr.shape}")
        return arr

    sw = as_weights(s_weights, "s_weights")
    w_after = as_weights(weights, "weights")
    if sw is not None:
        w_after = sw if w_after is None else w_after * sw
    rows = []
    for j, col in enumerate(names):
        x = X[:, j]
        binary = bool(np.all((x == 0) | (x == 1)))  # not np.unique: no sort of millions of rows
        before = _groups(x, t, sw)
        v1, v0 = _wvar(*before[0]), _wvar(*before[1])  # the SMD's denominator: the unadjusted sample's SD
        denom = float(np.sqrt({"ATT": v1, "ATC": v0}.get(estimand, (v1 + v0) / 2)))
        smd_b, vr_b, ks_b = _stats(*before, denom, binary)
        smd_a, vr_a, ks_a = _stats(*_groups(x, t, w_after), denom, binary)
        rows.append(
            {
                "covariate": col,
                "type": "binary" if binary else "continuous",
                "smd_before": smd_b,
                "smd_after": smd_a,
                "variance_ratio_before": vr_b,
                "variance_ratio_after": vr_a,
                "ecdf_max_before": ks_b,
                "ecdf_max_after": ks_a,
                "flag": _flag(smd_a),
            }
        )
    return rows


def check_common_support(score: np.ndarray | None, treated: np.ndarray, weights: np.ndarray) -> None:
    """Raise :class:`AnalysisError` when a design leaves the treated with no one to be compared with.

    Either the two groups' scores (propensity or distance; skipped when absent or not all finite) do not
    overlap at all, or no treated person kept a weight > 0.
    """
    if score is not None and np.isfinite(score).all():
        s1, s0 = np.asarray(score)[treated], np.asarray(score)[~treated]
        if s1.min() > s0.max() or s1.max() < s0.min():
            raise AnalysisError(
                f"no common support: treated propensity scores ({s1.min():.3g} to {s1.max():.3g}) and "
                f"comparison scores ({s0.min():.3g} to {s0.max():.3g}) do not overlap"
            )
    if not ((weights > 0) & treated).any():
        raise AnalysisError(
            "no common support: no treated person could be matched or weighted; "
            "check the caliper, exact and discard options"
        )


def love_plot(
    table: pd.DataFrame,
    path: Any = None,
    threshold: float = THRESHOLD,
    *,
    ax: Any = None,
    label: Any = None,
) -> Any:
    """Love plot: absolute SMD of each covariate before and after, with the 0.05 and ``threshold`` lines.

    Drawn by :func:`desist.evaluation.charts.love_chart` (a headless figure unless ``ax`` is given; pyplot's
    global state and the caller's backend are never touched); ``label`` maps covariate codes to readable
    names. Saved to ``path`` when given (format from the suffix).
    """
    from desist.evaluation.charts import love_chart

    rows = [
        {str(k): v for k, v in r.items()}
        for r in table.astype(object).where(table.notna(), None).to_dict(orient="records")
    ]
    fig = love_chart(rows, ax=ax, label=label, threshold=threshold, strict=STRICT_THRESHOLD)
    if path is not None:
        save_figure(fig.figure, path, dpi=120, bbox_inches="tight")
    return fig


def overlap_plot(
    distance: np.ndarray,
    treated: np.ndarray,
    weights: np.ndarray,
    path: Any = None,
    after: str = "Weighted",
    *,
    ax: Any = None,
) -> Any:
    """Histograms of the propensity score by group, before and after the design (MatchIt's ``type = "hist"``).

    Shows common support: after a good design the weighted comparison histogram mirrors the treated one.
    Drawn by :func:`desist.evaluation.charts.overlap_chart`; ``after`` titles the second panel.
    """
    from desist.evaluation.chart_data import overlap
    from desist.evaluation.charts import overlap_chart

    fig = overlap_chart(overlap(distance, treated, weights), ax=ax, after_title=after)
    if path is not None:
        save_figure(fig.figure, path, dpi=120, bbox_inches="tight")
    return fig
