"""Greedy nearest-neighbour matching cores that reproduce MatchIt 4.7.2's ``nn_matchC_vec`` (src/internal.cpp,
``find_control_vec``), ties and covariate calipers included.

MatchIt's rule on a one-dimensional distance: sort every unit by distance (R's ``order``: stable, so equal
distances keep data order); for each treated unit, in the matching order, walk outwards from its place in the
sorted list, one step to the left, one to the right, and so on, skipping units that are not available controls
of its exact-matching stratum or that break a covariate caliper; a side stops at its first acceptable control
or when the distance caliper is exceeded. The nearer of the two controls found is taken. Without replacement
this is repeated ``ratio`` times (every treated unit gets its first control before anyone gets a second), each
round walking on from the controls the unit already has, and a control once taken is gone.

Ties (two controls exactly as far away, common when covariates are discrete) go to the control the walk met
first: the left one when it is at most as many places from the walk's left start as the right one is from its
right start (positions counted among all units, treated and other strata included), else the right one -- the
first pushed of two equal distances survives MatchIt's ``std::partial_sort``. MatchIt 4.5's general matcher
``nn_matchC`` gave ties to the control first in data order instead, which is what desist did before.
With replacement MatchIt collects up to ``ratio`` candidates on each side and keeps the ``ratio`` nearest with
libstdc++'s ``std::partial_sort`` (a heap); :func:`_partial_sort` replays that heap so ties fall the same way.

MatchIt walks the sorted list one unit at a time, which is quadratic when many controls are used up. Without
replacement we keep the same decisions but find "nearest available on the left/right" with two union-find
"next available" structures over the sorted controls (path halving), so each search is near O(1) amortised
and the whole match is O(n log n) for the sort. No library provides a deletable nearest-neighbour search with
MatchIt's exact tie rule, which is why this is hand-written. The walk is one loop run by the interpreter on
small data and compiled by numba on large data (:mod:`desist.evaluation._jit`): ten million controls took a
minute in the interpreter.
"""

from __future__ import annotations

import gc
from array import array
from typing import Any, NamedTuple

import numpy as np

from desist.evaluation._jit import compiled as jit
from desist.evaluation._jit import use_compiled
from desist.evaluation._sorting import stable_order, stable_sort


