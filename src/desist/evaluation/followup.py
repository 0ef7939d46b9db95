"""Justice Data Lab follow-up windows: who reoffended within the window, and time to first proven reoffence.

The Justice Data Lab counts a proven reoffence when the offence is committed within the follow-up window after
release (or the start of a community sentence) and proven by a conviction or caution within that window or a
further six-month waiting period (domain.md section 6). People whose data end before window + waiting period
cannot be classified: they are excluded from fixed-window rates (``reoffended`` is <NA>) and censored in the
survival columns.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from desist.domain.errors import InputError


def _dates(data: pd.DataFrame, col: str, *, required: bool) -> pd.Series:
    if col not in data.columns:
        raise InputError(
            f"follow-up: column {col!r} not found; columns are {', '.join(map(str, data.columns))}"
        )
    raw = data[col]
    out = pd.to_datetime(raw, errors="coerce")
    bad = out.isna() & raw.notna()
    if bad.any():
        first = raw[bad].iloc[0]
        raise InputError(
            f"follow-up: column {col!r} has {int(bad.sum())} values that are not dates (e.g. {first!r})"
        )
    if required and out.isna().any():
        raise InputError(
            f"follow-up: column {col!r} has {int(out.isna().sum())} missing dates; expected one for everyone"
        )
    return out


def jdl_followup(
    data: pd.DataFrame,
    start: str,
    offence: str,
    proven: str,
    end_of_data: str | date | pd.Timestamp,
    *,
    years: float = 1,
    waiting_months: int = 6,
) -> pd.DataFrame:
    """Derive Justice Data Lab outcome columns from dates.

    Parameters
    ----------
    data : DataFrame
        One row per person.
    start : str
        Column with the start of follow-up (release from custody or start of a community sentence).
    offence : str
        Column with the date of the first offence committed after ``start`` (empty if none recorded).
    proven : str
        Column with the date that offence was proven (conviction or caution); empty if none.
    end_of_data : date-like or str
        A single date (when the data were extracted) or the name of a per-person column.
    years : float
        Length of the fixed follow-up window (1 for the JDL one-year rate, 2 for two years).
    waiting_months : int
        Waiting period for proof after the window ends (6 for the Justice Data Lab).

    Returns
    -------
    DataFrame, indexed as ``data``, with columns
        ``followup_complete`` (bool), ``reoffended`` (nullable Int8: 1/0, <NA> when follow-up is incomplete),
        ``time_days`` (days to the first proven offence or to censoring; <NA> if no follow-up at all) and
        ``event`` (1 if a proven offence ended the time, else 0).

    Notes
    -----
    For survival, follow-up is censored at end of data minus the waiting period, so every offence counted has
    had the full waiting period in which to be proven; an offence after that date is not counted.
    """
    s = _dates(data, start, required=True)
    o = _dates(data, offence, required=False)
    p = _dates(data, proven, required=False)
    if isinstance(end_of_data, str) and end_of_data in data.columns:
        end = _dates(data, end_of_data, required=True)
    else:
        try:
            end = pd.Series(pd.Timestamp(end_of_data), index=data.index)
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"follow-up: end_of_data {end_of_data!r} is neither a date nor a column"
            ) from exc
    if not years > 0:
        raise InputError(f"follow-up: years = {years} must be > 0")
    if (p.notna() & o.isna()).any():
        raise InputError(
            f"follow-up: {int((p.notna() & o.isna()).sum())} people have a proven date but no offence date"
        )
    if ((p < o) & p.notna()).any():
        raise InputError(
            f"follow-up: {int((p < o).sum())} people have a proven date before their offence date"
        )
    window = pd.DateOffset(months=int(round(12 * years)))
    waiting = pd.DateOffset(months=waiting_months)
    window_end = s + window
    complete = (window_end + waiting) <= end
    after_start = o.notna() & (o >= s)
    in_window = after_start & (o < window_end) & p.notna() & (p <= window_end + waiting)
    reoffended = pd.array(np.where(complete, in_window.astype(int), 0), dtype="Int8")
    reoffended[~complete.to_numpy()] = pd.NA
    censor = end - waiting
    event = after_start & (o <= censor) & p.notna() & (p <= end)
    time = np.where(event, (o - s).dt.days, (censor - s).dt.days).astype(float)
    time_series = pd.Series(time, index=data.index)
    # no follow-up at all (data end before start + waiting period): unknown, not a zero-length survival time
    time_series[(time_series <= 0) & ~event.to_numpy()] = np.nan
    return pd.DataFrame(
        {
            "followup_complete": complete.to_numpy(),
            "reoffended": reoffended,
            "time_days": time_series.astype("Float64"),
            "event": event.astype(int).to_numpy(),
        },
        index=data.index,
    )
