"""Outcome comparison after matching: arm means, CIs accounting for pairs, ratios, bootstrap, JDL windows."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation.followup import jdl_followup
from desist.evaluation.outcomes import estimate_outcome, outcome_type
from desist.evaluation.report import plain_language

# small toy samples trigger the Justice Data Lab size warning; it is tested on its own below
pytestmark = pytest.mark.filterwarnings("ignore:only .* treated people")


def _pairs(n_pairs=300, p0=0.10, p1=0.15, seed=1):
    rng = np.random.default_rng(seed)
    y1 = rng.random(n_pairs) < p1
    y0 = rng.random(n_pairs) < p0
    y = np.concatenate([y1, y0]).astype(float)
    t = np.r_[np.ones(n_pairs, bool), np.zeros(n_pairs, bool)]
    pair = np.r_[np.arange(n_pairs), np.arange(n_pairs)]
    return y, t, pair


def test_binary_rates_difference_and_ratios_match_hand_calculation():
    y, t, pair = _pairs()
    r = estimate_outcome(y, t, np.ones(len(y)), pair, name="reoffended")
    m1, m0 = y[t].mean(), y[~t].mean()
    assert r.type == "binary"
    assert (r.treated_mean, r.control_mean, r.estimate) == pytest.approx((m1, m0, m1 - m0))
    assert r.risk_ratio.estimate == pytest.approx(m1 / m0)
    assert r.odds_ratio.estimate == pytest.approx(m1 / (1 - m1) / (m0 / (1 - m0)))
    assert r.risk_ratio.ci[0] < m1 / m0 < r.risk_ratio.ci[1]
    assert r.ci_method == "cluster-robust (pairs)"
    assert r.per_100["difference"] == pytest.approx(100 * (m1 - m0))


def test_pair_cluster_se_equals_paired_difference_se():
    # for 1:1 pairs, the cluster-robust SE of the difference is the SE of the within-pair differences
    # (times statsmodels' small-sample factor G/(G-1) * (N-1)/(N-K), as Stata and R's vcovCL use)
    rng = np.random.default_rng(2)
    n = 200
    base = rng.normal(0, 3, n)  # strong pair effect: pairing matters
    y = np.r_[base + 1 + rng.normal(0, 1, n), base + rng.normal(0, 1, n)]
    t = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    pair = np.r_[np.arange(n), np.arange(n)]
    r = estimate_outcome(y, t, np.ones(2 * n), pair)
    d = y[:n] - y[n:]
    assert r.se == pytest.approx(
        d.std(ddof=0) / np.sqrt(n) * np.sqrt(n / (n - 1) * (2 * n - 1) / (2 * n - 2)), rel=1e-6
    )
    unpaired = estimate_outcome(y, t, np.ones(2 * n))
    assert unpaired.ci_method == "HC1 robust" and unpaired.se > 2 * r.se


def test_weights_give_weighted_control_mean_and_zero_weight_is_excluded():
    y = np.array([1.5, 2.5, 2.0, 10.0, 99.0])
    t = np.array([1, 1, 0, 0, 0], bool)
    w = np.array([1, 1, 1.5, 0.5, 0])
    r = estimate_outcome(y, t, w)
    assert r.type == "continuous"
    assert r.control_mean == pytest.approx((1.5 * 2 + 0.5 * 10) / 2)
    assert r.estimate == pytest.approx(2.0 - 4.0)
    assert r.n_control == 2 and r.risk_ratio is None


def test_hc1_se_matches_statsmodels_wls_difference():
    rng = np.random.default_rng(4)
    y = rng.normal(size=100)
    t = np.arange(100) < 40
    w = rng.uniform(0.5, 2, 100)
    r = estimate_outcome(y, t, w)
    res = sm.WLS(y, sm.add_constant(t.astype(float)), weights=w).fit(cov_type="HC1")
    assert r.estimate == pytest.approx(res.params[1])
    assert r.se == pytest.approx(res.bse[1], rel=1e-6)


def test_bootstrap_is_seeded_and_close_to_analytic():
    y, t, pair = _pairs(n_pairs=400)
    a = estimate_outcome(y, t, np.ones(len(y)), pair, bootstrap=400, seed=7)
    b = estimate_outcome(y, t, np.ones(len(y)), pair, bootstrap=400, seed=7)
    analytic = estimate_outcome(y, t, np.ones(len(y)), pair)
    assert a.ci == b.ci
    assert a.se == pytest.approx(analytic.se, rel=0.15)
    assert "bootstrap" in a.ci_method and a.risk_ratio.ci[0] < a.risk_ratio.estimate < a.risk_ratio.ci[1]


def test_outcome_types():
    assert outcome_type(np.array([0, 1, 1.0])) == "binary"
    assert outcome_type(np.array([0, 2, 5.0])) == "count"
    assert outcome_type(np.array([0.5, 2.0])) == "continuous"


def test_count_outcome_reported_per_100():
    y = np.array([0, 2, 1, 0, 0, 1], float)
    t = np.array([1, 1, 1, 0, 0, 0], bool)
    r = estimate_outcome(y, t, np.ones(6))
    assert r.type == "count"
    assert r.per_100["treated"] == pytest.approx(100.0) and r.per_100["control"] == pytest.approx(100 / 3)


def test_fewer_than_60_treated_warns():
    y, t, pair = _pairs(n_pairs=30)
    with pytest.warns(UserWarning, match="Justice Data Lab"):
        r = estimate_outcome(y, t, np.ones(len(y)), pair)
    assert r.warnings


def test_bad_outcomes_are_one_line_errors():
    t = np.array([1, 0, 1, 0], bool)
    with pytest.raises(InputError, match="missing"):
        estimate_outcome([1, np.nan, 0, 0], t, np.ones(4))
    with pytest.raises(InputError, match="not numbers"):
        estimate_outcome(["a", 1, 0, 0], t, np.ones(4))
    with pytest.raises(AnalysisError):
        estimate_outcome([1, 0, 1, 0], t, np.array([0, 1, 0, 1.0]))


def test_plain_language_paragraph():
    y, t, pair = _pairs(n_pairs=500, p0=0.08, p1=0.10, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = estimate_outcome(y, t, np.ones(len(y)), pair, name="reoffended")
    text = plain_language(r, window="within two years")
    assert text.startswith("For every 100 typical men like those treated, ")
    assert (
        f"{100 * r.treated_mean:.1f} were proven to reoffend within two years, against "
        f"{100 * r.control_mean:.1f} in the" in text
    )
    assert "not statistically significant" in text
    lo, hi = (f"{100 * v:+.1f}".replace("-", "−") for v in r.ci)
    assert f"(95% CI {lo} to {hi} per 100)" in text


def test_jdl_followup_window_waiting_period_and_censoring():
    d = pd.DataFrame(
        {
            "start": ["2020-01-01"] * 5 + ["2022-06-01"],
            "offence": [None, "2020-06-01", "2020-12-01", "2020-12-15", "2022-09-01", "2022-07-01"],
            "proven": [None, "2020-08-01", "2021-06-30", "2021-07-15", "2022-10-01", "2022-08-01"],
        }
    )
    out = jdl_followup(d, "start", "offence", "proven", "2022-12-31", years=1)
    # proven by 2021-07-01 (window + 6 months) counts; 2021-07-15 does not
    assert out["reoffended"].tolist()[:5] == [0, 1, 1, 0, 0]
    assert out["followup_complete"].tolist() == [True] * 5 + [False]
    assert pd.isna(out["reoffended"].iloc[5])
    # survival: events proven by end of data, censored at end of data minus 6 months (2022-06-30)
    assert out["event"].tolist() == [0, 1, 1, 1, 0, 0]
    assert out["time_days"].tolist() == [911, 152, 335, 349, 911, 29]


def test_jdl_followup_bad_dates():
    d = pd.DataFrame({"s": ["2020-01-01", "not a date"], "o": [None, None], "p": [None, None]})
    with pytest.raises(InputError, match="not dates"):
        jdl_followup(d, "s", "o", "p", "2022-01-01")
    d = pd.DataFrame({"s": ["2020-01-01"], "o": ["2020-05-01"], "p": ["2020-04-01"]})
    with pytest.raises(InputError, match="before their offence"):
        jdl_followup(d, "s", "o", "p", "2022-01-01")


@pytest.mark.parametrize("design", ["pairs", "sets with gaps", "weights only"])
def test_closed_form_arm_means_equal_statsmodels_wls(design):
    """The numpy sandwich equals statsmodels' WLS cluster-robust / HC1 covariance (what it replaced)."""
    from desist.evaluation.outcomes import arm_means

    rng = np.random.default_rng(7)
    n = 400
    t = rng.random(n) < 0.4
    y = rng.normal(size=n) + t
    w = np.where(rng.random(n) < 0.2, 0.0, rng.uniform(0.5, 2, n))
    clusters = None
    if design != "weights only":
        clusters = pd.array(rng.integers(0, 150, n), dtype="Int64")
        if design == "sets with gaps":
            clusters[rng.random(n) < 0.3] = pd.NA
    params, cov = arm_means(y, t, w, clusters)
    keep = w > 0
    X = np.column_stack([t[keep], ~t[keep]]).astype(float)
    model = sm.WLS(y[keep], X, weights=w[keep])
    if clusters is None:
        res = model.fit(cov_type="HC1")
    else:
        codes = pd.factorize(pd.Series(clusters)[keep])[0]
        codes[codes < 0] = codes.max() + 1 + np.arange((codes < 0).sum())
        res = model.fit(cov_type="cluster", cov_kwds={"groups": codes})
    np.testing.assert_allclose(params, res.params, rtol=1e-12)
    np.testing.assert_allclose(cov, res.cov_params(), rtol=1e-10, atol=1e-15)
