"""Harrell's concordance of a risk score with censored times, case weights included, as R's ``concordance()``.

Why hand-written: lifelines' ``concordance_index`` takes no weights, and R's ``coxph`` reports the weighted
concordance for a weighted fit. R's rule (survival's ``concordance3.c``): a pair (i, j) is comparable when i
has an event and j's time is longer -- a censored time tied with i's event time counts as longer, two tied
event times are not comparable ("tied.y"); the pair weighs w_i * w_j. It is concordant when the one failing
first has the higher risk score, discordant when lower, tied.x when equal, and

    C = (concordant + tied.x / 2) / (concordant + discordant + tied.x).

Counting is a weighted two-dimensional dominance count (later in time, lower score). R walks a balanced tree
in C; here the rows sorted by time are cut into aligned blocks of 2^L rows for each level L, each block is
sorted by score once, and the rows after an event are the union of at most one block per level, so each level
is one vectorised sort plus binary searches: O(n log^2 n) time, O(n) memory, no Python loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Concordance:
    """Weighted pair counts as R's ``concordance()$count`` and the concordance they give."""

    concordant: float
    discordant: float
    tied_x: float
    tied_y: float  # events at the same time, different scores (R's tied.y)
    tied_xy: float  # events at the same time with equal scores

    @property
    def value(self) -> float:
        total = self.concordant + self.discordant + self.tied_x
        return (self.concordant + self.tied_x / 2) / total if total > 0 else float("nan")


def concordance(
    time: ArrayLike, event: ArrayLike, risk: ArrayLike, weights: ArrayLike | None = None
) -> Concordance:
    """Weighted Harrell's C of a risk score (higher = earlier event expected), R's rule for ties.

    Parameters
    ----------
    time, event : array-like (n,)
        Follow-up time and 0/1 event indicator.
    risk : array-like (n,)
        Risk score, e.g. a Cox model's linear predictor; exactly equal values are ties.
    weights : array-like (n,), optional
        Case weights; a pair weighs the product of its two weights.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    x = np.asarray(risk, dtype=float)
    n = len(t)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if n == 0:
        return Concordance(0.0, 0.0, 0.0, 0.0, 0.0)
    # rows in time order, events before censored rows at the same time: the rows comparable with an event are
    # then exactly the positions from the first censored row at its time onwards
    order = np.lexsort((~e, t))
    ts, es, ws = t[order], e[order], w[order]
    # equal scores share a rank
    ranks = np.unique(x, return_inverse=True)[1].reshape(-1)[order].astype(np.int64)
    m = int(ranks.max()) + 1
    block_start = np.searchsorted(ts, ts, side="left")  # first row at each row's time
    n_events_at = np.bincount(block_start, weights=es.astype(float), minlength=n).astype(np.int64)
    starts = (block_start + n_events_at[block_start])[es]
    qrank, qw = ranks[es], ws[es]
    conc = disc = tied = 0.0
    top = max(0, int(np.ceil(np.log2(n))))
    pos = np.arange(n)
    for level in range(top + 1):
        # [s, n) is the union over levels L of the aligned block number ceil(s / 2^L) at level L when that
        # number is odd (and, for s = 0, of block 0 at the top level, the whole array)
        b = -((-starts) >> level)
        use = (b & 1) == 1
        if level == top:
            use |= b == 0
        if not use.any():
            continue
        key = (pos >> level) * m + ranks
        srt = np.argsort(key, kind="stable")
        keys = key[srt]
        cw = np.concatenate([[0.0], np.cumsum(ws[srt])])
        bq, rq, wq = b[use], qrank[use], qw[use]
        lo = np.searchsorted(keys, bq * m, side="left")
        lt = np.searchsorted(keys, bq * m + rq, side="left")
        le = np.searchsorted(keys, bq * m + rq, side="right")
        hi = np.searchsorted(keys, (bq + 1) * m, side="left")
        # the event (higher rank = higher risk) fails first: later rows with a lower score are concordant
        conc += float(np.sum(wq * (cw[lt] - cw[lo])))
        tied += float(np.sum(wq * (cw[le] - cw[lt])))
        disc += float(np.sum(wq * (cw[hi] - cw[le])))

    # pairs of events at one time: tied on time (and on both time and score)
    def pairs(groups: np.ndarray) -> float:
        _, inv = np.unique(groups, return_inverse=True)
        s1 = np.bincount(inv, weights=ws[es])
        s2 = np.bincount(inv, weights=ws[es] ** 2)
        return float(np.sum(s1**2 - s2) / 2)

    tied_y_all = pairs(block_start[es])
    tied_xy = pairs(block_start[es] * m + ranks[es])
    return Concordance(conc, disc, tied, tied_y_all - tied_xy, tied_xy)
