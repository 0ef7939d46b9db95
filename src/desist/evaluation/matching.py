"""Matching designs with R MatchIt's semantics: greedy nearest neighbour and propensity subclassification.

For the same data and options (``distance="glm"``, ``ratio``, ``replace``, ``caliper``/``std_caliper``,
covariate calipers, ``order`` = MatchIt's ``m.order``, ``exact``, ``discard``) these give MatchIt 4.7.2's
matched pairs, weights and subclasses, ties included; ``tests/reference/`` holds the MatchIt fixtures the
tests compare against. Matchers never see outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation._calipers import check_calipers, resolve_calipers
from desist.evaluation._frame import Columns, as_columns
from desist.evaluation._nearest import (
    match_1d_with_replacement,
    match_1d_without_replacement,
    match_matrix_distance,
    sorted_pool,
    sorted_positions,
)
from desist.evaluation._sorting import stable_sort
from desist.evaluation._subclass import nearest_weights, subclass_weights, subclassify
from desist.evaluation.design import check_columns, check_missing, design_columns, treatment_vector
from desist.evaluation.estimator import BaseEstimator
from desist.evaluation.propensity import PropensityModel

if TYPE_CHECKING:
    import pandas as pd

DISTANCES = ("glm", "logit", "gbm", "mahalanobis")
ORDERS = ("largest", "smallest", "random", "data")
DISCARDS = ("none", "treated", "control", "both")


def discard_mask(distance: np.ndarray, treated: np.ndarray, option: str) -> np.ndarray:
    """MatchIt's ``discard``: units outside the range of the other group's distance (common support)."""
    if option == "none":
        return np.zeros(len(distance), dtype=bool)
    d1, d0 = distance[treated], distance[~treated]
    outside: np.ndarray
    if option == "both":
        outside = (distance < max(d0.min(), d1.min())) | (distance > min(d0.max(), d1.max()))
    elif option == "control":
        outside = (distance < d1.min()) | (distance > d1.max())
    else:  # "treated"
        outside = (distance < d0.min()) | (distance > d0.max())
    return outside


def exact_strata(data: Columns, exact: list[str]) -> np.ndarray:
    """Codes 0..k-1 of the combinations of values of the ``exact`` columns (compared as text)."""
    code = np.zeros(len(data), dtype=np.int64)
    for name in exact:
        values = data[name]
        text = values.astype(str) if values.dtype.kind != "O" else np.array([str(v) for v in values.tolist()])
        levels, inverse = np.unique(text, return_inverse=True)
        code = code * len(levels) + inverse.ravel()
        code = np.unique(code, return_inverse=True)[1].ravel()  # renumbered: never overflows
    return code


def _positions_by(codes: np.ndarray) -> dict[int, np.ndarray]:
    """For each code, the positions holding it (ascending), as pandas' ``groupby(codes).indices``."""
    order = np.argsort(codes, kind="stable")
    values, starts = np.unique(codes[order], return_index=True)
    return {int(v): part for v, part in zip(values.tolist(), np.split(order, starts[1:]), strict=True)}


