"""The data fingerprint: ``sha256:...`` of the rows and columns an evaluation read.

Definition (:func:`_canonical`): each value is printed as text - missing as NUL, booleans as 0/1, whole
numbers as their digits, other numbers to 12 significant digits (``format(v, ".12g")``), anything else with
``str`` - a column's texts are joined by ``\\x1f`` and followed by ``\\x1e``; the digest starts with the JSON
list of column names. The same values give the same print whether read from CSV, Parquet or the database.

Two ways to print, one digest (tests/unit/test_fingerprint.py compares them with the value-by-value
definition):

* small data: numpy for integers and whole numbers, ``format`` for fractions, 131,072 rows at a time;
* large numeric columns (from :data:`desist.evaluation._jit.COMPILED_FROM` rows): ``format`` costs about a
  microsecond a value, 11 s for a national file, so the texts are written straight into a byte buffer by a
  compiled loop. Twelve significant digits of a double ``v`` are ``m = round(|v| * 10**(11 - X))`` with
  ``X = floor(log10|v|)``; powers of ten up to 1e22 are exact doubles, so the product rounds once and is
  within 6.1e-5 of the exact one (it is below 2**40, where a double's spacing is 2**-13; below 1e-11 two
  products, within 2.5e-4), and wherever its fraction is not within 1e-4 (1e-3) of one half the rounding is
  certainly the one ``format`` makes. The rest (about one value in 5,000: near-halves, ``m`` outside twelve
  digits, extreme exponents, infinities, integers past 2**62) are printed by ``format`` itself, and every text
  is then laid out as Python's ``.12g`` lays it out.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np

from desist.evaluation._jit import compiled, use_compiled

#: rows printed at a time by the compiled path (a 23 MB buffer)
_ROWS = 1 << 20
_P10 = np.array([10.0**k for k in range(23)])  # exact doubles
_NAN, _INT, _G12, _TEXT = 0, 1, 2, 3  # how each value is printed


def fingerprint(data: Any, columns: list[str], chunk: int = 1 << 17) -> str:
    """``sha256:...`` of ``data[columns]`` (values, column names and row order; numbers to 12 significant
    digits). ``data`` is a pandas DataFrame or :class:`~desist.evaluation._frame.Columns`."""
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in columns]).encode())
    for col in columns:
        values = data[col]
        arr = _numeric(values)
        if arr is not None and use_compiled(len(arr)):
            _compiled_column(arr, digest)
        else:
            for start in range(0, len(values), chunk):
                if start:
                    digest.update(b"\x1f")
                rows = slice(start, start + chunk)
                if arr is not None:
                    part = arr[rows]
                else:  # pandas columns are sliced by position
                    part = values.iloc[rows] if hasattr(values, "iloc") else values[rows]
                digest.update("\x1f".join(_canonical_texts(part)).encode("utf-8"))
        digest.update(b"\x1e")
    return "sha256:" + digest.hexdigest()


def _numeric(values: Any) -> np.ndarray | None:
    """The values as a numpy bool, int64 or float64 array, or None when they are not plain numbers."""
    dtype = getattr(values, "dtype", None)
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
        return None
    arr = np.asarray(values)
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 and len(arr) and arr.max() >= 2**63:
        return None  # past int64: printed by the definition
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.int64, copy=False)
        # the compiled loop prints |v|, which int64 cannot hold for its smallest value
        return None if len(arr) and arr.min() == np.iinfo(np.int64).min else arr
    if arr.dtype.kind == "f":
        return arr.astype(np.float64, copy=False)
    return arr


def _canonical_texts(values: Any) -> list[str]:
    """:func:`_canonical` of every value, vectorised for numpy bool, integer and float arrays."""
    kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else "O"
    if kind == "b":
        return np.where(np.asarray(values), "1", "0").tolist()  # type: ignore[no-any-return]
    if kind in "iu":  # each distinct value printed once (a 0/1 column has two)
        uniques, codes = np.unique(np.asarray(values), return_inverse=True)
        texts = np.array([str(u) for u in uniques.tolist()], dtype=object)
        return texts[codes].tolist()  # type: ignore[no-any-return]
    if kind == "f":
        a = np.asarray(values).astype(np.float64)
        out = np.empty(len(a), dtype=object)
        out.fill("\x00")  # missing (np.full would read the NUL as the end of a numpy string)
        finite = np.isfinite(a)
        whole = finite & (a == np.trunc(a))
        small = whole & (np.abs(a) < 2.0**62)  # exact in int64: repr(int(f)) is the integer's digits
        out[small] = a[small].astype(np.int64).astype(str)
        big = whole & ~small
        out[big] = [repr(int(f)) for f in a[big].tolist()]
        rest = ~whole & ~np.isnan(a)  # fractions and infinities
        out[rest] = [format(f, ".12g") for f in a[rest].tolist()]
        return out.tolist()
    # as text, so the same values give the same print whether read from CSV, Parquet or the database
    if isinstance(values, np.ndarray) and kind == "O":
        return [_canonical(None if v is None or v != v else v) for v in values.tolist()]
    import pandas as pd  # dates and times print as pandas prints them (str of a Timestamp)

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    return [_canonical(v) for v in series.astype(object).where(series.notna(), None)]


def _canonical(v: Any) -> str:
    if v is None:
        return "\x00"
    if isinstance(v, bool | np.bool_):
        return str(int(v))
    if isinstance(v, float | np.floating):
        # 12 significant digits: the same value computed twice (a score re-derived on import, a CSV round
        # trip) may differ in its last bit, and that is not different data
        f = float(v)
        return repr(int(f)) if f.is_integer() else format(f, ".12g")
    return str(v)


# ------------------------------------------------------------------ compiled printing (large columns)


def _plan(a: np.ndarray, p10: np.ndarray, how: np.ndarray, mant: np.ndarray, expo: np.ndarray) -> None:
    """How to print each double: NaN, as an integer (``mant``), as 12 digits ``mant`` (signed) with
    exponent ``expo``, or by ``format`` (near-halves and the other cases in the module docstring)."""
    for i in range(len(a)):
        v = a[i]
        if v != v:
            how[i] = 0
            continue
        av = abs(v)
        if av == math.inf:
            how[i] = 3
            continue
        if v == math.floor(v):
            if av < 4611686018427387904.0:  # 2**62
                how[i] = 1
                mant[i] = np.int64(v)
            else:
                how[i] = 3
            continue
        x = int(math.floor(math.log10(av)))
        shift = 11 - x
        band = 1e-4  # one rounding: s is within 6.1e-5 of the exact product (s < 2**40, ulp 2**-13)
        if shift < 0:
            s = av / p10[-shift] if shift >= -22 else -1.0
        elif shift <= 22:
            s = av * p10[shift]
        elif shift <= 44:
            s = (av * p10[22]) * p10[shift - 22]
            band = 1e-3  # two roundings: within 2.5e-4
        else:
            s = -1.0
        fl = math.floor(s)
        frac = s - fl
        if s < 0 or abs(frac - 0.5) < band:
            how[i] = 3
            continue
        m = np.int64(fl) + (1 if frac > 0.5 else 0)
        if m < 100000000000 or m >= 1000000000000:
            how[i] = 3
            continue
        how[i] = 2
        mant[i] = m if v > 0 else -m
        expo[i] = x


def _write(
    how: np.ndarray,
    mant: np.ndarray,
    expo: np.ndarray,
    text: np.ndarray,
    text_end: np.ndarray,
    out: np.ndarray,
) -> int:
    """Write every value's text into ``out``, separated by 0x1f; returns the bytes used.

    ``text``/``text_end`` hold the texts ``format`` made for the values planned as such, one after another.
    """
    digits = np.empty(24, np.uint8)
    pairs = np.empty(200, np.uint8)  # "00", "01", ..., "99"
    for r in range(100):
        pairs[2 * r] = 48 + r // 10
        pairs[2 * r + 1] = 48 + r % 10
    o = 0
    t = 0
    for i in range(len(how)):
        if i:
            out[o] = 31
            o += 1
        h = how[i]
        if h == 0:
            out[o] = 0
            o += 1
        elif h == 3:
            start = text_end[t - 1] if t else 0
            for j in range(start, text_end[t]):
                out[o] = text[j]
                o += 1
            t += 1
        elif h == 1:
            v = mant[i]
            if v < 0:
                out[o] = 45  # "-"
                o += 1
                v = -v
            nd = 0
            while True:
                digits[nd] = 48 + v % 10
                nd += 1
                v //= 10
                if v == 0:
                    break
            for j in range(nd - 1, -1, -1):
                out[o] = digits[j]
                o += 1
        else:
            m = mant[i]
            x = expo[i]
            if m < 0:
                out[o] = 45
                o += 1
                m = -m
            for j in range(10, -1, -2):  # the 12 digits, most significant first, two at a time
                r = m % 100
                m //= 100
                digits[j] = pairs[2 * r]
                digits[j + 1] = pairs[2 * r + 1]
            nd = 12
            while digits[nd - 1] == 48:  # trailing zeros are dropped (m has a leading non-zero digit)
                nd -= 1
            if -4 <= x < 12:  # positional
                if x >= 0:
                    for j in range(x + 1):
                        out[o] = digits[j]
                        o += 1
                    if nd > x + 1:
                        out[o] = 46  # "."
                        o += 1
                        for j in range(x + 1, nd):
                            out[o] = digits[j]
                            o += 1
                else:
                    out[o] = 48
                    out[o + 1] = 46
                    o += 2
                    for _ in range(-x - 1):
                        out[o] = 48
                        o += 1
                    for j in range(nd):
                        out[o] = digits[j]
                        o += 1
            else:  # scientific: d.ddd, "e", sign, at least two exponent digits
                out[o] = digits[0]
                o += 1
                if nd > 1:
                    out[o] = 46
                    o += 1
                    for j in range(1, nd):
                        out[o] = digits[j]
                        o += 1
                out[o] = 101  # "e"
                out[o + 1] = 45 if x < 0 else 43
                o += 2
                ax = -x if x < 0 else x
                if ax >= 100:
                    out[o] = 48 + ax // 100
                    o += 1
                out[o] = 48 + (ax // 10) % 10
                out[o + 1] = 48 + ax % 10
                o += 2
    return o


def _compiled_column(arr: np.ndarray, digest: Any) -> None:
    """Feed ``digest`` the ``\x1f``-joined texts of a numeric array, as the definition prints them (see the
    module docstring), a million rows at a time in buffers made once."""
    rows = min(len(arr), _ROWS)
    how = np.empty(rows, dtype=np.int8)
    mant = np.empty(rows, dtype=np.int64)
    expo = np.empty(rows, dtype=np.int64)
    out = np.empty(22 * rows, dtype=np.uint8)
    for start in range(0, len(arr), _ROWS):
        part = arr[start : start + _ROWS]
        m = len(part)
        if arr.dtype.kind == "f":
            compiled(_plan)(part, _P10, how[:m], mant[:m], expo[:m])
        else:
            how[:m] = _INT
            mant[:m] = part
        odd = np.flatnonzero(how[:m] == _TEXT)
        texts = [_canonical(v).encode("utf-8") for v in part[odd].tolist()]
        text = np.frombuffer(b"".join(texts), dtype=np.uint8) if texts else np.zeros(0, np.uint8)
        text_end = np.cumsum([len(t) for t in texts], dtype=np.int64) if texts else np.zeros(1, np.int64)
        if len(out) < 22 * m + len(text):
            out = np.empty(22 * m + len(text), dtype=np.uint8)
        used = compiled(_write)(how[:m], mant[:m], expo[:m], text, text_end, out)
        if start:
            digest.update(b"\x1f")
        digest.update(out[:used])  # hashed in place, not copied into a bytes object
