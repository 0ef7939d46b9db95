"""Vectorised scoring of whole pandas DataFrames, validated as the record path validates.

The scalar modules (:mod:`osp`, :mod:`static99r`, :mod:`rm2000`, :mod:`pni`) are the reference; scoring a
million records one pydantic model at a time takes minutes, while numpy does it in about a second per tool
(:mod:`desist.domain.risk.frame_scorers`, same ``Cuts`` tables). Every row is checked first with the record
path's rules (:mod:`desist.domain.risk.frame_checks`): age 7 or ``contact_adult_sanctions = -3`` is refused
with one line naming the row and the field, ``sex`` "m" is read as "M", a PNI row with OSP inputs gets its
OSP bands computed. Output frames use the flattened output names of ``desist risk --format csv``
(``osp_dc.points``, ``need.overall``, ...), with ``<NA>`` where a value does not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from desist.domain.errors import InputError
from desist.domain.risk.frame_scorers import _FRAMES
from desist.domain.risk.rejects import Reject


def score_frame(
    tool: str, df: pd.DataFrame, *, on_error: str = "fail", first_row: int = 1
) -> tuple[pd.DataFrame, list[Reject]]:
    """Validate every row with the record path's rules, then score the valid ones vectorised.

    Parameters
    ----------
    tool : str
        ``osp``, ``static99r``, ``rm2000`` or ``pni``.
    df : DataFrame
        One record per row, columns named as the tool's fields (others are ignored); None / NaN / NA for a
        missing value. Values are read as the record path reads them: ``sex`` "m" is "M", yes/no words are
        booleans, a PNI row with OSP inputs gets its OSP bands computed.
    on_error : {"fail", "skip"}
        ``fail``: the first refused row raises its line; ``skip``: refused rows are left out and returned.
    first_row : int
        The row number the first row is called by in messages (1-based).

    Returns
    -------
    (DataFrame, list of Reject)
        Results of the accepted rows in row order (flattened names, as ``desist risk --format csv``), and
        the refused rows.

    Raises
    ------
    InputError
        ``on_error="fail"`` and a row is refused, e.g. ``record 3 (id P-3): field 'age': 7 is out of range,
        expected 10 to 110``.
    """
    columns = {str(c): df[c] for c in df.columns}
    _, scores, rejects = check_and_score(
        tool, columns, len(df), lambda i: _record(df, i), on_error=on_error, first_row=first_row
    )
    return scores, rejects


def check_and_score(
    tool: str,
    columns: Mapping[str, Any],
    n: int,
    raw: Callable[[int], dict[str, Any]],
    *,
    on_error: str = "fail",
    first_row: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Reject]]:
    """:func:`score_frame` for records given as columns (lists, arrays, pyarrow arrays), also giving the
    validated inputs of the accepted rows (as the tool reads them: numbers as floats, NaN or "" where missing,
    a PNI row's computed OSP bands): ``(inputs, scores, rejects)``.

    ``raw(i)`` gives record ``i`` as the record path would read it; it is called only for rows the vectorised
    checks cannot accept outright (see :func:`desist.domain.risk.frame_checks.check_columns`).
    """
    from desist.domain.risk.frame_checks import check_columns

    checked = check_columns(tool, columns, n, raw, first_row)
    if checked.rejects and on_error == "fail":
        raise InputError(str(checked.rejects[0]))
    keep = None if checked.keep.all() else checked.keep
    clean = pd.DataFrame({k: v if keep is None else v[keep] for k, v in checked.columns.items()}, copy=False)
    return clean, _FRAMES[tool](clean), checked.rejects


def _record(df: pd.DataFrame, i: int) -> dict[str, Any]:
    """Row ``i`` as the record path would receive it (Python values, None for missing)."""
    out: dict[str, Any] = {}
    for c in df.columns:
        v = df[c].iat[i]
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            v = None
        out[str(c)] = v.item() if isinstance(v, np.generic) else v
    return out


def osp_frame(df: pd.DataFrame) -> pd.DataFrame:
    """OSP/DC and OSP/IIC for every row, validated as the record path validates (see :func:`score_frame`)."""
    return score_frame("osp", df)[0]


def static99r_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Static-99R total, level and items for every row, validated (see :func:`score_frame`)."""
    return score_frame("static99r", df)[0]


def rm2000_frame(df: pd.DataFrame) -> pd.DataFrame:
    """RM2000/S, /V and /C for every row, validated (see :func:`score_frame`)."""
    return score_frame("rm2000", df)[0]


def pni_frame(df: pd.DataFrame) -> pd.DataFrame:
    """PNI need, risk level and pathway for every row, validated (see :func:`score_frame`)."""
    return score_frame("pni", df)[0]


FRAMES = {"osp": osp_frame, "static99r": static99r_frame, "rm2000": rm2000_frame, "pni": pni_frame}
