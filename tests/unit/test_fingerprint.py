"""The data fingerprint: vectorised, chunked printing gives the digest of the value-by-value definition."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

import desist.evaluation._fingerprint as fp
from desist.evaluation._fingerprint import _canonical, fingerprint


def _reference(data: pd.DataFrame, columns: list[str]) -> str:
    """The definition, value by value (what desist computed before the numeric columns were vectorised)."""
    frame = data[columns]
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in columns]).encode())
    for col in columns:
        text = frame[col].astype(object).where(frame[col].notna(), None).map(_canonical)
        digest.update("\x1f".join(text).encode("utf-8"))
        digest.update(b"\x1e")
    return "sha256:" + digest.hexdigest()


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) * 10.0 ** rng.integers(-8, 25, n)
    specials = [np.nan, np.inf, -np.inf, -0.0, 0.0, 3.0, -7.0, 2.0**62, 2.0**63, 1e20, 1e-300, 0.1, 1 / 3]
    x[: min(n, len(specials))] = specials[: min(n, len(specials))]
    x[rng.random(n) < 0.2] = 12.0  # whole numbers among the fractions
    return pd.DataFrame(
        {
            "i": rng.integers(-(2**40), 2**40, n),
            "i8": rng.integers(-5, 5, n).astype(np.int8),
            "u": rng.integers(0, 9, n).astype(np.uint16),
            "b": rng.random(n) < 0.5,
            "f": x,
            "f32": rng.normal(size=n).astype(np.float32),
            "whole": np.round(rng.normal(size=n) * 100),
            "s": pd.Series(rng.choice(["a", "b", None, "é"], n), dtype=object),
            "nullable": pd.array(rng.integers(0, 3, n), dtype="Int64"),
            "d": pd.Series([dt.date(2020, 1, 1 + k % 28) for k in range(n)], dtype=object),
        }
    )


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_fingerprint_equals_the_value_by_value_definition(n: int, chunk: int) -> None:
    df = _frame(n, seed=n)
    cols = list(df.columns)
    assert fingerprint(df, cols, chunk=chunk) == _reference(df, cols)


def test_fingerprint_prints_numbers_to_twelve_digits() -> None:
    a = pd.DataFrame({"x": [0.1 + 0.2, 3.0, np.nan]})
    b = pd.DataFrame({"x": [0.3, 3, None]}, dtype=float)
    c = pd.DataFrame({"x": [0.3000001, 3.0, np.nan]})
    assert fingerprint(a, ["x"]) == fingerprint(b, ["x"]) != fingerprint(c, ["x"])
    assert [str(v) for v in (_canonical(2.0**63), _canonical(-0.0), _canonical(float("inf")))] == [
        "9223372036854775808",
        "0",
        "inf",
    ]


def test_integer_and_whole_float_columns_print_alike() -> None:
    ints: dict[str, Any] = {"x": [1, 2, -3]}
    assert fingerprint(pd.DataFrame(ints), ["x"]) == fingerprint(pd.DataFrame(ints, dtype=float), ["x"])


def _awkward_doubles(n: int, seed: int) -> np.ndarray:
    """Doubles where twelve-digit rounding is hardest: near halves, near powers of ten, extreme exponents."""
    rng = np.random.default_rng(seed)
    m = rng.integers(10**11, 10**12, n).astype(float)
    tens = 10.0 ** rng.integers(-30, 20, n)
    parts = [
        rng.normal(size=n) * 10.0 ** rng.integers(-330, 300, n),
        (m + 0.5) / 10.0 ** rng.integers(0, 20, n),  # exactly or nearly half a unit in the 12th digit
        (m + 0.5 + rng.normal(size=n) * 1e-3) * 10.0 ** rng.integers(-6, 6, n),
        np.nextafter(tens, 0),
        np.nextafter(tens, np.inf),
        tens * (1 + rng.choice([-1, 1], n) * rng.random(n) * 1e-11),
        np.round(rng.normal(size=n) * 1000, 3),
        rng.normal(size=n).astype(np.float32).astype(np.float64),
        np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0**62, 2.0**62 - 512, -(2.0**63), 5e-324, 1e308,
                  2.0**52 + 0.5, 1e-5, 1.5e-5, 1e-4, 1.2345678901234e-4, 123456789012.5, 1234567890123.5]),
    ]  # fmt: skip
    return np.concatenate(parts)


@pytest.mark.parametrize("seed", range(3))
def test_compiled_printing_of_large_columns_gives_the_same_digest(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large numeric columns are printed by a compiled loop; its digest is the definition's, value for value,
    including the values where rounding to twelve digits is hardest."""
    n = 20_000
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"f": _awkward_doubles(n, seed)})
    m = len(df)
    df["i"] = rng.integers(-(2**62), 2**62, m)
    df.loc[:2, "i"] = [np.iinfo(np.int64).max, np.iinfo(np.int64).min + 1, 0]
    df["b"] = rng.random(m) < 0.5
    df["i8"] = rng.integers(-5, 5, m).astype(np.int8)
    df["f32"] = rng.normal(size=m).astype(np.float32)
    df["imin"] = np.iinfo(np.int64).min  # |v| does not fit: printed by the definition
    cols = list(df.columns)
    expected = _reference(df, cols)
    monkeypatch.setattr(fp, "use_compiled", lambda n: True)
    monkeypatch.setattr(fp, "_ROWS", 7_777)  # several buffers per column
    assert fingerprint(df, cols) == expected
