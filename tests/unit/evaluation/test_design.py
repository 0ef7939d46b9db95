from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desist.domain.errors import InputError
from desist.evaluation.design import design_matrix, treatment_vector


def test_dummies_as_r_model_formula() -> None:
    df = pd.DataFrame(
        {"age": [20, 30, 40, 50], "band": ["low", "high", "medium", "low"], "flag": [True, False, True, True]}
    )
    X = design_matrix(df, ["age", "band", "flag"])
    # levels sorted (high, low, medium); first dropped, as R's treatment contrasts
    assert list(X.columns) == ["age", "band_low", "band_medium", "flag_True"]
    np.testing.assert_array_equal(X["band_low"], [1, 0, 0, 1])
    np.testing.assert_array_equal(X["flag_True"], [1, 0, 1, 1])
    assert X.dtypes.eq(float).all()
    full = design_matrix(df, ["band"], drop_first=False)
    assert list(full.columns) == ["band_high", "band_low", "band_medium"]


def test_categorical_keeps_category_order() -> None:
    band = pd.Categorical(["low", "high", "low"], categories=["low", "medium", "high"])
    X = design_matrix(pd.DataFrame({"band": band}), ["band"])
    assert list(X.columns) == ["band_high"]  # unused "medium" has no column; "low" is the reference


def test_polars_input() -> None:
    pl = pytest.importorskip("polars")
    X = design_matrix(pl.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), ["a", "b"])
    assert list(X.columns) == ["a", "b_y"]


def test_errors_name_column_and_counts() -> None:
    df = pd.DataFrame({"a": [1.0, None, None], "b": [None, 1.0, 2.0], "t": [0, 1, 2]})
    with pytest.raises(InputError, match="unknown covariate 'zz'"):
        design_matrix(df, ["a", "zz"])
    with pytest.raises(InputError, match=r"missing values in a: 2, b: 1 \(of 3 rows\)"):
        design_matrix(df, ["a", "b"])
    with pytest.raises(InputError, match="expected binary 0/1 values, found '0', '1', '2'"):
        treatment_vector(df, "t")
    with pytest.raises(InputError, match="only"):
        treatment_vector(pd.DataFrame({"t": [1, 1]}), "t")


def test_treatment_vector_accepts_bool_and_01() -> None:
    assert treatment_vector(pd.DataFrame({"t": [True, False]}), "t").tolist() == [True, False]
    assert treatment_vector(pd.DataFrame({"t": [1.0, 0.0]}), "t").dtype == bool
