"""Matching against R MatchIt 4.5.1 fixtures (tests/reference, from make_matchit_reference.R) and by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import desist.evaluation._nearest as nearest
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
    "lalonde_mahalanobis": {"distance": "mahalanobis"},
    "lalonde_atc_caliper": {"estimand": "ATC", "caliper": 0.25},  # rows are controls, matched to treated
    "sim_nn1_caliper_exact": {"caliper": 0.05, "exact": ["band"]},
    "sim_nn3_raw_caliper": {"ratio": 3, "caliper": 0.02, "std_caliper": False},
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


def test_with_replacement_matches_matchit_up_to_ties(sim: pd.DataFrame) -> None:
    """MatchIt picks k nearest with std::partial_sort, whose order among equal distances is unspecified;
    sim has discrete covariates and many tied scores, so compare the matched distances, not the unit ids."""
    name = "sim_nn2_replace_caliper"
    m = NearestNeighborMatcher(ratio=2, replace=True, caliper=0.1).fit(sim, "treat", SIM_COVS)
    d = pd.read_csv(REF / f"{name}_units.csv")["distance"].to_numpy()
    ref, ours = reference_pairs(name), our_pairs(m)
    assert ref.keys() == ours.keys()
    for t in ref:
        np.testing.assert_allclose(sorted(abs(d[t] - d[ref[t]])), sorted(abs(d[t] - d[ours[t]])), atol=1e-12)
    exact_same = sum(ref[t] == ours[t] for t in ref)
    assert exact_same >= 0.9 * len(ref)


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


def test_ties_go_to_first_control_in_data_order() -> None:
    df = pd.DataFrame({"t": [0, 1, 0, 0], "d": [0.4, 0.5, 0.6, 0.4], "x": range(4)})
    m = NearestNeighborMatcher(distance="d").fit(df, "t", ["x"])
    assert our_pairs(m) == {1: [0]}  # 0.4 and 0.6 equally far: control 0 comes first


def test_speed_path_agrees_with_brute_force() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    t = rng.random(n) < 0.3
    d = np.round(rng.random(n), 3)  # many ties
    order = np.flatnonzero(t)[np.argsort(-d[t], kind="stable")]
    fast = nearest.match_1d_without_replacement(d, t, np.ones(n, bool), order, 2, 0.01)
    avail = ~t
    slow = np.full_like(fast, -1)
    for r in range(2):
        for i, u in enumerate(order):
            idx = np.flatnonzero(avail)
            if idx.size == 0:
                break
            diff = np.abs(d[u] - d[idx])
            ok = diff <= 0.01
            if ok.any():
                j = idx[ok][np.argmin(diff[ok])]
                slow[i, r] = j
                avail[j] = False
    np.testing.assert_array_equal(fast, slow)


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


def brute_force(d, t, ok, order, ratio, caliper, replace):
    """MatchIt's nn_matchC rule written the slow, obvious way: for each match round and treated unit in order,
    the eligible control with the smallest |difference| (first in data order among equals)."""
    avail = (~t) & ok
    out = np.full((len(order), ratio), -1)
    for r in range(ratio):
        for i, u in enumerate(order):
            if not ok[u]:
                continue
            idx = np.flatnonzero(avail)
            if replace:
                idx = idx[~np.isin(idx, out[i])]
            diff = np.abs(d[u] - d[idx])
            idx, diff = idx[diff <= caliper], diff[diff <= caliper]
            if idx.size:
                j = idx[np.argmin(diff)]
                out[i, r] = j
                if not replace:
                    avail[j] = False
    return out


@pytest.mark.parametrize("seed", range(40))
def test_fast_paths_equal_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 120))
    t = rng.random(n) < rng.uniform(0.1, 0.6)
    d = np.round(rng.random(n), int(rng.integers(1, 4)))  # coarse values: many ties
    ok = rng.random(n) > 0.1
    ratio = int(rng.integers(1, 4))
    caliper = float(rng.choice([np.inf, 0.05, 0.2]))
    order = np.flatnonzero(t)[rng.permutation(int(t.sum()))]
    cal = None if np.isinf(caliper) else caliper
    fast = nearest.match_1d_without_replacement(d, t, ok, order, ratio, cal)
    np.testing.assert_array_equal(fast, brute_force(d, t, ok, order, ratio, caliper, False))
    fast_r = nearest.match_1d_with_replacement(d, t, ok, order, ratio, cal)
    np.testing.assert_array_equal(fast_r, brute_force(d, t, ok, order, ratio, caliper, True))
