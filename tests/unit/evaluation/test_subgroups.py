"""Subgroup effects (design refitted in each subgroup) and Cochran's Q interaction test."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from desist.domain.errors import AnalysisError
from desist.evaluation.outcomes import estimate_outcome
from desist.evaluation.subgroups import heterogeneity, plot_subgroups, subgroup_effects

pytestmark = pytest.mark.filterwarnings("ignore:only .* treated people")


def test_heterogeneity_q_by_hand():
    q, df, p = heterogeneity([0.1, -0.1, 0.3], [0.05, 0.05, 0.1])
    w = np.array([400, 400, 100])
    b = np.array([0.1, -0.1, 0.3])
    pooled = (w * b).sum() / w.sum()
    assert q == pytest.approx((w * (b - pooled) ** 2).sum())
    assert df == 2 and p == pytest.approx(stats.chi2.sf(q, 2))
    assert heterogeneity([0.1], [0.05]) == (None, 0, None)


def _frame(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    band = rng.choice(["low", "high", "tiny"], size=n, p=[0.5, 0.495, 0.005])
    t = rng.random(n) < 0.4
    effect = np.where(band == "high", 2.0, 0.0)  # the programme only changes the outcome for "high"
    y = rng.normal(size=n) + effect * t
    return pd.DataFrame({"band": band, "t": t.astype(int), "y": y})


def _fit(part):
    return estimate_outcome(part.y, part.t.astype(bool), np.ones(len(part)))


def test_subgroups_detect_interaction_and_skip_small_groups():
    res = subgroup_effects(_frame(), "band", "t", _fit, min_treated=10)
    tab = res.table.set_index("level")
    assert tab.loc["high", "estimate"] == pytest.approx(2.0, abs=0.2)
    assert tab.loc["low", "estimate"] == pytest.approx(0.0, abs=0.2)
    assert tab.loc["tiny", "skipped"].startswith("fewer than 10")
    assert res.df == 1 and res.p_interaction < 1e-6
    assert pd.isna(tab.loc["high", "note"])  # hundreds treated: no Justice Data Lab caution
    d = res.to_dict()
    assert d["column"] == "band" and len(d["groups"]) == 3
    assert plot_subgroups(res).axes


def test_no_interaction_when_effect_is_common():
    frame = _frame(1)
    frame["y"] = frame["y"] - np.where(frame.band == "high", 2.0, 0.0) * frame.t
    res = subgroup_effects(frame, "band", "t", _fit)
    assert res.p_interaction > 0.01


def test_failing_subgroup_is_reported_not_raised():
    def fit(part):
        if part.band.iloc[0] == "low":
            raise AnalysisError("no common support in this subgroup")
        return _fit(part)

    res = subgroup_effects(_frame(), "band", "t", fit)
    assert res.table.set_index("level").loc["low", "skipped"] == "no common support in this subgroup"
    assert res.p_interaction is None
