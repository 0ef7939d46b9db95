"""Lan-DeMets alpha-spending functions: how much of the type I error may be used by information fraction t.

Each function maps an information fraction ``t`` in (0, 1] to the cumulative type I error allowed by then,
``alpha(t)``, with ``alpha(1) = alpha``. Fractions beyond 1 (more information than planned) spend whatever is
left, so they are clipped to 1. The formulas are the ones rpact's ``getDesignGroupSequential`` uses
(``typeOfDesign = "asOF"``, ``"asP"``, ``"asHSD"``), so boundaries can be checked against it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy.special import ndtr, ndtri

from desist.domain.errors import InputError

SpendingFunction = Callable[[float], float]

SPENDING_NAMES = ("obf", "pocock", "hsd")


def obrien_fleming(alpha: float, sided: int) -> SpendingFunction:
    """Lan-DeMets O'Brien-Fleming type: spends almost nothing early, nearly all of alpha at the end.

    ``alpha(t) = sided * (1 - Phi(Phi^-1(1 - alpha / (2 * sided)) ... ))``; for a one-sided test
    ``2 (1 - Phi(z_{1-alpha/2} / sqrt(t)))`` and for a two-sided one ``4 (1 - Phi(z_{1-alpha/4} / sqrt(t)))``.
    """
    z = float(ndtri(1.0 - alpha / (2.0 * sided)))

    def spend(t: float) -> float:
        t = min(t, 1.0)
        return float(2.0 * sided * ndtr(-z / math.sqrt(t)))

    return spend


def pocock(alpha: float, sided: int) -> SpendingFunction:
    """Lan-DeMets Pocock type: ``alpha * log(1 + (e - 1) t)``, spending evenly on the log scale."""

    def spend(t: float) -> float:
        return alpha * math.log(1.0 + (math.e - 1.0) * min(t, 1.0))

    return spend


def hwang_shih_decani(alpha: float, gamma: float) -> SpendingFunction:
    """Hwang-Shih-DeCani family: ``alpha (1 - exp(-gamma t)) / (1 - exp(-gamma))``, linear when gamma = 0.

    gamma = -4 is close to O'Brien-Fleming, gamma = 1 close to Pocock.
    """

    def spend(t: float) -> float:
        t = min(t, 1.0)
        if gamma == 0:
            return alpha * t
        return alpha * (1.0 - math.exp(-gamma * t)) / (1.0 - math.exp(-gamma))

    return spend


def spending_function(name: str, alpha: float, sided: int, gamma: float | None) -> SpendingFunction:
    """The spending function called ``name`` ("obf", "pocock" or "hsd"; "hsd" needs ``gamma``)."""
    if name == "obf":
        return obrien_fleming(alpha, sided)
    if name == "pocock":
        return pocock(alpha, sided)
    if name == "hsd":
        if gamma is None:
            raise InputError("spending 'hsd' needs gamma (e.g. gamma=-4 for O'Brien-Fleming-like spending)")
        return hwang_shih_decani(alpha, gamma)
    raise InputError(f"spending {name!r} is not known; expected one of {', '.join(SPENDING_NAMES)}")
