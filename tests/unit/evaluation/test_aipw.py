"""Augmented IPW: double robustness and its influence-function CIs."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from desist.domain.errors import InputError
from desist.evaluation.aipw import AIPWEstimator


def _data(seed, n=3000, effect=1.5, nonlinear_outcome=False):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n)
    t = rng.random(n) < 1 / (1 + np.exp(-(-0.8 + 0.9 * x1 + 0.6 * x2)))
    mu = 1 + 2 * x1 + x2 + (1.5 * x1**2 if nonlinear_outcome else 0)
    y = mu + effect * t + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2}), t, y


@pytest.mark.parametrize("estimand", ["ATT", "ATE"])
def test_recovers_constant_effect(estimand):
    X, t, y = _data(0)
    r = AIPWEstimator(estimand=estimand).fit(X, t, y).result_
    assert r.estimate == pytest.approx(1.5, abs=0.12)
    assert r.ci[0] < 1.5 < r.ci[1]
    assert r.ci_method == "influence function (AIPW)"


def test_doubly_robust_when_outcome_model_is_wrong():
    # the outcome is quadratic in x1 but the outcome model is linear: the correct propensity model rescues it,
    # whereas regression adjustment alone is biased
    ests, reg = [], []
    for seed in range(5):
        X, t, y = _data(seed, nonlinear_outcome=True)
        ests.append(AIPWEstimator(estimand="ATE").fit(X, t, y).result_.estimate)
        reg.append(sm.OLS(y, sm.add_constant(np.column_stack([t, X]))).fit().params[1])
    assert np.mean(ests) == pytest.approx(1.5, abs=0.1)
    assert abs(np.mean(reg) - 1.5) > 0.2


def test_binary_outcome_gives_ratios_from_potential_outcome_means():
    rng = np.random.default_rng(3)
    X, t, _ = _data(3)
    p = 1 / (1 + np.exp(-(-1.5 + 0.5 * X.x1 + 0.8 * t)))
    y = (rng.random(len(p)) < p).astype(float)
    r = AIPWEstimator(estimand="ATT").fit(X, t, y).result_
    assert r.type == "binary"
    assert r.treated_mean == pytest.approx(y[t].mean())
    assert r.risk_ratio.estimate == pytest.approx(r.treated_mean / r.control_mean)
    assert r.risk_ratio.ci[0] < r.risk_ratio.estimate < r.risk_ratio.ci[1]


def test_coverage_over_replications():
    hits = [AIPWEstimator().fit(*_data(100 + s, n=800)).result_.ci for s in range(40)]
    coverage = np.mean([lo <= 1.5 <= hi for lo, hi in hits])
    assert coverage >= 0.85


def test_missing_outcome_and_bad_estimand():
    X, t, y = _data(0, n=200)
    y[0] = np.nan
    with pytest.raises(InputError, match="missing"):
        AIPWEstimator().fit(X, t, y)
    with pytest.raises(InputError, match="estimand"):
        AIPWEstimator(estimand="ATC").fit(X, t, np.ones(200))
