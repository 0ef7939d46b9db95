"""Which matched sets were decided by a tie: controls picked among controls at exactly equal distance.

Greedy matching has to choose when two available controls are exactly as far from a treated unit (discrete
covariates make this common). desist breaks them as R's MatchIt 4.7 does (``_nearest.py``), but an older
MatchIt, another package or the same data in another row order may break them differently, so the matched sets
- and the estimate - can differ although none is wrong. Counting the sets where a tie decided the
pick tells the user how much that choice could matter. Neither MatchIt nor any Python library reports this,
so the check is written here; it replays the greedy order after the fact instead of instrumenting the
matching loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from desist.evaluation._frame import as_columns
from desist.evaluation._sorting import stable_order

if TYPE_CHECKING:
    from desist.evaluation.matching import NearestNeighborMatcher


def _order(m: NearestNeighborMatcher, focal_idx: np.ndarray) -> np.ndarray:
    """The focal units in the order the matcher took them (as ``NearestNeighborMatcher.fit``)."""
    d = m.distance_
    order = m.order_
    if order == "data":
        return focal_idx
    if order == "random":
        return np.random.default_rng(m.random_state).permutation(focal_idx)
    key = -d[focal_idx] if order == "largest" else d[focal_idx]
    return focal_idx[np.argsort(key, kind="stable")]


def matched_sets_with_ties(m: NearestNeighborMatcher, data: Any) -> int | None:
    """Number of matched sets in which at least one control was picked while another control, still
    available at that moment (same exact stratum, not discarded, not yet used when matching without
    replacement), lay at the same distance (equal to 12 significant digits). None for a Mahalanobis distance
    (not computed).

    Vectorised: each pick's candidates at equal distance form one or two contiguous runs of the controls
    sorted by distance, so "is any of them still free?" is a maximum over each run (``np.maximum.reduceat``)
    of when each control was taken; only runs holding more than the pick's own controls are read.
    """
    d = np.asarray(m.distance_, dtype=float)
    if np.isnan(d).any() or m.match_matrix_ is None or len(m.match_matrix_) == 0:
        return None
    t = np.asarray(m.treated_, dtype=bool)
    focal = t if m.estimand == "ATT" else ~t
    exact = list(m.exact or [])
    strata = None
    if exact:
        from desist.evaluation.matching import exact_strata

        strata = exact_strata(as_columns(data), exact)
    pool = ~focal & ~np.asarray(m.discarded_, dtype=bool)
    mm, rows = m.match_matrix_, m.match_treated_
    n, ratio = len(d), mm.shape[1]
    ranked = getattr(m, "match_order_", None)
    ranked = _order(m, np.flatnonzero(focal)) if ranked is None else ranked
    position = np.empty(n, dtype=np.int64)
    position[ranked] = np.arange(len(ranked))
    # the matched sets in the order they were matched: the distances of their picks then rise or fall
    # nearly steadily with the order (largest or smallest first), which the searches below are fast on
    by_order = np.full(len(ranked), -1, dtype=np.int64)
    by_order[position[rows]] = np.arange(len(rows))
    by_order = by_order[by_order >= 0]
    mm, rows = mm[by_order], rows[by_order]
    # when each control was taken, as one sortable number: round * n + position of its focal unit
    never = np.iinfo(np.int64).max
    taken = np.full(n, never, dtype=np.int64)
    for k in range(ratio):
        ok = mm[:, k] >= 0
        taken[mm[ok, k]] = k * n + position[rows[ok]]
    pick_r = np.repeat(np.arange(len(rows)), ratio)
    pick_k = np.tile(np.arange(ratio), len(rows))
    pick_c = mm.ravel()
    ok = pick_c >= 0
    pick_r, pick_k, pick_c = pick_r[ok], pick_k[ok], pick_c[ok]
    pick_i = rows[pick_r]
    delta = np.abs(d[pick_c] - d[pick_i])
    own_d = np.where(mm >= 0, np.abs(d[np.clip(mm, 0, None)] - d[rows][:, None]), np.nan)
    tied = np.zeros(len(rows), dtype=bool)
    srt = getattr(m, "distance_order_", None)
    srt = stable_order(d) if srt is None else srt  # R's order(d): every stratum's pool in sorted order
    kept = getattr(m, "_pool", None)  # the matcher's own controls in that order, and their distances
    for s in [0] if strata is None else np.unique(strata[rows]).tolist():
        if strata is None and kept is not None:
            units, sorted_d = kept
        else:
            units = srt[(pool if strata is None else pool & (strata == s))[srt]]
            sorted_d = d[units]
        here = np.arange(len(pick_i)) if strata is None else np.flatnonzero(strata[pick_i] == s)
        di, dl = d[pick_i[here]], delta[here]
        # own members at the same distance: picked by this unit too, so not an alternative it passed over
        same_own = (np.abs(own_d[pick_r[here]] - dl[:, None]) <= 1e-12 * (1 + dl[:, None])).sum(axis=1)
        width = np.zeros(len(here), dtype=np.int64)
        runs = []
        for side in (1.0, -1.0):
            target = di + side * dl
            lo, hi = _run(sorted_d, target)
            use = (hi > lo) & ((side > 0) | (dl > 0))  # at distance 0 both sides are the same run
            width += np.where(use, hi - lo, 0)
            runs.append((lo, hi, use))
        latest = np.full(len(here), -1, dtype=np.int64)
        if not m.replace:
            for lo, hi, use in runs:
                sel = np.flatnonzero(use & (width > same_own))  # only picks that had a candidate
                if not len(sel):
                    continue
                # the runs' members one after another (few: most picks have no other control that near)
                lens = hi[sel] - lo[sel]
                starts = np.cumsum(lens) - lens
                members = np.repeat(lo[sel] - starts, lens) + np.arange(int(lens.sum()))
                latest[sel] = np.maximum(latest[sel], np.maximum.reduceat(taken[units[members]], starts))
        if m.replace:  # every control at that distance was available
            hit = width > same_own
        else:
            # free at the time of the pick: taken later (or never). A later own pick is not a free
            # alternative; when it is the latest-taken in the run the simple test cannot tell, so such
            # picks are checked one by one below.
            now = pick_k[here] * n + position[pick_i[here]]
            hit = (width > same_own) & (latest > now)
            own_later = hit & (same_own > 1)
            for j in np.flatnonzero(own_later):
                own = mm[pick_r[here[j]]]
                hit[j] = _free_other(own[own >= 0], di[j], dl[j], now[j], units, sorted_d, taken)
        tied[pick_r[here[hit]]] = True
    return int(tied.sum())


def _run(sorted_d: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the values equal to ``target`` (to 12 significant digits) start and end in ``sorted_d``.

    The targets are looked up in ascending order (target - tol and target + tol rise with target): each
    search then starts where the last ended, which for a million picks among ten million controls is several
    times faster than looking them up in pick order.
    """
    tol = 1e-12 * (1.0 + np.abs(target))
    lo, hi = np.empty(len(target), dtype=np.int64), np.empty(len(target), dtype=np.int64)
    order = np.argsort(target, kind="stable")  # merges runs: fast when the targets nearly rise or fall
    lo[order] = np.searchsorted(sorted_d, (target - tol)[order], side="left")
    hi[order] = np.searchsorted(sorted_d, (target + tol)[order], side="right")
    return lo, hi


def _free_other(
    own: np.ndarray,
    d_i: float,
    delta: float,
    now: int,
    units: np.ndarray,
    sorted_d: np.ndarray,
    taken: np.ndarray,
) -> bool:
    """The exact check for one pick: a control at the same distance, not in this set, still free."""
    same = np.abs(np.abs(sorted_d - d_i) - delta) <= 1e-12 * (1.0 + delta)
    others = units[same]
    free = (taken[others] > now) & ~np.isin(others, own)
    return bool(free.any())
