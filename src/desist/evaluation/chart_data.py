"""What the report's charts need, computed once at fit time and stored with the result.

A stored evaluation must redraw its charts years later without the data it was fitted on (the data may have
been corrected, or the analyst may not be allowed to see it), so the curves, the at-risk counts and the
propensity histograms travel in the result's JSON under ``charts``. Everything here is plain numbers.

Example
-------
>>> import numpy as np
>>> t = np.array([100., 400., 800., 1200.]); e = np.array([1, 0, 1, 0]); tr = np.array([1, 1, 0, 0])
>>> curves = survival_curves(t, e, tr, np.ones(4))
>>> sorted(curves["arms"])
['comparison', 'treated']
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: days in a year, for the time axis
YEAR = 365.25
#: at most this many points per curve are stored (the step shape is kept; a 1M-man cohort stays small)
MAX_POINTS = 200


def survival_curves(
    time_days: ArrayLike, event: ArrayLike, treated: ArrayLike, weights: ArrayLike
) -> dict[str, Any]:
    """Weighted Kaplan-Meier curves per arm with 95% pointwise bands and number at risk each year.

    Parameters
    ----------
    time_days : array
        Time from release to first proven reoffence or censoring, in days.
    event : array of 0/1
    treated : array of bool
    weights : array
        Design weights; men with weight 0 (unmatched) are left out.

    Returns
    -------
    dict
        ``{"unit": "years", "arms": {"treated": {...}, "comparison": {...}}, "at_risk": {...}}`` where each
        arm holds ``time``, ``survival``, ``ci_low``, ``ci_high`` (lifelines' exponential Greenwood bands)
        and ``at_risk`` maps each arm to the count of men (unweighted) still followed at whole years.
    """
    from lifelines import KaplanMeierFitter

    t = np.asarray(time_days, dtype=float) / YEAR
    e = np.asarray(event, dtype=int)
    tr = np.asarray(treated, dtype=bool)
    w = np.asarray(weights, dtype=float)
    keep = w > 0
    horizon = float(np.floor(t[keep].max())) if keep.any() else 0.0
    ticks = np.arange(0.0, horizon + 1.0)
    arms: dict[str, Any] = {}
    at_risk: dict[str, list[int]] = {}
    for name, mask in (("treated", tr & keep), ("comparison", ~tr & keep)):
        if not mask.any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifelines warns that weighted CIs are approximate: documented
            km = KaplanMeierFitter().fit(t[mask], e[mask], weights=w[mask])
        sf = km.survival_function_.iloc[:, 0]
        band = km.confidence_interval_
        idx = _thin(len(sf))
        arms[name] = {
            "time": [float(x) for x in sf.index.to_numpy()[idx]],
            "survival": [float(x) for x in sf.to_numpy()[idx]],
            "ci_low": [float(x) for x in band.iloc[idx, 0].to_numpy()],
            "ci_high": [float(x) for x in band.iloc[idx, 1].to_numpy()],
        }
        at_risk[name] = [int((t[mask] >= x).sum()) for x in ticks]
    return {"unit": "years", "arms": arms, "at_risk": {"years": [float(x) for x in ticks], **at_risk}}


def _thin(n: int) -> np.ndarray:
    """Indices of at most MAX_POINTS rows, always keeping the first and the last."""
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, MAX_POINTS).round().astype(int))


def overlap(score: ArrayLike, treated: ArrayLike, weights: ArrayLike, bins: int = 30) -> dict[str, Any]:
    """Histogram counts of the propensity score by arm, before (everyone) and after the design (weighted).

    Returns
    -------
    dict
        ``{"edges": [...], "before": {"treated": [...], "comparison": [...]}, "after": {...}}``, each a list
        of proportions summing to 1 within its arm, so arms of different sizes can be compared by shape.
    """
    s = np.asarray(score, dtype=float)
    tr = np.asarray(treated, dtype=bool)
    w = np.asarray(weights, dtype=float)
    finite = np.isfinite(s)
    lo, hi = (float(s[finite].min()), float(s[finite].max())) if finite.any() else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)  # the edges np.histogram makes for ``bins`` equal bins
    out: dict[str, Any] = {"edges": [float(x) for x in edges], "before": {}, "after": {}}
    for name, mask in (("treated", tr & finite), ("comparison", ~tr & finite)):
        arm, wa = s[mask], w[mask]
        kept = wa > 0  # weight 0 adds nothing (after matching: most of the controls)
        # equal bins by arithmetic, not the sort np.histogram needs for explicit edges (10 million scores)
        before, _ = np.histogram(arm, bins=bins, range=(lo, hi))
        after, _ = np.histogram(arm[kept], bins=bins, range=(lo, hi), weights=wa[kept])
        for stage, counts in (("before", before), ("after", after)):
            total = counts.sum()
            out[stage][name] = [float(c / total) if total > 0 else 0.0 for c in counts]
    return out


__all__ = ["MAX_POINTS", "YEAR", "overlap", "survival_curves"]
