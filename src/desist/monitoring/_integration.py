"""Recursive numerical integration for group-sequential boundaries (Armitage, McPherson and Rowe, 1969).

Hand-written because no maintained Python library computes alpha-spending boundaries: the densities of the
standardised statistic Z_k on the continuation region are carried from look to look on Jennison and Turnbull's
grid (Group Sequential Methods, 2000, chapter 19: ``6r - 1`` points around the mean with ``r = 32``, thinned
to the continuation region, midpoints added, Simpson's rule). scipy supplies the normal integrals.

Information is in units of the planned maximum (``t_k``); with drift ``delta`` the score
``S_k = Z_k sqrt(t_k)`` is Brownian motion with mean ``delta t_k`` (``delta = theta sqrt(I_max)``; 0 under
the null hypothesis).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

Array = NDArray[np.float64]

GRID_R = 32


def grid(mean: float, lower: float, upper: float, r: int = GRID_R) -> tuple[Array, Array]:
    """Jennison and Turnbull's grid for Z on (lower, upper) around ``mean``, with Simpson weights."""
    i = np.arange(1, 6 * r, dtype=np.float64)
    x = np.empty_like(i)
    left = i < r
    mid = (i >= r) & (i <= 5 * r)
    right = i > 5 * r
    x[left] = mean - 3.0 - 4.0 * np.log(r / i[left])
    x[mid] = mean - 3.0 + 3.0 * (i[mid] - r) / (2.0 * r)
    x[right] = mean + 3.0 + 4.0 * np.log(r / (6.0 * r - i[right]))
    # Thin to the continuation region: points outside are moved onto its ends and duplicates dropped.
    x = np.unique(np.clip(x, lower, upper))
    if x.size == 1:  # an empty region (lower == upper) carries no probability
        return x, np.zeros(1)
    points = np.empty(2 * x.size - 1)
    points[0::2] = x
    points[1::2] = (x[:-1] + x[1:]) / 2.0
    weights = np.zeros_like(points)
    widths = np.diff(x)
    weights[0::2][:-1] += widths / 6.0
    weights[0::2][1:] += widths / 6.0
    weights[1::2] = 4.0 * widths / 6.0
    return points, weights


class Recursion:
    """The sub-density of Z at the latest look on the continuation region, advanced one look at a time."""

    def __init__(self, delta: float = 0.0) -> None:
        self.delta = delta
        self.t_prev = 0.0
        self.points: Array | None = None  # grid of z at the previous look
        self.mass: Array | None = None  # weights * sub-density there

    def _moments(self, t: float) -> tuple[Array, float]:
        """Mean of S_t given each previous grid point, and the sd of the increment."""
        step = t - self.t_prev
        if self.points is None:
            return np.full(1, self.delta * step), math.sqrt(step)
        return self.points * math.sqrt(self.t_prev) + self.delta * step, math.sqrt(step)

    def exit_probabilities(self, t: float, lower: float, upper: float) -> tuple[float, float]:
        """P(still continuing before this look and Z_t <= lower), P(... and Z_t >= upper)."""
        centres, sd = self._moments(t)
        root = math.sqrt(t)
        below = ndtr((lower * root - centres) / sd) if math.isfinite(lower) else np.zeros_like(centres)
        above = ndtr((centres - upper * root) / sd) if math.isfinite(upper) else np.zeros_like(centres)
        mass = self.mass if self.mass is not None else np.ones(1)
        return float(mass @ below), float(mass @ above)

    def advance(self, t: float, lower: float, upper: float) -> None:
        """Move to the look at fraction ``t`` with continuation region (lower, upper)."""
        root = math.sqrt(t)
        mean = self.delta * root
        points, weights = grid(mean, lower, upper)
        if self.points is None or self.mass is None:
            density = np.exp(-0.5 * (points - mean) ** 2) / math.sqrt(2.0 * math.pi)
        else:
            centres, sd = self._moments(t)
            # density of Z_t at each new point: sum over old points of old mass * N(z root; centre, sd) * root
            u = (points[:, None] * root - centres[None, :]) / sd
            kernel = np.exp(-0.5 * u * u) * (root / (sd * math.sqrt(2.0 * math.pi)))
            density = kernel @ self.mass
        self.points = points
        self.mass = weights * density
        self.t_prev = t
