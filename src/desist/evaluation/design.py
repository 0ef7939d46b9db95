"""Turn a data frame into the numeric design matrix and treatment vector used by every design step.

String, categorical and boolean columns become dummy variables the way R's model formulas code them
(treatment contrasts: the first level is the reference and is dropped), so a propensity model fitted here
has the same columns as ``glm(treat ~ ...)`` in R and MatchIt's results can be reproduced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from desist.domain.errors import InputError
from desist.evaluation._frame import Columns, as_columns, is_categorical, missing, missing_counts

if TYPE_CHECKING:
    import pandas as pd


def as_pandas(data: Any) -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame (polars frames and numpy columns are converted; anything else
    is an error)."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Columns):
        return data.to_pandas()
    if hasattr(data, "to_pandas") and type(data).__module__.startswith("polars"):
        converted: pd.DataFrame = data.to_pandas()
        return converted
    raise InputError(f"data: expected a pandas or polars DataFrame, got {type(data).__name__}")


def check_columns(data: Any, columns: Sequence[str], what: str = "column") -> None:
    """Raise :class:`InputError` naming every column of ``columns`` that ``data`` lacks."""
    if isinstance(columns, str):
        raise InputError(f"{what}s: expected a list of column names, got the string {columns!r}")
    absent = [c for c in columns if c not in data.columns]
    if absent:
        shown = ", ".join(map(str, list(data.columns)[:12]))
        raise InputError(
            f"unknown {what} {', '.join(map(repr, absent))}: expected one of the data's columns ({shown}"
            f"{', ...' if data.shape[1] > 12 else ''})"
        )


def _missing_detail(data: Any, columns: Sequence[str]) -> str:
    """``"col: n, ..."`` for the columns of ``columns`` with missing values; empty when none has any."""
    counts = missing_counts(as_columns(data), columns)
    return ", ".join(f"{c}: {n}" for c, n in counts.items())


def check_missing(data: Any, columns: Sequence[str]) -> None:
    """Raise :class:`InputError` with per-column counts when any of ``columns`` has missing values."""
    detail = _missing_detail(data, columns)
    if detail:
        raise InputError(
            f"missing values in {detail} (of {len(data)} rows): expected complete data; drop or impute first"
        )


def complete_rows(data: Any, columns: Sequence[str], *, drop: bool) -> tuple[Columns, int]:
    """The rows complete in ``columns`` (as :class:`Columns`) and how many were dropped; without ``drop`` a
    gap is an error. The error names the per-column counts and points at ``missing='drop'``.
    """
    data = as_columns(data)
    detail = _missing_detail(data, columns)
    if not detail:
        return data, 0
    if not drop:
        raise InputError(
            f"missing values in {detail} (of {len(data)} rows); expected complete data or missing='drop'"
        )
    keep = ~np.logical_or.reduce([missing(data[c]) for c in dict.fromkeys(columns)])
    if not keep.any():
        raise InputError(
            f"missing values in {detail} (of {len(data)} rows): no complete rows are left after "
            "missing='drop'; expected some rows with every column used"
        )
    return data.take(keep), int((~keep).sum())


def _levels(data: Columns, name: str) -> list[Any]:
    # R: factor levels are the categories in order for a factor, sorted unique values for a character vector.
    values = data[name]
    if values.dtype.kind == "b":
        return [v for v in (False, True) if (values == v).any()]
    present = set(values[~missing(values)].tolist())
    if name in data.levels:
        return [c for c in data.levels[name] if c in present]
    return sorted(present, key=lambda v: (str(type(v)), v))


def _spread_finite(values: np.ndarray) -> bool:
    """Whether the SD of these finite numbers can be computed (their squares do not overflow). Below 1e100
    they cannot (ten thousand million squares of 4e200 stay below 1e308): only then is the SD computed."""
    if not len(values) or max(abs(float(values.min())), abs(float(values.max()))) < 1e100:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.std(values)))


def design_columns(data: Any, covariates: list[str], drop_first: bool = True) -> tuple[list[str], np.ndarray]:
    """The design matrix of :func:`design_matrix` as column names and an (n, p) float array (C order).

    One numeric covariate is returned without a copy when it is already a float column.
    """
    df = as_columns(data)
    if not covariates:
        raise InputError("covariates: expected at least one covariate column, got none")
    check_columns(df, covariates, "covariate")
    check_missing(df, covariates)
    names: list[str] = []
    parts: list[np.ndarray] = []
    for name in covariates:
        col = df[name]
        if is_categorical(col) or name in df.levels:
            for level in _levels(df, name)[1:] if drop_first else _levels(df, name):
                names.append(f"{name}_{level}")
                parts.append((col == level).astype(float))
            continue
        if col.dtype.kind not in "iuf":
            raise InputError(f"covariate {name!r}: expected numbers or categories, got {col.dtype}")
        values = col.astype(float, copy=False)
        if not np.all(np.isfinite(values)):
            raise InputError(f"covariate {name!r}: has infinite values; expected finite numbers")
        if not _spread_finite(values):
            # squares overflow: the logistic fit and the balance statistics would silently give NaN/0
            biggest = float(np.max(np.abs(values)))
            raise InputError(
                f"covariate {name!r}: values as large as {biggest:.3g} are too large to compute with; "
                "expected numbers on a sensible scale (rescale the column)"
            )
        names.append(name)
        parts.append(values)
    if len(parts) == 1:
        return names, np.ascontiguousarray(parts[0]).reshape(-1, 1)
    return names, np.column_stack(parts) if parts else np.zeros((len(df), 0))


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
    import pandas as pd

    df = as_columns(data)
    names, X = design_columns(df, covariates, drop_first)
    index = df.index if df.index is not None else pd.RangeIndex(len(df))
    return pd.DataFrame(X, columns=names, index=index)


def treatment_vector(data: Any, treatment: str) -> np.ndarray:
    """Boolean treatment indicator from a 0/1 or boolean column.

    Raises
    ------
    InputError
        Unknown column, missing values, or values other than 0/1 (the values found are named).
    """
    df = as_columns(data)
    check_columns(df, [treatment], "treatment column")
    col = df[treatment]
    n_missing = int(missing(col).sum())
    if n_missing:
        raise InputError(
            f"treatment column {treatment!r}: {n_missing} missing values; expected 0/1 for every row"
        )
    if len(col) == 0:
        raise InputError(
            f"treatment column {treatment!r}: the data have no rows; expected one row per person"
        )
    if col.dtype.kind in "biuf":  # numbers: one pass, no sort of millions of rows
        ok = bool(np.all((col == 0) | (col == 1)))
    else:
        try:
            ok = all(v in {0, 1} for v in set(col.tolist()))
        except TypeError:
            ok = False
    if not ok:
        values = set(col.tolist()) if col.dtype.kind == "O" else np.unique(col).tolist()
        found = ", ".join(map(repr, sorted(map(str, values))[:10]))
        raise InputError(f"treatment column {treatment!r}: expected binary 0/1 values, found {found}")
    t = col.astype(bool)
    if t.all() or not t.any():
        raise InputError(
            f"treatment column {treatment!r}: expected both treated (1) and untreated (0) rows, "
            f"found only {int(t[0])}"
        )
    return t
