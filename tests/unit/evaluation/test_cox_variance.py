"""The vectorised robust Cox variance agrees with lifelines' ``robust=True`` / ``cluster_col`` variance."""

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi

from desist.evaluation._cox_variance import cox_robust_variance, cox_score_residuals, fit_robust_cox
from tests.reference.rossi import ROSSI_COVARIATES

RTOL = 1e-6


def _lifelines(df, duration, event, weights=None, cluster=None):
    """lifelines' robust fit, and its full sandwich matrix from its own code (fit keeps only the SEs)."""
    cph = CoxPHFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph.fit(df, duration, event, weights_col=weights, robust=True, cluster_col=cluster)
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
    for seed in (0, 1, 2)
    for d in (1, 3)
    for weights in (None, "w")
    for cluster in (None, "pair")
]


@pytest.mark.parametrize(("seed", "d", "weights", "cluster"), CASES)
def test_matches_lifelines_robust_variance_on_seeded_data(seed, d, weights, cluster):
    df = _synthetic(seed, d=d)
    cols = [f"x{k}" for k in range(d)] + ["time", "event"] + ([weights] if weights else [])
    cols += [cluster] if cluster else []
    data = df[cols]
    ref, ref_var = _lifelines(data, "time", "event", weights, cluster)
    got = fit_robust_cox(data, "time", "event", weights, cluster)
    np.testing.assert_allclose(got.params, ref.params_, rtol=RTOL)
    tiny = 1e-12 * np.abs(ref_var).max()  # off-diagonal covariances can be near zero
    np.testing.assert_allclose(got.variance.to_numpy(), ref_var, rtol=RTOL, atol=tiny)
    np.testing.assert_allclose(got.standard_errors, ref.standard_errors_, rtol=RTOL)
    np.testing.assert_allclose(got.p_values, ref.summary["p"], rtol=RTOL)
    assert list(got.standard_errors.index) == list(ref.standard_errors_.index)


def test_continuous_times_without_ties_match_too():
    df = _synthetic(7, d=2, tied=False)[["x0", "x1", "time", "event", "w", "pair"]]
    ref, ref_var = _lifelines(df, "time", "event", "w", "pair")
    got = fit_robust_cox(df, "time", "event", "w", "pair")
    np.testing.assert_allclose(got.variance.to_numpy(), ref_var, rtol=RTOL)


@pytest.mark.parametrize("weights", [None, "w"])
def test_rossi_with_generated_pairs_matches_lifelines(weights):
    rossi = load_rossi()
    rng = np.random.default_rng(11)
    rossi["pair"] = rng.permutation(len(rossi)) // 2
    rossi["w"] = rng.uniform(0.5, 2.0, len(rossi))
    data = rossi[[*ROSSI_COVARIATES, "week", "arrest", "pair"] + ([weights] if weights else [])]
    ref, ref_var = _lifelines(data, "week", "arrest", weights, "pair")
    got = fit_robust_cox(data, "week", "arrest", weights, "pair")
    np.testing.assert_allclose(got.variance.to_numpy(), ref_var, rtol=RTOL)
    np.testing.assert_allclose(got.standard_errors, ref.standard_errors_, rtol=RTOL)
    np.testing.assert_allclose(got.p_values, ref.summary["p"], rtol=RTOL)
    # the clustering matters here: ignoring the pairs gives a different variance, so the test can tell
    unclustered = fit_robust_cox(data.drop(columns="pair"), "week", "arrest", weights)
    assert not np.allclose(unclustered.standard_errors, got.standard_errors, rtol=1e-3)


def test_rossi_unclustered_robust_se_matches_lifelines():
    rossi = load_rossi()
    ref, _ = _lifelines(rossi, "week", "arrest")
    got = fit_robust_cox(rossi, "week", "arrest")
    np.testing.assert_allclose(got.standard_errors, ref.standard_errors_, rtol=RTOL)
    # lifelines 0.30's robust SEs, pinned; the model-based ones differ (age 0.0220): returning them fails
    assert got.standard_errors["age"] == pytest.approx(0.02514, abs=1e-5)
    assert got.standard_errors["race"] == pytest.approx(0.28199, abs=1e-5)
    assert got.model.standard_errors_["age"] == pytest.approx(0.02200, abs=1e-5)


