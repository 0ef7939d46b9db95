"""Reoffending after release: proven sexual (contact, images) and other reoffences, with a known TRUE effect.

Each man's OSP/DC probability ``p`` (logit = -8.633 + 0.1598 x points) is read as the probability of a
proven contact sexual reoffence within ``H = reoffending.osp_horizon_years`` of release (an assumption: OSP
is a two-year predictor). The time to the offence is Weibull with shape ``k`` (a hazard that falls with time,
as the Static-99R 5- and 10-year rates imply) and cumulative hazard

    Lambda(t) = -ln(1 - p) * (t / H)^k * HR,

where ``HR`` is the TRUE programme effect: ``true_effect.core_sotp_hr`` by OSP/DC band for Core SOTP
completers (the seed's story: slightly harmful overall, more so for high risk), times
``true_effect.extended_extra_hr`` after Extended SOTP. Image offences use OSP/IIC the same way over
``reoffending.iic_horizon_years``; image-only men's contact hazard is damped by
``reoffending.images_only_contact_factor`` (internet-only offenders rarely go on to contact offences). Other
(non-sexual) reconviction has no programme effect (Mews 2017 found little change) and is scaled to Hood et
al.'s 30.9% at six years. An offence is *proven* (Justice Data Lab style) after a lognormal conviction lag
and is in the data only if proven by ``era.end_of_data``; everything later is censored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desist.synth.calibration import Calibration

YEAR_DAYS = 365.25
MAX_YEARS = 80.0  # later than any end of data; keeps the date arithmetic in range


def true_hazard_ratio(men: pd.DataFrame, cal: Calibration, true_hr: float | None = None) -> np.ndarray:
    """Each man's TRUE hazard ratio for sexual reoffending from the programmes he completed.

    Parameters
    ----------
    true_hr : float, optional
        One Core SOTP hazard ratio for every band, replacing ``true_effect.core_sotp_hr``.
    """
    by_band = cal.value("true_effect.core_sotp_hr")
    band = men["osp_dc_band"].to_numpy()
    core_hr = (
        np.full(len(men), float(true_hr))
        if true_hr is not None
        else (pd.Series(band).map(by_band).fillna(1.0).to_numpy(float))
    )
    hr = np.where(men["core_completed"].to_numpy(bool), core_hr, 1.0)
    hr = hr * np.where(
        men["extended_completed"].to_numpy(bool), cal.value("true_effect.extended_extra_hr"), 1.0
    )
    current = cal.value("true_effect.current_programme_hr")
    if isinstance(current, dict):  # one TRUE effect per current programme, by code (synth.history sets it)
        current_hr = men["programme"].map(current).fillna(1.0).to_numpy(float)
    else:
        current_hr = np.full(len(men), float(current))
    return hr * np.where(men["current_completed"].to_numpy(bool), current_hr, 1.0)


def _weibull_years(
    rng: np.random.Generator, p_horizon: np.ndarray, horizon: float, shape: float, hr: np.ndarray
) -> np.ndarray:
    """Years to the event when P(T <= horizon) = p_horizon without treatment; inf when the hazard is 0."""
    rate = -np.log1p(-np.clip(np.nan_to_num(p_horizon), 0, 0.999)) * hr
    e = rng.exponential(1.0, len(rate))
    with np.errstate(divide="ignore"):
        t = horizon * (e / rate) ** (1 / shape)
    return np.where(rate > 0, np.minimum(t, MAX_YEARS), np.inf)


def simulate_outcomes(
    men: pd.DataFrame, rng: np.random.Generator, cal: Calibration, true_hr: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate proven reoffences after release.

    Returns
    -------
    (men, outcomes)
        ``men`` with ``true_hr`` (the hazard ratio applied to him), ``innocent`` (a denier simulated as
        wrongly convicted: no sexual reoffending) and ``sexual_years`` (simulated years from release to his
        first sexual reoffence, observed or not); ``outcomes`` in the ``outcomes`` import layout.
    """
    n = len(men)
    men = men.copy()
    end = np.datetime64(cal.value("era.end_of_data"), "D")
    release = men["release_date"].to_numpy("datetime64[D]")
    horizon = float(cal.value("reoffending.osp_horizon_years"))
    shape = float(cal.value("reoffending.weibull_shape"))
    hr = true_hazard_ratio(men, cal, true_hr)
    innocent = men["maintains_innocence"].to_numpy(bool) & (
        rng.random(n) < cal.value("reoffending.innocent_fraction_of_deniers")
    )
    sexual_hr = np.where(innocent, 0.0, hr)
    images_only = (men["offence_type"] == "images_only").to_numpy()
    damp = np.where(images_only, cal.value("reoffending.images_only_contact_factor"), 1.0)
    contact = _weibull_years(rng, men["osp_dc_p"].to_numpy(float), horizon, shape, sexual_hr * damp)
    iic_horizon = float(cal.value("reoffending.iic_horizon_years"))
    images = _weibull_years(rng, men["osp_iic_p"].to_numpy(float), iic_horizon, shape, sexual_hr)
    ogrs = men["ogrs3"].to_numpy(float)
    p6 = 1 - (1 - cal.value("reoffending.other_reconviction_6y")) ** (ogrs / ogrs.mean())
    other = _weibull_years(rng, p6, 6.0, 0.8, np.ones(n))
    men["true_hr"] = hr
    men["innocent"] = innocent
    men["contact_years"], men["image_years"] = contact, images
    men["sexual_years"] = np.minimum(contact, images)
    # the same man without the programme: every sexual time scales by hr^(1/k) (same draws), which gives
    # the TRUE marginal effect among the treated (see desist.synth.generate.Population.true_marginal_hr)
    men["sexual_years_untreated"] = np.where(
        sexual_hr > 0,
        np.minimum(men["sexual_years"] * np.where(sexual_hr > 0, sexual_hr, 1) ** (1 / shape), MAX_YEARS),
        np.inf,
    )

    median = cal.value("reoffending.proof_lag_median_days")
    sigma = cal.value("reoffending.proof_lag_sigma")
    frames = []
    for years, kind in ((contact, "sexual_contact"), (images, "sexual_images"), (other, "other")):
        seen = np.isfinite(years)
        offence = release + np.round(np.where(seen, years, 0) * YEAR_DAYS).astype("timedelta64[D]")
        lag = np.round(median * np.exp(sigma * rng.standard_normal(n))).astype("timedelta64[D]")
        proven = offence + lag
        keep = seen & (proven <= end)
        kinds = np.full(n, kind, dtype=object)
        if kind == "other":  # about a third of non-sexual reoffences are violent
            kinds = np.where(rng.random(n) < 0.3, "violent", "other")
        frames.append(
            pd.DataFrame(
                {
                    "prison_number": men["prison_number"].to_numpy()[keep],
                    "offence_date": offence[keep],
                    "proven_date": proven[keep],
                    "kind": kinds[keep],
                    "disposal": np.where(kind == "other", "community order", "custody"),
                }
            )
        )
    outcomes = pd.concat(frames, ignore_index=True).sort_values(
        ["prison_number", "offence_date"], ignore_index=True
    )
    return men, outcomes
