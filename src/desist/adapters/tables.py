"""Read an analysis table (CSV or Parquet) into pandas: only the columns asked for, with one-line errors.

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

from desist.domain.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

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
        header = [h.strip() for h in next(csv.reader(fh), [])]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise InputError(
                f"{p}: column {name!r} appears twice in the header row, expected each column once"
            )
        seen.add(name)
    if len(header) == 1:
        for sep, what in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if sep in header[0]:
                raise InputError(
                    f"{p}: the header row is separated by {what}, expected a comma-separated CSV"
                )


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
        convert_options=pacsv.ConvertOptions(
            include_columns=_pick(names, columns, option, path),
            null_values=list(NA_VALUES),
            strings_can_be_null=True,
            timestamp_parsers=[],  # pandas leaves dates as text unless asked
        ),
    )
    return _dates_as_text(table)


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
            table = pq.read_table(path, columns=wanted)
        if table.num_rows == 0:
            raise InputError(f"{option} {path}: no data rows; expected one row per person under the header")
        # hand each Arrow buffer over as it is converted, so the file is not held twice
        df = table.to_pandas(self_destruct=True, split_blocks=True)
        del table
    except (ValueError, OSError, pa.ArrowException, UnicodeDecodeError, StopIteration) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{option} {path}: could not be read ({first})") from None
    return df
