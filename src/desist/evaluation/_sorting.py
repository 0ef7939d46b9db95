"""R's ``order(x)`` for a float vector (a stable sort: equal values keep data order), fast for millions.

numpy's stable argsort (timsort) takes about 1.5 s for ten million doubles, the largest single cost of a
national match. A least-significant-digit radix sort on the doubles' bit patterns gives the same order in a
fifth of that: six passes of 11 bits, each stable, skipping passes where every key has the same digit (the
sign and exponent bits of a score rarely vary much). No library offers a stable radix argsort of doubles
(numpy's radix sort is for integers of 16 bits or fewer), so it is written here and compiled by numba.
"""

from __future__ import annotations

import numpy as np

from desist.evaluation._jit import compiled, use_compiled

_BITS = 11
_PASSES = 6  # 66 bits >= 64


def _radix_order(x: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable ascending order of the finite doubles ``x`` and the sorted values; ``idx`` is an array of
    ``len(x)`` of the index type to use (its values are not read: the first pass numbers the rows).

    Each double becomes an unsigned key that sorts as the number does: positive numbers with the sign bit
    set, negative numbers with every bit flipped; -0.0 is read as 0.0 (numpy's sort counts them equal, and
    the sorted values hold 0.0 for it). At the end the sorted keys are turned back into the doubles.
    """
    n = len(x)
    nb = 1 << _BITS
    mask = np.uint64(nb - 1)
    top = np.uint64(1) << np.uint64(63)
    keys = np.empty(n, np.uint64)
    counts = np.zeros((_PASSES, nb), np.int64)
    bits = x.view(np.uint64)
    for i in range(n):
        k = bits[i]
        if k == top:  # -0.0
            k = np.uint64(0)
        k = ~k if k & top else k | top
        keys[i] = k
        for p in range(_PASSES):
            counts[p, (k >> np.uint64(_BITS * p)) & mask] += 1
    keys2 = np.empty_like(keys)
    idx2 = np.empty_like(idx)
    moved = False  # no pass has run yet: row i is still at position i
    off = np.empty(nb, np.int64)
    for p in range(_PASSES):
        c = counts[p]
        if c.max() == n:  # every key has the same digit here: the pass would change nothing
            continue
        s = 0
        for b in range(nb):
            off[b] = s
            s += c[b]
        shift = np.uint64(_BITS * p)
        for i in range(n):
            k = keys[i]
            digit = (k >> shift) & mask
            o = off[digit]
            keys2[o] = k
            idx2[o] = idx[i] if moved else i
            off[digit] = o + 1
        keys, keys2 = keys2, keys
        idx, idx2 = idx2, idx
        moved = True
    if not moved:  # every key alike in every digit: the data order is the order
        for i in range(n):
            idx[i] = i
    for i in range(n):  # keys back to the doubles' bits, in place
        k = keys[i]
        keys[i] = k ^ top if k & top else ~k
    return idx, keys.view(np.float64)


def stable_order(x: np.ndarray) -> np.ndarray:
    """Indices that sort ``x`` (finite doubles) ascending, equal values in data order: R's ``order(x)``.

    int32 indices while they fit (half the memory of int64); numpy's stable sort for small data, the
    compiled radix sort for large.
    """
    return stable_sort(x)[0]


def stable_sort(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`stable_order` of ``x`` and ``x`` in that order (float64; -0.0 may come back as 0.0)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    itype = np.int32 if len(x) < 2**31 - 1 else np.int64
    if not use_compiled(len(x)):
        order = np.argsort(x, kind="stable").astype(itype, copy=False)
        return order, x[order]
    out: tuple[np.ndarray, np.ndarray] = compiled(_radix_order)(x, np.empty(len(x), dtype=itype))
    return out
