"""Augmented inverse probability weighting (doubly robust) estimates of the ATT or ATE.

The estimate is consistent if either the propensity model or the outcome model is right. The propensity model
is :class:`desist.evaluation.propensity.PropensityModel`; the outcome model is a statsmodels GLM
(binomial for a 0/1 outcome, Poisson for a count, Gaussian otherwise) fitted separately in each arm. SEs
come from the estimated influence function (Lunceford & Davidian 2004 for the ATE; Moodie et al. 2018 and
Hahn 1998 for the ATT), treating the fitted models as known, which is the usual large-sample approximation.

No maintained Python library computes AIPW for the ATT with a glm propensity score and reports arm means
with a joint covariance (needed for risk and odds ratios), so the few lines of the estimator are written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation.estimator import BaseEstimator
from desist.evaluation.outcomes import JDL_MIN_TREATED, Z95, OutcomeResult, _ratio_ci, outcome_type


def _family(kind: str) -> Any:
    """The statsmodels GLM family for an outcome type; statsmodels is imported only when AIPW runs, since
    this module is loaded with every evaluation and the import costs most of a second."""
    import statsmodels.api as sm

    families = {
        "binary": sm.families.Binomial,
        "count": sm.families.Poisson,
        "continuous": sm.families.Gaussian,
    }
    return families[kind]()


def _arm_model(X: np.ndarray, y: np.ndarray, kind: str, name: str) -> np.ndarray:
    """Fit the outcome GLM on one arm's rows and return its design for prediction (coefficients)."""
    import statsmodels.api as sm

    try:
        res = sm.GLM(y, X, family=_family(kind)).fit()
    except Exception as exc:  # statsmodels raises PerfectSeparationError / LinAlgError subclasses
        raise AnalysisError(
            f"aipw: the outcome model for the {name} arm could not be fitted ({exc})"
        ) from exc
    return np.asarray(res.params)


def check_clip(clip: object) -> None:
    """Refuse a propensity clip that cannot mean anything, in one line naming the parameter."""
    if clip is None:
        return
    value = float(clip) if isinstance(clip, (int, float, np.number)) and not isinstance(clip, bool) else None
    if value is None or not 0 < value < 0.5:
        quantile = value is not None and value >= 0.5
        hint = " (a weight quantile? that is IPWWeighter's trim)" if quantile else ""
        raise InputError(
            f"clip={clip!r}: AIPWEstimator clips propensity scores to [clip, 1 - clip]; expected a number "
            f"between 0 and 0.5 such as 0.01{hint}"
        )


@dataclass(eq=False, repr=False)
class AIPWEstimator(BaseEstimator):
    """Doubly robust (augmented IPW) effect of treatment on an outcome.

    Parameters
    ----------
    estimand : {"ATT", "ATE"}
    method : {"glm", "gbm"}
        Propensity model (see :class:`PropensityModel`).
    clip : float, optional
        Clip propensity scores to [clip, 1 - clip] (e.g. 0.01) to tame extreme inverse weights; between 0 and
        0.5. Not a weight quantile: IPW's weight cap is :class:`~desist.evaluation.weighting.IPWWeighter`'s
        ``trim`` (until 2026-12 one ``trim`` setting fed both, so ``trim=0.99`` clipped every score to 0.01).
    random_state : int, optional

    Attributes
    ----------
    ps_ : ndarray
        Propensity scores.
    mu1_, mu0_ : ndarray
        Predicted outcomes under treatment and under control for everyone.
    result_ : OutcomeResult
        Arm means (treated and counterfactual control), difference, risk/odds ratios for a binary outcome.
    influence_ : ndarray (n, 2)
        Influence functions of the two arm means (their covariance gives the SEs).
    """

    estimand: str = "ATT"
    method: str = "glm"
    clip: float | None = None
    random_state: int | None = None

    def fit(
        self, X: Any, t: ArrayLike, y: ArrayLike, *, name: str = "outcome", kind: str | None = None
    ) -> AIPWEstimator:
        """Fit the propensity and outcome models and compute the estimate.

        Parameters
        ----------
        X : DataFrame
            Design matrix (from :func:`desist.evaluation.design.design_matrix`).
        t : array of bool
            Treatment.
        y : array
            Outcome, complete.
        """
        from desist.evaluation.propensity import PropensityModel

        if self.estimand not in ("ATT", "ATE"):
            raise InputError(f"estimand {self.estimand!r}: AIPW supports ATT or ATE")
        check_clip(self.clip)
        t = np.asarray(t, dtype=bool)
        y = np.asarray(y, dtype=float)
        if np.isnan(y).any():
            raise InputError(
                f"outcome {name!r}: {int(np.isnan(y).sum())} missing values; expected complete outcomes"
            )
        kind = kind or outcome_type(y)
        ps = PropensityModel(method=self.method, random_state=self.random_state).fit(X, t).ps_
        if self.clip is not None:
            ps = np.clip(ps, self.clip, 1 - self.clip)
        Z = np.column_stack([np.ones(len(X)), np.asarray(X, dtype=float)])
        b1 = _arm_model(Z[t], y[t], kind, "treated")
        b0 = _arm_model(Z[~t], y[~t], kind, "comparison")
        link = _family(kind).link.inverse
        mu1, mu0 = link(Z @ b1), link(Z @ b0)
        n = len(y)
        if self.estimand == "ATE":
            psi1 = mu1 + t * (y - mu1) / ps
            psi0 = mu0 + (~t) * (y - mu0) / (1 - ps)
            m1, m0 = psi1.mean(), psi0.mean()
            infl = np.column_stack([psi1 - m1, psi0 - m0])
        else:
            p_t = t.mean()
            odds = ps / (1 - ps)
            m1 = y[t].mean()
            # counterfactual mean of the treated under control: outcome model, corrected by odds-weighted
            # residuals of the controls (Moodie et al. 2018, eq. 5)
            m0 = (np.sum(t * mu0) + np.sum((~t) * odds * (y - mu0))) / t.sum()
            infl = np.column_stack([t * (y - m1) / p_t, (t * (mu0 - m0) + (~t) * odds * (y - mu0)) / p_t])
        cov = infl.T @ infl / n**2
        diff = float(m1 - m0)
        se = math.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0))
        n1, n0 = int(t.sum()), int((~t).sum())
        notes: tuple[str, ...] = ()
        if n1 < JDL_MIN_TREATED:
            notes = (
                f"only {n1} treated people analysed; the Justice Data Lab requires at least "
                f"{JDL_MIN_TREATED}",
            )
        binary = kind == "binary"
        self.ps_, self.mu1_, self.mu0_, self.influence_ = ps, mu1, mu0, infl
        self.result_ = OutcomeResult(
            name=name,
            type=kind,
            estimand=self.estimand,
            treated_mean=float(m1),
            control_mean=float(m0),
            estimate=diff,
            se=se,
            ci=(diff - Z95 * se, diff + Z95 * se),
            p_value=math.erfc(abs(diff) / se / math.sqrt(2)) if se > 0 else 1.0,
            ci_method="influence function (AIPW)",
            n_treated=n1,
            n_control=n0,
            risk_ratio=_ratio_ci(float(m1), float(m0), cov, "rr") if binary else None,
            odds_ratio=_ratio_ci(float(m1), float(m0), cov, "or") if binary else None,
            warnings=notes,
        )
        return self
