"""IPW weights and their trimming agree with R: glm() propensity scores, WeightIt's trim() rule and desist's
per-group rule (fixtures: tests/reference/make_weighting_reference.R on lalonde and the simulated data)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desist.domain.errors import InputError
from desist.evaluation.weighting import IPWWeighter, ipw_weights, trim_weights

REF = Path(__file__).parents[2] / "reference"
FORMULAS = {
    "lalonde": ["age", "educ", "race", "married", "nodegree", "re74", "re75"],
    "sim": ["age", "priors", "band", "custody"],
}


def _columns(frame):
    """(estimand, rule, at, lower) for each trimmed-weight column of a fixture."""
    out = []
    for col in frame.columns[3:]:
        parts = col.split("_")
        if parts[1] == "none":
            continue
        at = float(parts[2])
        out.append((col, parts[0], parts[1], int(at) if at >= 1 else at, parts[-1] == "lower"))
    return out


CASES = [
    (data, *case)
    for data in FORMULAS
    for case in _columns(pd.read_csv(REF / f"weighting_{data}.csv", nrows=1))
]



def _load(data):
    ref = pd.read_csv(REF / f"weighting_{data}.csv")
    people = pd.read_csv(REF / f"{data}.csv")
    return ref, people


@pytest.mark.parametrize(("data", "column", "estimand", "rule", "at", "lower"), CASES)
def test_trim_weights_agree_with_r(data, column, estimand, rule, at, lower):
    ref, people = _load(data)
    treated = people.treat.to_numpy() == 1
    untrimmed = ref[f"{estimand}_none"].to_numpy()
    got = trim_weights(untrimmed, treated, at, estimand, rule=rule, lower=lower)
    np.testing.assert_allclose(got, ref[column], rtol=1e-12)


@pytest.mark.parametrize("data", list(FORMULAS))
@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_ipw_weighter_reproduces_r_weights_and_weightit_trim(data, estimand):
    ref, people = _load(data)
    got = IPWWeighter(estimand=estimand).fit(people, "treat", FORMULAS[data])
    np.testing.assert_allclose(got.ps_, ref.ps, rtol=1e-6)
    np.testing.assert_allclose(got.weights_, ref[f"{estimand}_none"], rtol=1e-6)
    direct = ipw_weights(ref.ps, people.treat == 1, estimand)
    np.testing.assert_allclose(direct, ref[f"{estimand}_none"], rtol=1e-12)
    col = f"{estimand}_weightit_0.9" if data == "lalonde" else f"{estimand}_weightit_0.99"
    if col in ref:
        trimmed = IPWWeighter(estimand=estimand, trim=float(col.rsplit("_", 1)[1])).fit(
            people, "treat", FORMULAS[data]
        )
        np.testing.assert_allclose(trimmed.weights_, ref[col], rtol=1e-6)


def test_the_two_rules_differ_on_lalonde_ate():
    # the reason for the option: WeightIt pools both groups for the ATE, the old rule capped each group
    ref, _ = _load("lalonde")
    assert not np.allclose(ref["ATE_weightit_0.9"], ref["ATE_group_0.9"], rtol=1e-3)
    assert (ref["ATT_weightit_0.9"] != ref["ATT_none"]).sum() > 0


@pytest.mark.parametrize(
    ("trim", "rule", "message"),
    [
        (0.01, "weightit", r"IPWWeighter trim=0.01: expected a weight quantile .* AIPWEstimator\(clip="),
        (1.5, "weightit", r"IPWWeighter trim=1.5: expected a weight quantile"),
        (-3, "weightit", r"IPWWeighter trim=-3"),
        (True, "weightit", r"IPWWeighter trim=True"),
        (5, "group", r"IPWWeighter trim=5: trim_rule 'group' takes a quantile"),
        (0.9, "pooled", r"IPWWeighter trim_rule 'pooled': expected one of weightit, group"),
    ],
)
def test_bad_trim_settings_are_refused_naming_the_parameter(trim, rule, message):
    _, people = _load("lalonde")
    with pytest.raises(InputError, match=message):
        IPWWeighter(estimand="ATE", trim=trim, trim_rule=rule).fit(people, "treat", FORMULAS["lalonde"])


def test_count_larger_than_the_trimmable_weights_is_refused():
    with pytest.raises(InputError, match="fewer weights to cap"):
        trim_weights(np.arange(1.0, 5.0), np.array([1, 1, 0, 0], bool), 3, "ATT")
