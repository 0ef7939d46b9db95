"""How numbers are written for people: one set of rules for the HTML report, the terminal and the CLI tables.

The rules (the Justice Data Lab's and the GOV.UK style guide's habits):

* counts with thousands separators: ``13,219``;
* rates as "per 100 men" and percentages with one decimal below 10 and none from 10 up (``9.3``, ``17``);
* ratios (hazard, risk, odds) to 2 decimals, or 3 significant figures when below 0.1;
* p-values to 2 significant figures, ``< 0.001`` below 0.001 (never ``0`` or ``2.8e-17``);
* a 95% interval as ``1.01 to 1.43`` (never a bracketed pair of code-like floats).

Example
-------
>>> p_value(2.776e-17), count(13219), ratio_ci(1.233, (0.8395, 1.812))
('< 0.001', '13,219', '1.23 (95% CI 0.84 to 1.81)')
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Concatenate, ParamSpec

P = ParamSpec("P")

#: printed where a number is missing (not computed, or not applicable)
MISSING = "–"


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _or_missing(write: Callable[Concatenate[float, P], str]) -> Callable[Concatenate[float | None, P], str]:
    """``write`` for a number, :data:`MISSING` for None or NaN: the rule every writer below shares."""

    @functools.wraps(write)
    def written(x: float | None, /, *args: P.args, **kwargs: P.kwargs) -> str:
        if _missing(x):
            return MISSING
        assert x is not None
        return write(x, *args, **kwargs)

    return written


@_or_missing
def count(n: float) -> str:
    """A whole number with thousands separators: ``count(13219) == '13,219'``."""
    return f"{round(n):,}"


@_or_missing
def per_100(rate: float) -> str:
    """A proportion (0-1) as a number per 100: whole numbers from 10 up, one decimal below 10."""
    x = 100 * rate
    return f"{x:.0f}" if abs(x) >= 9.95 else f"{x:.1f}"


def percent(rate: float | None) -> str:
    """A proportion (0-1) as a percentage: ``percent(0.0552) == '5.5%'``."""
    value = per_100(rate)
    return value if value == MISSING else f"{value}%"


@_or_missing
def signed_per_100(diff: float) -> str:
    """A difference in proportions as a signed number per 100, one decimal: ``+5.3``, ``-3.4``."""
    x = 100 * diff
    if abs(x) < 0.05:
        return "0.0"
    return f"{x:+.1f}".replace("-", "−")


@_or_missing
def ratio(x: float) -> str:
    """A hazard, risk or odds ratio: 2 decimals, or 2 significant figures when it is small."""
    if math.isinf(x):
        return "∞"
    if abs(x) < 0.1:
        return f"{x:.2g}"
    return f"{x:.2f}"


def ci(interval: Sequence[float | None] | None, fmt: str = "ratio") -> str:
    """A 95% interval in words: ``ci((0.84, 1.81)) == '0.84 to 1.81'``."""
    if interval is None or len(interval) != 2 or any(_missing(v) for v in interval):
        return MISSING
    lo, hi = interval
    f = {"ratio": ratio, "per_100": signed_per_100, "number": number}[fmt]
    return f"{f(lo)} to {f(hi)}"


def ratio_ci(estimate: float | None, interval: Sequence[float | None] | None) -> str:
    """``'1.23 (95% CI 0.84 to 1.81)'``."""
    return f"{ratio(estimate)} (95% CI {ci(interval)})"


@_or_missing
def p_value(p: float) -> str:
    """A p-value to 2 significant figures; ``< 0.001`` below 0.001."""
    if p < 0.001:
        return "< 0.001"
    if p >= 0.995:
        return "1.00"
    return f"{p:.2g}" if p < 0.01 else f"{p:.2f}"


@_or_missing
def number(x: float, digits: int = 3) -> str:
    """Any other statistic to ``digits`` significant figures, with thousands separators when large."""
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if abs(x) >= 10**digits:
        return f"{x:,.0f}"
    text = f"{x:.{digits}g}"
    if "e" in text:  # tiny numbers: positional with the same significant figures, never e-notation
        decimals = digits - 1 - math.floor(math.log10(abs(x)))
        return f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return text


@_or_missing
def smd(x: float) -> str:
    """A standardised mean difference, 2 decimals with its sign."""
    if abs(x) < 0.005:  # "−0.00" would suggest a sign the number does not have
        return "0.00"
    return f"{x:+.2f}".replace("-", "−")


@_or_missing
def years(days: float) -> str:
    """A duration in days, as years to one decimal."""
    return f"{days / 365.25:.1f}"
