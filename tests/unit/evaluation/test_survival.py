"""Weighted Kaplan-Meier, log-rank and Cox comparison; the Cox model (R's agreement: test_cox_r.py)."""

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_rossi
from scipy import optimize

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation._cox_variance import fit_robust_cox
from desist.evaluation.survival import compare_survival, fit_cox, plot_survival
from tests.reference.rossi import R_EFRON
from tests.reference.rossi import ROSSI_COVARIATES as ROSSI


def test_efron_matches_r_published_rossi_coefficients():
    res = fit_cox(load_rossi(), "week", "arrest", ROSSI)
    got = dict(zip(res.coefficients.covariate, res.coefficients.coef, strict=True))
    for name, value in R_EFRON.items():
        assert got[name] == pytest.approx(value, abs=6e-4)
    assert res.concordance == pytest.approx(0.640, abs=0.002)
    assert res.n == 432 and res.events == 114


def _breslow_loglik(beta, X, t, e):
    """Breslow partial log-likelihood written out directly, as an independent check on PHReg."""
    eta = X @ beta
    ll = 0.0
    for time in np.unique(t[e == 1]):
        dead = (t == time) & (e == 1)
        at_risk = t >= time
        ll += eta[dead].sum() - dead.sum() * np.log(np.exp(eta[at_risk]).sum())
    return ll


def test_breslow_maximises_the_breslow_partial_likelihood():
    d = load_rossi()
    cov = ["fin", "age", "prio"]
    res = fit_cox(d, "week", "arrest", cov, ties="breslow")
    X, t, e = d[cov].to_numpy(float), d.week.to_numpy(float), d.arrest.to_numpy()
    opt = optimize.minimize(lambda b: -_breslow_loglik(b, X, t, e), np.zeros(3), method="BFGS")
    assert res.coefficients.coef.to_numpy() == pytest.approx(opt.x, abs=2e-4)
    efron = fit_cox(d, "week", "arrest", cov)
    # rossi has many tied weeks, so the two methods differ slightly (Breslow shrinks toward 0)
    assert not np.allclose(res.coefficients.coef, efron.coefficients.coef, atol=1e-5)
    assert np.all(np.abs(res.coefficients.coef) <= np.abs(efron.coefficients.coef) + 1e-9)


def test_breslow_equals_efron_without_ties():
    d = load_rossi()
    d["week"] = d["week"] + np.random.default_rng(0).uniform(0, 0.5, len(d))
    a = fit_cox(d, "week", "arrest", ["fin", "prio"], ties="breslow").coefficients.coef
    b = fit_cox(d, "week", "arrest", ["fin", "prio"]).coefficients.coef
    assert a.to_numpy() == pytest.approx(b.to_numpy(), abs=1e-5)


def test_weighted_fits_use_robust_ses_with_either_ties_rule():
    # R's values for weighted Efron and Breslow fits are checked in test_cox_r.py; here the plumbing
    d = load_rossi()
    d["w"] = np.where(d.fin == 1, 2.0, 1.0)
    for ties in ("efron", "breslow"):
        res = fit_cox(d, "week", "arrest", ["fin", "prio"], weights="w", ties=ties)
        frame = d[["fin", "prio", "week", "arrest", "w"]]
        robust = fit_robust_cox(frame, "week", "arrest", "w", ties=ties)
        assert res.variance == "robust"
        assert res.coefficients.se.to_numpy() == pytest.approx(robust.standard_errors.to_numpy(), rel=1e-12)
        assert not np.allclose(res.coefficients.se, np.sqrt(np.diag(robust.fit.variance)), rtol=1e-3)


