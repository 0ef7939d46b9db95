"""E-values, Rosenbaum bounds and the innocent-deniers scenario against check values (domain.md s.6)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from desist.domain.errors import InputError
from desist.evaluation.sensitivity import (
    e_value,
    innocent_deniers,
    rosenbaum_binary,
    rosenbaum_grid,
    rosenbaum_matched,
    rosenbaum_wilcoxon,
)


@pytest.mark.parametrize(("rr", "expected"), [(3.9, 7.26), (1.8, 3.00), (1.25, 1.81)])
def test_e_value_check_values(rr, expected):
    assert e_value(rr).point == pytest.approx(expected, abs=0.005)


def test_e_value_protective_ratio_is_inverted():
    assert e_value(1 / 3.9).point == pytest.approx(e_value(3.9).point)


def test_e_value_ci_uses_limit_nearest_one_and_is_one_when_crossing():
    ev = e_value(3.9, 1.8, 8.0)
    assert ev.ci == pytest.approx(3.0)
    assert e_value(0.5, 0.3, 0.8).ci == pytest.approx(e_value(1.25).point)
    assert e_value(1.3, 0.9, 1.8).ci == 1.0
    assert e_value(1.3).ci is None


def test_e_value_or_and_hr_conversions():
    # common outcome: OR -> sqrt(OR); HR -> (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))
    assert e_value(4.0, measure="OR").point == pytest.approx(e_value(2.0).point)
    rr = (1 - 0.5 ** math.sqrt(2.0)) / (1 - 0.5 ** math.sqrt(0.5))
    assert e_value(2.0, measure="HR").point == pytest.approx(rr + math.sqrt(rr * (rr - 1)))
    assert e_value(2.0, measure="HR", rare=True).point == pytest.approx(e_value(2.0).point)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_e_value_rejects_non_ratios(bad):
    with pytest.raises(InputError):
        e_value(bad)
    with pytest.raises(InputError):
        e_value(2.0, measure="RD")


@pytest.mark.parametrize(
    ("gamma", "expected"), [(1, 2.7e-21), (2, 1.3e-9), (3, 2.0e-5), (4, 0.00196), (5, 0.0232), (6, 0.0969)]
)
def test_rosenbaum_binary_table(gamma, expected):
    assert rosenbaum_binary(110, 12, gamma) == pytest.approx(expected, rel=0.03)


def test_rosenbaum_grid_critical_gamma_between_5_and_6():
    table, g = rosenbaum_grid(treated_only=110, control_only=12)
    assert list(table.columns) == ["gamma", "p_upper"]
    assert 5.0 < g < 6.0
    assert rosenbaum_binary(110, 12, g) == pytest.approx(0.05, abs=1e-4)
    # not significant without hidden bias -> 1.0
    assert rosenbaum_grid(treated_only=6, control_only=5)[1] == 1.0


def test_rosenbaum_wilcoxon_at_gamma_one_is_the_signed_rank_test():
    rng = np.random.default_rng(3)
    d = rng.normal(0.3, 1, 80)
    expected = stats.wilcoxon(d, alternative="greater", method="approx", correction=False).pvalue
    assert rosenbaum_wilcoxon(d, 1.0) == pytest.approx(expected, rel=1e-6)
    assert rosenbaum_wilcoxon(d, 2.0) > rosenbaum_wilcoxon(d, 1.0)


def test_rosenbaum_matched_counts_pairs_in_direction_of_effect():
    y = np.array([1, 0, 1, 0, 0, 1, 0, 0])
    treated_rows, controls = np.array([0, 2, 4, 6]), np.array([[1], [3], [5], [7]])
    out = rosenbaum_matched(y, treated_rows, controls, direction=-1, binary=True)
    assert (out["treated_only"], out["control_only"], out["pairs"]) == (2, 1, 4)
    assert out["direction"] == "treated lower"
    assert (
        rosenbaum_matched(y, treated_rows, np.column_stack([controls, controls]), 1, binary=True)["available"]
        is False
    )


def test_innocent_deniers_expected_outcome_interpolates_linearly():
    # 4 controls of whom 2 deny; base rate 0: the control mean falls 0.5 -> 0.25 -> 0 as the fraction rises
    y = np.array([1, 0, 1, 1, 0, 0], float)
    t = np.array([1, 1, 0, 0, 0, 0], bool)
    deny = np.array([0, 0, 1, 1, 0, 0], bool)
    tab = innocent_deniers(y, t, np.ones(6), deny, base_rate=0.0, fractions=[0, 0.5, 1])
    assert tab["control_mean"].tolist() == pytest.approx([0.5, 0.25, 0.0])
    assert tab["estimate"].tolist() == pytest.approx([0.0, 0.25, 0.5])
    removed = innocent_deniers(y, t, np.ones(6), deny, fractions=[0, 1])
    assert removed["control_mean"].tolist() == pytest.approx([0.5, 0.0])
    assert removed.attrs["scenario"] == "innocent deniers removed"


def test_innocent_deniers_empty_arm_gives_nan_row():
    y = np.array([1, 0, 1, 0], float)
    t = np.array([1, 1, 0, 0], bool)
    tab = innocent_deniers(y, t, np.ones(4), ~t, fractions=[1.0])
    assert tab["estimate"].isna().all()
    assert isinstance(tab, pd.DataFrame)


def _binomial_cases() -> list[tuple[int, int, float]]:
    rng = np.random.default_rng(7)
    cases = [
        (k, n, p) for n in (1, 2, 5, 122) for k in range(-1, n + 1, max(1, n // 7)) for p in (0.005, 0.5, 0.8)
    ]
    for n in (30, 1000, 20_000, 300_000):  # Rosenbaum's use: p = gamma / (1 + gamma), counts up to a national
        for k in np.linspace(0, n, 9).astype(int).tolist():
            cases += [(k - 1, n, g / (1 + g)) for g in (1.0, 1.75, 3.5, 6.0)]
        cases += [(int(rng.integers(0, n)), n, float(rng.random())) for _ in range(10)]
    return cases


def test_binomial_tail_is_scipys_bdtrc() -> None:
    """The transcription of Cephes' incomplete beta gives scipy's binomial tail: the same algorithm, so the
    same value up to the last digits of the log-gamma functions (which grow with n)."""
    from scipy.special import bdtrc

    from desist.evaluation._binomial import binomial_sf, incomplete_beta

    for k, n, p in _binomial_cases():
        assert binomial_sf(k, n, p) == pytest.approx(float(bdtrc(k, n, p)), rel=1e-9, abs=1e-300), (k, n, p)
    assert math.isnan(binomial_sf(3, 2, 0.5)) and math.isnan(binomial_sf(1, 2, 1.5))
    assert (binomial_sf(-1, 5, 0.3), binomial_sf(5, 5, 0.3)) == (1.0, 0.0)
    assert incomplete_beta(2.0, 3.0, 0.0) == 0.0 and incomplete_beta(2.0, 3.0, 1.0) == 1.0
    assert incomplete_beta(2.0, 3.0, 0.4) == pytest.approx(0.5248, rel=1e-12)  # 1 - P(Bin(4, .4) <= 1)
