"""The Rosenbaum Wilcoxon bound agrees with R: rbounds 2.2's psens() (zero differences dropped) and the two
other treatments of zeros (fixtures: tests/reference/make_sensitivity_reference.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from desist.domain.errors import InputError
from desist.evaluation.sensitivity import rosenbaum_grid, rosenbaum_matched, rosenbaum_wilcoxon

REF = Path(__file__).parents[2] / "reference"
PAIRS = pd.read_csv(REF / "sensitivity_pairs.csv")
BOUNDS = pd.read_csv(REF / "sensitivity_wilcoxon.csv")


def _diff(data):
    return PAIRS.loc[PAIRS.data == data, "diff"].to_numpy()


@pytest.mark.parametrize(("data", "zeros"), sorted(set(zip(BOUNDS.data, BOUNDS.zeros, strict=True))))
def test_upper_bound_agrees_with_r(data, zeros):
    rows = BOUNDS[(BOUNDS.data == data) & (BOUNDS.zeros == zeros)]
    got = [rosenbaum_wilcoxon(_diff(data), g, zeros) for g in rows.gamma]
    np.testing.assert_allclose(got, rows.p_upper, rtol=1e-6, atol=1e-12)
    if zeros == "drop":  # psens itself, as it prints: rounded to 4 digits
        np.testing.assert_array_equal(np.round(got, 4), rows.psens_upper)


def test_zero_rules_differ_where_there_are_zeros():
    d = _diff("small")
    p = {z: rosenbaum_wilcoxon(d, 1.5, z) for z in ("drop", "pratt", "keep")}
    assert len({round(v, 6) for v in p.values()}) == 3
    assert p["keep"] > p["drop"]  # zeros in E and V but never in T: more conservative
    nonzero = d[d != 0]
    assert {rosenbaum_wilcoxon(nonzero, 1.5, z) for z in ("drop", "pratt", "keep")} == {p["drop"]}


@pytest.mark.parametrize("data", ["lalonde", "sim", "small"])
def test_pratt_at_gamma_one_is_scipys_pratt_signed_rank_test(data):
    d = _diff(data)
    ref = stats.wilcoxon(d, zero_method="pratt", correction=False, alternative="greater", method="approx")
    assert rosenbaum_wilcoxon(d, 1.0, "pratt") == pytest.approx(ref.pvalue, rel=1e-9)


def test_grid_and_matched_pass_the_rule_on():
    d = _diff("sim")
    table, _ = rosenbaum_grid(differences=d, gammas=[1.0, 1.25], zeros="keep")
    rows = BOUNDS[(BOUNDS.data == "sim") & (BOUNDS.zeros == "keep") & (BOUNDS.gamma <= 1.25)]
    np.testing.assert_allclose(table.p_upper, rows.p_upper, rtol=1e-6)
    y = np.r_[np.maximum(d, 0), np.maximum(-d, 0)].astype(float)  # treated minus control = d
    n = len(d)
    out = rosenbaum_matched(y, np.arange(n), np.arange(n, 2 * n)[:, None], -1.0, binary=False, zeros="pratt")
    assert out["zeros"] == "pratt" and out["zero_pairs"] == int((d == 0).sum())
    want = rosenbaum_wilcoxon(-d, 1.0, "pratt")
    assert out["table"][0]["p_upper"] == pytest.approx(want)


def test_unknown_rule_is_refused():
    with pytest.raises(InputError, match="zeros 'split'; expected one of drop, pratt, keep"):
        rosenbaum_wilcoxon([1.0, -2.0, 0.0], 1.0, "split")
