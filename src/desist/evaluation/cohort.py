"""The analysis cohort of one programme from casework tables: treated men, the comparison pool the catalogue's
eligibility defines, covariates from the assessment in force, and Justice Data Lab outcomes known at a date.

Pure pandas on tables in the *import layout* (what ``desist export`` writes and
:mod:`desist.adapters.analysis` reads from the store, already cut to what was recorded by ``as_of``):

* ``people``: prison_number, date_of_birth, maintains_innocence, ldc
* ``sentences``: prison_number, start_date, release_date
* ``osp``: prison_number, assessed_on, the OSP inputs, ``osp_dc_points``, ``osp_dc_probability``,
  ``osp_dc_band``
* ``history``: prison_number, programme_code, started_on, ended_on, result
* ``outcomes``: prison_number, offence_date, proven_date, kind

Eligibility comes from the programme's catalogue entry, not from code: a man is in the pool when, while the
programme ran (``available_from`` .. ``available_to`` less its shortest course), he was in custody (a custody
programme) with at least ``months_to_release`` left, aged ``min_age`` or more, with a sexual-risk band inside
the programme's ``risk`` range, of its ``audience`` (contact / images) and its ``ldc`` suitability. Men who
maintain innocence stay in the pool even where the programme excluded them: the innocent-deniers scenario
needs them. Men who took another accredited programme are left out, so the contrast is this programme
against none; programmes that need this one first (Extended SOTP after Core, the boosters) are part of its
pathway and do not count as another. With ``treated_when="completed"`` men who started without completing
are left out; with ``"started"`` every starter is treated (intention to treat).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from desist.domain.catalogue import Audience, Catalogue, LdcSuitability, Programme, Setting
from desist.domain.errors import InputError
from desist.evaluation.followup import jdl_followup

if TYPE_CHECKING:
    from desist.evaluation.spec import EvaluationSpec

#: the covariate columns the cohort offers (a spec's covariates must be among these or the fixed columns)
COVARIATES = (
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
)
FIXED = ("prison_number", "treated", "risk_band", "maintains_innocence", "time_days", "event")
DAYS_PER_MONTH = 30.44
_BAND = {"low": "LOW", "medium": "MEDIUM", "high": "HIGH", "very_high": "VERY_HIGH"}


@dataclass(frozen=True)
class Cohort:
    """The analysis frame and how it was built (counts of who was left out and why)."""

    frame: pd.DataFrame
    rules: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def programme_rules(programme: Programme, catalogue: Catalogue) -> dict[str, Any]:
    """The catalogue facts the cohort uses, as plain values (recorded with the result)."""
    if Setting.CUSTODY not in programme.settings.value:
        raise InputError(
            f"programme {programme.code}: runs only in the community; the store evaluation follows men "
            "from release and supports custody programmes"
        )
    risk = programme.risk.value
    if risk.basis != "sexual" or risk.min is None or risk.max is None:
        raise InputError(
            f"programme {programme.code}: selects men by PNI pathway; the store evaluation supports "
            "programmes selected by sexual-risk band"
        )
    length = programme.length.value
    weeks = length.weeks.min if length.weeks is not None else 0.0
    end = programme.available_to.value
    pathway = sorted(
        p.code
        for p in catalogue
        if any(programme.code in pre.completed_any_of for pre in p.prerequisites.value)
    )
    # a programme taken after another (Extended SOTP after Core): every treated man did the prerequisite,
    # so it is not "another programme" that excludes him, and the comparison men must have completed it too
    prerequisites = [sorted(pre.completed_any_of) for pre in programme.prerequisites.value]
    return {
        "programme": programme.code,
        "available_from": programme.available_from.value.isoformat(),
        "available_to": end.isoformat() if end else None,
        "shortest_course_weeks": weeks,
        "months_to_release": programme.months_to_release.value.min.get(Setting.CUSTODY, 0.0),
        "min_age": programme.min_age.value,
        "risk_bands": [str(risk.min), str(risk.max)],
        "audience": str(programme.audience.value),
        "ldc": str(programme.ldc.value.suitability),
        "pathway_programmes": pathway,
        "prerequisites": prerequisites,
    }


def known_on(tables: dict[str, pd.DataFrame], as_of: dt.date) -> dict[str, pd.DataFrame]:
    """The tables as they stood on ``as_of``: sentences begun, assessments made, programmes started (an
    end or result after ``as_of`` is not yet known: the row reads as in progress), reoffences proven."""
    end = pd.Timestamp(as_of)
    out = dict(tables)
    sent = tables["sentences"]
    out["sentences"] = sent[pd.to_datetime(sent["start_date"]) <= end]
    osp = tables["osp"]
    out["osp"] = osp[pd.to_datetime(osp["assessed_on"]) <= end]
    hist = tables["history"].copy()
    hist = hist[pd.to_datetime(hist["started_on"]) <= end]
    ended = pd.to_datetime(hist["ended_on"])
    open_ = ended.isna() | (ended > end)
    hist.loc[open_, "result"] = "in progress"
    out["history"] = hist
    outcomes = tables["outcomes"]
    out["outcomes"] = outcomes[pd.to_datetime(outcomes["proven_date"]) <= end]
    return out


def _latest_start(sent: pd.DataFrame, rules: dict[str, Any]) -> pd.Series:
    """The last day each man could have started the programme in this sentence (NaT: never)."""
    left = pd.to_timedelta(rules["months_to_release"] * DAYS_PER_MONTH, unit="D")
    last = sent["release_date"] - left
    if rules["available_to"]:
        course = pd.Timedelta(days=7 * rules["shortest_course_weeks"])
        last = last.where(
            last <= pd.Timestamp(rules["available_to"]) - course, pd.Timestamp(rules["available_to"]) - course
        )
    first = sent["start_date"].where(
        sent["start_date"] >= pd.Timestamp(rules["available_from"]), pd.Timestamp(rules["available_from"])
    )
    out: pd.Series = last.where(last >= first)
    return out


def programme_cohort(
    tables: dict[str, pd.DataFrame],
    programme: Programme,
    catalogue: Catalogue,
    as_of: dt.date,
    spec: EvaluationSpec,
) -> Cohort:
    """One row per man in the evaluation of ``programme`` as known on ``as_of`` (see the module docstring).

    Returns
    -------
    Cohort
        ``frame`` has :data:`FIXED` columns, :data:`COVARIATES` and ``spec.outcome`` (0/1 within
        ``spec.followup_years`` of release, proven within ``spec.waiting_months`` more); only men released
        early enough for the whole window and waiting period before ``as_of`` are kept.
    """
    rules = programme_rules(programme, catalogue)
    end = pd.Timestamp(as_of)
    code = programme.code
    counts: dict[str, int] = {}
    tables = known_on(tables, as_of)
    people = tables["people"].copy()
    for flag in ("maintains_innocence", "ldc"):
        people[flag] = people[flag].astype(bool) if flag in people else False
    sent = tables["sentences"].copy()
    for col in ("start_date", "release_date"):
        sent[col] = pd.to_datetime(sent[col])
    hist = tables["history"].copy()
    hist["started_on"] = pd.to_datetime(hist["started_on"])
    mine = hist[hist["programme_code"] == code]
    first_start = mine.groupby("prison_number")["started_on"].min()
    completed = set(mine.loc[mine["result"] == "completed", "prison_number"])
    started = set(mine["prison_number"])
    treated_ids = completed if spec.treated_when == "completed" else started
    prereq_codes = [c for group in rules.get("prerequisites", []) for c in group]
    allowed = [code, *rules["pathway_programmes"], *prereq_codes]
    other = set(hist.loc[~hist["programme_code"].isin(allowed), "prison_number"])
    # men who completed one of each group of prerequisites (everyone, for a programme without any)
    met_prerequisites: set[str] | None = None
    for group in rules.get("prerequisites", []):
        completed_one = hist["programme_code"].isin(group) & (hist["result"] == "completed")
        done = set(hist.loc[completed_one, "prison_number"])
        met_prerequisites = done if met_prerequisites is None else met_prerequisites & done
    counts["men"] = len(people)

    # the sentence: for a treated man the one in which he started; otherwise the latest begun by as_of
    sent = sent.sort_values("start_date")
    sent["programme_start"] = sent["prison_number"].map(first_start)
    during = sent["programme_start"].notna() & (sent["start_date"] <= sent["programme_start"])
    latest = sent[~during].iloc[::-1]
    chosen = pd.concat([sent[during].drop_duplicates("prison_number", keep="last"), latest])
    sent = chosen.drop_duplicates("prison_number", keep="first")
    df = people.merge(sent, on="prison_number")
    dob = pd.to_datetime(df["date_of_birth"])
    df["latest_start"] = _latest_start(df, rules)
    df["treated"] = df["prison_number"].isin(treated_ids).astype(int)
    df["index_date"] = df["programme_start"].where(df["treated"] == 1, df["latest_start"])

    # covariates: the OSP assessment in force at the index date; OSP is a static, offence-history tool
    # that treatment cannot change, so a man first assessed just after he started keeps that assessment
    osp = tables["osp"].copy()
    osp["assessed_on"] = pd.to_datetime(osp["assessed_on"])
    osp = osp.merge(df[["prison_number", "start_date", "index_date"]], on="prison_number")
    osp = osp[osp["assessed_on"] >= osp["start_date"] - pd.DateOffset(years=1)]
    before = osp[osp["assessed_on"] <= osp["index_date"]].sort_values("assessed_on")
    after = osp[~(osp["assessed_on"] <= osp["index_date"])].sort_values("assessed_on")
    osp = pd.concat(
        [before.drop_duplicates("prison_number", keep="last"), after.drop_duplicates("prison_number")]
    )
    osp = osp.drop_duplicates("prison_number", keep="first").drop(columns=["start_date", "index_date"])
    df = df.merge(osp, on="prison_number")
    counts["with_sentence_and_assessment"] = len(df)

    band = df["osp_dc_band"].astype(str).str.lower().map(_BAND)
    order = ["LOW", "MEDIUM", "HIGH", "VERY_HIGH"]
    lo, hi = (order.index(b) for b in rules["risk_bands"])
    rank = band.map({b: i for i, b in enumerate(order)})
    contact = (
        df[["contact_adult_sanctions", "contact_child_sanctions", "paraphilia_sanctions"]].sum(axis=1) > 0
    )
    audience = {
        str(Audience.CONTACT): contact,
        str(Audience.IMAGES): ~contact,
        str(Audience.ANY): pd.Series(True, index=df.index),
    }[rules["audience"]]
    ldc = {
        str(LdcSuitability.STANDARD): ~df["ldc"],
        str(LdcSuitability.ADAPTED): df["ldc"],
        str(LdcSuitability.BOTH): pd.Series(True, index=df.index),
    }[rules["ldc"]]
    age_then = (df["latest_start"] - dob).dt.days / 365.25
    eligible = (
        df["latest_start"].notna() & (age_then >= rules["min_age"]) & rank.between(lo, hi) & audience & ldc
    )
    if met_prerequisites is not None:
        eligible &= df["prison_number"].isin(met_prerequisites)
    counts["eligible"] = int(eligible.sum())
    clean = ~df["prison_number"].isin(other) & (df["treated"].eq(1) | ~df["prison_number"].isin(started))
    counts["eligible_without_other_programmes"] = int((eligible & clean).sum())
    released = df["release_date"].notna() & (df["release_date"] <= end)
    df = df.loc[eligible & clean & released].reset_index(drop=True)

    out = tables["outcomes"]
    hits = out.loc[
        out["kind"].isin(spec.reoffence_kinds), ["prison_number", "offence_date", "proven_date"]
    ].copy()
    hits["offence_date"] = pd.to_datetime(hits["offence_date"])
    hits["proven_date"] = pd.to_datetime(hits["proven_date"])
    hits = hits.merge(df[["prison_number", "release_date"]], on="prison_number")
    first = (
        hits.loc[hits["offence_date"] >= hits["release_date"]]
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
        years=spec.followup_years,
        waiting_months=spec.waiting_months,
    )
    # only men whose whole window and waiting period ended by as_of: everyone has the 0/1 outcome
    df = df.loc[follow["followup_complete"].to_numpy()].reset_index(drop=True)
    follow = follow.loc[follow["followup_complete"]].reset_index(drop=True)
    counts["followed_up"] = len(df)
    dob = pd.to_datetime(df["date_of_birth"])
    df[spec.outcome] = follow["reoffended"].astype(int)
    df["time_days"] = follow["time_days"].astype(float)
    df["event"] = follow["event"].astype(int)
    df["age_at_release"] = ((df["release_date"] - dob).dt.days / 365.25).round(1)
    df["sentence_months"] = ((df["release_date"] - df["start_date"]).dt.days / DAYS_PER_MONTH * 2).round(1)
    df["release_year"] = df["release_date"].dt.year
    df["risk_band"] = df["osp_dc_band"].astype(str).str.lower()
    df["stranger_victim"] = df["stranger_victim"].astype(bool).astype(int)
    df["maintains_innocence"] = df["maintains_innocence"].astype(bool).astype(int)
    for col in ("osp_dc_points", "osp_dc_probability"):
        df[col] = df[col].astype(float)
    counts["treated"] = int(df["treated"].sum())
    frame = df[[*FIXED[:4], *COVARIATES, spec.outcome, "time_days", "event"]]
    return Cohort(frame, rules, counts)


def default_spec(followup_years: float = 5) -> EvaluationSpec:
    """The design ``desist evaluate --programme`` uses without ``--spec`` (and the demo): completers against
    the pool, nearest 1:1 within 0.2 SD of the propensity score and exactly on OSP/DC band, on every cohort
    covariate; first proven sexual reoffence within ``followup_years`` of release (and over all follow-up,
    Cox); subgroups by band; the innocent-deniers scenario with deniers assumed never to reoffend."""
    from desist.evaluation.matching import NearestNeighborMatcher
    from desist.evaluation.spec import EvaluationSpec

    return EvaluationSpec(
        outcome="sexual_reoffence",
        covariates=COVARIATES,
        design=NearestNeighborMatcher(caliper=0.2, exact=["risk_band"]),
        time="time_days",
        event="event",
        subgroup="risk_band",
        deniers="maintains_innocence",
        denier_base_rate=0.0,
        window=f"within {followup_years:g} years of release",
        followup_years=followup_years,
    )


def naive_rates(frame: pd.DataFrame, outcome: str) -> dict[str, float]:
    """Unadjusted outcome rates of treated and untreated men (the confounded view)."""
    by = frame.groupby("treated")[outcome].mean()
    return {"treated": float(by.get(1, np.nan)), "untreated": float(by.get(0, np.nan))}
