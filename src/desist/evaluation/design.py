"""Turn a data frame into the numeric design matrix and treatment vector used by every design step.

String, categorical and boolean columns become dummy variables the way R's model formulas code them
(treatment contrasts: the first level is the reference and is dropped), so a propensity model fitted here
has the same columns as ``glm(treat ~ ...)`` in R and MatchIt's results can be reproduced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from desist.domain.errors import InputError


def as_pandas(data: Any) -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame (polars frames are converted; anything else is an error)."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas") and type(data).__module__.startswith("polars"):
        converted: pd.DataFrame = data.to_pandas()
        return converted
    raise InputError(f"data: expected a pandas or polars DataFrame, got {type(data).__name__}")


def check_columns(data: pd.DataFrame, columns: Sequence[str], what: str = "column") -> None:
    """Raise :class:`InputError` naming every column of ``columns`` that ``data`` lacks."""
    if isinstance(columns, str):
        raise InputError(f"{what}s: expected a list of column names, got the string {columns!r}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        shown = ", ".join(map(str, list(data.columns)[:12]))
        raise InputError(
            f"unknown {what} {', '.join(map(repr, missing))}: expected one of the data's columns ({shown}"
            f"{', ...' if data.shape[1] > 12 else ''})"
        )


def _missing_detail(data: pd.DataFrame, columns: Sequence[str]) -> str:
    """``"col: n, ..."`` for the columns of ``columns`` with missing values; empty when none has any."""
    counts = data[list(columns)].isna().sum()
    return ", ".join(f"{c}: {int(n)}" for c, n in counts[counts > 0].items())


def check_missing(data: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise :class:`InputError` with per-column counts when any of ``columns`` has missing values."""
    detail = _missing_detail(data, columns)
    if detail:
        raise InputError(
            f"missing values in {detail} (of {len(data)} rows): expected complete data; drop or impute first"
        )


def complete_rows(data: pd.DataFrame, columns: Sequence[str], *, drop: bool) -> tuple[pd.DataFrame, int]:
    """The rows complete in ``columns`` and how many were dropped; without ``drop`` a gap is an error.

    The error names the per-column counts and points at ``missing='drop'``.
    """
    detail = _missing_detail(data, columns)
    if not detail:
        return data, 0
    if not drop:
        raise InputError(
            f"missing values in {detail} (of {len(data)} rows); expected complete data or missing='drop'"
        )
    keep = data[list(columns)].notna().all(axis=1)
    if not keep.any():
        raise InputError(
            f"missing values in {detail} (of {len(data)} rows): no complete rows are left after "
            "missing='drop'; expected some rows with every column used"
        )
    return data[keep], int((~keep).sum())


def _levels(col: pd.Series) -> list[Any]:
    # R: factor levels are the categories in order for a factor, sorted unique values for a character vector.
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna().unique().tolist())
        return [c for c in col.cat.categories if c in present]
    return sorted(col.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))


def is_categorical(col: pd.Series) -> bool:
    """True for columns R would treat as a factor (string, object, categorical, boolean)."""
    return bool(
        pd.api.types.is_bool_dtype(col)
        or isinstance(col.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(col)
        or pd.api.types.is_string_dtype(col)
    )


def design_matrix(data: Any, covariates: list[str], drop_first: bool = True) -> pd.DataFrame:
    """Numeric design matrix (no intercept) for ``covariates``, coded as R's model formulas code them.

    Parameters
    ----------
    data : pandas.DataFrame or polars.DataFrame
    covariates : list of str
        Column names. Numeric columns pass through as float; string, categorical and boolean columns become
        one 0/1 column per level except the first (columns named ``"col_level"``).
    drop_first : bool
        False keeps a column for every level (for balance tables, which report each category).

    Returns
    -------
    pandas.DataFrame
        Float columns, same index as ``data``.

    Raises
    ------
    InputError
        Unknown column, missing values (with counts per column), or no covariates.

    Examples
    --------
    >>> import pandas as pd
    >>> design_matrix(pd.DataFrame({"age": [20, 30, 40], "band": ["low", "high", "low"]}), ["age", "band"])
        age  band_low
    0  20.0       1.0
    1  30.0       0.0
    2  40.0       1.0
    """
    df = as_pandas(data)
    if not covariates:
        raise InputError("covariates: expected at least one covariate column, got none")
    check_columns(df, covariates, "covariate")
    check_missing(df, covariates)
    parts: dict[str, np.ndarray] = {}
    for name in covariates:
        col = df[name]
        if is_categorical(col):
            levels = _levels(col)
            values = col.to_numpy()
            for level in levels[1:] if drop_first else levels:
                parts[f"{name}_{level}"] = (values == level).astype(float)
        else:
            try:
                parts[name] = col.to_numpy(dtype=float)
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"covariate {name!r}: expected numbers or categories, got {col.dtype}"
                ) from exc
            if not np.all(np.isfinite(parts[name])):
                raise InputError(f"covariate {name!r}: has infinite values; expected finite numbers")
            with np.errstate(over="ignore", invalid="ignore"):
                spread = float(np.std(parts[name]))
            if not np.isfinite(spread):
                # squares overflow: the logistic fit and the balance statistics would silently give NaN/0
                biggest = float(np.max(np.abs(parts[name])))
                raise InputError(
                    f"covariate {name!r}: values as large as {biggest:.3g} are too large to compute with; "
                    "expected numbers on a sensible scale (rescale the column)"
                )
    return pd.DataFrame(parts, index=df.index)


def treatment_vector(data: Any, treatment: str) -> np.ndarray:
    """Boolean treatment indicator from a 0/1 or boolean column.

    Raises
    ------
    InputError
        Unknown column, missing values, or values other than 0/1 (the values found are named).
    """
    df = as_pandas(data)
    check_columns(df, [treatment], "treatment column")
    col = df[treatment]
    n_missing = int(col.isna().sum())
    if n_missing:
        raise InputError(
            f"treatment column {treatment!r}: {n_missing} missing values; expected 0/1 for every row"
        )
    if len(col) == 0:
        raise InputError(
            f"treatment column {treatment!r}: the data have no rows; expected one row per person"
        )
    values = pd.unique(col)
    allowed = {0, 1}
    try:
        ok = all(v in allowed for v in values)
    except TypeError:
        ok = False
    if not ok or len(values) == 0:
        found = ", ".join(map(repr, sorted(map(str, values))[:10]))
        raise InputError(f"treatment column {treatment!r}: expected binary 0/1 values, found {found}")
    t = col.to_numpy().astype(bool)
    if t.all() or not t.any():
        raise InputError(
            f"treatment column {treatment!r}: expected both treated (1) and untreated (0) rows, "
            f"found only {int(t[0])}"
        )
    return t
