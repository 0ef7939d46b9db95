"""The information scale: how far along a programme's evidence is, as a fraction of a planned maximum.

Information about the log hazard ratio is ``1 / SE^2`` of its estimate (for a Cox model it is close to
``events * p * (1 - p)`` with ``p`` the treated share, so it grows with events). The planned maximum is the
information a group-sequential design needs to detect the effect worth detecting (by default a hazard ratio of
1.25, the size of the harm in the seed's story) with the given power (default 90%) over the planned looks
(default 12); it is the fixed-sample information ``((z_{1-alpha/sided} + z_{power}) / log HR)^2`` inflated for
the repeated looks, found by recursive integration under the alternative. Information beyond it is
allowed: the first look past the maximum spends whatever alpha is left.
"""

from __future__ import annotations

import math

from scipy.optimize import brentq
from scipy.special import ndtri

from desist.domain.errors import InputError
from desist.monitoring._integration import Recursion
from desist.monitoring.group_sequential import GroupSequentialDesign

DEFAULT_HAZARD_RATIO = 1.25
DEFAULT_POWER = 0.9
DEFAULT_LOOKS = 12


def _check_effect(hazard_ratio: float, power: float) -> None:
    if not math.isfinite(hazard_ratio) or hazard_ratio <= 0 or hazard_ratio == 1:
        raise InputError(f"hazard_ratio = {hazard_ratio}: expected a positive number other than 1")
    if not 0.5 <= power < 1:
        raise InputError(f"power = {power}: expected a number from 0.5 up to (not including) 1")


def information_from_se(se: float) -> float:
    """Information about the log hazard ratio from its standard error: 1 / se^2."""
    if not math.isfinite(se) or se <= 0:
        raise InputError(f"standard error {se}: expected a finite number above 0")
    return 1.0 / (se * se)


def information_from_events(events: int, treated_share: float = 0.5) -> float:
    """Approximate information from the number of events: events * p * (1 - p) (Schoenfeld)."""
    if events < 0 or not 0 < treated_share < 1:
        raise InputError(
            f"events = {events}, treated_share = {treated_share}: expected events >= 0 and a share in (0, 1)"
        )
    return events * treated_share * (1.0 - treated_share)


def fixed_sample_information(
    hazard_ratio: float = DEFAULT_HAZARD_RATIO,
    alpha: float = 0.05,
    sided: int = 2,
    power: float = DEFAULT_POWER,
) -> float:
    """Information one analysis needs to detect ``hazard_ratio`` with ``power`` at level ``alpha``."""
    _check_effect(hazard_ratio, power)
    z = float(ndtri(1.0 - alpha / sided)) + float(ndtri(power))
    return (z / math.log(hazard_ratio)) ** 2


def harm_power(design: GroupSequentialDesign, fractions: list[float], drift: float) -> float:
    """Probability of crossing the harm boundary at some look when the score drifts at ``drift``."""
    bounds = design.boundaries(fractions)
    recursion = Recursion(delta=drift)
    crossed = 0.0
    for t, c in zip(bounds.information_fractions, bounds.z, strict=True):
        lower = -c if design.sided == 2 else -math.inf
        crossed += recursion.exit_probabilities(t, lower, c)[1]
        recursion.advance(t, lower, c)
    return crossed


def maximum_information(
    design: GroupSequentialDesign,
    hazard_ratio: float = DEFAULT_HAZARD_RATIO,
    power: float = DEFAULT_POWER,
    looks: int = DEFAULT_LOOKS,
) -> float:
    """Planned maximum information for ``design`` with ``looks`` equally spaced looks.

    Examples
    --------
    >>> round(maximum_information(GroupSequentialDesign()), 1)
    219.0
    """
    _check_effect(hazard_ratio, power)
    if looks < 1:
        raise InputError(f"looks = {looks}: expected at least 1")
    fractions = [(k + 1) / looks for k in range(looks)]
    fixed = fixed_sample_information(hazard_ratio, design.alpha, design.sided, power)
    theta = abs(math.log(hazard_ratio))
    # drift = theta * sqrt(I_max); the fixed-sample drift is a lower bound, a few times it an upper one
    low = theta * math.sqrt(fixed)
    drift = brentq(lambda d: harm_power(design, fractions, d) - power, low, 3.0 * low, xtol=1e-8)
    return float((drift / theta) ** 2)
