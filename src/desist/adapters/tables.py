"""Read an analysis table (CSV or Parquet) into pandas or numpy columns: only the columns asked for, with
one-line errors.

Both formats are read by Apache Arrow: its CSV reader parses in parallel and converts only the requested
columns, and Parquet is columnar, so a national file with many columns costs memory for the few an analysis
uses. CSV parsing is kept as close as possible to ``pandas.read_csv``: the same missing-value markers, dates
left as text, integers with gaps as floats.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desist.adapters.csv_header import header_problem
from desist.domain.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from desist.evaluation._frame import Columns

#: pandas.read_csv's default missing-value markers, so both readers agree on what is missing
NA_VALUES = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def check_csv_header(p: Path) -> None:
    """Refuse a repeated column name and a header separated by something other than commas.

    pandas renames a repeated column to ``name.1`` and reads a semicolon-separated file as one column,
    so both would otherwise surface later as a misleading "required column missing".
    """
    with p.open(encoding="utf-8-sig", newline="") as fh:
        problem = header_problem([h.strip() for h in next(csv.reader(fh), [])])
    if problem is not None:
        raise InputError(f"{p}: {problem}")


def _pick(names: list[str], columns: Sequence[str] | None, option: str, path: Path) -> list[str] | None:
    """The requested columns the file has, in request order; None for all."""
    if columns is None:
        return None
    picked = [c for c in dict.fromkeys(columns) if c in names]
    if not picked:
        raise InputError(
            f"{option} {path}: none of the columns {', '.join(columns)} is in the file; "
            f"its columns are {', '.join(names) or '(none)'}"
        )
    return picked


def _read_csv(path: Path, columns: Sequence[str] | None, option: str):  # -> pyarrow.Table
    import pyarrow.csv as pacsv

    with path.open(encoding="utf-8-sig", newline="") as fh:
        names = next(csv.reader(fh), [])
    table = pacsv.read_csv(
        path,
        memory_pool=_pool(),
        # one block up to a gigabyte: each column then comes as one Arrow array, which numpy can use as it
        # is instead of copying hundreds of blocks into a new array (0.8 s and 260 MB of fresh pages for a
        # national file); the parse costs the same CPU time
        read_options=pacsv.ReadOptions(block_size=max(1 << 20, min(path.stat().st_size + 1, 1 << 30))),
        convert_options=pacsv.ConvertOptions(
            include_columns=_pick(names, columns, option, path),
            null_values=list(NA_VALUES),
            strings_can_be_null=True,
            timestamp_parsers=[],  # pandas leaves dates as text unless asked
        ),
    )
    return _dates_as_text(table)


def _pool():  # -> pyarrow.MemoryPool
    """jemalloc for reading: pyarrow's default pool (mimalloc) spent 1.3-2.3 s of system time and 800 MB
    mapping and unmapping pages while a 260 MB CSV was parsed, jemalloc 0.4 s and 680 MB."""
    import pyarrow as pa

    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc
        return pa.system_memory_pool()


def _dates_as_text(table):  # pyarrow.Table -> pyarrow.Table
    """Arrow infers ISO dates as date32 even without timestamp parsers; pandas keeps them as text."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        if pa.types.is_date(field.type) or pa.types.is_time(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table


def read_table(
    path: Path | str, columns: Sequence[str] | None = None, option: str = "--data"
) -> pd.DataFrame:
    """Read a ``.csv`` or ``.parquet`` file into a pandas DataFrame.

    Parameters
    ----------
    path : path of the file.
    columns : names to read (default all). Names the file lacks are skipped, so that the caller's own
        column check can say which are missing.
    option : the command-line option that named the file, for error messages.

    Raises
    ------
    InputError
        One line naming the file: missing, a folder, an unsupported type, unreadable, or no data rows.
    """
    table = read_arrow(path, columns, option)
    # hand each Arrow buffer over as it is converted, so the file is not held twice
    return table.to_pandas(self_destruct=True, split_blocks=True)