def sorted_controls(
    distance: np.ndarray, treated: np.ndarray, eligible: np.ndarray, order: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort units once; return eligible controls in sorted order and each unit's insertion point among them.

    ``insert[i]`` is the number of eligible controls that precede unit ``i`` in the stable sort of all units
    by distance, so the nearest control on the left of a treated unit is at ``insert - 1`` and on the right at
    ``insert`` (MatchIt's positions, ties included). The third array is the sort order itself (``order``
    when given: the stable sort already made by the caller).
    """
    if order is None:
        order = stable_order(distance)
    itype = order.dtype
    ctrl_in_order = ((~treated) & eligible)[order]
    controls = order[ctrl_in_order]
    before = np.cumsum(ctrl_in_order, dtype=itype)
    before -= ctrl_in_order  # eligible controls strictly before each sorted position (in place)
    insert = np.empty(len(distance), dtype=itype)
    insert[order] = before
    return controls, insert, order


class Pool(NamedTuple):
    """The eligible controls in R's order of the distance, and where every other unit sits among them."""

    controls: np.ndarray  # eligible controls, sorted (stable) by distance
    distances: np.ndarray  # their distances, float64
    places: np.ndarray  # their places in the sort of all units
    insert: np.ndarray  # (n,) eligible controls before each unit in that sort (read for non-controls only)
    positions: np.ndarray  # (n,) each unit's place in that sort (read for non-controls only)


def sorted_pool(
    distance: np.ndarray,
    treated: np.ndarray,
    eligible: np.ndarray,
    order: np.ndarray | None = None,
    compiled: bool | None = None,
    sorted_distance: np.ndarray | None = None,
) -> Pool:
    """The :class:`Pool` of the eligible controls (see :func:`sorted_controls`), from R's ``order``
    (and ``sorted_distance``, the distances in that order, when the caller has them).

    For large data one compiled pass over the sorted units fills everything: the numpy version scatters
    ten million positions twice and gathers their distances, in random order.
    """
    if order is None:
        order, sorted_distance = stable_sort(distance)
    if compiled if compiled is not None else use_compiled(len(distance)):
        sorted_distance = distance[order] if sorted_distance is None else sorted_distance
        n = len(distance)
        is_ctrl = (~treated) & eligible
        n0 = int(np.count_nonzero(is_ctrl))
        # one bit a unit (1.4 MB for 11 million): the pass reads it in random order, and so it stays in cache
        is_ctrl = np.packbits(is_ctrl, bitorder="little")
        itype = order.dtype
        pool = Pool(
            np.empty(n0, itype), np.empty(n0), np.empty(n0, itype), np.empty(n, itype), np.empty(n, itype)
        )
        jit(_fill_pool)(order, is_ctrl, np.ascontiguousarray(sorted_distance, dtype=np.float64), *pool)
        return pool
    controls, insert, _ = sorted_controls(distance, treated, eligible, order)
    positions = sorted_positions(distance, order)
    return Pool(
        controls, np.ascontiguousarray(distance[controls], dtype=np.float64), positions[controls], insert,
        positions,
    )  # fmt: skip


def _fill_pool(
    order: np.ndarray,
    is_ctrl: np.ndarray,
    sorted_distance: np.ndarray,
    controls: np.ndarray,
    distances: np.ndarray,
    places: np.ndarray,
    insert: np.ndarray,
    positions: np.ndarray,
) -> None:
    """:func:`sorted_pool`'s compiled pass: walk the sorted units once, recording each control as met and,
    for every other unit, its place and the number of controls met before it. ``is_ctrl`` is packed, a bit a
    unit (least significant first)."""
    c = 0
    for j in range(len(order)):
        u = order[j]
        if (is_ctrl[u >> 3] >> (u & 7)) & 1:
            controls[c] = u
            distances[c] = sorted_distance[j]
            places[c] = j
            c += 1
        else:
            insert[u] = c
            positions[u] = j


def sorted_positions(distance: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Each unit's place in R's ``order(distance)`` (stable), the positions MatchIt's walk counts."""
    if order is None:
        order = stable_order(distance)
    pos = np.empty(len(distance), dtype=order.dtype)
    pos[order] = np.arange(len(distance), dtype=order.dtype)
    return pos


def _covariates_ok(cov: list[list[float]] | None, cal: list[float], t: int, c: int) -> bool:
    """MatchIt's ``caliper_covs_okay2``: every covariate within its (absolute) caliper."""
    if cov is None:
        return True
    xt, xc = cov[t], cov[c]
    return all(abs(a - b) <= w for a, b, w in zip(xt, xc, cal, strict=True))


_INF = float("inf")


def _walk(
    p_all: Any,
    d_all: Any,
    cd: Any,
    cpos: Any,
    lo: Any,
    hi: Any,
    left: Any,
    right: Any,
    rows: Any,
    nrows: int,
    ratio: int,
    cal: float,
    units: Any,
    ci: Any,
    cov: Any,
    ncov: int,
    ccal: Any,
    got: Any,
) -> None:
    """The greedy walk of :func:`match_1d_without_replacement`; fills ``got`` (sorted control positions).

    One source for two runs: the interpreter runs it on ``array.array`` arguments (small data), numba compiles
    it for numpy arguments (large data, see :mod:`desist.evaluation._jit`); both read the same IEEE doubles
    and integers, so they make the same decisions. ``inf`` stands for "no control on this side"; ``cal`` is
    ``inf`` without a caliper. ``cov`` is the covariate matrix flattened by rows (``ncov`` columns, 0: no
    covariate calipers).
    """
    inf = _INF
    n0 = len(cd)
    remaining = n0
    sides = ((left, 1), (right, 0))  # (parent, offset): the left walk stops 1 below its root, the right at it
    for r in range(ratio):
        if r:  # unmatched in round 1: out (MatchIt)
            kept = 0
            for j in range(nrows):
                if got[rows[j] * ratio] >= 0:
                    rows[kept] = rows[j]
                    kept += 1
            nrows = kept
        for j in range(nrows):
            i = rows[j]
            p = p_all[i]
            d = d_all[i]
            # nearest available control on the left (a) and on the right (b): union-find, path halving; a
            # control breaking a covariate caliper is passed over and the walk goes on (MatchIt's walk)
            u = units[i] if ncov else 0
            for parent, off in sides:
                x = p
                while True:
                    while parent[x] != x:
                        parent[x] = parent[parent[x]]
                        x = parent[x]
                    k = x - off
                    dk = abs(d - cd[k]) if 0 <= k < n0 else inf
                    if dk > cal:
                        dk = inf
                    if dk == inf or not ncov:
                        break
                    c = ci[k]
                    ok = True
                    for m in range(ncov):
                        if not abs(cov[u * ncov + m] - cov[c * ncov + m]) <= ccal[m]:
                            ok = False
                            break
                    if ok:
                        break
                    x = k + 1 - off
                if off:
                    a, da = k, dk
                else:
                    b, db = k, dk
            if da == inf and db == inf:
                continue
            if da < db:
                k = a
            elif db < da:
                k = b
            else:  # equally near: the one MatchIt's alternating walk meets first
                k = a if lo[i] - cpos[a] <= cpos[b] - hi[i] else b
            got[i * ratio + r] = k
            if ratio > 1:  # later rounds walk on from this match
                pk = cpos[k]
                if pk < lo[i]:
                    lo[i] = pk
                if pk > hi[i]:
                    hi[i] = pk
            right[k] = k + 1
            left[k + 1] = k
            remaining -= 1
            if remaining == 0:
                return


def _typed(values: np.ndarray) -> array[Any]:
    """A numpy array as a typed array (float64 as ``d``, integers as ``q``) for the interpreted walk."""
    if values.dtype.kind == "f":
        return array("d", values.astype(np.float64).tobytes())
    return array("q", values.astype(np.int64).tobytes())


def match_1d_without_replacement(
    distance: np.ndarray,
    treated: np.ndarray,
    eligible: np.ndarray,
    order: np.ndarray,
    ratio: int,
    caliper: float | None,
    positions: np.ndarray | None = None,
    covariates: np.ndarray | None = None,
    covariate_calipers: np.ndarray | None = None,
    compiled: bool | None = None,
    sort_order: np.ndarray | None = None,
    pool: Pool | None = None,
) -> np.ndarray:
    """Greedy matching without replacement on a scalar distance.

    Parameters
    ----------
    distance : (n,) float
    treated : (n,) bool
    eligible : (n,) bool
        False for discarded units (discarded treated are skipped, discarded controls never used).
    order : (n1,) int
        Positional indices (into these n units) of treated units in matching order.
    ratio : int
    caliper : float or None
        Absolute caliper on the distance (already multiplied by the SD when standardised).
    positions : (n,) int, optional
        The units' places in the sort of the whole data (when these n units are one exact-matching stratum);
        they decide ties. Default: their places among themselves.
    covariates, covariate_calipers : (n, m) float and (m,) float, optional
        Covariate calipers: a control is acceptable only if every covariate is within its absolute caliper.
    compiled : bool, optional
        Run the walk compiled by numba (True) or in the interpreter (False); default: compiled for large data
        (:data:`desist.evaluation._jit.COMPILED_FROM` units). Both give the same matches. Why numba: the walk
        is a sequence of dependent decisions (each match removes a control the next walk may need), so it
        cannot be written as whole-array numpy operations, and no library offers a deletable
        nearest-neighbour search with MatchIt's order and tie rules.
    sort_order : (n,) int, optional
        ``stable_order(distance)`` when the caller already has it.
    pool : optional
        :func:`sorted_pool` of these arguments when the caller already has it.

    Returns
    -------
    (len(order), ratio) int array of positional indices of matched controls (-1: none), rows as ``order``.
    """
    n = len(distance)
    if compiled is None:
        compiled = use_compiled(n)
    if pool is None:
        pool = sorted_pool(distance, treated, eligible, sort_order, compiled)
    controls = pool.controls
    n0 = len(controls)
    mm = np.full((len(order), ratio), -1, dtype=np.int64)
    if n0 == 0:
        return mm
    itype = pool.insert.dtype  # int32 up to two thousand million units: half the memory of int64 for the walk
    if positions is None:  # places in the sort of these units
        start, cpos = pool.positions[order], pool.places
    else:  # places in the sort of the whole data (an exact-matching stratum)
        whole = np.asarray(positions)
        start, cpos = whole[order].astype(itype), whole[controls].astype(itype)
    rows = np.flatnonzero(eligible[order]).astype(itype)
    ncov = 0 if covariates is None else int(np.shape(covariates)[1])
    args = {
        "p_all": pool.insert[order],
        "d_all": np.ascontiguousarray(distance[order], dtype=np.float64),
        "cd": pool.distances,
        "cpos": cpos,
        # where each treated unit's walk starts on the left and on the right (MatchIt walks on from its
        # matches)
        "lo": start,
        "hi": start.copy(),
        # right[j]: smallest available sorted position >= j (n0: none)
        # left[j]: 1 + largest available sorted position < j (0: none)
        "left": np.arange(n0 + 1, dtype=itype),
        "right": np.arange(n0 + 1, dtype=itype),
        "rows": rows,
        "units": order.astype(itype) if ncov else np.zeros(0, dtype=itype),
        "ci": controls.astype(itype) if ncov else np.zeros(0, dtype=itype),
        "cov": np.ascontiguousarray(covariates, dtype=np.float64).ravel() if ncov else np.zeros(0),
        "ccal": np.asarray(covariate_calipers, dtype=np.float64) if ncov else np.zeros(0),
        # the sorted position of the control each treated unit gets in round r, row-major (-1: none)
        "got": np.full(len(order) * ratio, -1, dtype=itype),
    }
    del start, cpos, pool
    cal = float(caliper) if caliper is not None else float("inf")
    if compiled:
        jit(_walk)(nrows=len(rows), ratio=ratio, cal=cal, ncov=ncov, **args)
        got = args["got"]
    else:
        # typed arrays (array.array): indexing them in the interpreter costs a third of indexing numpy
        # arrays and returns the same Python numbers, so every decision is unchanged
        typed = {k: _typed(v) for k, v in args.items()}
        paused = gc.isenabled()
        gc.disable()  # nothing cyclic is made here; the collector would only rescan the arrays' neighbours
        try:
            _walk(nrows=len(rows), ratio=ratio, cal=cal, ncov=ncov, **typed)
        finally:
            if paused:
                gc.enable()
        got = np.frombuffer(typed["got"], dtype=np.int64)
    out = got.reshape(len(order), ratio)
    hit = out >= 0
    mm[hit] = controls[out[hit]]
    return mm


def _sift(v: list[int], key: list[float], hole: int, length: int, value: int, top: int = 0) -> None:
    """libstdc++'s ``__adjust_heap`` followed by ``__push_heap`` (max-heap on ``key``)."""
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if key[v[child]] < key[v[child - 1]]:
            child -= 1
        v[hole] = v[child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        v[hole] = v[child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and key[v[parent]] < key[value]:
        v[hole] = v[parent]
        hole = parent
        parent = (hole - 1) // 2
    v[hole] = value


def _partial_sort(key: list[float], k: int) -> list[int]:
    """Indices of the ``k`` smallest keys in the order libstdc++'s ``std::partial_sort`` leaves them.

    Among equal keys the C++ standard leaves the order unspecified; MatchIt's results depend on what GCC's
    implementation does (heap select, then sort_heap), so it is replayed step for step.
    """
    v = list(range(len(key)))
    if k > 1:  # make_heap on the first k
        parent = (k - 2) // 2
        while True:
            _sift(v, key, parent, k, v[parent], parent)
            if parent == 0:
                break
            parent -= 1
    for i in range(k, len(v)):  # heap select: a strictly smaller key replaces the heap's top
        if key[v[i]] < key[v[0]]:
            value = v[i]
            v[i] = v[0]
            _sift(v, key, 0, k, value)
    last = k
    while last > 1:  # sort_heap
        last -= 1
        value = v[last]
        v[last] = v[0]
        _sift(v, key, 0, last, value)
    return v[:k]


def _sort_small(key: list[float]) -> list[int]:
    """libstdc++'s ``std::sort`` on at most 16 elements: insertion sort, so equal keys keep their order."""
    return sorted(range(len(key)), key=lambda j: key[j])


def match_1d_with_replacement(
    distance: np.ndarray,
    treated: np.ndarray,
    eligible: np.ndarray,
    order: np.ndarray,
    ratio: int,
    caliper: float | None,
    strata: np.ndarray | None = None,
    covariates: np.ndarray | None = None,
    covariate_calipers: np.ndarray | None = None,
) -> np.ndarray:
    """The ``ratio`` nearest acceptable controls for each treated unit, controls reusable (MatchIt 4.7.2).

    Walks outwards from each treated unit as MatchIt does, alternating sides, collecting up to ``ratio``
    acceptable controls on each side (a side stops early once ``ratio`` nearer controls are in hand), then
    keeps the ``ratio`` nearest as libstdc++'s ``std::partial_sort`` does. ``strata`` (exact matching) and the
    covariate calipers are checked during the walk, over the whole sorted data, as MatchIt does.
    """
    n = len(distance)
    mm = np.full((len(order), ratio), -1, dtype=np.int64)
    srt = np.argsort(distance, kind="stable")
    pos = np.empty(n, dtype=np.int64)
    pos[srt] = np.arange(n)
    ds = distance[srt].tolist()
    ok = ((~treated) & eligible)[srt].tolist()
    unit = srt.tolist()
    st = None if strata is None else np.asarray(strata)[srt].tolist()
    cov = None if covariates is None else np.asarray(covariates, dtype=float).tolist()
    ccal = [] if covariate_calipers is None else [float(c) for c in covariate_calipers]
    cal = float(caliper) if caliper is not None else float(np.ptp(distance)) + 1.0
    for row, u in enumerate(order.tolist()):
        if not eligible[u]:
            continue
        ii = int(pos[u])
        dt = float(distance[u])
        s_u = None if st is None else st[ii]
        iil = iir = ii
        l_stop = r_stop = left = False
        nl = nr = 0
        found: list[int] = []
        fdist: list[float] = []
        while not (l_stop and r_stop):
            left = False if l_stop else True if r_stop else not left
            if left:
                if iil <= 0 or nl == ratio:
                    l_stop = True
                    continue
                iil -= 1
                z = iil
            else:
                if iir >= n - 1 or nr == ratio:
                    r_stop = True
                    continue
                iir += 1
                z = iir
            if not ok[z]:
                continue
            dc = abs(dt - ds[z])
            if dc > cal:
                if left:
                    l_stop = True
                else:
                    r_stop = True
                continue
            if len(found) >= ratio and sum(f < dc for f in fdist) >= ratio:
                if left:
                    l_stop = True
                else:
                    r_stop = True
                continue
            if s_u is not None and st is not None and st[z] != s_u:
                continue
            if not _covariates_ok(cov, ccal, u, unit[z]):
                continue
            found.append(unit[z])
            fdist.append(dc)
            if left:
                nl += 1
                l_stop = nl == ratio
            else:
                nr += 1
                r_stop = nr == ratio
        if len(found) > ratio:
            keep = _partial_sort(fdist, ratio)
        elif len(found) <= 1 or all(fdist[j] <= fdist[j + 1] for j in range(len(fdist) - 1)):
            keep = list(range(len(found)))
        else:
            keep = _sort_small(fdist)
        mm[row, : len(keep)] = [found[j] for j in keep]
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
