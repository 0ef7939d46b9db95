"""Who got which programme, as it happened: places by era and eligibility, with selection on observables.

Legacy era (programme start before the last Core groups, April 2017):

* **Core SOTP** for men 18+ serving 12 months or more, OSP/DC medium or above (standing in for RM2000/S
  medium or above, which the population does not score), not maintaining innocence, not LDC, not image-only
  (they went to i-SOTP). A place is not certain: the log-odds rise with risk and time left to serve and fall
  with age (``programmes.place_*`` in calibration.yaml), so treated men differ from untreated ones and a
  naive comparison is confounded - but only on things recorded in the data, so matching can undo it.
* **Extended SOTP** for some high / very high Core completers, straight after Core.
* **BNM** (adapted SOTP) for LDC men who would otherwise be eligible; **i-SOTP** for some image-only men.

Current era: **Horizon** (medium OSP/DC, from April 2016) and **Kaizen** (high / very high, from June 2017),
their LDC equivalents New Me Strengths and BNM+, and iHorizon for image-only men. Men maintaining innocence
can take part (less often), as Kaizen does not require discussing the offence.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from desist.synth.calibration import Calibration

DAY = np.timedelta64(1, "D")
HIGH = ("high", "very_high")
MEDIUM_UP = ("medium", "high", "very_high")


def _days(values: np.ndarray) -> np.ndarray:
    return np.round(values).astype("timedelta64[D]")


def _d(value: str | dt.date) -> np.datetime64:
    return np.datetime64(value, "D")


#: current-era programmes, sorted (searched with numpy.searchsorted)
CURRENT_CODES = ("BNM-PLUS", "HORIZON", "IHORIZON", "KAIZEN", "NMS")


def _current_from(code: str, cal: Calibration) -> np.datetime64:
    """First start date of a current programme: the later of its era date (Kaizen and BNM+ from June 2017,
    the moderate ones from April 2016, calibration.yaml) and its catalogue's ``available_from``, so the
    history never shows a programme the recommender thinks did not exist yet."""
    era = cal.value("programmes.kaizen_from" if code in ("KAIZEN", "BNM-PLUS") else "programmes.horizon_from")
    return max(_d(era), _catalogue_from(code))


def _catalogue_from(code: str) -> np.datetime64:
    from desist.domain.catalogue import default_catalogue

    return _d(default_catalogue()[code].available_from.value)


def _place(
    rng: np.random.Generator, men: pd.DataFrame, years_left: np.ndarray, cal: Calibration
) -> np.ndarray:
    """Whether an eligible man gets a place: a logistic model on risk, time left and age."""
    pts = men["osp_dc_points"].to_numpy(float)
    z = (pts - 26.0) / 6.0  # points around the medium band, in rough standard deviations
    logit = (
        cal.value("programmes.place_intercept")
        + cal.value("programmes.place_per_sd_points") * z
        + cal.value("programmes.place_per_year_left") * np.minimum(years_left, 8)
        + cal.value("programmes.place_per_decade_older") * (men["age_at_custody"].to_numpy() - 40) / 10
    )
    return rng.random(len(men)) < 1 / (1 + np.exp(-logit))


def _history(
    men: pd.DataFrame, who: np.ndarray, code: str, start: np.ndarray, end: np.ndarray, done: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "prison_number": men["prison_number"].to_numpy()[who],
            "programme_code": code,
            "started_on": start[who],
            "ended_on": end[who],
            "result": np.where(done[who], "completed", "incomplete"),
            "targets_met": done[who],
        }
    )


def assign_programmes(
    men: pd.DataFrame, rng: np.random.Generator, cal: Calibration
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decide every man's programme history.

    Parameters
    ----------
    men : DataFrame
        From :func:`desist.synth.population.generate_men`.
    rng : numpy.random.Generator
    cal : Calibration

    Returns
    -------
    (men, history)
        ``men`` with added columns ``core_eligible`` (the legacy rules apart from denial), ``core_completed``,
        ``core_ended``, ``extended_completed``, ``current_completed``; ``history`` one row per programme
        started (the ``programme-history`` import layout).
    """
    n = len(men)
    men = men.copy()
    start = men["custody_start"].to_numpy("datetime64[D]")
    release = men["release_date"].to_numpy("datetime64[D]")
    band = men["osp_dc_band"].to_numpy()
    images = (men["offence_type"] == "images_only").to_numpy()
    denier = men["maintains_innocence"].to_numpy(bool)
    ldc = men["ldc"].to_numpy(bool)
    weeks = cal.value("programmes.weeks")
    length = _days(rng.normal(weeks * 7, 14, n))
    wait = _days(rng.uniform(60, 540, n))
    first = start + wait
    years_left = (release - first).astype(float) / 365.25
    completes = rng.random(n) < cal.value("programmes.completion_rate")
    # a man who drops out leaves part-way through
    end = first + np.where(completes, length, _days(length.astype(float) * rng.uniform(0.1, 0.8, n)))
    fits = first + length <= release

    legacy_last = _d(cal.value("programmes.legacy_last_start"))
    legacy_end = _d(cal.value("programmes.legacy_last_end"))
    legacy_time = fits & (first <= legacy_last) & (first + length <= legacy_end)
    basic = (
        (men["sentence_months"].to_numpy() >= cal.value("programmes.core_min_sentence_months"))
        & (men["age_at_custody"].to_numpy() >= cal.value("programmes.core_min_age"))
        & np.isin(band, MEDIUM_UP)
        & ~images
        & ~ldc
    )
    men["core_eligible"] = basic & legacy_time  # the comparison pool: eligible on everything but denial
    place = _place(rng, men, years_left, cal)
    core = basic & legacy_time & ~denier & place
    bnm = (
        (men["sentence_months"].to_numpy() >= 12)
        & np.isin(band, MEDIUM_UP)
        & ~images
        & ldc
        & ~denier
        & ~men["iq_under_70"].to_numpy(bool)
        & legacy_time
        & place
    )
    isotp = (
        images
        & legacy_time
        & (first >= _catalogue_from("I-SOTP"))
        & (men["sentence_months"].to_numpy() >= 12)
        & ~denier
        & (rng.random(n) < 0.3)
    )
    parts = [
        _history(men, core, "SOTP-CORE", first, end, completes),
        _history(men, bnm, "SOTP-BNM", first, end, completes),
        _history(men, isotp, "I-SOTP", first, end, completes),
    ]
    core_done = core & completes
    men["core_completed"] = core_done
    men["core_ended"] = np.where(core, end, np.datetime64("NaT"))

    ext_start = end + _days(rng.uniform(30, 150, n))
    ext_end = ext_start + _days(rng.normal(20 * 7, 10, n))
    extended = (
        core_done
        & np.isin(band, HIGH)
        & (rng.random(n) < cal.value("programmes.extended_share_high"))
        & (ext_end <= release)
        & (ext_end <= _d(cal.value("programmes.legacy_last_end")))
    )
    parts.append(_history(men, extended, "SOTP-EXT", ext_start, ext_end, np.ones(n, bool)))
    men["extended_completed"] = extended

    # current era: men still serving when Horizon / Kaizen arrived and not treated in the legacy era
    untreated = ~(core | bnm | isotp)
    high = np.isin(band, HIGH)
    codes = np.select(
        [images, high & ldc, high, ldc], ["IHORIZON", "BNM-PLUS", "KAIZEN", "NMS"], default="HORIZON"
    )
    available = np.array([_current_from(code, cal) for code in CURRENT_CODES], dtype="datetime64[D]")
    c_start = np.maximum(first, available[np.searchsorted(CURRENT_CODES, codes)])
    c_end = c_start + length
    share = np.where(
        denier, cal.value("programmes.denier_kaizen_share"), cal.value("programmes.current_place_share")
    )
    current = (
        untreated
        & (c_end <= release)
        & (c_end <= _d(cal.value("era.end_of_data")))
        & (images | np.isin(band, MEDIUM_UP))
        & (rng.random(n) < share)
    )
    c_end_actual = c_start + np.where(completes, length, _days(length.astype(float) * 0.5))
    for code in CURRENT_CODES:
        parts.append(_history(men, current & (codes == code), code, c_start, c_end_actual, completes))
    men["current_completed"] = current & completes
    men["programme"] = np.select(
        [core, bnm, isotp, current], ["SOTP-CORE", "SOTP-BNM", "I-SOTP", codes], default=""
    )
    history = pd.concat(parts, ignore_index=True)
    return men, history.sort_values(["prison_number", "started_on"], ignore_index=True)
