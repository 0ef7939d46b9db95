"""The analysis-table reader: CSV and Parquet, only the columns asked for, pandas-compatible parsing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desist.adapters.tables import read_table
from desist.domain.errors import InputError

CSV = (
    "id,age,band,start,flag,note\n"
    "1,30,low,2012-06-01,True,\n2,,high,2013-01-02,False,NA\n3,41.5,low,,True,x\n"
)


def test_csv_parses_as_pandas_does(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(CSV)
    ours, theirs = read_table(path), pd.read_csv(path)
    assert list(ours.columns) == list(theirs.columns)
    assert ours.dtypes.to_dict() == theirs.dtypes.to_dict()  # dates stay text, gaps make floats
    pd.testing.assert_frame_equal(ours.fillna(-1), theirs.fillna(-1))


def test_only_requested_columns_are_read(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(CSV)
    df = read_table(path, ["age", "id", "age", "not_there"])
    assert list(df.columns) == ["age", "id"]  # request order, duplicates once, absent ones left to the caller
    np.testing.assert_array_equal(df["id"], [1, 2, 3])
    with pytest.raises(InputError, match="none of the columns zz is in the file; its columns are id, age"):
        read_table(path, ["zz"])


def test_parquet_reads_only_requested_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    frame = pd.DataFrame({"t": [1, 0, 0], "x": [0.5, 1.5, -2.0], "wide": ["a", "b", "c"]})
    frame.to_parquet(path)
    df = read_table(path, ["t", "x"])
    pd.testing.assert_frame_equal(df, frame[["t", "x"]])
    pd.testing.assert_frame_equal(read_table(path), frame)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "--input {p}: file not found"),
        ("d.txt", "a\n1\n", "--input {p}: unsupported file type '.txt'; expected .csv or .parquet"),
        ("empty.csv", "a,b\n", "--input {p}: no data rows"),
        ("bad.parquet", "not parquet", "--input {p}: could not be read"),
        ("semi.csv", "a;b\n1;2\n", "the header row is separated by semicolons"),
        ("twice.csv", "a,a\n1,2\n", "column 'a' appears twice"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, name: str, content: str | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as info:
        read_table(path, option="--input")
    assert message.format(p=path) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(InputError, match="is a folder"):
        read_table(tmp_path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_numpy_columns_hold_what_pandas_holds(tmp_path: Path, suffix: str) -> None:
    """read_columns (the evaluation's reader, no pandas) gives the values read_table gives, column by column:
    integers with gaps as floats with NaN, text and booleans with gaps as objects with None, a Parquet
    categorical with its categories in order. Large enough for Arrow to read the CSV in several chunks."""
    from desist.adapters.tables import read_columns
    from desist.evaluation._frame import as_columns

    rng = np.random.default_rng(3)
    n = 200_000
    df = pd.DataFrame(
        {
            "i": rng.integers(-5, 5, n),
            "gaps": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 9, n)),
            "f": rng.normal(size=n),
            "b": rng.random(n) < 0.5,
            "bgap": pd.array(np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.5), dtype="boolean"),
            "s": np.where(rng.random(n) < 0.1, None, rng.choice(["low", "high"], n)),
            "c": pd.Categorical(rng.choice(["z", "a", "m"], n), categories=["z", "m", "a"]),
        }
    )
    path = tmp_path / f"d{suffix}"
    df.to_csv(path, index=False) if suffix == ".csv" else df.to_parquet(path)
    ours, theirs = read_columns(path), as_columns(read_table(path))
    assert ours.columns == theirs.columns and len(ours) == n
    for name in ours.columns:
        a, b = ours[name], theirs[name]
        assert a.dtype == b.dtype, name
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(a, b)  # NaN where pandas has NaN
        else:
            assert a.tolist() == b.tolist(), name
    assert ours.levels == theirs.levels == ({"c": ["z", "m", "a"]} if suffix == ".parquet" else {})
