"""Inverse probability of treatment weighting (IPW) for the ATT and the ATE.

Weights follow the usual definitions (as R's WeightIt): ATE treated 1/e, controls 1/(1-e); ATT treated 1,
controls e/(1-e), where e is the propensity score. Weighters never see outcomes; the doubly robust AIPW
estimator lives with the outcome models and reuses :class:`~desist.evaluation.propensity.PropensityModel`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from desist.domain.errors import InputError
from desist.evaluation.design import as_pandas, check_columns, design_matrix, treatment_vector
from desist.evaluation.propensity import PropensityModel


def ipw_weights(
    ps: np.ndarray, treated: np.ndarray, estimand: str = "ATE", stabilize: bool = False
) -> np.ndarray:
    """Inverse probability weights from propensity scores.

    Parameters
    ----------
    ps : (n,) propensity scores in (0, 1)
    treated : (n,) bool
    estimand : {"ATE", "ATT"}
    stabilize : bool
        ATE: multiply by the share of the unit's own group (weights then average about 1 in each group).
        ATT: multiply control weights by P(control)/P(treated), so control weights sum to about the number of
        controls.
    """
    ps = np.asarray(ps, dtype=float)
    t = np.asarray(treated, dtype=bool)
    p1 = t.mean()
    if estimand == "ATE":
        w = np.where(t, 1.0 / ps, 1.0 / (1.0 - ps))
        if stabilize:
            w = w * np.where(t, p1, 1.0 - p1)
    elif estimand == "ATT":
        w = np.where(t, 1.0, ps / (1.0 - ps))
        if stabilize:
            w = np.where(t, w, w * (1.0 - p1) / p1)
    else:
        raise InputError(f"estimand {estimand!r}: IPW supports ATT or ATE")
    return w


def trim_weights(weights: np.ndarray, treated: np.ndarray, at: float, estimand: str = "ATE") -> np.ndarray:
    """Truncate weights above their ``at`` quantile within each treatment group (WeightIt's ``trim(at=)``).

    For the ATT the treated weights are all 1 and only control weights are truncated.
    """
    if not 0.5 < at < 1:
        raise InputError(f"trim {at!r}: expected a quantile between 0.5 and 1 (e.g. 0.99)")
    w = np.array(weights, dtype=float)
    groups = [False] if estimand == "ATT" else [True, False]
    for g in groups:
        sel = treated == g
        cap = np.quantile(w[sel], at)
        w[sel] = np.minimum(w[sel], cap)
    return w


class IPWWeighter:
    """Propensity-score weighting design.

    Parameters
    ----------
    estimand : {"ATT", "ATE"}
    stabilize : bool
        Stabilised weights (see :func:`ipw_weights`).
    trim : float or None
        Truncate weights at this quantile within groups (e.g. 0.99); None keeps them as they are.
    method : {"glm", "gbm"}
        Propensity model (see :class:`PropensityModel`).
    random_state : int or None

    Attributes
    ----------
    weights_, ps_ : ndarray (n,)
    treated_ : ndarray (n,) bool
    propensity_ : PropensityModel
    n_ : dict with "treated", "control", "treated_matched", "control_matched" (units with weight > 0) and the
        effective sample sizes "ess_treated", "ess_control" ((sum w)^2 / sum w^2).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.normal(size=400)})
    >>> df["t"] = (rng.random(400) < 1 / (1 + np.exp(-df.x))).astype(int)
    >>> w = IPWWeighter(estimand="ATE").fit(df, "t", ["x"])
    >>> bool((w.weights_ > 1).all())
    True
    """

    def __init__(
        self,
        estimand: str = "ATT",
        stabilize: bool = False,
        trim: float | None = None,
        method: str = "glm",
        random_state: int | None = None,
    ) -> None:
        self.estimand = estimand
        self.stabilize = stabilize
        self.trim = trim
        self.method = method
        self.random_state = random_state

    def fit(self, data: Any, treatment: str, covariates: list[str]) -> IPWWeighter:
        """Estimate propensity scores and weights; returns self."""
        if self.estimand not in ("ATT", "ATE"):
            raise InputError(f"estimand {self.estimand!r}: IPW supports ATT or ATE")
        df = as_pandas(data)
        check_columns(df, [treatment], "treatment column")
        X = design_matrix(df, covariates)
        t = treatment_vector(df, treatment)
        pm = PropensityModel(self.method, random_state=self.random_state).fit(X, t)
        w = ipw_weights(pm.ps_, t, self.estimand, self.stabilize)
        if self.trim is not None:
            w = trim_weights(w, t, float(self.trim), self.estimand)
        self.propensity_ = pm
        self.ps_ = pm.ps_
        self.treated_ = t
        self.weights_ = w
        self.covariates_ = list(covariates)
        self.n_ = {
            "treated": int(t.sum()),
            "control": int((~t).sum()),
            "treated_matched": int(((w > 0) & t).sum()),
            "control_matched": int(((w > 0) & ~t).sum()),
            "ess_treated": float(w[t].sum() ** 2 / (w[t] ** 2).sum()),
            "ess_control": float(w[~t].sum() ** 2 / (w[~t] ** 2).sum()),
        }
        return self

    def plot_ps(self, path: Any = None) -> Any:
        """Propensity-score histograms by group, unweighted and weighted (see ``balance.overlap_plot``)."""
        from desist.evaluation.balance import overlap_plot

        return overlap_plot(self.ps_, self.treated_, self.weights_, path, "IPW-weighted")

    def summary(self) -> pd.DataFrame:
        """Weight distribution per group (min, mean, max, effective sample size)."""
        rows = {}
        for label, g in (("Control", ~self.treated_), ("Treated", self.treated_)):
            w = self.weights_[g]
            rows[label] = {
                "n": int(g.sum()),
                "ess": round(float(w.sum() ** 2 / (w**2).sum()), 2),
                "min_weight": float(w.min()),
                "mean_weight": float(w.mean()),
                "max_weight": float(w.max()),
            }
        return pd.DataFrame(rows)


WEIGHTERS = {"ipw": IPWWeighter}
