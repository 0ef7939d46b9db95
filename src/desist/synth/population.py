"""The synthetic population: men with sexual convictions sentenced to custody in England and Wales, 2000-2020.

One row per man, generated with a seeded :class:`numpy.random.Generator` and vectorised throughout (a million
men take seconds). Every share and mean comes from ``data/calibration.yaml``; the risk-tool inputs are
consistent with the offence type (an image-only man has image sanctions and no contact sanctions), and his
OSP/DC and OSP/IIC are scored with desist's own vectorised tools, so the probabilities driving his simulated
reoffending are the ones desist would compute for him.

Nothing here is real: prison numbers are ``SY`` plus a serial number and dates of birth are random.

Example
-------
>>> men = generate_men(1000, seed=1)
>>> sorted(men.offence_type.unique())
['contact_adult', 'contact_child', 'images_only', 'non_contact']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from desist.domain.risk.frame import osp_frame
from desist.synth.calibration import Calibration, load_calibration

OFFENCE_TYPES = ("contact_adult", "contact_child", "images_only", "non_contact")
INDEX_OFFENCE = {
    "contact_adult": "sexual assault of an adult",
    "contact_child": "sexual offence against a child",
    "images_only": "making or possessing indecent images of children",
    "non_contact": "exposure or voyeurism",
}
#: prisons holding many men with sexual convictions (names only; the men are invented)
ESTABLISHMENTS = ("HMP Whatton", "HMP Wakefield", "HMP Usk", "HMP Littlehey", "HMP Bure", "HMP Stafford")
REGIONS = ("North East", "North West", "Yorkshire", "Midlands", "Wales", "London", "South West")
PNI_ITEMS = (
    "oasys_11_11",
    "oasys_11_12",
    "oasys_6_12",
    "oasys_12_1",
    "oasys_12_9",
    "oasys_6_1",
    "oasys_6_6",
    "oasys_7_3",
    "oasys_11_3",
    "oasys_11_2",
    "oasys_11_4",
    "oasys_11_6",
    "oasys_10_1",
)
DAY = np.timedelta64(1, "D")


def _dates(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def _years_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    return (end - start).astype(float) / 365.25


def _extra_counts(rng: np.random.Generator, n: int, p_any: float) -> np.ndarray:
    """0 for most men; otherwise 1 (mostly), 2 or 3: sanctions of a kind other than the index offence's."""
    return np.where(rng.random(n) < p_any, rng.choice([1, 2, 3], n, p=[0.75, 0.18, 0.07]), 0)


