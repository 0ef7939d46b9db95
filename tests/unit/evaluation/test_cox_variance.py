"""The robust Cox variance: R's rule (test_cox_r.py checks it against R's coxph with tied times); here,
without tied times, it also equals lifelines' ``robust=True`` / ``cluster_col`` variance, and its score
residuals have the properties the sandwich relies on."""

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from desist.evaluation._cox_efron import score_residuals
from desist.evaluation._cox_variance import cox_robust_variance, fit_robust_cox

RTOL = 1e-6


def _lifelines(df, duration, event, weights=None, cluster=None):
    """lifelines' robust fit (run to tight precision), and its full sandwich matrix from its own code."""
    cph = CoxPHFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph.fit(
            df, duration, event, weights_col=weights, robust=True, cluster_col=cluster,
            fit_options={"precision": 1e-12},
        )
        X, T, E, W, _, _, _ = cph._preprocess_dataframe(df)
        X_norm = (X - cph._norm_mean) / cph._norm_std
        sandwich = cph._compute_sandwich_estimator(X_norm, T, E, W)
    return cph, sandwich


def _synthetic(seed, n=400, d=3, tied=True):
    """Matched-pair-like data: pair frailty, non-integer weights, integer (heavily tied) times if ``tied``."""
    rng = np.random.default_rng(seed)
    pair = np.arange(n) // 2
    frailty = rng.normal(0, 0.7, n // 2)[pair]
    X = rng.normal(size=(n, d)) + np.array([3.0 * k for k in range(d)])  # offsets check the centring
    X[:, 0] = np.arange(n) % 2  # treatment within each pair
    lin = X @ np.linspace(-0.5, 0.3, d) + frailty
    t = rng.exponential(np.exp(-lin) * 50)
    cens = rng.uniform(0, 80, n)
    time = np.minimum(t, cens)
    df = pd.DataFrame(X, columns=[f"x{k}" for k in range(d)])
    df["time"] = np.ceil(time / 5) if tied else time
    df["event"] = (t <= cens).astype(int)
    df["w"] = rng.uniform(0.3, 2.5, n)
    df["pair"] = rng.permutation(n // 2)[pair]  # pair labels not in row order
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # ties in arbitrary row order


CASES = [
    (seed, d, weights, cluster)
    for seed in (0, 1)
    for d in (1, 3)
    for weights in (None, "w")
    for cluster in (None, "pair")
]


@pytest.mark.parametrize(("seed", "d", "weights", "cluster"), CASES)
def test_without_ties_equals_lifelines_robust_variance(seed, d, weights, cluster):
    df = _synthetic(seed, d=d, tied=False)
    cols = [f"x{k}" for k in range(d)] + ["time", "event"] + ([weights] if weights else [])
    cols += [cluster] if cluster else []
    data = df[cols]
    ref, ref_var = _lifelines(data, "time", "event", weights, cluster)
    got = fit_robust_cox(data, "time", "event", weights, cluster)
    # lifelines' weighted fit stops ~1e-8 from the maximum even at tight precision (R and desist: 1e-14)
    np.testing.assert_allclose(got.params, ref.params_, rtol=RTOL, atol=1e-7)
    tiny = 1e-12 * np.abs(ref_var).max()  # off-diagonal covariances can be near zero
    np.testing.assert_allclose(got.variance.to_numpy(), ref_var, rtol=RTOL, atol=tiny)
    np.testing.assert_allclose(got.standard_errors, ref.standard_errors_, rtol=RTOL)
    np.testing.assert_allclose(got.p_values, ref.summary["p"], rtol=RTOL, atol=1e-8)
    assert list(got.standard_errors.index) == list(ref.standard_errors_.index)


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_weighted_score_residuals_sum_to_zero_at_the_maximum(tied, ties):
    # R's residuals (Efron's correction included) add up to the score, which is zero at the fitted maximum,
    # with tied times too (lifelines' positional residuals do not)
    df = _synthetic(3, d=2, tied=tied)
    data = df[["x0", "x1", "time", "event", "w"]]
    fit = fit_robust_cox(data, "time", "event", "w", ties=ties)
    got = score_residuals(df.time, df.event, df[["x0", "x1"]], fit.params, df.w, ties=ties)
    np.testing.assert_allclose(got.sum(axis=0), 0.0, atol=1e-9)


def test_clustering_matters():
    df = _synthetic(2, d=2)[["x0", "x1", "time", "event", "w", "pair"]]
    clustered = fit_robust_cox(df, "time", "event", "w", "pair")
    unclustered = fit_robust_cox(df.drop(columns="pair"), "time", "event", "w")
    np.testing.assert_allclose(clustered.params, unclustered.params, rtol=1e-12)
    assert not np.allclose(unclustered.standard_errors, clustered.standard_errors, rtol=1e-3)


def test_order_of_rows_does_not_matter():
    df = _synthetic(4, d=2)[["x0", "x1", "time", "event", "w", "pair"]]
    a = fit_robust_cox(df, "time", "event", "w", "pair")
    b = fit_robust_cox(df.iloc[::-1].reset_index(drop=True), "time", "event", "w", "pair")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    np.testing.assert_allclose(a.standard_errors, b.standard_errors, rtol=1e-10)


def test_large_linear_predictor_stays_finite():
    df = _synthetic(5, d=1)[["x0", "time", "event", "w"]]
    df["x1"] = np.random.default_rng(5).normal(1000.0, 1.0, len(df))  # exp(x * beta) would overflow unshifted
    got = cox_robust_variance(df.time, df.event, df[["x0", "x1"]], [0.5, 2.0], np.eye(2), df.w)
    assert np.isfinite(got).all()


def test_bad_inputs_raise():
    df = _synthetic(6, d=1)
    with pytest.raises(ValueError, match="missing labels"):
        cox_robust_variance(
            df.time, df.event, df.x0, [0.1], [[1.0]], clusters=np.where(df.index < 3, np.nan, df.pair)
        )
    with pytest.raises(ValueError, match="coefficients"):
        cox_robust_variance(df.time, df.event, df.x0, [0.1, 0.2], np.eye(2))
    with pytest.raises(ValueError, match="rows"):
        score_residuals(df.time, df.event, df.x0[:10], [0.1])


def test_compare_survival_reports_the_pair_clustered_hazard_ratio():
    from desist.evaluation.survival import compare_survival

    df = _synthetic(8, d=1, tied=False)
    treated = df.x0.to_numpy() == 1
    res = compare_survival(df, "time", "event", treated, df.w, df.pair)
    data = pd.DataFrame(
        {"dur": df.time, "E": df.event, "treated": df.x0.astype(int), "w": df.w, "pair": df.pair}
    )
    ref, _ = _lifelines(data, "dur", "E", "w", "pair")
    lo, hi = np.exp(ref.confidence_intervals_.loc["treated"].to_numpy())
    assert res.hazard_ratio == pytest.approx(float(np.exp(ref.params_["treated"])), rel=RTOL)
    assert res.ci == pytest.approx((lo, hi), rel=RTOL)
    assert res.p_value == pytest.approx(float(ref.summary.loc["treated", "p"]), rel=RTOL)