def mahalanobis_transform(X: np.ndarray, treated: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Rotate ``X`` so Euclidean distance equals the Mahalanobis distance with MatchIt's pooled covariance.

    MatchIt scales the covariates and uses the within-group pooled covariance of the retained units; the
    distance is invariant to that scaling and to how factors are coded, so the pooled covariance of ``X`` is
    used directly (a pseudo-inverse handles collinear columns as MatchIt's generalised inverse does).
    """
    X = X[:, X.std(axis=0) > np.sqrt(np.finfo(float).eps)]
    if X.shape[1] == 0:
        raise InputError("distance 'mahalanobis': every covariate is constant; expected varying covariates")
    Xk, tk = X[keep], treated[keep]
    centred = Xk.copy()
    for g in (True, False):
        centred[tk == g] -= centred[tk == g].mean(axis=0)
    cov = centred.T @ centred / (len(Xk) - 2)
    vals, vecs = np.linalg.eigh(cov)
    inv_sqrt = np.where(vals > vals.max() * 1e-10, 1.0 / np.sqrt(np.clip(vals, 1e-300, None)), 0.0)
    rotated: np.ndarray = X @ (vecs * inv_sqrt)
    return rotated


class _Matcher(BaseEstimator):
    """Shared fitting steps: validate, estimate the distance, discard, then the method's own matching."""

    distance: Any
    estimand: str
    discard: str
    random_state: int | None
    weights_: np.ndarray
    subclass_ids_: np.ndarray

    def _prepare(self, data: Any, treatment: str, covariates: list[str]) -> Columns:
        df = as_columns(data)
        check_columns(df, [treatment], "treatment column")
        names, X = design_columns(df, covariates)
        t = treatment_vector(df, treatment)
        if self.discard not in DISCARDS:
            raise InputError(f"discard {self.discard!r}: expected one of {', '.join(DISCARDS)}")
        self.treated_ = t
        self.covariates_ = list(covariates)
        dist = self.distance
        if isinstance(dist, str) and dist not in DISTANCES:
            if dist in df.columns:  # a user-supplied distance column, as MatchIt's numeric `distance`
                check_missing(df, [dist])
                dist = df[dist].astype(float)
            else:
                raise InputError(
                    f"distance {dist!r}: expected one of {', '.join(DISTANCES)} or a column name"
                )
        self.propensity_ = None
        if isinstance(dist, str) and dist == "mahalanobis":
            self.distance_ = np.full(len(df), np.nan)
            self._mahal_X = X
        elif isinstance(dist, str):
            model = PropensityModel("gbm" if dist == "gbm" else "glm", random_state=self.random_state)
            pm = model.fit(X, t, names)
            self.propensity_ = pm
            self.distance_ = pm.linear_predictor_ if dist == "logit" else pm.ps_
        else:
            arr = np.asarray(dist, dtype=float)
            if arr.shape != (len(df),) or not np.isfinite(arr).all():
                raise InputError(f"distance: expected {len(df)} finite numbers, got shape {arr.shape}")
            self.distance_ = arr
        if self.discard != "none" and np.isnan(self.distance_).any():
            raise InputError("discard: needs a propensity-score distance, not 'mahalanobis'")
        self.discarded_ = discard_mask(self.distance_, t, self.discard)
        self._index = df.index
        return df

    @property
    def subclass_(self) -> pd.Series:
        """Subclass or pair ids as a pandas Series (Int64, <NA> for none), made when asked for."""
        import pandas as pd

        ids = np.asarray(self.subclass_ids_, dtype=np.int64)
        index = self._index if self._index is not None else pd.RangeIndex(len(ids))
        return pd.Series(pd.arrays.IntegerArray(ids, ids == 0), index=index, name="subclass")

    def _sample_sizes(self) -> None:
        t, w = self.treated_, self.weights_
        self.n_ = {
            "treated": int(t.sum()),
            "control": int((~t).sum()),
            "treated_matched": int(((w > 0) & t).sum()),
            "control_matched": int(((w > 0) & ~t).sum()),
        }

    def plot_distance(self, path: Any = None) -> Any:
        """Histograms of the distance (propensity score) by group, all units and matched/weighted units.

        MatchIt's ``plot(type = "hist")``: the right-hand panels use the matching weights, so the control
        histogram should look like the treated one after a good match. Returns a matplotlib Figure (Agg
        canvas, no display needed); saved to ``path`` when given.
        """
        from desist.evaluation.balance import overlap_plot

        if np.isnan(self.distance_).all():
            raise InputError("plot_distance: needs a propensity-score distance, not 'mahalanobis'")
        return overlap_plot(self.distance_, self.treated_, self.weights_, path, "Matched (weighted)")

    def summary(self) -> pd.DataFrame:
        """Sample sizes as MatchIt prints them (All, Matched, Matched ESS, Unmatched, Discarded)."""
        import pandas as pd

        rows = {}
        for label, grp in (("Control", ~self.treated_), ("Treated", self.treated_)):
            w = self.weights_[grp]
            ess = w.sum() ** 2 / (w**2).sum() if (w > 0).any() else 0.0
            rows[label] = {
                "All": int(grp.sum()),
                "Matched (ESS)": round(float(ess), 2),
                "Matched": int((w > 0).sum()),
                "Unmatched": int(((w == 0) & ~self.discarded_[grp]).sum()),
                "Discarded": int(self.discarded_[grp].sum()),
            }
        return pd.DataFrame(rows)


@dataclass(eq=False, repr=False)
class NearestNeighborMatcher(_Matcher):
    """Greedy k:1 nearest-neighbour matching, as ``MatchIt::matchit(method = "nearest")``.

    Parameters
    ----------
    distance : {"glm", "logit", "gbm", "mahalanobis"}, column name or array
        ``"glm"``: propensity score from logistic regression (MatchIt's default); ``"logit"``: its linear
        predictor (MatchIt's ``link = "linear.logit"``); ``"gbm"``: gradient-boosted score;
        ``"mahalanobis"``: Mahalanobis distance on the covariates; a column or array: a given distance.
    ratio : int
        Controls per treated unit. Without replacement MatchIt gives every treated unit its first match before
        anyone gets a second.
    replace : bool
    caliper : float, mapping or None
        A number: the maximum distance between matched units. A mapping: MatchIt's named caliper vector,
        e.g. ``{"distance": 0.2, "age": 5}`` for ``caliper = c(0.2, age = 5)``: key ``"distance"`` is the
        caliper on the distance, any other key a numeric covariate column whose values may differ by at most
        that much.
    std_caliper : bool or mapping
        Calipers in SDs (over the retained units, both groups) rather than raw units: one value for all
        (MatchIt's default True) or per caliper name, e.g. ``{"distance": True, "age": False}``
        (``std.caliper = c(TRUE, FALSE)``); names left out are standardised.
    order : {"largest", "smallest", "random", "data"} or None
        MatchIt's ``m.order``. None means MatchIt's default: "largest" for a propensity-score distance,
        "data" for Mahalanobis. "random" uses ``random_state`` (numpy's generator, so not R's draws).
    exact : list of str or None
        Match only within identical values of these columns.
    discard : {"none", "treated", "control", "both"}
        Drop units outside the other group's range of the distance before matching.
    estimand : {"ATT", "ATC"}

    Attributes
    ----------
    treated_, distance_, weights_, discarded_ : ndarray (n,)
    caliper_ : float or None, the absolute caliper on the distance;
    calipers_ : dict of every absolute caliper (key "distance" and covariate names).
    subclass_ : pandas Series (Int64) of pair ids (<NA> unmatched; all <NA> with replacement, as MatchIt).
    subclass_ids_ : (n,) int array, the same ids without pandas (0: none).
    match_matrix_ : (n_treated_matched, ratio) int array of positional indices of controls (-1: none).
    match_treated_ : (n_treated_matched,) positional indices of the treated unit of each match-matrix row.
    distance_order_ : (n,) int array, R's ``order(distance_)`` (stable); None for a Mahalanobis distance.
    match_order_ : (n_focal,) positional indices of the focal units in the order they were matched.
    n_ : dict with "treated", "control", "treated_matched", "control_matched".
    """

    distance: Any = "glm"
    ratio: int = 1
    replace: bool = False
    caliper: float | dict[str, float] | None = None
    std_caliper: bool | dict[str, bool] = True
    order: str | None = None
    exact: list[str] | None = None
    discard: str = "none"
    estimand: str = "ATT"
    random_state: int | None = None

    def _check(self) -> None:
        if not isinstance(self.ratio, (int, np.integer)) or self.ratio < 1:
            raise InputError(
                f"ratio {self.ratio!r}: expected a whole number of controls per treated unit, >= 1"
            )
        if self.estimand not in ("ATT", "ATC"):
            raise InputError(f"estimand {self.estimand!r}: nearest-neighbour matching supports ATT or ATC")
        if self.order is not None and self.order not in ORDERS:
            raise InputError(f"order {self.order!r}: expected one of {', '.join(ORDERS)}")
        check_calipers(self.caliper, self.std_caliper)
        if self.caliper is not None and isinstance(self.distance, str) and self.distance == "mahalanobis":
            raise InputError("caliper: not available with distance 'mahalanobis'; use a propensity distance")

    def fit(self, data: Any, treatment: str, covariates: list[str]) -> NearestNeighborMatcher:
        """Match treated to control units; returns self with the attributes above."""
        self._check()
        df = self._prepare(data, treatment, covariates)
        exact = list(self.exact or [])
        check_columns(df, exact, "exact column")
        check_missing(df, exact)
        focal = self.treated_ if self.estimand == "ATT" else ~self.treated_
        d = self.distance_
        keep = ~self.discarded_
        mahal = isinstance(self.distance, str) and self.distance == "mahalanobis"
        order = self.order or ("data" if mahal else ("smallest" if self.estimand == "ATC" else "largest"))
        if self.replace:
            order = "data"  # MatchIt: order is irrelevant with unlimited reuse and is set to "data"
        cals = resolve_calipers(self.caliper, self.std_caliper, df, d, keep)
        caliper = cals.distance
        # R's order(distance), made once: matching, its tie positions and the tie count all read it
        srt, sorted_d = (None, None) if mahal else stable_sort(d)
        # places in the sort of the whole data decide ties; each exact stratum is matched on its own
        pos = sorted_positions(d, srt) if exact and srt is not None else None
        focal_idx = np.flatnonzero(focal)
        if order == "data":
            rank = focal_idx
        elif order == "random":
            rank = np.random.default_rng(self.random_state).permutation(focal_idx)
        else:
            rank = focal_idx[np.argsort(-d[focal_idx] if order == "largest" else d[focal_idx], kind="stable")]
        self.match_order_ = rank
        self._pool: tuple[np.ndarray, np.ndarray] | None = None
        strata = exact_strata(df, exact) if exact else np.zeros(0, int)
        if exact and not np.intersect1d(strata[focal], strata[~focal]).size:
            raise AnalysisError(
                f"exact matching on {', '.join(exact)}: no stratum has both groups; no matches"
            )
        mm = np.full((len(rank), self.ratio), -1, dtype=np.int64)
        mX = mahalanobis_transform(self._mahal_X, self.treated_, keep) if mahal else None
        cov_vals, cov_cal = cals.values, cals.widths
        if self.replace and mX is None:
            # MatchIt walks the whole sorted data, checking the stratum as it goes: one call keeps its ties
            mm[:] = match_1d_with_replacement(
                d, focal, keep, rank, self.ratio, caliper, strata if exact else None, cov_vals, cov_cal
            )
            groups = []
        elif exact:
            units_by = _positions_by(strata)
            rows_by = _positions_by(strata[rank])
            groups = [(units_by[s], rows_by[s]) for s in sorted(rows_by)]
        elif mX is None:  # one stratum, the whole data: no copies of unit-sized arrays (10 million units...)
            pool = sorted_pool(d, focal, keep, srt, sorted_distance=sorted_d)
            mm[:] = match_1d_without_replacement(
                d, focal, keep, rank, self.ratio, caliper, None, cov_vals, cov_cal, sort_order=srt, pool=pool
            )
            self._pool = pool.controls, pool.distances  # the tie count reads them too
            groups = []
        else:
            groups = [(np.arange(len(df)), np.arange(len(rank)))]
        for sub, rows in groups:
            local = np.searchsorted(sub, rank[rows])  # positions of these focal units inside the stratum
            args = (focal[sub], keep[sub], local, self.ratio)
            if mX is not None:
                got = match_matrix_distance(mX[sub], *args, replace=self.replace)
            else:
                got = match_1d_without_replacement(
                    d[sub],
                    *args,
                    caliper,
                    None if pos is None else pos[sub],
                    None if cov_vals is None else cov_vals[sub],
                    cov_cal,
                )
            mm[rows] = np.where(got >= 0, sub[np.clip(got, 0, None)], -1)
        # report rows in data order of the focal units, as MatchIt's match.matrix
        by_data = np.argsort(rank, kind="stable")
        mm, rank = mm[by_data], rank[by_data]
        self.weights_ = nearest_weights(mm, rank, len(df))
        matched = mm[:, 0] >= 0
        self.match_matrix_ = mm[matched]
        self.match_treated_ = rank[matched]
        itype = np.int32 if len(df) < 2**31 - 1 else np.int64
        ids = np.zeros(len(df), dtype=itype)
        if not self.replace:  # with replacement matched sets overlap, so MatchIt gives no subclass either
            pair = np.arange(1, matched.sum() + 1, dtype=itype)
            ids[self.match_treated_] = pair
            for r in range(self.ratio):
                ok = self.match_matrix_[:, r] >= 0
                ids[self.match_matrix_[ok, r]] = pair[ok]
        self.subclass_ids_ = ids
        self.order_ = order
        self.distance_order_ = srt
        self.caliper_ = caliper
        self.calipers_ = cals.as_dict()
        self._sample_sizes()
        return self


@dataclass(eq=False, repr=False)
class SubclassMatcher(_Matcher):
    """Subclassification on the propensity score, as ``MatchIt::matchit(method = "subclass")``.

    Cut points are quantiles of the distance among the treated (ATT), controls (ATC) or everyone (ATE); a
    subclass lacking treated or controls borrows the nearest units from its neighbours
    (MatchIt's ``min.n = 1``).
    Weights are MatchIt's subclass weights for the estimand.
    """

    n_subclasses: int = 6
    estimand: str = "ATT"
    distance: Any = "glm"
    discard: str = "none"
    random_state: int | None = None

    def fit(self, data: Any, treatment: str, covariates: list[str]) -> SubclassMatcher:
        """Form subclasses and weights; returns self (``subclass_`` ids 1..k, ``weights_``, ``cuts_``)."""
        if not isinstance(self.n_subclasses, (int, np.integer)) or self.n_subclasses < 2:
            raise InputError(f"n_subclasses {self.n_subclasses!r}: expected a whole number >= 2")
        if self.estimand not in ("ATT", "ATC", "ATE"):
            raise InputError(f"estimand {self.estimand!r}: expected ATT, ATC or ATE")
        if self.distance == "mahalanobis":
            raise InputError("distance 'mahalanobis': subclassification needs a propensity-score distance")
        self._prepare(data, treatment, covariates)
        sub, cuts = subclassify(
            self.distance_, self.treated_, self.discarded_, self.n_subclasses, self.estimand
        )
        self.weights_ = subclass_weights(sub, self.treated_, self.estimand)
        self.subclass_ids_ = sub
        self.cuts_ = cuts
        self.match_matrix_ = None
        self._sample_sizes()
        return self


MATCHERS = {"nearest": NearestNeighborMatcher, "subclass": SubclassMatcher}