def _index_counts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sexual sanctions of the index kind: at least one (this conviction), sometimes earlier ones."""
    return rng.choice([1, 2, 3, 4], n, p=[0.72, 0.17, 0.07, 0.04])


def _custody_starts(rng: np.random.Generator, n: int, cal: Calibration) -> np.ndarray:
    """Start dates 2000-2020, more of them later: receptions grew from ~2,700 (2005) to ~3,400 (2012)."""
    first, last = np.datetime64(cal.value("era.first_custody")), np.datetime64(cal.value("era.last_custody"))
    span = int((last - first) / DAY)
    years = np.arange(first.astype("datetime64[Y]").astype(int), last.astype("datetime64[Y]").astype(int) + 1)
    r05, r12 = cal.value("era.receptions_2005"), cal.value("era.receptions_2012")
    weight = np.clip(r05 + (r12 - r05) * (years + 1970 - 2005) / 7, 0.8 * r05, r12)
    year = rng.choice(years, n, p=weight / weight.sum())
    day = (year.astype("datetime64[Y]").astype("datetime64[D]") - first).astype(int)
    return first + np.minimum(day + rng.integers(0, 365, n), span).astype("timedelta64[D]")


def _ages(rng: np.random.Generator, n: int, cal: Calibration) -> np.ndarray:
    bands = cal.value("age_at_custody")["bands"]
    share = np.array([b["share"] for b in bands], float)
    k = rng.choice(len(bands), n, p=share / share.sum())
    low = np.array([b["low"] for b in bands], float)[k]
    high = np.array([b["high"] for b in bands], float)[k] + 1
    # ages within a band lean young (fewer men at each older year), except the youngest band
    u = rng.random(n)
    return low + (high - low) * np.where(k == 0, u, u**1.4)


def _sentence_months(
    rng: np.random.Generator, starts: np.ndarray, offence: np.ndarray, cal: Calibration
) -> np.ndarray:
    means = cal.value("sentence_months")["mean_by_year"]
    knots = np.array(sorted(means), float)
    year = starts.astype("datetime64[Y]").astype(int) + 1970 + 0.5
    mean = np.interp(year, knots, [means[int(k)] for k in knots])
    rel_map: dict[str, float] = cal.value("sentence_months.relative")
    mix = cal.value("offence_mix")
    norm = sum(rel_map[t] * mix[t]["value"] for t in OFFENCE_TYPES)
    rel = np.array([rel_map[t] for t in OFFENCE_TYPES])[offence] / norm
    sigma = cal.value("sentence_months.lognormal_sigma")
    # lognormal with the stated mean: mu = ln(mean) - sigma^2 / 2
    months = np.exp(np.log(mean * rel) - sigma**2 / 2 + sigma * rng.standard_normal(len(starts)))
    return np.clip(np.round(months, 1), 3.0, 300.0)


def _pni_items(rng: np.random.Generator, z: np.ndarray, offence: np.ndarray) -> dict[str, np.ndarray]:
    """OASys need items 0/1/2 rising with a latent risk ``z``; sexual-interest items rise for child
    offences."""
    n = len(z)
    child = np.isin(offence, [OFFENCE_TYPES.index("contact_child"), OFFENCE_TYPES.index("images_only")])
    out = {}
    for item in PNI_ITEMS:
        shift = 0.6 if item in ("oasys_11_12", "oasys_6_12") else 0.0
        latent = 0.7 * z + shift * child + rng.standard_normal(n)
        out[item] = np.digitize(latent, [0.2, 1.3]).astype(np.int64)
    return out


def generate_men(
    n: int,
    seed: int | None = None,
    calibration: Calibration | None = None,
    overrides: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Generate ``n`` men with a custodial sentence for a sexual offence (no programmes, no outcomes yet).

    Parameters
    ----------
    n : int
        Number of men (1 or more).
    seed : int, optional
        Seed of the :class:`numpy.random.Generator`; the same seed gives the same men.
    calibration : Calibration, optional
        Figures to use (default the packaged ``calibration.yaml``), with ``overrides`` applied.

    Returns
    -------
    pandas.DataFrame
        One row per man: identity and dates, offence type, OSP inputs and scores (``osp_dc_points``,
        ``osp_dc_band``, ``osp_dc_p``, ``osp_iic_band``, ``osp_iic_p``), the PNI items,
        ``maintains_innocence``
        and ``ldc``.
    """
    if n < 1:
        raise ValueError(f"n: {n}; expected 1 or more men")
    cal = (calibration or load_calibration()).with_overrides(overrides)
    rng = np.random.default_rng(seed)
    mix = cal.value("offence_mix")
    share = np.array([mix[t]["value"] for t in OFFENCE_TYPES], float)
    offence = rng.choice(len(OFFENCE_TYPES), n, p=share / share.sum())
    starts = _custody_starts(rng, n, cal)
    age = _ages(rng, n, cal)
    dob = starts - np.round(age * 365.25).astype("timedelta64[D]")
    months = _sentence_months(rng, starts, offence, cal)
    served = np.round(months * cal.value("sentence_months.release_fraction") * 30.44).astype("timedelta64[D]")
    release = starts + served
    licence_end = starts + np.round(months * 30.44).astype("timedelta64[D]")

    is_t = {t: offence == i for i, t in enumerate(OFFENCE_TYPES)}
    ca = np.where(is_t["contact_adult"], _index_counts(rng, n), 0)
    ca = np.where(is_t["contact_child"], _extra_counts(rng, n, 0.05), ca)
    cc = np.where(is_t["contact_child"], _index_counts(rng, n), 0)
    cc = np.where(is_t["contact_adult"], _extra_counts(rng, n, 0.08), cc)
    nc = np.where(is_t["non_contact"], _index_counts(rng, n), 0)
    nc = np.where(is_t["contact_adult"] | is_t["contact_child"], _extra_counts(rng, n, 0.05), nc)
    ii = np.where(is_t["images_only"], _index_counts(rng, n), 0)
    ii = np.where(is_t["contact_child"], _extra_counts(rng, n, 0.15), ii)
    ii = np.where(is_t["non_contact"], _extra_counts(rng, n, 0.10), ii)
    # earlier non-sexual convictions: more for younger men and contact-adult offenders, few for image-only men
    lam = np.where(is_t["images_only"], 0.4, np.where(is_t["contact_adult"], 2.0, 1.0)) * np.where(
        age < 30, 1.5, 1
    )
    total = ca + cc + nc + ii + rng.poisson(lam)
    stranger_p = np.array([0.35, 0.10, 0.0, 0.6])[offence]
    stranger = rng.random(n) < stranger_p

    assessed = starts + rng.integers(30, 121, n).astype("timedelta64[D]")
    age_now = np.floor(_years_between(dob, assessed)).astype(np.int64)
    lag = rng.uniform(0.2, 3.0, n) * np.where(is_t["contact_child"], 2.0, 1.0)  # historical child cases
    last = np.clip(np.floor(age - lag), 12, None).astype(np.int64)
    last = np.minimum(last, age_now)
    men = pd.DataFrame(
        {
            "prison_number": [f"SY{i:07d}" for i in range(1, n + 1)],
            "sex": "M",
            "date_of_birth": dob,
            "custody_start": starts,
            "sentence_months": months,
            "release_date": release,
            "licence_end_date": licence_end,
            "age_at_custody": np.round(age, 2),
            "offence_type": pd.Categorical.from_codes(offence, categories=pd.Index(OFFENCE_TYPES)),
            "assessed_on": assessed,
            "age": age_now,
            "contact_adult_sanctions": ca,
            "contact_child_sanctions": cc,
            "paraphilia_sanctions": nc,
            "indecent_image_sanctions": ii,
            "total_sanctions": total,
            "age_at_last_sexual_offence": last,
            "stranger_victim": stranger,
            "in_custody": True,
            "offence_in_last_5_years": True,
            "sexual_offence_in_last_5_years": (age_now - last) < 5,
        }
    )
    scored = osp_frame(men)
    men["osp_dc_points"] = scored["osp_dc.points"].to_numpy(dtype=float)
    men["osp_dc_band"] = scored["osp_dc.band"].astype(str).str.lower().to_numpy()
    men["osp_dc_p"] = scored["osp_dc.probability"].to_numpy()
    men["osp_iic_band"] = scored["osp_iic.band"].astype(str).str.lower().to_numpy()
    men["osp_iic_p"] = scored["osp_iic.probability"].to_numpy()

    pts = men["osp_dc_points"].to_numpy()
    z = (pts - np.nanmean(pts)) / (np.nanstd(pts) or 1.0)
    for item, values in _pni_items(rng, z, offence).items():
        men[item] = values
    # general reoffending predictors (percentages) rising with youth and previous convictions
    general = -1.2 + 0.45 * np.log1p(total) - 0.04 * (age - 35) + 0.3 * rng.standard_normal(n)
    men["ogrs3"] = np.round(100 / (1 + np.exp(-general)), 1)
    men["ovp"] = np.round(100 / (1 + np.exp(-(general - 0.8 + 0.6 * is_t["contact_adult"]))), 1)

    men["maintains_innocence"] = rng.random(n) < cal.value("maintains_innocence")
    iq = rng.random(n)
    men["iq_under_70"] = iq < cal.value("iq_under_70")
    men["ldc"] = iq < cal.value("iq_under_70") + cal.value("iq_70_to_79")
    men["index_offence"] = np.array([INDEX_OFFENCE[t] for t in OFFENCE_TYPES])[offence]
    return men
