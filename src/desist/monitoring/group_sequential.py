"""Group-sequential designs with Lan-DeMets alpha spending: critical values at irregular looks.

A programme is looked at again and again; each look may use only the part of the type I error that the
spending function allows by the information gathered so far, so that the chance of ever raising a false
alarm stays at ``alpha``. Two-sided designs have a harm boundary (+z) and a benefit boundary (-z) with
alpha split symmetrically, as rpact's ``getDesignGroupSequential(sided = 2)``; one-sided designs test
harm only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from scipy.optimize import brentq
from scipy.special import ndtri

from desist.domain.errors import InputError
from desist.monitoring._integration import Recursion
from desist.monitoring.record import Method
from desist.monitoring.spending import SPENDING_NAMES, spending_function

# rpact reports a look whose critical value exceeds 7.5 as Inf: it spends (almost) no alpha (< 1e-13).
NO_SPEND_Z = 7.5
_SEARCH_UPPER = 40.0


@dataclass(frozen=True)
class Boundaries:
    """Critical values of a sequential design at a series of looks.

    Attributes
    ----------
    information_fractions : tuple of float
        Information at each look over the planned maximum (may exceed 1).
    z : tuple of float
        Critical value of the z statistic at each look (``inf`` where the look spends no alpha). Harm is
        declared when z >= z[k]; in a two-sided design benefit when z <= -z[k].
    alpha_spent : tuple of float
        Cumulative type I error allowed by each look (two sides together).
    method, spending, alpha, sided : design settings, recorded with the result.
    """

    information_fractions: tuple[float, ...]
    z: tuple[float, ...]
    alpha_spent: tuple[float, ...]
    method: str
    spending: str
    alpha: float
    sided: int

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values (``inf`` written as None)."""
        return {
            **asdict(self),
            "information_fractions": list(self.information_fractions),
            "z": [v if math.isfinite(v) else None for v in self.z],
            "alpha_spent": list(self.alpha_spent),
        }


def check_fractions(fractions: Sequence[float]) -> tuple[float, ...]:
    """Validate information fractions: at least one, finite, positive and strictly increasing."""
    values = tuple(float(f) for f in fractions)
    if not values:
        raise InputError("information_fractions: expected at least one look")
    for i, f in enumerate(values):
        if not math.isfinite(f) or f <= 0:
            raise InputError(f"information_fractions[{i}] = {f}: expected a finite number above 0")
        if i and f <= values[i - 1]:
            raise InputError(
                f"information_fractions[{i}] = {f}: expected more than the previous look's {values[i - 1]}"
            )
    return values


def check_alpha_sided(alpha: float, sided: int) -> tuple[float, int]:
    """Validate the overall type I error and the number of sides."""
    if sided not in (1, 2):
        raise InputError(f"sided = {sided!r}: expected 1 (harm only) or 2 (harm and benefit)")
    if not isinstance(alpha, int | float) or not 0 < float(alpha) < 0.5:
        raise InputError(f"alpha = {alpha!r}: expected a number between 0 and 0.5")
    return float(alpha), sided


class GroupSequentialDesign:
    """Lan-DeMets alpha-spending design, boundaries by recursive numerical integration.

    Parameters
    ----------
    alpha : float, default 0.05
        Overall probability of a false alarm (both sides together when ``sided=2``).
    sided : {1, 2}, default 2
        2: a harm and a benefit boundary; 1: harm only.
    spending : {"obf", "pocock", "hsd"}, default "obf"
        Lan-DeMets O'Brien-Fleming, Pocock, or Hwang-Shih-DeCani with ``gamma``.
    gamma : float, optional
        The Hwang-Shih-DeCani parameter (required for "hsd", refused otherwise).

    Examples
    --------
    >>> b = GroupSequentialDesign().boundaries([0.2, 0.5, 0.7, 1.0])
    >>> [round(z, 3) for z in b.z]
    [4.877, 2.963, 2.462, 2.002]
    """

    method: str = Method.GROUP_SEQUENTIAL.value

    def __init__(
        self, alpha: float = 0.05, sided: int = 2, spending: str = "obf", gamma: float | None = None
    ) -> None:
        self.alpha, self.sided = check_alpha_sided(alpha, sided)
        if spending not in SPENDING_NAMES:
            known = ", ".join(SPENDING_NAMES)
            raise InputError(f"spending {spending!r} is not known; expected one of {known}")
        if spending != "hsd" and gamma is not None:
            raise InputError(f"gamma is only used with spending 'hsd' (got spending {spending!r})")
        if gamma is not None and (isinstance(gamma, bool) or not math.isfinite(float(gamma))):
            raise InputError(f"gamma = {gamma!r}: expected a finite number")
        self.spending = spending
        self.gamma = gamma
        self._spend = spending_function(spending, self.alpha, self.sided, gamma)

    def __repr__(self) -> str:
        extra = f", gamma={self.gamma}" if self.gamma is not None else ""
        settings = f"alpha={self.alpha}, sided={self.sided}, spending={self.spending!r}{extra}"
        return f"GroupSequentialDesign({settings})"

    def alpha_spent(self, fraction: float) -> float:
        """Cumulative type I error allowed at information ``fraction`` (fractions above 1 count as 1)."""
        return self._spend(fraction)

    def boundaries(self, information_fractions: Sequence[float]) -> Boundaries:
        """Critical values at looks taken at the given information fractions.

        Boundaries at a look depend only on that look and the earlier ones, so they can be computed as the
        looks happen. Information beyond the planned maximum (fraction above 1) spends whatever is left at the
        first such look; later looks then spend nothing (``inf``).
        """
        fractions = check_fractions(information_fractions)
        recursion = Recursion()
        z: list[float] = []
        spent: list[float] = []
        previous = 0.0
        for t in fractions:
            target = self._spend(t)
            increment = target - previous
            c = self._critical_value(recursion, t, increment, first=not z)
            z.append(c)
            spent.append(target)
            previous = target
            lower = -c if self.sided == 2 else -math.inf
            recursion.advance(t, lower, c)
        return Boundaries(
            information_fractions=fractions,
            z=tuple(z),
            alpha_spent=tuple(spent),
            method=self.method,
            spending=self.spending,
            alpha=self.alpha,
            sided=self.sided,
        )

    def _crossing(self, recursion: Recursion, t: float, c: float) -> float:
        below, above = recursion.exit_probabilities(t, -c if self.sided == 2 else -math.inf, c)
        return below + above

    def _critical_value(self, recursion: Recursion, t: float, increment: float, *, first: bool) -> float:
        if increment <= 0:
            return math.inf
        if first:
            c = float(ndtri(1.0 - increment / self.sided))
            return c if c <= NO_SPEND_Z else math.inf
        if self._crossing(recursion, t, NO_SPEND_Z) >= increment:
            return math.inf
        return float(
            brentq(
                lambda c: self._crossing(recursion, t, c) - increment,
                0.0,
                _SEARCH_UPPER,
                xtol=1e-12,
                rtol=1e-12,
            )
        )
