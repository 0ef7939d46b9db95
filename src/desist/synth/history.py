"""A synthetic national history: every programme's dated flows from 2000, with a TRUE effect per programme.

Built on :func:`desist.synth.generate_population` at national scale (one man per custody reception in
``data/calibration.yaml``, about 63,000 men from 2000 to 2020, which gives some 4,500 Core SOTP completers;
the MoJ study matched 2,562 of them released by 2012 with 13,219 others). Who took which programme comes
from the population generator (:mod:`desist.synth.programmes`), so nothing here knows a programme's rules.

The TRUE effect of each programme on sexual reoffending is a setting: by default Core SOTP and Extended
SOTP are harmful as in the seed's story (``true_effect`` in calibration.yaml) and every current programme
(Kaizen, Horizon, ...) has none, so a monitoring replay should raise an alarm for Core and stay quiet for
Kaizen and Horizon.

Example
-------
>>> h = national_history(seed=3, men=4000)
>>> sorted(h.flows.flow.unique())
['completion', 'referral', 'release', 'reoffence', 'start']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from desist.domain.errors import InputError
from desist.synth.calibration import Calibration, load_calibration
from desist.synth.generate import Population, generate_population
from desist.synth.programmes import CURRENT_CODES

SEXUAL_KINDS = ("sexual_contact", "sexual_images")
LEGACY_CODES = ("SOTP-CORE", "SOTP-EXT", "SOTP-BNM", "I-SOTP")
FLOWS = ("referral", "start", "completion", "release", "reoffence")
#: covariates an as-of evaluation adjusts for (all recorded before the programme)
COVARIATES = ("osp_dc_points", "age_at_release", "sentence_months", "total_sanctions", "stranger_victim")


def national_size(cal: Calibration | None = None) -> int:
    """Men received into custody over the calibrated era: the yearly receptions of calibration.yaml
    (``era.receptions_2005`` growing to ``era.receptions_2012``, the same weights the generator uses)."""
    cal = cal or load_calibration()
    first = pd.Timestamp(cal.value("era.first_custody")).year
    last = pd.Timestamp(cal.value("era.last_custody")).year
    years = np.arange(first, last + 1)
    r05, r12 = cal.value("era.receptions_2005"), cal.value("era.receptions_2012")
    return int(np.clip(r05 + (r12 - r05) * (years - 2005) / 7, 0.8 * r05, r12).sum())


def _effect_overrides(effects: Mapping[str, float]) -> dict[str, object]:
    known = set(LEGACY_CODES) | set(CURRENT_CODES)
    for code, hr in effects.items():
        if code not in known:
            raise InputError(
                f"effects: programme {code!r} is not in the history; expected one of {sorted(known)}"
            )
        if not isinstance(hr, int | float) or not np.isfinite(hr) or hr <= 0:
            raise InputError(f"effects[{code!r}] = {hr!r}: expected a hazard ratio above 0")
    overrides: dict[str, object] = {}
    if "SOTP-CORE" in effects:
        hr = float(effects["SOTP-CORE"])
        overrides["true_effect.core_sotp_hr"] = {b: hr for b in ("low", "medium", "high", "very_high")}
    if "SOTP-EXT" in effects:
        overrides["true_effect.extended_extra_hr"] = float(effects["SOTP-EXT"])
    unsupported = {c for c in ("SOTP-BNM", "I-SOTP") if effects.get(c, 1.0) != 1.0}
    if unsupported:
        raise InputError(f"effects: {sorted(unsupported)} have no TRUE effect in the generator; expected 1.0")
    overrides["true_effect.current_programme_hr"] = {c: float(effects.get(c, 1.0)) for c in CURRENT_CODES}
    return overrides


@dataclass(frozen=True)
class History:
    """A national history: the population, its dated flows, and the TRUE effects it was made with."""

    population: Population
    flows: pd.DataFrame
    effects: dict[str, str]

    def quarterly(self) -> pd.DataFrame:
        """Counts of each flow per programme per calendar quarter (columns: the flows)."""
        q = self.flows.assign(quarter=self.flows["date"].dt.to_period("Q"))
        return q.groupby(["programme", "quarter", "flow"]).size().unstack("flow", fill_value=0)

    def cohort(self, programme: str, as_of: str | dt.date, *, waiting_months: int = 6) -> pd.DataFrame:
        """The men an evaluation of ``programme`` could have used on ``as_of``: see :func:`as_of_cohort`."""
        return as_of_cohort(self.population, programme, as_of, waiting_months=waiting_months)


def _flows(pop: Population) -> pd.DataFrame:
    men = pop.men.set_index("prison_number")
    hist = pop.history
    # a referral happens once a man is assessed in custody, and before he starts
    assessed = pd.to_datetime(hist["prison_number"].map(men["assessed_on"]))
    custody = pd.to_datetime(hist["prison_number"].map(men["custody_start"]))
    started = pd.to_datetime(hist["started_on"])
    referral = assessed.where(assessed.between(custody, started), custody)
    release = pd.to_datetime(hist["prison_number"].map(men["release_date"]))
    done = hist["result"] == "completed"
    out = pop.outcomes
    sexual = out[out["kind"].isin(SEXUAL_KINDS)].sort_values("offence_date").drop_duplicates("prison_number")
    first = hist.merge(sexual[["prison_number", "offence_date", "proven_date"]], on="prison_number")
    first = first[
        pd.to_datetime(first["offence_date"])
        >= pd.to_datetime(first["prison_number"].map(men["release_date"]))
    ]
    parts = [
        pd.DataFrame({"date": referral, "programme": hist["programme_code"], "flow": "referral"}),
        pd.DataFrame({"date": started, "programme": hist["programme_code"], "flow": "start"}),
        pd.DataFrame(
            {
                "date": pd.to_datetime(hist["ended_on"])[done],
                "programme": hist["programme_code"][done],
                "flow": "completion",
            }
        ),
        pd.DataFrame({"date": release, "programme": hist["programme_code"], "flow": "release"}),
        pd.DataFrame(
            {
                "date": pd.to_datetime(first["proven_date"]),
                "programme": first["programme_code"],
                "flow": "reoffence",
            }
        ),
    ]
    flows = pd.concat(parts, ignore_index=True)
    return flows.sort_values(["date", "programme"], ignore_index=True)


def national_history(
    seed: int | None = None,
    *,
    effects: Mapping[str, float] | None = None,
    men: int | None = None,
    calibration: Calibration | None = None,
) -> History:
    """Generate a national history.

    Parameters
    ----------
    seed : int, optional
    effects : mapping, optional
        TRUE hazard ratio on sexual reoffending by programme code, e.g. ``{"KAIZEN": 1.3}``. Unnamed Core and
        Extended SOTP keep the seed's effect (calibration.yaml); unnamed current programmes have none (1.0).
    men : int, optional
        Population size; default :func:`national_size`.
    """
    cal = calibration or load_calibration()
    effects = dict(effects or {})
    size = national_size(cal) if men is None else int(men)
    if size < 100:
        raise InputError(f"men = {size}: expected at least 100")
    pop = generate_population(size, seed, overrides=_effect_overrides(effects), calibration=cal)
    described = {
        "SOTP-CORE": pop.true_effect_text()
        if "SOTP-CORE" not in effects
        else f"hazard ratio {effects['SOTP-CORE']:g}"
    }
    described["SOTP-EXT"] = f"extra hazard ratio {pop.calibration.value('true_effect.extended_extra_hr'):g}"
    described.update({c: f"hazard ratio {float(effects.get(c, 1.0)):g}" for c in CURRENT_CODES})
    return History(pop, _flows(pop), described)


def as_of_cohort(
    pop: Population, programme: str, as_of: str | dt.date, *, waiting_months: int = 6
) -> pd.DataFrame:
    """Completers of ``programme`` and comparable untreated men, as the data stood on ``as_of``.

    Only men released at least ``waiting_months`` before ``as_of`` are in (a reoffence must have time to be
    proven); follow-up runs from release to ``as_of - waiting_months``, and a sexual reoffence counts when it
    was committed by then and proven by ``as_of`` (the Justice Data Lab rule). Treated: men who completed
    the programme before release. Comparison: men who took no accredited programme, whose custody began
    while the programme was running by then, and who share the treated men's recorded profile (the OSP/DC
    bands, offence kind, LDC status and denial found among the treated) - read from the data, not from rules.
    """
    as_of_ts = pd.Timestamp(as_of)
    cutoff = as_of_ts - pd.DateOffset(months=waiting_months)
    men = pop.men
    hist = pop.history
    codes = set(hist["programme_code"])
    if programme not in codes:
        raise InputError(
            f"programme {programme!r} has no one in the history; expected one of {sorted(codes)}"
        )
    runs = hist[(hist["programme_code"] == programme) & (pd.to_datetime(hist["started_on"]) <= as_of_ts)]
    done = runs[(runs["result"] == "completed") & (pd.to_datetime(runs["ended_on"]) <= as_of_ts)]
    release = pd.to_datetime(men["release_date"])
    custody = pd.to_datetime(men["custody_start"])
    treated = men["prison_number"].isin(done["prison_number"]).to_numpy()
    anyone = men["prison_number"].isin(hist["prison_number"]).to_numpy()
    released = (release <= cutoff).to_numpy()
    if not (treated & released).any():
        return pd.DataFrame(
            columns=["prison_number", "treated", "risk_band", *COVARIATES, "time_days", "event"]
        )
    first_start = pd.to_datetime(runs["started_on"]).min()
    images_only = (men["offence_type"] == "images_only").to_numpy()
    denier = men["maintains_innocence"].to_numpy(bool)
    t = treated & released
    profile = (
        men["osp_dc_band"].isin(set(men.loc[t, "osp_dc_band"])).to_numpy()
        & np.isin(images_only, np.unique(images_only[t]))
        & np.isin(men["ldc"].to_numpy(bool), np.unique(men["ldc"].to_numpy(bool)[t]))
        & np.isin(denier, np.unique(denier[t]))
        & (custody >= first_start - pd.DateOffset(years=1)).to_numpy()
    )
    keep = released & (t | (~anyone & profile))
    columns = ["prison_number", "release_date", "date_of_birth", "osp_dc_band", "osp_dc_points"]
    df = men.loc[keep, [*columns, "total_sanctions", "stranger_victim", "sentence_months"]].copy()
    df["risk_band"] = df["osp_dc_band"].astype(str)
    df["treated"] = treated[keep].astype(int)
    df["age_at_release"] = (
        pd.to_datetime(df["release_date"]) - pd.to_datetime(df["date_of_birth"])
    ).dt.days / 365.25
    df["stranger_victim"] = df["stranger_victim"].astype(int)
    out = pop.outcomes
    sexual = out[out["kind"].isin(SEXUAL_KINDS) & (pd.to_datetime(out["proven_date"]) <= as_of_ts)]
    sexual = sexual.merge(df[["prison_number", "release_date"]], on="prison_number")
    sexual = sexual[
        (pd.to_datetime(sexual["offence_date"]) >= pd.to_datetime(sexual["release_date"]))
        & (pd.to_datetime(sexual["offence_date"]) <= cutoff)
    ]
    first = sexual.sort_values("offence_date").drop_duplicates("prison_number").set_index("prison_number")
    offence = pd.to_datetime(df["prison_number"].map(first["offence_date"]))
    end = offence.fillna(cutoff)
    df["time_days"] = (end - pd.to_datetime(df["release_date"])).dt.days.clip(lower=1).astype(float)
    df["event"] = offence.notna().astype(int)
    return df[["prison_number", "treated", "risk_band", *COVARIATES, "time_days", "event"]].reset_index(
        drop=True
    )
