"""Matching against R MatchIt 4.7.2 fixtures (tests/reference, from make_matchit_reference.R) and by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import desist.evaluation._nearest as nearest
import desist.evaluation._sorting as sorting
from desist.domain.errors import AnalysisError, InputError
from desist.evaluation.matching import MATCHERS, NearestNeighborMatcher, SubclassMatcher

REF = Path(__file__).resolve().parents[2] / "reference"
LALONDE_COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
SIM_COVS = ["age", "priors", "band", "custody"]


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    return pd.read_csv(REF / "lalonde.csv")


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return pd.read_csv(REF / "sim.csv")


def reference_pairs(name: str) -> dict[int, list[int]]:
    mm = pd.read_csv(REF / f"{name}_mm.csv")
    out = {}
    for t, *row in mm.itertuples(index=False):
        got = sorted(int(x) - 1 for x in row if not pd.isna(x))
        if got:
            out[int(t) - 1] = got
    return out


def our_pairs(m: NearestNeighborMatcher) -> dict[int, list[int]]:
    return {
        int(t): sorted(int(x) for x in row if x >= 0)
        for t, row in zip(m.match_treated_, m.match_matrix_, strict=True)
    }


NEAREST_CASES = {
    "lalonde_nn1": {},
    "lalonde_nn2_replace": {"ratio": 2, "replace": True},
    "lalonde_caliper": {"caliper": 0.1},
    "lalonde_exact_race": {"exact": ["race"]},
    "lalonde_discard_both": {"discard": "both"},
    "lalonde_nn3_smallest": {"ratio": 3, "order": "smallest"},
    "lalonde_logit_caliper_ratio2": {"distance": "logit", "ratio": 2, "caliper": 0.2},
    "lalonde_data_order": {"order": "data"},
    "lalonde_atc_caliper": {"estimand": "ATC", "caliper": 0.25},  # rows are controls, matched to treated
    "sim_nn1_caliper_exact": {"caliper": 0.05, "exact": ["band"]},
    "sim_nn3_raw_caliper": {"ratio": 3, "caliper": 0.02, "std_caliper": False},
    "sim_nn2_replace_caliper": {"ratio": 2, "replace": True, "caliper": 0.1},
    # covariate calipers: caliper = c(0.2, age = 5), std.caliper = c(TRUE, FALSE) and friends
    "lalonde_caliper_age5": {"caliper": {"distance": 0.2, "age": 5}, "std_caliper": {"age": False}},
    "lalonde_caliper_std_covs": {"caliper": {"distance": 0.25, "age": 0.5, "educ": 0.5}},
    "lalonde_caliper_covs_only": {"caliper": {"age": 3, "educ": 1}, "std_caliper": False},
    "lalonde_nn2_caliper_re74": {"ratio": 2, "caliper": {"distance": 0.3, "re74": 0.4}},
    "lalonde_nn2_replace_caliper_age": {
        "ratio": 2, "replace": True, "caliper": {"age": 4}, "std_caliper": False
    },
    "sim_nn1_caliper_age_exact": {
        "caliper": {"distance": 0.1, "age": 5}, "std_caliper": {"age": False}, "exact": ["band"]
    },
    # ties: sim's discrete covariates give many equal propensity scores
    "sim_nn1": {},
    "sim_nn2": {"ratio": 2},
    "sim_nn3_replace": {"ratio": 3, "replace": True},
    "sim_nn1_replace_data": {"replace": True},
    "sim_nn2_smallest_exact": {"ratio": 2, "order": "smallest", "exact": ["custody"]},
    "sim_nn1_atc": {"estimand": "ATC"},
}


@pytest.mark.parametrize("name", sorted(NEAREST_CASES))
def test_nearest_matches_matchit_exactly(name: str, lalonde: pd.DataFrame, sim: pd.DataFrame) -> None:
    data, covs = (lalonde, LALONDE_COVS) if name.startswith("lalonde") else (sim, SIM_COVS)
    m = NearestNeighborMatcher(**NEAREST_CASES[name]).fit(data, "treat", covs)
    units = pd.read_csv(REF / f"{name}_units.csv")
    assert our_pairs(m) == reference_pairs(name)
    np.testing.assert_allclose(m.weights_, units["weights"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(m.discarded_, units["discarded"].astype(bool))
    if units["distance"].notna().all():
        np.testing.assert_allclose(m.distance_, units["distance"], rtol=1e-6, atol=1e-7)
    # pair ids: same partition into matched sets as MatchIt's subclass (labels differ)
    if units["subclass"].notna().any():
        ours = pd.crosstab(m.subclass_.fillna(0).astype(int), units["subclass"].fillna(0).astype(int))
        assert ((ours > 0).sum(axis=1) == 1).all()


def test_mahalanobis_matches_matchit_up_to_ties(lalonde: pd.DataFrame) -> None:
    """MatchIt 4.7.2's Mahalanobis matcher walks the units sorted on the first column of its own transform of
    the covariates and keeps the last of equally distant controls it meets; desist searches all controls and
    keeps the first in data order. The matched distances agree; only ties (men with identical covariates) can
    go to a different, equally near control."""
    name = "lalonde_mahalanobis"
    m = NearestNeighborMatcher(distance="mahalanobis").fit(lalonde, "treat", LALONDE_COVS)
    X = pd.get_dummies(lalonde[LALONDE_COVS], drop_first=True, dtype=float).to_numpy()
    ref, ours = reference_pairs(name), our_pairs(m)
    assert ref.keys() == ours.keys()
    differ = [t for t in ref if ref[t] != ours[t]]
    for t in differ:  # a different control only where it has exactly the same covariates as MatchIt's
        np.testing.assert_array_equal(X[ref[t][0]], X[ours[t][0]])
    units = pd.read_csv(REF / f"{name}_units.csv")
    assert len(differ) <= 12
    assert m.weights_.sum() == pytest.approx(units["weights"].sum())


def test_caliper_holds_where_matchit_451_as_shipped_ignored_it(lalonde: pd.DataFrame) -> None:
    """MatchIt 4.5.1's vectorised matcher truncates distances with C's integer abs() (MatchIt issue #163), so
    its caliper never binds; the fixture v451raw_* is that output. Ours keeps every pair in the caliper."""
    units = pd.read_csv(REF / "v451raw_lalonde_caliper_units.csv")
    d = units["distance"].to_numpy()
    cal = 0.1 * d.std(ddof=1)
    raw = reference_pairs("v451raw_lalonde_caliper")
    assert max(abs(d[t] - d[c[0]]) for t, c in raw.items()) > cal  # the bug
    m = NearestNeighborMatcher(caliper=0.1).fit(lalonde, "treat", LALONDE_COVS)
    gaps = np.abs(m.distance_[m.match_treated_] - m.distance_[m.match_matrix_[:, 0]])
    assert gaps.max() <= m.caliper_ and m.caliper_ == pytest.approx(cal, rel=1e-6)


@pytest.mark.parametrize(
    ("name", "kwargs", "data"),
    [
        ("lalonde_subclass6_att", {"n_subclasses": 6}, "lalonde"),
        ("lalonde_subclass6_ate", {"n_subclasses": 6, "estimand": "ATE"}, "lalonde"),
        ("sim_subclass10_ate", {"n_subclasses": 10, "estimand": "ATE"}, "sim"),
    ],
)
def test_subclass_matches_matchit(name, kwargs, data, lalonde, sim) -> None:
    df, covs = (lalonde, LALONDE_COVS) if data == "lalonde" else (sim, SIM_COVS)
    m = SubclassMatcher(**kwargs).fit(df, "treat", covs)
    units = pd.read_csv(REF / f"{name}_units.csv")
    np.testing.assert_array_equal(m.subclass_.to_numpy(dtype=float, na_value=0), units["subclass"].fillna(0))
    np.testing.assert_allclose(m.weights_, units["weights"], rtol=1e-12)


def test_hand_checked_greedy_order_and_caliper() -> None:
    # treated at 0.9 and 0.5 (largest first); controls at 0.85, 0.55, 0.52, 0.1
    df = pd.DataFrame(
        {"t": [1, 1, 0, 0, 0, 0], "d": [0.9, 0.5, 0.85, 0.55, 0.52, 0.1], "x": [1, 2, 3, 4, 5, 6]}
    )
    m = NearestNeighborMatcher(distance="d").fit(df, "t", ["x"])
    assert our_pairs(m) == {0: [2], 1: [4]}
    # ratio 2 without replacement: everyone's first match first, then second matches, largest first
    m2 = NearestNeighborMatcher(distance="d", ratio=2).fit(df, "t", ["x"])
    assert our_pairs(m2) == {0: [2, 3], 1: [4, 5]}
    # control weights: each control 1/2, scaled to sum to 4 matched controls -> 1 each
    np.testing.assert_allclose(m2.weights_, [1, 1, 1, 1, 1, 1])
    # raw caliper 0.04: 0.9-0.85 = 0.05 too far, 0.52 within 0.02 of 0.5
    m3 = NearestNeighborMatcher(distance="d", caliper=0.04, std_caliper=False).fit(df, "t", ["x"])
    assert our_pairs(m3) == {1: [4]}
    assert m3.n_ == {"treated": 2, "control": 4, "treated_matched": 1, "control_matched": 1}
    assert m3.subclass_.isna().sum() == 4
    # smallest first: 0.5 takes 0.52, then 0.9 takes 0.85
    m4 = NearestNeighborMatcher(distance="d", order="smallest").fit(df, "t", ["x"])
    assert our_pairs(m4) == {0: [2], 1: [4]}


def test_replacement_weights_are_matchit_weights() -> None:
    df = pd.DataFrame({"t": [1, 1, 1, 0, 0], "d": [0.5, 0.51, 0.9, 0.505, 0.1], "x": range(5)})
    m = NearestNeighborMatcher(distance="d", replace=True).fit(df, "t", ["x"])
    assert our_pairs(m) == {0: [3], 1: [3], 2: [3]}
    np.testing.assert_allclose(m.weights_, [1, 1, 1, 1, 0])  # 3 uses scaled to 1 matched control
    assert m.subclass_.isna().all()


def test_ties_go_to_the_control_matchits_walk_meets_first() -> None:
    # sorted: 0.25 (unit 0), 0.25 (unit 3), 0.5 (treated 1), 0.75 (unit 2): the walk steps left to unit 3 and
    # right to unit 2, both 0.25 away, each on its first step: the left one is met first (MatchIt 4.7.2)
    df = pd.DataFrame({"t": [0, 1, 0, 0], "d": [0.25, 0.5, 0.75, 0.25], "x": range(4)})
    assert our_pairs(NearestNeighborMatcher(distance="d").fit(df, "t", ["x"])) == {1: [3]}
    # a treated unit sits between the left control and the treated man matched first: the left control is two
    # steps away, the right one step, so the right one is met first and taken
    df = pd.DataFrame({"t": [1, 0, 1, 0], "d": [0.5, 0.25, 0.375, 0.75], "x": range(4)})
    m = NearestNeighborMatcher(distance="d", order="data").fit(df, "t", ["x"])
    assert our_pairs(m) == {0: [3], 2: [1]}


def test_random_order_is_seeded(lalonde: pd.DataFrame) -> None:
    def fit(seed: int) -> dict[int, list[int]]:
        m = NearestNeighborMatcher(order="random", random_state=seed, caliper=0.1)
        return our_pairs(m.fit(lalonde, "treat", LALONDE_COVS))

    assert fit(7) == fit(7)
    assert fit(7) != reference_pairs("lalonde_caliper")  # a different greedy order, different pairs


def test_errors_are_one_line(lalonde: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="unknown covariate 'nope'"):
        NearestNeighborMatcher().fit(lalonde, "treat", ["age", "nope"])
    with pytest.raises(InputError, match="order 'biggest'"):
        NearestNeighborMatcher(order="biggest").fit(lalonde, "treat", ["age"])
    with pytest.raises(InputError, match="ratio"):
        NearestNeighborMatcher(ratio=0).fit(lalonde, "treat", ["age"])
    with pytest.raises(InputError, match="estimand"):
        NearestNeighborMatcher(estimand="ATE").fit(lalonde, "treat", ["age"])
    bad = lalonde.assign(grp=np.where(lalonde["treat"] == 1, "a", "b"))
    with pytest.raises(AnalysisError, match="exact matching on grp"):
        NearestNeighborMatcher(distance="age", exact=["grp"]).fit(bad, "treat", ["educ"])
    for err in (InputError, AnalysisError):
        assert "\n" not in str(err("x"))


def test_registry_and_summary(lalonde: pd.DataFrame) -> None:
    assert MATCHERS["nearest"] is NearestNeighborMatcher and MATCHERS["subclass"] is SubclassMatcher
    m = MATCHERS["nearest"](caliper=0.1).fit(lalonde, "treat", LALONDE_COVS)
    s = m.summary()
    assert s.loc["Matched", "Treated"] == 111 and s.loc["All", "Control"] == 429
    assert s.loc["Unmatched", "Treated"] == 185 - 111


def test_docs_worked_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    doc = (Path(__file__).resolve().parents[3] / "docs" / "matching.md").read_text()
    code = "\n".join(re.findall(r"```python\n(.*?)```", doc, re.S))
    assert "NearestNeighborMatcher" in code
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/matching.md", "exec"), {})  # its own asserts check caliper, exact and balance
    assert (tmp_path / "love_plot.png").exists()


def test_plot_distance_and_polars(lalonde: pd.DataFrame, tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    m = NearestNeighborMatcher(caliper=0.1).fit(pl.from_pandas(lalonde), "treat", LALONDE_COVS)
    assert m.n_["treated_matched"] == 111
    fig = m.plot_distance(tmp_path / "d.png")
    assert len(fig.axes) == 2 and (tmp_path / "d.png").stat().st_size > 5000
    with pytest.raises(InputError, match="plot_distance"):
        NearestNeighborMatcher(distance="mahalanobis").fit(lalonde, "treat", ["age", "educ"]).plot_distance()


def walk(d, t, ok, order, ratio, caliper, cov=None, cov_cal=None, strata=None):
    """MatchIt 4.7.2's matching without replacement written the slow, literal way: each round, each treated
    unit walks outwards in the stable sort of all units, one step left then one right, from the outermost
    controls it already has; a side stops at its first acceptable control or past the caliper; the nearer
    wins, the one met first among equals."""
    n = len(d)
    srt = np.argsort(d, kind="stable")
    pos = np.empty(n, int)
    pos[srt] = np.arange(n)
    avail = (~t) & ok
    out = np.full((len(order), ratio), -1)
    lo = {u: pos[u] for u in order}
    hi = dict(lo)
    for r in range(ratio):
        for i, u in enumerate(order):
            if not ok[u] or (r and out[i, 0] < 0):
                continue
            found = []  # (step, control, distance)
            for side, start in ((-1, lo[u]), (1, hi[u])):
                z, step = start, 0
                while 0 <= z + side < n:
                    z += side
                    step += 1
                    c = srt[z]
                    if not avail[c]:
                        continue
                    dist = abs(d[u] - d[c])
                    if dist > caliper:
                        break
                    if strata is not None and strata[c] != strata[u]:
                        continue
                    if cov is not None and (np.abs(cov[u] - cov[c]) > cov_cal).any():
                        continue
                    found.append((2 * step - (side < 0), c, dist))
                    break
            if found:
                found.sort()  # in the order the alternating walk meets them
                best = min(found, key=lambda f: f[2])  # min keeps the first of equals
                c = best[1]
                out[i, r] = c
                avail[c] = False
                lo[u], hi[u] = min(lo[u], pos[c]), max(hi[u], pos[c])
    return out


@pytest.mark.parametrize("compiled", [False, True], ids=["interpreted", "numba"])
@pytest.mark.parametrize("seed", range(40))
def test_fast_path_equals_literal_walk(seed: int, compiled: bool) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 120))
    t = rng.random(n) < rng.uniform(0.1, 0.6)
    d = np.round(rng.random(n), int(rng.integers(1, 4)))  # coarse values: many ties
    ok = rng.random(n) > 0.1
    ratio = int(rng.integers(1, 4))
    caliper = float(rng.choice([np.inf, 0.05, 0.2]))
    order = np.flatnonzero(t)[rng.permutation(int(t.sum()))]
    cal = None if np.isinf(caliper) else caliper
    cov = cov_cal = None
    if seed % 2:
        cov = rng.integers(0, 6, (n, 2)).astype(float)
        cov_cal = np.array([1.0, 2.0])
    fast = nearest.match_1d_without_replacement(d, t, ok, order, ratio, cal, None, cov, cov_cal, compiled)
    np.testing.assert_array_equal(fast, walk(d, t, ok, order, ratio, caliper, cov, cov_cal))


@pytest.mark.parametrize("seed", range(6))
def test_stable_order_radix_sort_equals_numpys_stable_sort(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compiled radix sort (large data) gives R's order(): numpy's stable argsort, ties in data order."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    x = rng.normal(scale=10.0 ** float(rng.integers(-3, 4)), size=n)
    runs = rng.random(n) < 0.3  # many equal values, scattered through the data
    x[runs] = rng.choice(np.round(x[: max(1, n // 50)], 1), size=int(runs.sum()))
    x[rng.random(n) < 0.05] = -0.0
    x[rng.random(n) < 0.05] = 0.0
    x[rng.random(n) < 0.02] = float(rng.choice([np.finfo(float).max, -np.finfo(float).max, 5e-324, -5e-324]))
    monkeypatch.setattr(sorting, "use_compiled", lambda n: True)
    got, values = sorting.stable_sort(x)
    np.testing.assert_array_equal(got, np.argsort(x, kind="stable"))
    assert got.dtype == np.int32
    assert (values == x[got]).all()  # the sorted values too (-0.0 may come back as 0.0, which is equal)
    same, _ = sorting.stable_sort(np.full(7, 2.5))  # no digit differs, no pass runs: the data order
    np.testing.assert_array_equal(same, np.arange(7))


@pytest.mark.parametrize("seed", range(20))
def test_with_replacement_takes_the_nearest_acceptable_controls(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(5, 120))
    t = rng.random(n) < rng.uniform(0.1, 0.6)
    d = np.round(rng.random(n), int(rng.integers(1, 4)))
    ok = rng.random(n) > 0.1
    ratio = int(rng.integers(1, 4))
    cov = rng.integers(0, 6, (n, 1)).astype(float)
    strata = rng.integers(0, 2, n)
    order = np.flatnonzero(t)
    got = nearest.match_1d_with_replacement(d, t, ok, order, ratio, 0.3, strata, cov, np.array([2.0]))
    for i, u in enumerate(order):
        if not ok[u]:
            assert (got[i] < 0).all()
            continue
        cand = np.flatnonzero((~t) & ok & (strata == strata[u]) & (np.abs(cov[:, 0] - cov[u, 0]) <= 2))
        dist = np.sort(np.abs(d[u] - d[cand]))
        dist = dist[dist <= 0.3][:ratio]
        mine = got[i][got[i] >= 0]
        np.testing.assert_allclose(np.sort(np.abs(d[u] - d[mine])), dist)


def test_partial_sort_replays_libstdcxx() -> None:
    # heap select keeps the first of equal keys at the boundary, sort_heap orders the kept ones
    assert nearest._partial_sort([0.2, 0.1, 0.2, 0.1], 1) == [1]
    assert nearest._partial_sort([0.3, 0.1, 0.3, 0.2, 0.3], 3) == [1, 3, 0]  # replayed by hand
    keys = [0.5, 0.1, 0.4, 0.1, 0.4]
    got = nearest._partial_sort(keys, 2)
    assert sorted(keys[j] for j in got) == [0.1, 0.1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"caliper": {"nope": 1.0}}, "caliper 'nope': no such column"),
        ({"caliper": {"race": 1.0}}, "caliper 'race': calipers need a numeric column"),
        ({"caliper": {"age": -1}}, r"caliper 'age' = -1: expected a positive number"),
        ({"caliper": {"age": 2}, "std_caliper": {"educ": False}}, "std_caliper 'educ': no caliper of"),
        ({"caliper": 0.2, "std_caliper": "no"}, "std_caliper 'no': expected true, false or a mapping"),
        ({"caliper": {}}, "caliper: an empty mapping"),
        ({"caliper": {"age": 2}, "distance": "mahalanobis"}, "caliper: not available with distance"),
    ],
)
def test_bad_calipers_are_refused_in_one_line(lalonde: pd.DataFrame, kwargs, message) -> None:
    with pytest.raises(InputError, match=message):
        NearestNeighborMatcher(**kwargs).fit(lalonde, "treat", LALONDE_COVS)