def test_cluster_column_gives_clustered_ses_and_refuses_missing_labels():
    d = load_rossi()
    d["pair"] = np.arange(len(d)) // 2
    plain = fit_cox(d, "week", "arrest", ["fin", "prio"])
    clustered = fit_cox(d, "week", "arrest", ["fin", "prio"], cluster="pair")
    assert plain.variance == "model" and clustered.variance == "robust" and clustered.cluster == "pair"
    assert clustered.coefficients.coef.to_numpy() == pytest.approx(plain.coefficients.coef.to_numpy())
    assert not np.allclose(clustered.coefficients.se, plain.coefficients.se, rtol=1e-3)
    d.loc[3, "pair"] = np.nan
    with pytest.raises(InputError, match="cluster column 'pair' has 1 missing"):
        fit_cox(d, "week", "arrest", ["fin"], cluster="pair")


def test_string_covariates_become_dummies():
    d = load_rossi()
    d["group"] = np.where(d.fin == 1, "funded", "unfunded")
    res = fit_cox(d, "week", "arrest", ["group", "prio"])
    assert res.coefficients.covariate.tolist() == ["prio", "group_unfunded"]
    assert res.coefficients.coef.iloc[1] == pytest.approx(-R_EFRON["fin"], abs=0.05)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"t": [1, 2, -1], "e": [1, 0, 1], "x": [1, 2, 3]}), "negative durations"),
        (pd.DataFrame({"t": [1, 2, 3], "e": [1, 2, 1], "x": [1, 2, 3]}), "must be 0/1"),
        (pd.DataFrame({"t": [1, None, 3], "e": [1, 0, 1], "x": [1, 2, 3]}), "missing"),
    ],
)
def test_bad_survival_input(frame, message):
    with pytest.raises(InputError, match=message):
        fit_cox(frame, "t", "e", ["x"])


def test_no_events_is_an_analysis_error():
    with pytest.raises(AnalysisError):
        fit_cox(pd.DataFrame({"t": [1, 2, 3], "e": [0, 0, 0], "x": [1, 2, 3]}), "t", "e", ["x"])


def _arms(seed=0, n=400, hr=0.6):
    rng = np.random.default_rng(seed)
    treated = np.arange(n) < n // 2
    t = rng.exponential(1 / np.where(treated, 0.1 * hr, 0.1))
    c = rng.uniform(0, 20, n)
    return pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int)}), treated


def test_compare_survival_recovers_hazard_ratio_and_weighted_km():
    d, treated = _arms(n=2000)
    w = np.ones(len(d))
    res = compare_survival(d, "time", "event", treated, w)
    assert res.hazard_ratio == pytest.approx(0.6, abs=0.08)
    assert res.ci[0] < 0.6 < res.ci[1] and res.logrank_p < 1e-6
    km = KaplanMeierFitter().fit(d.time[treated], d.event[treated])
    assert res.curves.survival_treated.iloc[-1] == pytest.approx(km.survival_function_.iloc[-1, 0])
    # zero weights drop people: the result equals fitting on the subset
    w2 = np.where(np.arange(len(d)) % 3 == 0, 0.0, 1.0)
    sub = compare_survival(
        d[w2 > 0].reset_index(drop=True), "time", "event", treated[w2 > 0], np.ones(int(w2.sum()))
    )
    assert compare_survival(d, "time", "event", treated, w2).hazard_ratio == pytest.approx(sub.hazard_ratio)


def test_pair_clusters_change_se_not_estimate():
    d, treated = _arms(seed=1)
    pairs = np.r_[np.arange(200), np.arange(200)]
    a = compare_survival(d, "time", "event", treated, np.ones(400))
    b = compare_survival(d, "time", "event", treated, np.ones(400), pairs)
    assert a.hazard_ratio == pytest.approx(b.hazard_ratio)
    assert a.ci != b.ci
    fig = plot_survival(b)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Proven to reoffend (cumulative)" and ax.get_xlabel() == "Years since release"
    assert ax.get_ylim()[0] == 0  # the scale starts at 0
    assert len(ax.collections) == 2  # a 95% band per arm
    assert "Number at risk" in [t.get_text() for t in ax.texts]
