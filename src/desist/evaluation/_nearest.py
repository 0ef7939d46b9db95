"""Greedy nearest-neighbour matching cores that reproduce MatchIt 4.5's ``nn_matchC_vec`` / ``nn_matchC``.

MatchIt's rule on a one-dimensional distance: sort every unit by distance (stable, so ties keep data order);
for match number r = 1..ratio, for each treated unit in the matching order, take the nearest still-available
control on its left and on its right in that sorted list; a side whose nearest available control lies outside
the caliper is empty; the nearer one is taken. Without replacement a control is then removed.

Ties (controls exactly as far away, common when covariates are discrete) go to the control first in data
order, as MatchIt's general matcher ``nn_matchC`` decides them (``which.min`` over controls in data order).
MatchIt's vectorised ``nn_matchC_vec`` prefers the left neighbour instead; in 4.5.1-4.5.3 it also truncated
distances to integers (MatchIt issue #163), which is why the reference fixtures use ``nn_matchC``.

MatchIt walks the sorted list one unit at a time, which is quadratic when many controls are used up. We keep
the same decisions but find "nearest available on the left/right" with two union-find "next available"
structures over the sorted controls (path halving), so each search is near O(1) amortised and the whole
match is O(n log n) for the sort. No library provides a deletable nearest-neighbour search with MatchIt's
exact tie rule, which is why this is hand-written.
"""

from __future__ import annotations

import numpy as np


