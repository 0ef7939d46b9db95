from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desist.domain.errors import InputError
from desist.evaluation.balance import balance_table, love_plot
from desist.evaluation.matching import NearestNeighborMatcher, SubclassMatcher

REF = Path(__file__).resolve().parents[2] / "reference"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]


@pytest.mark.parametrize(
    ("name", "matcher", "estimand"),
    [
        ("lalonde_nn1", NearestNeighborMatcher(), "ATT"),
        ("lalonde_subclass6_ate", SubclassMatcher(6, estimand="ATE"), "ATE"),
    ],
)
def test_balance_equals_matchit_summary(name, matcher, estimand) -> None:
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
