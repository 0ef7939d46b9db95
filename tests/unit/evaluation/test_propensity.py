from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation.design import design_matrix, treatment_vector
from desist.evaluation.propensity import PropensityModel

REF = Path(__file__).resolve().parents[2] / "reference"


def test_glm_equals_r_glm_on_lalonde() -> None:
    df = pd.read_csv(REF / "lalonde.csv")
    covs = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
    pm = PropensityModel().fit(design_matrix(df, covs), treatment_vector(df, "treat"))
    ref = pd.read_csv(REF / "lalonde_glm_coef.csv")
    ref["term"] = ref["term"].str.replace("race", "race_")
    # R's IRLS step by step: the same iterate R stops at, not merely the same maximum (which differs ~1e-8)
    np.testing.assert_allclose(pm.coef_[ref["term"]].to_numpy(), ref["estimate"], rtol=1e-12)
    assert pm.model_.converged and pm.model_.iterations == 5
    np.testing.assert_allclose(pm.linear_predictor_, np.log(pm.ps_ / (1 - pm.ps_)))


def test_glm_is_the_maximum_likelihood_fit_over_many_chunks() -> None:
    """Against statsmodels' Newton-Raphson ML fit, on more rows than one chunk of the tall-skinny QR."""
    import statsmodels.api as sm

    from desist.evaluation import _glm

    rng = np.random.default_rng(3)
    n = 2 * _glm._CHUNK + 123
    X = pd.DataFrame({"age": rng.normal(40, 12, n), "band": rng.integers(0, 3, n), "k": rng.random(n) < 0.2})
    lp = -1.5 + 0.03 * (X["age"] - 40) + 0.4 * X["band"] - 0.7 * X["k"]
    t = rng.random(n) < 1 / (1 + np.exp(-lp.to_numpy()))
    pm = PropensityModel().fit(X.astype(float), t)
    exog = np.column_stack([np.ones(n), X.to_numpy(dtype=float)])
    ml = sm.Logit(t.astype(float), exog).fit(method="newton", tol=1e-12, disp=0)
    np.testing.assert_allclose(pm.coef_.to_numpy(), ml.params, rtol=1e-7)
    np.testing.assert_allclose(pm.ps_, ml.predict(exog), rtol=1e-7)
    np.testing.assert_allclose(pm.predict(X.astype(float)), pm.ps_, rtol=1e-12)


def test_unpenalised_unlike_sklearn_default() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 1))
    t = rng.random(300) < 1 / (1 + np.exp(-3 * x[:, 0]))
    pm = PropensityModel().fit(pd.DataFrame(x, columns=["x"]), t)
    from sklearn.linear_model import LogisticRegression

    ridge = LogisticRegression(C=0.01).fit(x, t)
    assert abs(pm.coef_["x"]) > abs(ridge.coef_[0, 0]) + 0.5


def test_separation_is_one_line_error_naming_covariate() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200)})
    with pytest.raises(AnalysisError, match="covariate x") as info:
        PropensityModel().fit(X, (X["x"] > 0).to_numpy())
    assert "\n" not in str(info.value)
    t = rng.random(200) < 0.3
    X["b"] = np.where(t, 1, rng.integers(0, 2, 200))
    with pytest.raises(AnalysisError, match="quasi-perfect separation; covariate b"):
        PropensityModel().fit(X[["z", "b"]], t)


def test_aliased_columns_dropped_like_r() -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"z": rng.normal(size=100)})
    X["z2"] = 2 * X["z"]
    pm = PropensityModel().fit(X, rng.random(100) < 0.4)
    assert np.isnan(pm.coef_["z2"]) and np.isfinite(pm.coef_["z"])


def test_gbm_option_and_bad_method() -> None:
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"x": rng.normal(size=400)})
    t = rng.random(400) < 1 / (1 + np.exp(-2 * X["x"].to_numpy()))
    pm = PropensityModel("gbm", random_state=0).fit(X, t)
    assert pm.ps_.shape == (400,) and np.corrcoef(pm.ps_, X["x"])[0, 1] > 0.8
    with pytest.raises(InputError, match="propensity method 'lasso'"):
        PropensityModel("lasso").fit(X, t)