def sorted_controls(
    distance: np.ndarray, treated: np.ndarray, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sort units once; return eligible controls in sorted order and each unit's insertion point among them.

    ``insert[i]`` is the number of eligible controls that precede unit ``i`` in the stable sort of all units
    by distance, so the nearest control on the left of a treated unit is at ``insert - 1`` and on the right at
    ``insert`` (MatchIt's positions, ties included).
    """
    order = np.argsort(distance, kind="stable")
    is_ctrl = (~treated) & eligible
    ctrl_in_order = is_ctrl[order]
    controls = order[ctrl_in_order]
    before = (
        np.cumsum(ctrl_in_order) - ctrl_in_order
    )  # eligible controls strictly before each sorted position
    insert = np.empty(len(distance), dtype=np.int64)
    insert[order] = before
    return controls, insert


def block_starts(sorted_values: np.ndarray) -> np.ndarray:
    """For each position of a sorted array, the first position holding the same value."""
    n = len(sorted_values)
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_values[1:] != sorted_values[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))


def _first_free(right: list[int], j: int) -> int:
    """Smallest available sorted position >= j (union-find with path halving)."""
    while right[j] != j:
        right[j] = right[right[j]]
        j = right[j]
    return j


def match_1d_without_replacement(
    distance: np.ndarray,
    treated: np.ndarray,
    eligible: np.ndarray,
    order: np.ndarray,
    ratio: int,
    caliper: float | None,
) -> np.ndarray:
    """Greedy matching without replacement on a scalar distance.

    Parameters
    ----------
    distance : (n,) float
    treated : (n,) bool
    eligible : (n,) bool
        False for discarded units (discarded treated are skipped, discarded controls never used).
    order : (n1,) int
        Positional indices (into the full data) of treated units in matching order.
    ratio : int
    caliper : float or None
        Absolute caliper on the distance (already multiplied by the SD when standardised).

    Returns
    -------
    (len(order), ratio) int array of positional indices of matched controls (-1: none), rows as ``order``.
    """
    controls, insert = sorted_controls(distance, treated, eligible)
    n0 = len(controls)
    mm = np.full((len(order), ratio), -1, dtype=np.int64)
    if n0 == 0:
        return mm
    cd = distance[controls].tolist()
    ci = controls  # numpy, not lists: read once per match (ties only for ci), so memory matters more
    bs = block_starts(distance[controls])
    # right[j]: smallest available sorted position >= j (n0: none)
    # left[j]: 1 + largest available sorted position < j (0: none)
    right = list(range(n0 + 1))
    left = list(range(n0 + 1))
    rows = np.flatnonzero(eligible[order]).tolist()
    d_all = distance[order].tolist()
    p_all = insert[order].tolist()
    cal = float(caliper) if caliper is not None else None
    remaining = n0
    mm_list = [[-1] * ratio for _ in range(len(order))]
    for r in range(ratio):
        for i in rows:
            p = p_all[i]
            d = d_all[i]
            # find right
            x = p
            while right[x] != x:
                right[x] = right[right[x]]
                x = right[x]
            b = x
            x = p
            while left[x] != x:
                left[x] = left[left[x]]
                x = left[x]
            a = x - 1
            da = abs(d - cd[a]) if a >= 0 else None
            db = abs(d - cd[b]) if b < n0 else None
            if cal is not None:
                if da is not None and da > cal:
                    da = None
                if db is not None and db > cal:
                    db = None
            if da is None and db is None:
                continue
            # equally near controls share a block of equal distance; take the first still available in it
            if da is not None and (db is None or da < db):
                k = _first_free(right, int(bs[a]))
            elif da is None or db < da:
                k = _first_free(right, int(bs[b]))
            else:
                ka, kb = _first_free(right, int(bs[a])), _first_free(right, int(bs[b]))
                k = ka if ci[ka] <= ci[kb] else kb
            mm_list[i][r] = k
            right[k] = k + 1
            left[k + 1] = k
            remaining -= 1
            if remaining == 0:
                break
        if remaining == 0:
            break
    out = np.asarray(mm_list, dtype=np.int64).reshape(len(order), ratio)
    hit = out >= 0
    mm[hit] = controls[out[hit]]
    return mm


def match_1d_with_replacement(
    distance: np.ndarray,
    treated: np.ndarray,
    eligible: np.ndarray,
    order: np.ndarray,
    ratio: int,
    caliper: float | None,
) -> np.ndarray:
    """Nearest ``ratio`` controls for each treated unit, controls reusable.

    Without deletions each treated unit is independent: its ``ratio`` nearest controls lie within ``ratio``
    sorted positions on either side (widened to whole blocks of equal distance so ties can go to the control
    first in data order), so only that window is examined.
    """
    controls, insert = sorted_controls(distance, treated, eligible)
    n0 = len(controls)
    mm = np.full((len(order), ratio), -1, dtype=np.int64)
    if n0 == 0:
        return mm
    cd = distance[controls]
    bs = block_starts(cd)
    be = n0 - 1 - block_starts(cd[::-1])[::-1]  # last position of each block
    cal = np.inf if caliper is None else float(caliper)
    for i, u in enumerate(order.tolist()):
        if not eligible[u]:
            continue
        p = int(insert[u])
        lo = int(bs[max(p - ratio, 0)]) if p > 0 else 0
        hi = int(be[min(p + ratio - 1, n0 - 1)]) + 1 if p < n0 else n0
        cand = np.arange(lo, hi)
        diff = np.abs(distance[u] - cd[cand])
        keep = diff <= cal
        cand, diff = cand[keep], diff[keep]
        best = np.lexsort((controls[cand], diff))[:ratio]
        mm[i, : len(best)] = controls[cand[best]]
    return mm


def match_matrix_distance(
    X: np.ndarray,
    treated: np.ndarray,
    eligible: np.ndarray,
    order: np.ndarray,
    ratio: int,
    replace: bool,
) -> np.ndarray:
    """Greedy matching on a multivariate (Mahalanobis-transformed) space, as MatchIt's ``nn_matchC``.

    ``X`` is already transformed so that Euclidean distance is the Mahalanobis distance. Each search is
    O(n0 * p); this path is for data sets of moderate size. Ties (to a relative 1e-12) go to the control first
    in data order, as MatchIt's ``which.min``.
    """
    ctrl = np.flatnonzero((~treated) & eligible)
    mm = np.full((len(order), ratio), -1, dtype=np.int64)
    if len(ctrl) == 0:
        return mm
    Xc = X[ctrl]
    if replace:
        for i, u in enumerate(order):
            if not eligible[u]:
                continue
            dist = np.sqrt(((Xc - X[u]) ** 2).sum(axis=1))
            k = min(ratio, len(ctrl))
            nearest = np.argsort(dist, kind="stable")[:k]
            mm[i, :k] = ctrl[nearest]
        return mm
    available = np.ones(len(ctrl), dtype=bool)
    for r in range(ratio):
        for i, u in enumerate(order):
            if not eligible[u]:
                continue
            if not available.any():
                return mm
            idx = np.flatnonzero(available)
            dist = np.sqrt(((Xc[idx] - X[u]) ** 2).sum(axis=1))
            # rounding differs between implementations, so distances equal to 1e-12 count as ties (data order)
            j = idx[int(np.argmax(dist <= dist.min() * (1 + 1e-12) + 1e-300))]
            mm[i, r] = ctrl[j]
            available[j] = False
    return mm
