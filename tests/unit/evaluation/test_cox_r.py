"""Cox models agree with R's coxph (survival 3.5-3) on data with tied times, factors, weights and clusters.

Fixtures: tests/reference/make_survival_reference.R (pbc, cgd gap times clustered on child, mgus2 in months,
simulated matched pairs with about 30 distinct times). Coefficients to 1e-8, variances and concordance to
1e-6.
"""

import numpy as np
import pandas as pd
import pytest

from desist.evaluation._concordance import concordance
from desist.evaluation._cox_efron import fit_cox_newton
from desist.evaluation._cox_variance import cox_robust_variance
from desist.evaluation.survival import compare_survival, fit_cox
from tests.reference.survival_fixtures import covariates, dataset, options, r_term, reference

NAMES = sorted(reference())
ROBUST = [n for n in NAMES if options(n)["robust"] or options(n)["cluster"]]


def _matrix(name):
    df = dataset(name)
    X = pd.get_dummies(df[covariates(name)], drop_first=True, dtype=float)
    X.columns = [r_term(c) for c in X.columns]
    return df, X[reference()[name]["terms"]]


def _naive_var(ref):
    return np.asarray(ref["naive_var"] if isinstance(ref["naive_var"], list) else ref["var"])


@pytest.mark.parametrize("name", NAMES)
def test_coefficients_and_model_variance_agree_with_r(name):
    ref = reference()[name]
    df, X = _matrix(name)
    opt = options(name)
    fit = fit_cox_newton(df.time, df.event, X, df[opt["weights"]] if opt["weights"] else None, opt["ties"])
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=0, atol=1e-8)
    # R's default convergence (eps = 1e-9) stops up to ~3e-8 short of the maximum the fixture holds
    np.testing.assert_allclose(fit.coef, ref["coef_default_control"], rtol=0, atol=1e-7)
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-10)
    np.testing.assert_allclose(fit.variance, _naive_var(ref), rtol=1e-6)


@pytest.mark.parametrize("name", ROBUST)
def test_robust_and_clustered_variance_agree_with_r(name):
    ref = reference()[name]
    df, X = _matrix(name)
    opt = options(name)
    w = df[opt["weights"]] if opt["weights"] else None
    fit = fit_cox_newton(df.time, df.event, X, w, opt["ties"])
    cl = df[opt["cluster"]] if opt["cluster"] else None
    got = cox_robust_variance(df.time, df.event, X, fit.coef, fit.variance, w, cl, ties=opt["ties"])
    want = np.asarray(ref["var"])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12 * np.abs(want).max())


def test_tied_times_make_efron_residuals_matter():
    # without Efron's correction in the residuals (lifelines' rule) the clustered SE of the treatment would be
    # off by more than 1e-6 here: the fixture can tell the two rules apart
    from lifelines import CoxPHFitter

    name = "simpairs_efron_cluster_pair"
    df, X = _matrix(name)
    data = X.assign(time=df.time, event=df.event, pair=df.pair)
    lf = CoxPHFitter().fit(data, "time", "event", cluster_col="pair")
    r_se = np.sqrt(np.diag(reference()[name]["var"]))
    assert np.max(np.abs(lf.standard_errors_.to_numpy() / r_se - 1)) > 1e-5


@pytest.mark.parametrize("name", NAMES)
def test_fit_cox_reports_r_coefficients_ses_and_weighted_concordance(name):
    ref = reference()[name]
    df = dataset(name)
    opt = options(name)
    res = fit_cox(df, "time", "event", covariates(name), **opt)
    table = res.coefficients.assign(term=[r_term(c) for c in res.coefficients.covariate]).set_index("term")
    table = table.loc[ref["terms"]]
    np.testing.assert_allclose(table.coef, ref["coef"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(table.se, np.sqrt(np.diag(ref["var"])), rtol=1e-6)
    assert res.variance == ("robust" if opt["robust"] or opt["cluster"] or opt["weights"] else "model")
    assert res.concordance == pytest.approx(ref["concordance"], abs=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_concordance_counts_agree_with_r(name):
    ref = reference()[name]
    df, X = _matrix(name)
    opt = options(name)
    w = df[opt["weights"]].to_numpy() if opt["weights"] else None
    fit = fit_cox_newton(df.time, df.event, X, w, opt["ties"])
    uniq, inv = np.unique(X.to_numpy(), axis=0, return_inverse=True)
    c = concordance(df.time, df.event, (uniq @ fit.coef)[inv.reshape(-1)], w)
    counts = ref["concordance_counts"]
    got = [c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy]
    want = [counts[k] for k in ("concordant", "discordant", "tied.x", "tied.y", "tied.xy")]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert c.value == pytest.approx(ref["concordance"], abs=1e-12)


def test_weights_change_the_concordance():
    name = "mgus2_efron_weighted_robust"
    unweighted = reference()["mgus2_efron"]["concordance"]
    assert reference()[name]["concordance"] != pytest.approx(unweighted, abs=1e-3)


@pytest.mark.parametrize("seed", range(4))
def test_concordance_equals_pairwise_definition(seed):
    rng = np.random.default_rng(seed)
    n = 157
    t = rng.integers(1, 12, n).astype(float)  # many tied times
    e = rng.integers(0, 2, n)
    x = rng.integers(0, 5, n).astype(float)  # many tied scores
    w = rng.uniform(0.1, 3, n)
    conc = disc = tie = 0.0
    for i in np.flatnonzero(e):
        j = (t > t[i]) | ((t == t[i]) & (e == 0))
        conc += w[i] * w[j][x[j] < x[i]].sum()
        disc += w[i] * w[j][x[j] > x[i]].sum()
        tie += w[i] * w[j][x[j] == x[i]].sum()
    c = concordance(t, e, x, w)
    assert (c.concordant, c.discordant, c.tied_x) == pytest.approx((conc, disc, tie), rel=1e-12)


@pytest.mark.parametrize(
    "name", ["simpairs_treated_weighted_cluster_pair", "simpairs_treated_weighted_robust"]
)
def test_compare_survival_hazard_ratio_and_ci_agree_with_r(name):
    ref = reference()[name]
    df = dataset(name)
    clusters = df.pair if "cluster" in name else None
    res = compare_survival(df, "time", "event", df.treated == 1, df.w, clusters)
    beta, se = ref["coef"][0], np.sqrt(ref["var"][0][0])
    assert np.log(res.hazard_ratio) == pytest.approx(beta, abs=1e-8)
    z = 1.959963984540054
    assert np.log(res.ci[0]) == pytest.approx(beta - z * se, abs=1e-6)
    assert np.log(res.ci[1]) == pytest.approx(beta + z * se, abs=1e-6)


def test_hazard_ratio_intervals_are_rs_exp_confint():
    # R's summary(coxph)$conf.int is exp(coef -/+ qnorm(0.975) * se): the same from R's coef and variance
    name = "pbc_efron"
    ref = reference()[name]
    df, X = _matrix(name)
    res = fit_cox(df.assign(**{c: X[c] for c in X.columns}), "time", "event", list(X.columns))
    se = np.sqrt(np.diag(_naive_var(ref)))
    z = 1.959963984540054  # qnorm(0.975)
    lo, hi = np.exp(np.asarray(ref["coef"]) - z * se), np.exp(np.asarray(ref["coef"]) + z * se)
    got = res.to_dict()["coefficients"]
    np.testing.assert_allclose([c["hr_ci"][0] for c in got], lo, rtol=1e-6)
    np.testing.assert_allclose([c["hr_ci"][1] for c in got], hi, rtol=1e-6)
    assert "hazard ratio (95% CI)" in res.table_text()
