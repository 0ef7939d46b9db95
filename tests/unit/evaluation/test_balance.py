from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import desist.evaluation._ecdf as ecdf
from desist.domain.errors import InputError
from desist.evaluation.balance import balance_table, love_plot
from desist.evaluation.matching import NearestNeighborMatcher, SubclassMatcher

REF = Path(__file__).resolve().parents[2] / "reference"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "numba"])
@pytest.mark.parametrize(
    ("name", "matcher", "estimand"),
    [
        ("lalonde_nn1", NearestNeighborMatcher(), "ATT"),
        ("lalonde_subclass6_ate", SubclassMatcher(6, estimand="ATE"), "ATE"),
    ],
)
def test_balance_equals_matchit_summary(name, matcher, estimand, compiled, monkeypatch) -> None:
    """Both ways of computing the eCDF gap (small data: numpy; large: each group sorted, compiled merge)."""
    monkeypatch.setattr(ecdf, "use_compiled", lambda n: compiled)
    df = pd.read_csv(REF / "lalonde.csv")
    m = matcher.fit(df, "treat", COVS)
    tab = balance_table(df, "treat", COVS, weights=m.weights_, estimand=estimand).set_index("covariate")
    ref = pd.read_csv(REF / f"{name}_balance.csv")
    ref["term"] = ref["term"].str.replace("race", "race_")
    assert "race_black" in tab.index  # every level reported
    for sample in ("before", "after"):
        r = ref[ref["sample"] == sample].set_index("term").drop(index="distance")
        t = tab.loc[r.index]
        binary = t["type"] == "binary"
        raw = r["Means Treated"] - r["Means Control"]
        expected = np.where(binary, raw, r["Std. Mean Diff."])
        np.testing.assert_allclose(t[f"smd_{sample}"], expected, atol=1e-10)
        np.testing.assert_allclose(t[f"ecdf_max_{sample}"], r["eCDF Max"], atol=1e-10)
        np.testing.assert_allclose(
            t.loc[~binary, f"variance_ratio_{sample}"], r.loc[~binary, "Var. Ratio"], rtol=1e-9
        )
        assert t.loc[binary, f"variance_ratio_{sample}"].isna().all()


def test_flags_and_no_weights() -> None:
    df = pd.DataFrame({"t": [1, 1, 0, 0], "x": [1.0, 2.0, 1.0, 2.1], "b": [1, 0, 1, 0]})
    tab = balance_table(df, "t", ["x", "b"])
    assert tab["smd_after"].equals(tab["smd_before"])
    assert tab.set_index("covariate").loc["b", "flag"] == "ok"
    assert tab.set_index("covariate").loc["x", "flag"] == ">0.05"
    with pytest.raises(InputError, match="weights: expected 4"):
        balance_table(df, "t", ["x"], weights=[1, 1])


def test_love_plot_writes_png(tmp_path: Path) -> None:
    df = pd.read_csv(REF / "lalonde.csv")
    m = NearestNeighborMatcher().fit(df, "treat", COVS)
    tab = balance_table(df, "treat", COVS, weights=m.weights_)
    fig = love_plot(tab, tmp_path / "love.png")
    assert (tmp_path / "love.png").stat().st_size > 5000
    assert len(fig.axes[0].get_yticklabels()) == len(tab)


@pytest.mark.parametrize("seed", range(30))
def test_ecdf_gap_is_the_same_both_ways(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ties within and across groups, zero weights, equal and unequal weights."""
    rng = np.random.default_rng(seed)
    n1, n0 = (int(k) for k in rng.integers(1, 400, 2))
    digits = int(rng.integers(0, 3))
    x1 = np.round(rng.normal(size=n1), digits)
    x0 = np.round(rng.normal(size=n0) + 0.3, digits)
    kind = seed % 3  # all ones; 0/1 (matching); unequal (weighting)
    w1, w0 = np.ones(n1), np.ones(n0)
    if kind:
        w1 = (rng.random(n1) < 0.7) * (1.0 if kind == 1 else rng.random(n1) * 3)
        w0 = (rng.random(n0) < 0.7) * (1.0 if kind == 1 else rng.random(n0) * 3)
        w1[0] = w0[0] = 1.0
    got = {}
    for compiled in (False, True):
        monkeypatch.setattr(ecdf, "use_compiled", lambda n, c=compiled: c)
        got[compiled] = ecdf.ecdf_max(x1, w1, x0, w0)
    assert got[True] == pytest.approx(got[False], abs=1e-12)
    assert 0 < got[False] <= 1
