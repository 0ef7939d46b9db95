"""Propensity score models: unpenalised logistic regression (as R's ``glm``) or gradient boosting.

The default is maximum-likelihood logistic regression fitted by Newton-Raphson in statsmodels, which is what
R's ``glm(family = binomial)`` computes and what MatchIt uses (``distance = "glm"``). scikit-learn's
``LogisticRegression`` is deliberately not used: it applies an L2 penalty by default, which shrinks the
coefficients and changes who gets matched to whom.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import expit

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation.estimator import BaseEstimator

# R's glm warns "fitted probabilities numerically 0 or 1" below 10 * machine epsilon; we refuse instead.
_EPS = 10 * np.finfo(float).eps
_METHODS = ("glm", "gbm")


def _independent_columns(X: np.ndarray, tol: float = 1e-7) -> list[int]:
    """Indices of columns kept when aliased (linearly dependent) columns are dropped, first kept first.

    R's ``glm`` drops a column that is a linear combination of earlier ones (its coefficient is NA); doing the
    same keeps the fit defined, e.g. when two dummies cover every row.
    """
    kept: list[int] = []
    q = np.empty((X.shape[0], 0))
    for j in range(X.shape[1]):
        v = X[:, j].astype(float)
        norm = np.linalg.norm(v)
        if norm == 0:
            continue
        r = v - q @ (q.T @ v) if q.shape[1] else v
        rn = np.linalg.norm(r)
        if rn / norm > tol:
            kept.append(j)
            q = np.column_stack([q, r / rn])
    return kept


def separating_covariate(X: pd.DataFrame, t: np.ndarray) -> str | None:
    """Name a column that on its own (quasi-)separates treated from untreated, if there is one.

    Checks ranges (continuous: groups do not overlap) and, for 0/1 columns, a level held by one group only.
    """
    for name in X.columns:
        x = X[name].to_numpy(dtype=float)
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
    model_ : fitted statsmodels or scikit-learn model.

    Raises
    ------
    AnalysisError
        On perfect or quasi-perfect separation (fitted probabilities numerically 0 or 1), naming a
        separating covariate where one exists.
    """

    def __init__(self, method: str = "glm", random_state: int | None = None) -> None:
        self.method = method
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, t: np.ndarray) -> PropensityModel:
        """Fit the model on design matrix ``X`` (from :func:`design_matrix`) and boolean treatment ``t``."""
        if self.method not in _METHODS:
            raise InputError(f"propensity method {self.method!r}: expected one of {', '.join(_METHODS)}")
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X, dtype=float))
        t = np.asarray(t, dtype=bool)
        if len(t) != len(X):
            raise InputError(f"treatment has {len(t)} rows but the covariates have {len(X)}: expected equal")
        if self.method == "glm":
            self._fit_glm(X, t)
        else:
            self._fit_gbm(X, t)
        return self

    def _fit_glm(self, X: pd.DataFrame, t: np.ndarray) -> None:
        import statsmodels.api as sm
        from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

        Xc = np.column_stack([np.ones(len(X)), X.to_numpy(dtype=float)])
        names = ["(Intercept)", *map(str, X.columns)]
        keep = _independent_columns(Xc)
        Xk = Xc[:, keep]
        y = t.astype(float)

        def separation(reason: str) -> AnalysisError:
            who = separating_covariate(X, t)
            where = f"covariate {who}" if who else "a combination of covariates"
            return AnalysisError(
                f"propensity model: {reason}; {where} predicts treatment perfectly; "
                "expected overlap between treated and untreated (drop or coarsen that covariate)"
            )

        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                # Newton-Raphson on the logistic likelihood: the same ML estimate R's glm reaches by IRLS, and
                # statsmodels' Logit needs ~10x less memory than its GLM on a million rows.
                model = sm.Logit(y, Xk).fit(method="newton", tol=1e-10, maxiter=100, disp=0)
            except (PerfectSeparationWarning, np.linalg.LinAlgError) as exc:
                raise separation("perfect separation") from exc
            except Exception as exc:  # statsmodels raises PerfectSeparationError in older versions
                if "separation" in str(exc).lower():
                    raise separation("perfect separation") from exc
                raise
        eta = Xk @ model.params
        ps = expit(eta)
        if not np.all(np.isfinite(ps)) or ps.min() < _EPS or ps.max() > 1 - _EPS:
            raise separation("fitted probabilities numerically 0 or 1")
        if ps.min() < 1e-8 or ps.max() > 1 - 1e-8:
            # quasi-complete separation: ML estimates diverge (R's glm stops early and warns); refuse if one
            # covariate explains it, since its coefficient and the scores of its rows are then meaningless
            who = separating_covariate(X, t)
            if who:
                raise AnalysisError(
                    f"propensity model: quasi-perfect separation; covariate {who}; expected both groups at "
                    "every level (drop or coarsen that covariate)"
                )
        coef = pd.Series(np.nan, index=names, dtype=float)
        coef.iloc[keep] = model.params
        self.coef_ = coef
        self.linear_predictor_ = np.asarray(eta, dtype=float)
        self.ps_ = np.asarray(ps, dtype=float)
        self.model_ = model

    def _fit_gbm(self, X: pd.DataFrame, t: np.ndarray) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(random_state=self.random_state)
        model.fit(X.to_numpy(dtype=float), t)
        ps = model.predict_proba(X.to_numpy(dtype=float))[:, 1]
        ps = np.clip(ps, 1e-6, 1 - 1e-6)  # keep logits and inverse weights finite
        self.ps_ = ps
        self.linear_predictor_ = np.log(ps / (1 - ps))
        self.model_ = model

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Propensity scores for new rows with the same design columns."""
        # scipy's expit and scikit-learn's predict_proba are untyped (Any): the annotation states the result
        scores: np.ndarray
        if self.method == "glm":
            Xc = np.column_stack([np.ones(len(X)), np.asarray(X, dtype=float)])
            beta = self.coef_.fillna(0.0).to_numpy()
            scores = expit(Xc @ beta)
        else:
            scores = np.clip(self.model_.predict_proba(np.asarray(X, dtype=float))[:, 1], 1e-6, 1 - 1e-6)
        return scores
