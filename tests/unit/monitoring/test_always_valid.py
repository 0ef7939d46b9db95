"""The normal-mixture always-valid test: its closed forms, and its type I error under many looks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from desist.domain.errors import InputError
from desist.monitoring import AlwaysValidDesign, GroupSequentialDesign, make_design


def _crossing_rate(design: AlwaysValidDesign, fractions: np.ndarray, paths: int, seed: int) -> float:
    z_bound = np.array(design.boundaries(fractions).z)
    rng = np.random.default_rng(seed)
    steps = np.sqrt(np.diff(np.r_[0.0, fractions]))
    crossed = 0
    for _ in range(paths // 5000):
        s = np.cumsum(rng.standard_normal((5000, fractions.size)) * steps, axis=1)
        z = s / np.sqrt(fractions)
        if design.sided == 2:
            z = np.abs(z)
        crossed += int((z >= z_bound).any(axis=1).sum())
    return crossed / paths


@pytest.mark.parametrize("sided", [1, 2])
def test_type_one_error_holds_under_unlimited_looks(sided: int) -> None:
    """1,000 looks out to 25 times the planned information: false alarms stay at or below alpha."""
    alpha = 0.05
    design = AlwaysValidDesign(alpha=alpha, sided=sided)
    fractions = np.geomspace(0.005, 25.0, 1000)
    paths = 20_000
    rate = _crossing_rate(design, fractions, paths, seed=sided)
    assert rate <= alpha + 2 * math.sqrt(alpha * (1 - alpha) / paths)
    # and it is not vacuous: it uses a good part of alpha (Ville's bound is tight for continuous monitoring)
    assert rate > 0.5 * alpha


def test_a_fixed_group_sequential_design_overshoots_when_looks_go_on() -> None:
    """Why the always-valid method exists: an O'Brien-Fleming design planned to t = 1 whose final boundary is
    reused for looks beyond it is no longer at level alpha, while the mixture is."""
    fractions = np.linspace(0.1, 5.0, 50)
    planned = GroupSequentialDesign().boundaries(fractions[fractions <= 1.0]).z
    bound = np.r_[planned, np.full(int((fractions > 1.0).sum()), planned[-1])]
    rng = np.random.default_rng(3)
    steps = np.sqrt(np.diff(np.r_[0.0, fractions]))
    z = np.abs(np.cumsum(rng.standard_normal((20_000, fractions.size)) * steps, axis=1) / np.sqrt(fractions))
    assert (z >= bound).any(axis=1).mean() > 0.07
    assert _crossing_rate(AlwaysValidDesign(), fractions, 20_000, seed=4) <= 0.05


def test_two_sided_boundary_is_where_the_mixture_reaches_one_over_alpha() -> None:
    design = AlwaysValidDesign(alpha=0.05)
    for v in (0.1, 1.0, 7.0):
        z = design.critical_value(v)
        s, w, rho = z * math.sqrt(v), v + design.rho, design.rho
        assert math.sqrt(rho / w) * math.exp(s * s / (2 * w)) == pytest.approx(1 / 0.05, rel=1e-9)


def test_one_sided_boundary_is_where_the_half_normal_mixture_reaches_one_over_alpha() -> None:
    design = AlwaysValidDesign(alpha=0.025, sided=1)
    for v in (0.1, 1.0, 7.0):
        z = design.critical_value(v)
        s, w, rho = z * math.sqrt(v), v + design.rho, design.rho
        value = 2 * math.sqrt(rho / w) * math.exp(s * s / (2 * w)) * ndtr(s / math.sqrt(w))
        assert value == pytest.approx(1 / 0.025, rel=1e-8)


def test_boundary_is_tightest_near_the_planned_information() -> None:
    design = AlwaysValidDesign()
    grid = np.geomspace(0.05, 20, 400)
    z = [design.critical_value(v) for v in grid]
    assert 0.3 < grid[int(np.argmin(z))] < 3.0


def test_confidence_sequence_is_estimate_plus_minus_boundary() -> None:
    design = AlwaysValidDesign()
    lo, hi = design.confidence_sequence(0.2, 0.1, 1.0)
    assert (hi - lo) / 2 == pytest.approx(design.critical_value(1.0) * 0.1)
    with pytest.raises(InputError):
        design.confidence_sequence(0.2, 0.0, 1.0)


def test_make_design_by_method() -> None:
    assert isinstance(make_design("always-valid"), AlwaysValidDesign)
    assert isinstance(make_design(spending="pocock"), GroupSequentialDesign)
    with pytest.raises(InputError, match="method 'bayes' is not known"):
        make_design("bayes")
    with pytest.raises(InputError, match="takes no spending"):
        make_design("always-valid", spending="pocock")
    with pytest.raises(InputError, match="tightest_at"):
        AlwaysValidDesign(tightest_at=0)
