from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desist.domain.errors import InputError
from desist.evaluation.balance import balance_table
from desist.evaluation.weighting import WEIGHTERS, IPWWeighter, ipw_weights, trim_weights


def test_weight_formulas() -> None:
    ps = np.array([0.2, 0.5, 0.2, 0.8])
    t = np.array([True, True, False, False])
    np.testing.assert_allclose(ipw_weights(ps, t, "ATE"), [5, 2, 1.25, 5])
    np.testing.assert_allclose(ipw_weights(ps, t, "ATT"), [1, 1, 0.25, 4])
    np.testing.assert_allclose(ipw_weights(ps, t, "ATE", stabilize=True), [2.5, 1, 0.625, 2.5])
    np.testing.assert_allclose(ipw_weights(ps, t, "ATT", stabilize=True), [1, 1, 0.25, 4])  # P(T)=0.5
    # the old per-group rule interpolates (type 7); WeightIt's takes the nearest order statistic (type 3)
    w = np.array([1, 1, 1, 100.0])
    np.testing.assert_allclose(trim_weights(w, t, 0.9, "ATT", rule="group")[3], 90.1)
    np.testing.assert_allclose(trim_weights(w, t, 0.9, "ATT")[3], 100.0)
    np.testing.assert_allclose(trim_weights(w, t, 1, "ATT"), [1, 1, 1, 1])  # cap the largest control weight
    with pytest.raises(InputError, match="trim=0.2"):
        trim_weights(np.ones(4), t, 0.2)


def simulate(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    band = rng.choice(["low", "high"], n)
    lp = -0.5 + 0.8 * x + 0.7 * (band == "high")
    return pd.DataFrame({"x": x, "band": band, "t": (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)})


@pytest.mark.parametrize("estimand", ["ATT", "ATE"])
def test_ipw_balances_covariates(estimand: str) -> None:
    df = simulate()
    w = WEIGHTERS["ipw"](estimand=estimand, stabilize=True).fit(df, "t", ["x", "band"])
    tab = balance_table(df, "t", ["x", "band"], weights=w.weights_, estimand=estimand)
    assert (tab["smd_before"].abs() > 0.2).any()
    assert (tab["smd_after"].abs() < 0.05).all()
    assert w.n_["treated"] + w.n_["control"] == len(df) and 0 < w.n_["ess_control"] <= w.n_["control"]
    assert list(w.summary().columns) == ["Control", "Treated"]
    assert len(w.plot_ps().axes) == 2  # before and after, treated above the axis and comparison below


def test_ipw_bad_estimand() -> None:
    with pytest.raises(InputError, match="estimand 'ATC'"):
        IPWWeighter(estimand="ATC").fit(simulate(200), "t", ["x"])
