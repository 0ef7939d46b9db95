"""The evaluation data set: men who completed Core SOTP before 2017 against eligible men who did not.

Built from tables in the *import layout* (what ``desist export`` writes and the demo reads back from the
database), so the same code serves the database and a population held in memory:

* ``people``: prison_number, date_of_birth, maintains_innocence (optional), ldc (optional)
* ``sentences``: prison_number, start_date, release_date
* ``osp``: prison_number, assessed_on, the OSP inputs, ``osp_dc_points``, ``osp_dc_probability``,
  ``osp_dc_band``
* ``history``: prison_number, programme_code, started_on, ended_on, result
* ``outcomes``: prison_number, offence_date, proven_date, kind

The comparison pool applies the Core SOTP rules that the data record: 18+, a sentence of 12 months or more,
OSP/DC medium or above (for RM2000/S), not image-only, not LDC, custody starting while Core still ran.
Men who maintain innocence stay in the pool (they could not take SOTP, which is the seed's worry: the
innocent-deniers scenario tests it). Men who started Core without completing it, or took any other
accredited programme, are left out so the contrast is completed Core against none. LDC men (``person.ldc``)
are left out whether or not they got a place on Becoming New Me: Core was not open to them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SEXUAL_KINDS = ("sexual_contact", "sexual_images")
COVARIATES = [
    "age_at_release",
    "osp_dc_points",
    "osp_dc_probability",
    "contact_adult_sanctions",
    "contact_child_sanctions",
    "paraphilia_sanctions",
    "indecent_image_sanctions",
    "total_sanctions",
    "stranger_victim",
    "sentence_months",
    "release_year",
]
MEDIUM_UP = ("medium", "high", "very_high")


def tables_from_population(pop: object) -> dict[str, pd.DataFrame]:
    """The five import-layout tables of a generated :class:`~desist.synth.generate.Population`."""
    men: pd.DataFrame = pop.men  # type: ignore[attr-defined]
    return {
        "people": men[["prison_number", "date_of_birth", "maintains_innocence", "ldc"]],
        "sentences": men[["prison_number", "custody_start", "release_date"]].rename(
            columns={"custody_start": "start_date"}
        ),
        "osp": men[
            [
                "prison_number",
                "assessed_on",
                *COVARIATES[3:8],
                "stranger_victim",
                "osp_dc_points",
                "osp_dc_p",
                "osp_dc_band",
            ]
        ].rename(columns={"osp_dc_p": "osp_dc_probability"}),
        "history": pop.history,  # type: ignore[attr-defined]
        "outcomes": pop.outcomes,  # type: ignore[attr-defined]
    }


def evaluation_cohort(
    tables: dict[str, pd.DataFrame],
    end_of_data: str | dt.date,
    *,
    window_years: int = 5,
    legacy_last_start: str | dt.date = "2016-10-31",
    waiting_months: int = 6,
) -> pd.DataFrame:
    """One row per man in the Core SOTP evaluation: treatment, covariates and Justice Data Lab outcomes.

    Parameters
    ----------
    tables : dict of DataFrame
        ``people``, ``sentences``, ``osp``, ``history``, ``outcomes`` in the import layout.
    end_of_data : date-like
        When the data end; follow-up is censored ``waiting_months`` before.
    window_years : int
        Fixed follow-up window for the binary outcome ``sexual_reoffence``; only men released early enough
        for the whole window and waiting period are kept, so every man has the binary outcome.

    Returns
    -------
    DataFrame
        ``treated`` (completed Core SOTP), ``risk_band``, ``maintains_innocence``, :data:`COVARIATES`,
        ``sexual_reoffence`` (0/1 within the window), ``time_days`` and ``event`` (first proven sexual
        reoffence over all follow-up).
    """
    from desist.evaluation.followup import jdl_followup

    end = pd.Timestamp(end_of_data)
    sent = tables["sentences"].copy()
    sent["start_date"] = pd.to_datetime(sent["start_date"])
    sent["release_date"] = pd.to_datetime(sent["release_date"])
    sent = sent.sort_values("start_date").drop_duplicates("prison_number", keep="last")
    osp = tables["osp"].copy()
    osp["assessed_on"] = pd.to_datetime(osp["assessed_on"])
    osp = osp.sort_values("assessed_on").drop_duplicates("prison_number", keep="first")
    people = tables["people"].copy()
    for flag in ("maintains_innocence", "ldc"):  # optional columns: absent means nobody flagged
        if flag not in people:
            people[flag] = False
    df = people.merge(sent, on="prison_number").merge(osp, on="prison_number")
    dob = pd.to_datetime(df["date_of_birth"])

    hist = tables["history"]
    core_done = set(
        hist.loc[(hist.programme_code == "SOTP-CORE") & (hist.result == "completed"), "prison_number"]
    )
    other = set(hist.loc[~hist.programme_code.isin(["SOTP-CORE", "SOTP-EXT"]), "prison_number"])
    core_started = set(hist.loc[hist.programme_code == "SOTP-CORE", "prison_number"])
    df["treated"] = df["prison_number"].isin(core_done).astype(int)

    months = (df["release_date"] - df["start_date"]).dt.days / 30.44 * 2  # served half of the sentence
    images_only = (
        df[["contact_adult_sanctions", "contact_child_sanctions", "paraphilia_sanctions"]].sum(axis=1) == 0
    )
    window_end = end - pd.DateOffset(years=window_years, months=waiting_months)
    pool = (
        ((df["start_date"] - dob).dt.days / 365.25 >= 18)
        & (months >= 12)
        & df["osp_dc_band"].str.lower().isin(MEDIUM_UP)
        & ~images_only
        # Core SOTP was not for men with a learning disability or challenges: they went to Becoming New Me
        # (domain.md: "LDC flag: an OASys learning-disability/challenges subtotal of 3 or more (successor of
        # the old 'IQ under 80' rule)"). Applied to the treated too, so a wrongly recorded place cannot
        # put an ineligible man into the contrast.
        & ~df["ldc"].astype(bool)
        & (df["start_date"] <= pd.Timestamp(legacy_last_start))
        & df["release_date"].notna()
        & (df["release_date"] <= window_end)
        & ~df["prison_number"].isin(other)
        & (df["prison_number"].isin(core_done) | ~df["prison_number"].isin(core_started))
    )
    df = df.loc[pool].reset_index(drop=True)

    out = tables["outcomes"]
    sexual = out.loc[out["kind"].isin(SEXUAL_KINDS), ["prison_number", "offence_date", "proven_date"]].copy()
    sexual["offence_date"] = pd.to_datetime(sexual["offence_date"])
    sexual["proven_date"] = pd.to_datetime(sexual["proven_date"])
    sexual = sexual.merge(df[["prison_number", "release_date"]], on="prison_number")
    first = (
        sexual.loc[sexual["offence_date"] >= sexual["release_date"]]
        .sort_values("offence_date")
        .drop_duplicates("prison_number")
        .set_index("prison_number")
    )
    df["offence_date"] = df["prison_number"].map(first["offence_date"])
    df["proven_date"] = df["prison_number"].map(first["proven_date"])
    follow = jdl_followup(
        df,
        "release_date",
        "offence_date",
        "proven_date",
        end,
        years=window_years,
        waiting_months=waiting_months,
    )
    df["sexual_reoffence"] = follow["reoffended"].astype(int)
    df["time_days"] = follow["time_days"].astype(float)
    df["event"] = follow["event"].astype(int)
    df["age_at_release"] = ((df["release_date"] - dob.loc[pool].to_numpy()).dt.days / 365.25).round(1)
    df["sentence_months"] = months.loc[pool].to_numpy().round(1)
    df["release_year"] = df["release_date"].dt.year
    df["risk_band"] = df["osp_dc_band"].str.lower()
    df["stranger_victim"] = df["stranger_victim"].astype(bool).astype(int)
    df["maintains_innocence"] = df["maintains_innocence"].astype(bool).astype(int)
    df["osp_dc_points"] = df["osp_dc_points"].astype(float)
    # the probability is convex in the points: balancing both balances risk, not just its mean score
    df["osp_dc_probability"] = df["osp_dc_probability"].astype(float)
    keep = [
        "prison_number",
        "treated",
        "risk_band",
        "maintains_innocence",
        *COVARIATES,
        "sexual_reoffence",
        "time_days",
        "event",
    ]
    return df[keep]


def naive_rates(cohort: pd.DataFrame) -> dict[str, float]:
    """Unadjusted sexual reoffending within the window for treated and untreated men (the confounded view)."""
    by = cohort.groupby("treated")["sexual_reoffence"].mean()
    return {"treated": float(by.get(1, np.nan)), "untreated": float(by.get(0, np.nan))}
