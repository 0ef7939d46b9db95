"""Always-valid monitoring: a normal-mixture sequential test (Robbins, 1970; Howard et al., 2021).

Programmes run for decades with no planned end, so a design that fixes the number of looks in advance
does not fit open-ended surveillance. The mixture test integrates the likelihood ratio of the score
``S = Z sqrt(V)`` over a normal prior on the log hazard ratio; the resulting martingale stays below
``1/alpha`` with probability at least ``1 - alpha`` at every information level at once (Ville's inequality),
so the false-alarm rate holds however often one looks, without a planned maximum. The price is wider
boundaries than a group-sequential design at the planned end. The log hazard ratio's score process is
Brownian motion only asymptotically, so the guarantee is asymptotic (an "asymptotic confidence
sequence", Waudby-Smith et al. 2021), as is a Cox model's interval.

Boundaries are in z units as a function of information ``V`` relative to the information ``m`` at which
they are tightest (``tightest_at``, default the planned maximum, fraction 1), with the mixture precision
``rho = m / (2 log(1/alpha) + log(1 + 2 log(1/alpha)))`` (Howard et al., 2021, section 3.5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.optimize import brentq
from scipy.special import log_ndtr

from desist.domain.errors import InputError
from desist.monitoring.group_sequential import Boundaries, check_alpha_sided, check_fractions
from desist.monitoring.record import Method


def mixture_precision(alpha: float, tightest_at: float) -> float:
    """The normal mixture's precision rho making the boundary tightest near information ``tightest_at``."""
    la = math.log(1.0 / alpha)
    return tightest_at / (2.0 * la + math.log(1.0 + 2.0 * la))


def two_sided_boundary(v: float, rho: float, alpha: float) -> float:
    """|Z| boundary of the two-sided normal mixture: sqrt((v+rho)/v log((v+rho)/(rho alpha^2)))."""
    return math.sqrt((v + rho) / v * math.log((v + rho) / (rho * alpha * alpha)))


def one_sided_boundary(v: float, rho: float, alpha: float) -> float:
    """Z boundary of the one-sided (half-normal) mixture: solves
    ``2 sqrt(rho/(v+rho)) exp(s^2/(2(v+rho))) Phi(s/sqrt(v+rho)) = 1/alpha`` for the score s;
    returned as s/sqrt(v).
    """
    w = v + rho
    target = math.log(1.0 / alpha)

    def log_mixture(s: float) -> float:
        return math.log(2.0) + 0.5 * math.log(rho / w) + s * s / (2.0 * w) + float(log_ndtr(s / math.sqrt(w)))

    # the mixture grows with s; at s = 0 it is sqrt(rho/w) < 1 <= 1/alpha; the two-sided score bound is above
    upper = two_sided_boundary(v, rho, alpha) * math.sqrt(v) + 1.0
    s = brentq(lambda x: log_mixture(x) - target, 0.0, upper, xtol=1e-12)
    return float(s) / math.sqrt(v)


class AlwaysValidDesign:
    """Normal-mixture sequential test on the log hazard ratio, valid under unlimited looks.

    Parameters
    ----------
    alpha : float, default 0.05
        Bound on the probability of ever raising a false alarm (both sides together when ``sided=2``).
    sided : {1, 2}, default 2
        2: harm and benefit boundaries (two-sided mixture); 1: harm only (half-normal mixture).
    tightest_at : float, default 1.0
        Information fraction (of the planned maximum) where the boundary should be tightest.

    Examples
    --------
    >>> b = AlwaysValidDesign().boundaries([0.25, 0.5, 1.0, 4.0])
    >>> [round(z, 2) for z in b.z]
    [3.26, 3.08, 3.04, 3.13]
    """

    method: str = Method.ALWAYS_VALID.value
    spending = "normal-mixture"

    def __init__(self, alpha: float = 0.05, sided: int = 2, tightest_at: float = 1.0) -> None:
        self.alpha, self.sided = check_alpha_sided(alpha, sided)
        if not isinstance(tightest_at, int | float) or not math.isfinite(tightest_at) or tightest_at <= 0:
            raise InputError(f"tightest_at = {tightest_at!r}: expected a finite information fraction above 0")
        self.tightest_at = float(tightest_at)
        self.rho = mixture_precision(self.alpha, self.tightest_at)

    def __repr__(self) -> str:
        return f"AlwaysValidDesign(alpha={self.alpha}, sided={self.sided}, tightest_at={self.tightest_at})"

    def critical_value(self, fraction: float) -> float:
        """The z boundary at information ``fraction`` (any positive value; no planned end)."""
        if self.sided == 2:
            return two_sided_boundary(fraction, self.rho, self.alpha)
        return one_sided_boundary(fraction, self.rho, self.alpha)

    def boundaries(self, information_fractions: Sequence[float]) -> Boundaries:
        """Critical values at the given looks; they do not depend on how many looks there are.

        ``alpha_spent`` is the bound on the false-alarm probability by each look, ``alpha`` throughout.
        """
        fractions = check_fractions(information_fractions)
        return Boundaries(
            information_fractions=fractions,
            z=tuple(self.critical_value(t) for t in fractions),
            alpha_spent=tuple(self.alpha for _ in fractions),
            method=self.method,
            spending=self.spending,
            alpha=self.alpha,
            sided=self.sided,
        )

    def confidence_sequence(self, estimate: float, se: float, fraction: float) -> tuple[float, float]:
        """Two-sided always-valid interval for the log hazard ratio at this look: estimate -/+ z * se."""
        if not (math.isfinite(estimate) and math.isfinite(se) and se > 0):
            raise InputError(
                f"confidence_sequence: expected a finite estimate and se > 0, got {estimate}, {se}"
            )
        z = two_sided_boundary(fraction, self.rho, self.alpha)
        return estimate - z * se, estimate + z * se
