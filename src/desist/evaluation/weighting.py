"""Inverse probability of treatment weighting (IPW) for the ATT and the ATE.

Weights follow the usual definitions (as R's WeightIt): ATE treated 1/e, controls 1/(1-e); ATT treated 1,
controls e/(1-e), where e is the propensity score. Weighters never see outcomes; the doubly robust AIPW
estimator lives with the outcome models and reuses :class:`~desist.evaluation.propensity.PropensityModel`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from desist.domain.errors import InputError
from desist.evaluation._frame import as_columns
from desist.evaluation.design import check_columns, design_columns, treatment_vector
from desist.evaluation.estimator import BaseEstimator
from desist.evaluation.propensity import PropensityModel

if TYPE_CHECKING:
    import pandas as pd


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


TRIM_RULES = ("weightit", "group")


def check_trim(at: float | None, rule: str = "weightit", owner: str = "IPWWeighter") -> None:
    """Refuse a trimming setting that cannot mean anything, in one line naming the parameter."""
    if rule not in TRIM_RULES:
        raise InputError(f"{owner} trim_rule {rule!r}: expected one of {', '.join(TRIM_RULES)}")
    if at is None:
        return
    number = isinstance(at, (int, float, np.floating, np.integer)) and not isinstance(at, bool)
    ok_quantile = number and 0.5 <= float(at) < 1
    ok_count = number and float(at) >= 1 and float(at).is_integer()
    if rule == "group" and not ok_quantile:
        raise InputError(
            f"{owner} trim={at!r}: trim_rule 'group' takes a quantile between 0.5 and 1 (e.g. 0.99)"
        )
    if not (ok_quantile or ok_count):
        raise InputError(
            f"{owner} trim={at!r}: expected a weight quantile between 0.5 and 1 (0.99 caps weights at their "
            "99th percentile) or a whole number of largest weights to cap; to clip propensity scores in AIPW "
            "use AIPWEstimator(clip=0.01)"
        )


def trim_weights(
    weights: np.ndarray,
    treated: np.ndarray,
    at: float,
    estimand: str = "ATE",
    *,
    rule: str = "weightit",
    lower: bool = False,
) -> np.ndarray:
    """Truncate (winsorise) large weights; ``rule="weightit"`` is R WeightIt's ``trim(at=, lower=)``.

    ``rule="weightit"`` (default), as WeightIt's ``trim()`` (its internal ``.trim_weights``):

    * ``0.5 <= at < 1``: weights above their ``at`` quantile are set to it, the quantile being R's type 3
      (the nearest order statistic, numpy's ``"closest_observation"``) over the weights that vary: both groups
      pooled for the ATE, the controls only for the ATT (the treated weights are all 1);
    * ``at >= 1`` (a whole number): the ``at`` largest of those weights are set to the next largest;
    * ``lower=True`` also raises weights below the ``1 - at`` quantile (or the ``at`` smallest) to it.

    ``rule="group"``: desist's earlier rule, kept for comparison: each group's weights are capped at their own
    ``at`` quantile (R's default type 7, numpy's ``"linear"``); only the controls for the ATT.
    """
    check_trim(at, rule, owner="trim_weights")
    w = np.array(weights, dtype=float)
    t = np.asarray(treated, dtype=bool)
    if rule == "group":
        for g in [False] if estimand == "ATT" else [True, False]:
            sel = t == g
            lo_q = np.quantile(w[sel], 1 - at) if lower else -np.inf
            w[sel] = np.clip(w[sel], lo_q, np.quantile(w[sel], at))
        return w
    sel = ~t if estimand == "ATT" else np.ones(len(w), dtype=bool)
    x = w[sel]
    if at < 1:
        q = max(float(at), 1 - float(at))
        floor, cap = np.quantile(x, [1 - q, q], method="closest_observation")
    else:
        k = int(min(int(at), len(x) - int(at)))
        if k < 1:
            raise InputError(
                f"trim={at!r}: expected fewer weights to cap than the {len(x)} that can be trimmed"
            )
        s = np.sort(x)
        floor, cap = s[k], s[len(x) - k - 1]
    w[sel] = np.clip(x, floor if lower else -np.inf, cap)
    return w


@dataclass(eq=False, repr=False)
class IPWWeighter(BaseEstimator):
    """Propensity-score weighting design.

    Parameters
    ----------
    estimand : {"ATT", "ATE"}
    stabilize : bool
        Stabilised weights (see :func:`ipw_weights`).
    trim : float, int or None
        WeightIt's ``trim(at = trim)``: a quantile between 0.5 and 1 (0.99 caps weights at their 99th
        percentile, pooled over both groups for the ATE, over the controls for the ATT) or a whole number of
        largest weights to cap; None keeps the weights as they are. See :func:`trim_weights`.
    trim_rule : {"weightit", "group"}
        "weightit" (default): WeightIt's rule; "group": cap each group at its own type-7 quantile (desist's
        rule before 2026-12, which WeightIt does not use).
    trim_lower : bool
        Also raise the smallest weights (WeightIt's ``lower = TRUE``).
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

    estimand: str = "ATT"
    stabilize: bool = False
    trim: float | None = None
    method: str = "glm"
    random_state: int | None = None
    trim_rule: str = "weightit"
    trim_lower: bool = False

    def fit(self, data: Any, treatment: str, covariates: list[str]) -> IPWWeighter:
        """Estimate propensity scores and weights; returns self."""
        if self.estimand not in ("ATT", "ATE"):
            raise InputError(f"estimand {self.estimand!r}: IPW supports ATT or ATE")
        check_trim(self.trim, self.trim_rule)
        df = as_columns(data)
        check_columns(df, [treatment], "treatment column")
        names, X = design_columns(df, covariates)
        t = treatment_vector(df, treatment)
        pm = PropensityModel(self.method, random_state=self.random_state).fit(X, t, names)
        w = ipw_weights(pm.ps_, t, self.estimand, self.stabilize)
        if self.trim is not None:
            w = trim_weights(
                w, t, float(self.trim), self.estimand, rule=self.trim_rule, lower=self.trim_lower
            )
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
        import pandas as pd

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
