"""Subclassification and MatchIt's weights (``matchit2subclass``, ``subclass_scoot``, ``weights.subclass``,
``weights_matrixC``), reproduced from MatchIt 4.5.1 so that desist gives the same subclasses and weights."""

from __future__ import annotations

import numpy as np

from desist.domain.errors import AnalysisError


def nearest_weights(mm: np.ndarray, treated_rows: np.ndarray, n: int) -> np.ndarray:
    """MatchIt's matching weights from a match matrix (ATT orientation: rows are focal units).

    A matched focal unit gets 1; each control gets the sum over the rows it appears in of 1/(controls in that
    row); control weights are then scaled to sum to the number of distinct matched controls.
    """
    matched_row = mm[:, 0] >= 0
    counts = (mm >= 0).sum(axis=1)
    # each control's share of every row it is in, added column by column (a control reused with replacement
    # adds up) in one bincount rather than np.add.at's slow loop
    share = np.broadcast_to(1.0 / np.maximum(counts, 1)[:, None], mm.shape)
    sel = (mm >= 0).T
    w = np.bincount(mm.T[sel], weights=share.T[sel], minlength=n)
    # only matched controls have a weight yet: sum and count them without gathering every control
    total = w.sum()
    if total == 0 or not matched_row.any():
        raise AnalysisError(
            "matching: no units were matched; expected some controls within the caliper/strata"
        )
    w *= np.count_nonzero(w) / total
    w[treated_rows[matched_row]] = 1.0
    return w


def subclass_weights(subclass: np.ndarray, treated: np.ndarray, estimand: str) -> np.ndarray:
    """MatchIt's ``weights.subclass``: subclass ids (0 = none) to ATT / ATC / ATE weights."""
    n_sub = int(subclass.max()) if len(subclass) else 0
    has = subclass > 0
    i1 = treated & has
    i0 = ~treated & has
    t_by = np.bincount(subclass[i1], minlength=n_sub + 1).astype(float)
    c_by = np.bincount(subclass[i0], minlength=n_sub + 1).astype(float)
    tot = t_by + c_by
    w = np.zeros(len(subclass))
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand == "ATT":
            w[i1] = 1.0
            w[i0] = (t_by / c_by)[subclass[i0]]
            w[i0] *= i0.sum() / w[i0].sum()
        elif estimand == "ATC":
            w[i0] = 1.0
            w[i1] = (c_by / t_by)[subclass[i1]]
            w[i1] *= i1.sum() / w[i1].sum()
        else:
            w[i1] = (tot / t_by)[subclass[i1]]
            w[i0] = (tot / c_by)[subclass[i0]]
            w[i1] *= i1.sum() / w[i1].sum()
            w[i0] *= i0.sum() / w[i0].sum()
    if not np.isfinite(w).all() or w[treated].sum() == 0 or w[~treated].sum() == 0:
        raise AnalysisError("subclassification: a group has no units left; expected treated and controls")
    return w


def _scoot(sub: np.ndarray, treated: np.ndarray, x: np.ndarray, min_n: int = 1) -> np.ndarray:
    """MatchIt's ``subclass_scoot``: move the nearest units into subclasses that lack treated or controls."""
    uniq = np.unique(sub)
    nsub = len(uniq)
    sub = np.searchsorted(uniq, sub) + 1  # renumber 1..nsub
    groups = [treated[0], not treated[0]]  # R: unique(treat) in order of appearance
    for g in groups:
        if (treated == g).sum() < nsub * min_n:
            raise AnalysisError(
                "subclassification: not enough units to put treated and controls in every subclass; "
                "expected fewer subclasses"
            )
    for g in groups:
        if (treated == g).sum() == nsub:
            sub[treated == g] = np.arange(1, nsub + 1)
    tab = {g: np.bincount(sub[treated == g], minlength=nsub + 1)[1:].astype(float) for g in groups}
    if all((tab[g] >= min_n).all() for g in groups):
        return sub
    for g in groups:
        row = tab[g]
        for _ in range(min_n):
            while (row == 0).any():
                f = int(np.flatnonzero(row == 0)[0])  # 0-based position of the first empty subclass
                left_pull = right_pull = 0.0
                if f > 0:
                    js = np.arange(0, f)
                    left_pull = float((np.maximum(row[js] - 1, 0) / np.abs(f - js)).sum())
                if f < nsub - 1:
                    js = np.arange(f + 1, nsub)
                    right_pull = float((np.maximum(row[js] - 1, 0) / np.abs(f - js)).sum())
                if f == nsub - 1 or (f != 0 and left_pull >= right_pull):
                    src = int(np.max(np.flatnonzero(row[:f] > 0)))
                    cand = np.flatnonzero((treated == g) & (sub == src + 1))
                    move = cand[np.flatnonzero(x[cand] == x[cand].max())[0]]
                else:
                    src = f + 1 + int(np.min(np.flatnonzero(row[f + 1 :] > 0)))
                    cand = np.flatnonzero((treated == g) & (sub == src + 1))
                    move = cand[np.flatnonzero(x[cand] == x[cand].min())[0]]
                sub[move] = f + 1
                row[f] = 1
                row[src] -= 1
            row -= 1
    return sub


def subclassify(
    distance: np.ndarray, treated: np.ndarray, discarded: np.ndarray, n_subclasses: int, estimand: str
) -> tuple[np.ndarray, np.ndarray]:
    """MatchIt's ``matchit2subclass``: quantile subclasses; returns (subclass 1.., 0 = none; cuts).

    Cut points are type-7 quantiles (R's default, numpy's "linear") of the treated distances (ATT), control
    distances (ATC) or all (ATE); ``findInterval(all.inside = TRUE)`` puts the extremes in the end classes.
    """
    probs = np.linspace(0, 1, n_subclasses + 1)
    base = {"ATT": distance[treated], "ATC": distance[~treated]}.get(estimand, distance)
    q = np.quantile(base, probs)
    keep = ~discarded
    sub = np.zeros(len(distance), dtype=np.int64)
    raw = np.searchsorted(q, distance[keep], side="right")
    sub[keep] = np.clip(raw, 1, len(q) - 1)
    s_k, t_k = sub[keep], treated[keep]
    present = np.unique(s_k)
    t_has = np.isin(present, s_k[t_k])
    c_has = np.isin(present, s_k[~t_k])
    if not (t_has.all() and c_has.all()):
        sub[keep] = _scoot(s_k, t_k, distance[keep])
    # relabel to 1..k in increasing order, as R's factor levels are
    uniq = np.unique(sub[keep])
    sub[keep] = np.searchsorted(uniq, sub[keep]) + 1
    return sub, q
