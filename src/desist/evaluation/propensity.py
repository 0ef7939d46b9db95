"""Propensity score models: unpenalised logistic regression (as R's ``glm``) or gradient boosting.

The default is maximum-likelihood logistic regression fitted by R's own IRLS algorithm (``_glm.py``, numpy
only: importing statsmodels alone would cost several times R's whole MatchIt run on a few thousand people),
which is what R's ``glm(family = binomial)`` computes and what MatchIt uses (``distance = "glm"``).
scikit-learn's ``LogisticRegression`` is deliberately not used: it applies an L2 penalty by default, which
shrinks the coefficients and changes who gets matched to whom.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation._glm import fit_logit, independent_columns, linkinv
from desist.evaluation.estimator import BaseEstimator

if TYPE_CHECKING:
    import pandas as pd

# R's glm warns "fitted probabilities numerically 0 or 1" below 10 * machine epsilon; we refuse instead.
_EPS = 10 * np.finfo(float).eps
_METHODS = ("glm", "gbm")


def separating_covariate(X: Any, t: np.ndarray, names: list[str] | None = None) -> str | None:
    """Name a column that on its own (quasi-)separates treated from untreated, if there is one.

    ``X`` is a design matrix: a pandas frame, or an (n, p) array with its column ``names``. Checks ranges
    (continuous: groups do not overlap) and, for 0/1 columns, a level held by one group only.
    """
    names, values = _named(X, names)
    for j, name in enumerate(names):
        x = values[:, j]
        x1, x0 = x[t], x[~t]
        if x1.max() < x0.min() or x1.min() > x0.max():
            return str(name)
        lo, hi = x.min(), x.max()
        if lo != hi and np.all((x == lo) | (x == hi)):
            for level in (lo, hi):
                sel = x == level
                share = t[sel].mean()
                if share in (0.0, 1.0):
                    who = "treated" if share == 1.0 else "untreated"
                    return f"{name} (every row with {name} = {level:g} is {who})"
    return None


@dataclass(eq=False, repr=False)
class PropensityModel(BaseEstimator):
    """Estimate each person's probability of treatment given covariates.

    Parameters
    ----------
    method : {"glm", "gbm"}
        ``"glm"``: unpenalised maximum-likelihood logistic regression with an intercept (R's ``glm``).
        ``"gbm"``: scikit-learn ``HistGradientBoostingClassifier`` (non-linear; not reproducible in MatchIt).
    random_state : int or None
        Seed for ``"gbm"``.

    Attributes
    ----------
    ps_ : ndarray (n,)
        Fitted propensity scores.
    linear_predictor_ : ndarray (n,)
        Logit of the propensity score (for ``"glm"`` the linear predictor ``X @ coef``).
    coef_ : pandas.Series
        ``"glm"`` only: coefficients including ``"(Intercept)"``; aliased columns are dropped as R drops them.
    model_ : ``LogitFit`` (coefficients, deviance, iterations, convergence) or the scikit-learn model.

    Raises
    ------
    AnalysisError
        On perfect or quasi-perfect separation (fitted probabilities numerically 0 or 1), naming a
        separating covariate where one exists.
    """

    method: str = "glm"
    random_state: int | None = None

    def fit(self, X: Any, t: np.ndarray, names: list[str] | None = None) -> PropensityModel:
        """Fit the model on design matrix ``X`` (from :func:`design_matrix`, or an (n, p) array with its
        column ``names``) and boolean treatment ``t``."""
        if self.method not in _METHODS:
            raise InputError(f"propensity method {self.method!r}: expected one of {', '.join(_METHODS)}")
        names, Xv = _named(X, names)
        t = np.asarray(t, dtype=bool)
        if len(t) != len(Xv):
            raise InputError(f"treatment has {len(t)} rows but the covariates have {len(Xv)}: expected equal")
        if self.method == "glm":
            self._fit_glm(Xv, t, names)
        else:
            self._fit_gbm(Xv, t)
        return self

    @property
    def coef_(self) -> pd.Series:
        """``"glm"`` only: the coefficients as a pandas Series (made when asked for)."""
        import pandas as pd

        return pd.Series(self.coef_values_, index=self.coef_names_, dtype=float)

    def _fit_glm(self, Xv: np.ndarray, t: np.ndarray, columns: list[str]) -> None:
        names = ["(Intercept)", *columns]
        keep = independent_columns(Xv)
        y = t.astype(float)

        def separation(reason: str) -> AnalysisError:
            who = separating_covariate(Xv, t, columns)
            where = f"covariate {who}" if who else "a combination of covariates"
            return AnalysisError(
                f"propensity model: {reason}; {where} predicts treatment perfectly; "
                "expected overlap between treated and untreated (drop or coarsen that covariate)"
            )

        try:
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                fit, eta, ps = fit_logit(Xv, y, keep)
        except np.linalg.LinAlgError as exc:
            raise separation("perfect separation") from exc
        if not np.all(np.isfinite(ps)) or ps.min() < _EPS or ps.max() > 1 - _EPS:
            raise separation("fitted probabilities numerically 0 or 1")
        if ps.min() < 1e-8 or ps.max() > 1 - 1e-8:
            # quasi-complete separation: ML estimates diverge (R's glm stops early and warns); refuse if one
            # covariate explains it, since its coefficient and the scores of its rows are then meaningless
            who = separating_covariate(Xv, t, columns)
            if who:
                raise AnalysisError(
                    f"propensity model: quasi-perfect separation; covariate {who}; expected both groups at "
                    "every level (drop or coarsen that covariate)"
                )
        if not fit.converged:
            warnings.warn(
                f"propensity model: the logistic regression did not converge in {fit.iterations} iterations "
                "(as R's glm.fit warns); check the covariates for near-separation",
                stacklevel=3,
            )
        values = np.full(len(names), np.nan)
        values[keep] = fit.coef
        self.coef_values_, self.coef_names_ = values, names
        self.linear_predictor_ = eta
        self.ps_ = ps
        self.model_: Any = fit

    def _fit_gbm(self, X: np.ndarray, t: np.ndarray) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(random_state=self.random_state)
        model.fit(X, t)
        ps = model.predict_proba(X)[:, 1]
        ps = np.clip(ps, 1e-6, 1 - 1e-6)  # keep logits and inverse weights finite
        self.ps_ = ps
        self.linear_predictor_ = np.log(ps / (1 - ps))
        self.model_ = model

    def predict(self, X: Any) -> np.ndarray:
        """Propensity scores for new rows with the same design columns."""
        # scikit-learn's predict_proba is untyped (Any): the annotation states the result
        scores: np.ndarray
        if self.method == "glm":
            Xc = np.column_stack([np.ones(len(X)), np.asarray(X, dtype=float)])
            beta = np.nan_to_num(self.coef_values_, nan=0.0)
            scores = linkinv(Xc @ beta)
        else:
            scores = np.clip(self.model_.predict_proba(np.asarray(X, dtype=float))[:, 1], 1e-6, 1 - 1e-6)
        return scores


def _named(X: Any, names: list[str] | None) -> tuple[list[str], np.ndarray]:
    """Column names and the (n, p) float values (C order) of a design matrix: a pandas frame or an array."""
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        return [str(c) for c in X.columns], np.ascontiguousarray(X.to_numpy(dtype=float))
    values = np.ascontiguousarray(np.asarray(X, dtype=float))
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    return (list(names) if names is not None else [str(j) for j in range(values.shape[1])]), values