def read_columns(path: Path | str, columns: Sequence[str] | None = None, option: str = "--data") -> Columns:
    """Read a ``.csv`` or ``.parquet`` file into numpy columns (:class:`~desist.evaluation._frame.Columns`),
    as :func:`read_table` reads it into pandas but without importing pandas: integers with gaps become
    floats with NaN, text an object array with None for gaps, a Parquet dictionary column a categorical.
    """
    import pyarrow as pa

    from desist.evaluation._frame import Columns

    table = read_arrow(path, columns, option)
    n = table.num_rows
    cols: dict[str, np.ndarray] = {}
    levels: dict[str, list[object]] = {}
    while table.num_columns:  # column by column, each Arrow column freed once converted
        name, col = table.column_names[0], table.column(0)
        table = table.remove_column(0)
        kind = col.type
        if pa.types.is_dictionary(kind):
            col = col.unify_dictionaries() if hasattr(col, "unify_dictionaries") else col
            levels[name] = col.chunk(0).dictionary.to_pylist() if col.num_chunks else []
            col = col.cast(kind.value_type)
        cols[name] = _to_numpy(col)
        del col
    _pool().release_unused()  # give the parser's freed pages back before the analysis needs memory
    return Columns(cols, n, levels)


def _to_numpy(col: pa.ChunkedArray) -> np.ndarray:
    """An Arrow column as numpy, as pandas would hold it: integers with gaps as floats with NaN, text and
    booleans with gaps as objects with None.

    Numbers and booleans are read straight from the Arrow buffers: pyarrow's own ``to_numpy`` imports pandas
    (about a third of a second) even for a column of plain numbers.
    """
    import pyarrow as pa

    kind = col.type
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
    if not (numeric or pa.types.is_boolean(kind)) or pa.types.is_float16(kind):
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return np.array([*col.to_pylist(), None], dtype=object)[:-1]  # the None keeps it 1-D
        return col.to_numpy(zero_copy_only=False)  # dates, times, decimals...: rare, via pandas
    letter = "f" if pa.types.is_floating(kind) else "u" if pa.types.is_unsigned_integer(kind) else "i"
    dtype = np.dtype(bool) if pa.types.is_boolean(kind) else np.dtype(f"{letter}{kind.bit_width // 8}")
    parts, valid = [], []
    for chunk in col.chunks:
        bitmap, data = chunk.buffers()[:2]
        lo, hi = chunk.offset, chunk.offset + len(chunk)
        if pa.types.is_boolean(kind):
            parts.append(_bits(data, lo, hi))
        else:
            parts.append(np.frombuffer(data, dtype=dtype)[lo:hi])
        valid.append(_bits(bitmap, lo, hi) if chunk.null_count else np.ones(hi - lo, dtype=bool))
    values = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
    if not col.null_count:
        return values
    ok = np.concatenate(valid)
    if pa.types.is_boolean(kind):
        out = values.astype(object)
        out[~ok] = None
        return out
    values = values.astype(np.float64)
    values[~ok] = np.nan
    return values


def _bits(buffer: pa.Buffer, lo: int, hi: int) -> np.ndarray:
    """Bits ``lo:hi`` of an Arrow bitmap (least significant bit first) as booleans."""
    return np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), bitorder="little")[lo:hi].astype(bool)


def read_arrow(path: Path | str, columns: Sequence[str] | None = None, option: str = "--data") -> pa.Table:
    """Read a ``.csv`` or ``.parquet`` file into an Arrow table (see :func:`read_table`)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{option} {path}: file not found")
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; expected a .csv or .parquet file")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"{option} {path}: unsupported file type {path.suffix.lower()!r}; expected .csv or .parquet"
        )
    import pyarrow as pa

    try:
        if kind == "csv":
            # a repeated or semicolon-separated header would otherwise read as renamed or merged columns
            check_csv_header(path)
            table = _read_csv(path, columns, option)
        else:
            import pyarrow.parquet as pq

            wanted = _pick(pq.read_schema(path).names, columns, option, path)
            # one file, read directly: pq.read_table goes through pyarrow.dataset, which imports pandas
            table = pq.ParquetFile(path).read(columns=wanted)
        if table.num_rows == 0:
            raise InputError(f"{option} {path}: no data rows; expected one row per person under the header")
    except (ValueError, OSError, pa.ArrowException, UnicodeDecodeError, StopIteration) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{option} {path}: could not be read ({first})") from None
    return table
