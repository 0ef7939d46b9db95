"""The evaluation's table: named numpy columns of one length, without pandas.

Importing pandas costs more CPU time than R takes to load MatchIt and match a thousand people, so the default
path of ``desist evaluate`` (read the columns used from a CSV or Parquet file, nearest-neighbour matching on a
logistic score, balance, outcome, sensitivity) works on numpy arrays. Data given as a pandas or polars frame
are viewed column by column (numeric columns without copies); tables in the results (balance, estimates) are
made into pandas frames only when asked for, and options that need pandas (survival, subgroups, exact
matching, plots) import it then.

Column values: numbers and booleans as numpy arrays (missing numbers as NaN), text and mixed values as
object arrays (missing as None). A pandas categorical keeps its categories, in order, in ``levels``: R's
formulas code a factor's levels in that order.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from desist.domain.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


class Columns:
    """Named 1-D numpy arrays of one length, in column order: ``data[name]`` is a column, ``len(data)`` the
    number of rows and ``data.columns`` the names, as for a pandas frame.

    ``levels`` maps a categorical column to its categories in order; ``index`` is the pandas index of the
    frame the columns came from (None: positions 0..n-1).
    """

    __slots__ = ("_cols", "_n", "index", "levels")

    def __init__(
        self,
        cols: Mapping[str, np.ndarray],
        n: int | None = None,
        levels: Mapping[str, list[Any]] | None = None,
        index: Any = None,
    ) -> None:
        self._cols = {str(k): v for k, v in cols.items()}
        lengths = {len(v) for v in self._cols.values()}
        if n is None:
            n = lengths.pop() if lengths else 0
        if lengths - {n}:
            raise InputError(f"data: columns of different lengths {sorted(lengths)}; expected one length")
        self._n = n
        self.levels = dict(levels or {})
        self.index = index

    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name]

    def __contains__(self, name: object) -> bool:
        return name in self._cols

    def __iter__(self) -> Iterator[str]:
        return iter(self._cols)

    def __len__(self) -> int:
        """The number of rows, as a pandas frame's ``len``."""
        return self._n

    def keys(self) -> KeysView[str]:
        return self._cols.keys()

    def items(self) -> ItemsView[str, np.ndarray]:
        return self._cols.items()

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    @property
    def shape(self) -> tuple[int, int]:
        return self._n, len(self._cols)

    def select(self, names: Sequence[str]) -> Columns:
        """These columns only (no copies)."""
        return Columns(
            {k: self._cols[k] for k in names},
            self._n,
            {k: v for k, v in self.levels.items() if k in names},
            self.index,
        )

    def take(self, rows: np.ndarray) -> Columns:
        """The rows selected by a boolean mask or positions, renumbered 0..m-1."""
        kept = {k: v[rows] for k, v in self._cols.items()}
        n = int(np.count_nonzero(rows)) if rows.dtype == bool else len(rows)
        return Columns(kept, n, self.levels)

    def to_pandas(self) -> pd.DataFrame:
        """A pandas frame of the same columns (categorical columns as pandas categoricals)."""
        import pandas as pd

        out = {}
        for k, v in self._cols.items():
            out[k] = pd.Categorical(v, categories=self.levels[k]) if k in self.levels else v
        return pd.DataFrame(out, index=self.index)


def as_columns(data: Any) -> Columns:
    """``data`` as :class:`Columns`: a pandas or polars frame (or a mapping of names to arrays)."""
    if isinstance(data, Columns):
        return data
    module = type(data).__module__
    if module.startswith("pandas") and hasattr(data, "columns") and hasattr(data, "iloc"):
        return _from_pandas(data)
    if module.startswith("polars") and hasattr(data, "to_pandas"):
        return _from_pandas(data.to_pandas())
    if isinstance(data, dict) and all(isinstance(v, np.ndarray) and v.ndim == 1 for v in data.values()):
        return Columns(data)
    raise InputError(f"data: expected a pandas or polars DataFrame, got {type(data).__name__}")


def _from_pandas(df: Any) -> Columns:
    import pandas as pd

    cols: dict[str, np.ndarray] = {}
    levels: dict[str, list[Any]] = {}
    for name in df.columns:
        col = df[name]
        if isinstance(col, pd.DataFrame):
            raise InputError(f"data: column {name!r} appears twice; expected each column once")
        dtype = col.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
            cols[str(name)] = col.to_numpy()
        elif isinstance(dtype, pd.CategoricalDtype):
            cols[str(name)] = _objects(col.astype(object))
            levels[str(name)] = list(dtype.categories)
        elif pd.api.types.is_bool_dtype(dtype):  # nullable boolean: with gaps, True/False/None
            gaps = bool(col.isna().any())
            cols[str(name)] = _objects(col) if gaps else col.to_numpy(dtype=bool)
        elif pd.api.types.is_numeric_dtype(dtype):
            # nullable Int64/Float64: plain numpy when complete, else floats with NaN (as pandas itself does
            # for a numeric column with gaps)
            plain = getattr(dtype, "numpy_dtype", np.dtype(float))
            gaps = bool(col.isna().any())
            values = col.to_numpy(dtype=float, na_value=np.nan) if gaps else col.to_numpy(dtype=plain)
            cols[str(name)] = values
        else:
            cols[str(name)] = _objects(col)
    plain_index = isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1
    return Columns(cols, len(df), levels, None if plain_index else df.index)


def _objects(col: Any) -> np.ndarray:
    """A pandas column as an object array with None for every missing value (NaN, NA, NaT)."""
    values: np.ndarray = col.to_numpy(dtype=object)
    gaps = col.isna().to_numpy()
    if gaps.any():
        values = values.copy()
        values[gaps] = None
    return values


# ------------------------------------------------------------------ column tests


def is_categorical(values: np.ndarray) -> bool:
    """Columns R would treat as a factor: text, mixed values, booleans."""
    return values.dtype.kind in "bOUS"


def missing(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the missing values: NaN for numbers, NaT for dates, None or NaN in object columns."""
    kind = values.dtype.kind
    out: np.ndarray
    if kind == "f":
        out = np.isnan(values)
        return out
    if kind in "mM":
        out = np.isnat(values)
        return out
    if kind == "O":
        return np.fromiter((v is None or v != v for v in values.tolist()), dtype=bool, count=len(values))
    return np.zeros(len(values), dtype=bool)


def missing_counts(data: Columns, columns: Sequence[str]) -> dict[str, int]:
    """Missing values per column of ``columns`` (only those with any)."""
    counts = {c: int(missing(data[c]).sum()) for c in dict.fromkeys(columns)}
    return {c: n for c, n in counts.items() if n}


def to_float(values: Any) -> np.ndarray:
    """Numbers as floats; anything that is not a number becomes NaN (pandas' ``to_numeric(errors="coerce")``,
    which is imported only for text)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biuf":
        return arr.astype(float)
    import pandas as pd

    return pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(dtype=float)