def test_score_residuals_match_lifelines_in_original_row_order():
    df = _synthetic(3, d=2)
    data = df[["x0", "x1", "time", "event", "w"]]
    cph = CoxPHFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph.fit(data, "time", "event", weights_col="w", robust=True)
        X, T, E, W, _, index, _ = cph._preprocess_dataframe(data)
        X_norm = (X - cph._norm_mean) / cph._norm_std
        ref = cph._compute_score(X_norm, T, E, W, index=index) * cph._norm_std.to_numpy()  # back to x's scale
    got = cox_score_residuals(data.time, data.event, data[["x0", "x1"]], cph.params_, data.w)
    np.testing.assert_allclose(got, ref.sort_index().to_numpy(), rtol=RTOL, atol=1e-10)


def test_score_residuals_sum_to_zero_at_the_fit_without_ties():
    # they sum to the score at the maximum, zero, when no times are tied; with ties lifelines' positional
    # risk sets do not reproduce Efron's score, so the sum is not zero there (R's coxph differs slightly)
    df = _synthetic(3, d=2, tied=False)[["x0", "x1", "time", "event", "w"]]
    fit = fit_robust_cox(df, "time", "event", "w")
    got = cox_score_residuals(df.time, df.event, df[["x0", "x1"]], fit.params, df.w)
    np.testing.assert_allclose(got.sum(axis=0), 0.0, atol=1e-4)  # Newton-Raphson stops near, not at, 0


def test_order_of_rows_does_not_matter_only_their_values():
    df = _synthetic(4, d=2)[["x0", "x1", "time", "event", "w", "pair"]]
    a = fit_robust_cox(df, "time", "event", "w", "pair")
    b = fit_robust_cox(df.iloc[::-1].reset_index(drop=True), "time", "event", "w", "pair")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-6)
    # within exactly tied (time, event, x) rows the order is immaterial; across the data, lifelines' stable
    # sort by (time, event) decides the positional risk sets, so compare with a loose tolerance
    np.testing.assert_allclose(a.standard_errors, b.standard_errors, rtol=0.05)


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
        cox_score_residuals(df.time, df.event, df.x0[:10], [0.1])


def test_compare_survival_reports_lifelines_pair_clustered_hazard_ratio():
    from desist.evaluation.survival import compare_survival

    df = _synthetic(8, d=1)
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


def test_batch_efron_fit_equals_lifelines_default_on_large_data_with_few_distinct_times():
    from lifelines.fitters.coxph_fitter import _BatchVsSingle

    rng = np.random.default_rng(9)
    n = 60_000
    df = pd.DataFrame(
        {"treated": rng.integers(0, 2, n), "x": rng.normal(size=n), "w": rng.uniform(0.5, 2, n)}
    )
    t = rng.exponential(2000 * np.exp(-0.3 * df.treated - 0.2 * df.x))
    df["days"], df["event"] = np.ceil(np.minimum(t, 3650)), (t < 3650).astype(int)
    assert _BatchVsSingle().decide(None, df.days.nunique(), n, 2) == "single"  # lifelines' own choice
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = CoxPHFitter().fit(df, "days", "event", weights_col="w")
    got = fit_robust_cox(df, "days", "event", "w")
    np.testing.assert_allclose(got.params, ref.params_, rtol=1e-9)
    np.testing.assert_allclose(got.model.variance_matrix_, ref.variance_matrix_, rtol=1e-9)
    X = df[["treated", "x"]]
    ref_var = cox_robust_variance(df.days, df.event, X, ref.params_, ref.variance_matrix_, df.w)
    np.testing.assert_allclose(got.variance.to_numpy(), ref_var, rtol=RTOL)
