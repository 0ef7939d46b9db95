"""The AIPW propensity clip is its own setting (``clip``), no longer IPW's weight cap (``trim``): the old
single ``trim`` made ``trim=0.99`` clip every score to 0.01 (SEs about 25 times too large) and refused
``trim=0.01``."""

import numpy as np
import pytest

from desist.domain.errors import InputError
from desist.evaluation.aipw import AIPWEstimator
from desist.evaluation.design import design_matrix
from desist.evaluation.evaluate import Evaluation
from desist.evaluation.simulate import simulate_cohort

COVS = ["age", "risk_band", "prior_sexual"]


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(1500, seed=8, intercept=-1.5)


def _fit(cohort, **kw):
    X = design_matrix(cohort, COVS)
    return AIPWEstimator(estimand="ATE", **kw).fit(X, cohort.treated.to_numpy(bool), cohort.reoffended_2y)


def test_clip_bounds_the_scores_and_a_small_clip_changes_little(cohort):
    plain, clipped = _fit(cohort), _fit(cohort, clip=0.01)
    assert clipped.ps_.min() >= 0.01 and clipped.ps_.max() <= 0.99
    np.testing.assert_allclose(clipped.ps_, np.clip(plain.ps_, 0.01, 0.99))
    assert clipped.result_.se == pytest.approx(plain.result_.se, rel=0.05)
    wide = _fit(cohort, clip=0.2)
    assert wide.ps_.min() >= 0.2 and wide.result_.estimate != plain.result_.estimate


@pytest.mark.parametrize("bad", [0.99, 0.5, 0.0, -0.1, 1.5, True, "0.01"])
def test_bad_clip_is_refused_naming_the_parameter(cohort, bad):
    with pytest.raises(InputError, match=r"^clip=.*AIPWEstimator clips propensity scores") as info:
        _fit(cohort, clip=bad)
    assert "\n" not in str(info.value)
    if bad == 0.99:
        assert "IPWWeighter's trim" in str(info.value)


def test_evaluation_keeps_trim_for_ipw_and_clip_for_aipw(cohort):
    aipw = Evaluation("treated", "reoffended_2y", COVS, method="aipw", estimand="ATE", clip=0.01).fit(cohort)
    ipw = Evaluation("treated", "reoffended_2y", COVS, method="ipw", estimand="ATE", trim=0.99).fit(cohort)
    assert aipw.outcome_.se < 0.05 and ipw.outcome_.se < 0.05
    with pytest.raises(InputError, match="trim 0.99: does not apply to method aipw; it is a setting of ipw"):
        Evaluation("treated", "reoffended_2y", COVS, method="aipw", trim=0.99)
    with pytest.raises(InputError, match="clip 0.01: does not apply to method ipw; it is a setting of aipw"):
        Evaluation("treated", "reoffended_2y", COVS, method="ipw", clip=0.01)
