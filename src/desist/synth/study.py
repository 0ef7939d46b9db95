"""The demo's analysis steps on plain frames: example recommendations, the Core SOTP evaluation, the report.

No database here: the demo reads the tables back from the database and passes them in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from desist.synth.cohort import naive_rates
from desist.synth.export import OSP_FIELDS
from desist.synth.population import PNI_ITEMS

WINDOW_YEARS = 5
EXAMPLE_DAYS = {"2012": dt.date(2012, 6, 1), "2019": dt.date(2019, 6, 1)}


def core_sotp_evaluation(seed: int | None = None) -> Any:
    """The demo's design for Core SOTP (:func:`desist.evaluation.cohort.default_spec`, what
    ``desist evaluate --programme`` runs without ``--spec``) as an unfitted Evaluation, for
    benchmarks/evaluate.py. ``seed`` is kept for its callers: the design draws no random numbers."""
    from desist.evaluation.cohort import default_spec
    from desist.evaluation.evaluate import Evaluation

    del seed
    return Evaluation.from_spec(default_spec(WINDOW_YEARS))


def _profile(man: pd.Series, day: dt.date) -> Any:
    """The man as ``recommend`` sees him on ``day`` (in custody; OSP and PNI inputs from his assessment)."""
    from desist.domain.profile import Profile

    release = pd.Timestamp(man["release_date"]).date()
    record: dict[str, Any] = {
        str(k): (v.item() if hasattr(v, "item") else v) for k, v in man[list(OSP_FIELDS)].items()
    }
    record.update({k: int(man[k]) for k in PNI_ITEMS})
    dob = pd.Timestamp(man["date_of_birth"]).date()
    record.update(
        id=man["prison_number"],
        sex="M",
        age=int((day - dob).days // 365.25),
        setting="custody",
        in_custody=True,
        ldc=bool(man["ldc"]),
        offence_type=str(man["offence_type"]),
        ogrs3=float(man["ogrs3"]),
        ovp=float(man["ovp"]),
        maintains_innocence=bool(man["maintains_innocence"]),
        months_to_release=round(max((release - day).days, 0) / 30.44, 1),
        as_of=day,
    )
    return Profile.model_validate(record)


def pick_examples(men: pd.DataFrame) -> list[tuple[str, pd.Series, dt.date]]:
    """Three men to show: in custody in 2012 (legacy menu), in 2019 (current menu), and a denier in 2019."""
    chosen = []
    for label, day, denier in (
        ("in custody in 2012", EXAMPLE_DAYS["2012"], False),
        ("in custody in 2019", EXAMPLE_DAYS["2019"], False),
        ("maintains innocence, 2019", EXAMPLE_DAYS["2019"], True),
    ):
        ts = pd.Timestamp(day)
        ok = (
            (men["custody_start"] <= ts - pd.DateOffset(months=3))
            & (men["release_date"] >= ts + pd.DateOffset(months=18))
            & (men["osp_dc_band"] == "high")
            & (men["maintains_innocence"] == denier)
            & ~men["ldc"]
            & men["offence_type"].isin(["contact_adult", "contact_child"])
        )
        if ok.any():
            chosen.append((label, men.loc[ok].iloc[0], day))
    return chosen


def example_recommendations(men: pd.DataFrame) -> list[tuple[str, Any]]:
    """``[(label, Recommendation)]`` for the three example men."""
    from desist.domain.pathways import recommend

    return [(label, recommend(_profile(man, day), as_of=day)) for label, man, day in pick_examples(men)]


def casework_candidates(men: pd.DataFrame, start: dt.date, size: int = 12) -> list[str]:
    """Up to ``size`` men for a Kaizen group starting on ``start``: in custody with over a year left, high or
    very high OSP/DC, contact offences, no LDC and no accredited programme so far."""
    ts = pd.Timestamp(start)
    ok = (
        (men["assessed_on"] < ts)  # assessed (OSP band known) before the group is filled
        & (men["release_date"] > ts + pd.DateOffset(years=1))
        & men["osp_dc_band"].isin(["high", "very_high"])
        & men["offence_type"].isin(["contact_adult", "contact_child"])
        & (men["programme"] == "")
        & ~men["ldc"]
    )
    return list(men.loc[ok, "prison_number"][:size])


@dataclass(frozen=True)
class StudyResult:
    """The evaluation, the cohort it ran on, and the truth it should recover."""

    evaluation: Any
    cohort: pd.DataFrame
    naive: dict[str, float]
    true_hr: float
    true_effect_text: str
    run: Any = None  # the stored evaluation run (desist.services.evaluations.StoredRun)


def study_of_run(run: Any, population: Any) -> StudyResult:
    """The demo's reading of a stored Core SOTP run (kept with its fit: ``evaluate_programme(...,
    keep_fit=True)``): the naive rates of its cohort and the TRUE effect the population was made with."""
    cohort = run.cohort
    truth = true_hr_for(population, cohort)
    return StudyResult(run.evaluation, cohort, naive_rates(cohort), truth, population.true_effect_text(), run)


def write_report(
    study: StudyResult, out: Path, facts: dict[str, Any], protect: Iterable[Path] = ()
) -> dict[str, Path]:
    """Write ``evaluation.json``, ``balance.png``, ``survival.png``, ``deniers.png`` and ``subgroups.png``
    into ``out``; returns their paths (report.html is written by the demo command from the stored run).

    Files of the same name are replaced (the demo's rule for its own output folder), each atomically, and
    never when the name is, or leads to, one of ``protect`` or any database.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window
    import matplotlib.pyplot as plt

    from desist.adapters import files

    guarded = list(protect)
    out.mkdir(parents=True, exist_ok=True)
    ev = study.evaluation
    result = study.run.result.to_dict() if study.run is not None else ev.to_dict()
    if study.run is not None:
        result["evaluation_run"] = study.run.id
    result["demo"] = {
        "true_hazard_ratio": study.true_hr,
        "true_effect": study.true_effect_text,
        "naive_rates": study.naive,
        **facts,
    }
    paths = {"json": out / "evaluation.json"}
    files.write_text(paths["json"], json.dumps(result, indent=2, default=str), protect=guarded, force=True)
    for name, plot in (
        ("balance", ev.plot_balance),
        ("survival", ev.plot_survival),
        ("deniers", ev.plot_deniers),
        ("subgroups", ev.plot_subgroups),
    ):
        paths[name] = out / f"{name}.png"
        files.write_with(paths[name], lambda tmp, make=plot: make(path=tmp), protect=guarded, force=True)
        plt.close("all")
    return paths


def hazard_ratio(study: StudyResult) -> dict[str, float]:
    row = study.evaluation.to_frame().set_index("measure").loc["hazard_ratio"]
    return {
        "estimate": float(row["estimate"]),
        "ci_low": float(row["ci_low"]),
        "ci_high": float(row["ci_high"]),
        "p_value": float(row["p_value"]),
    }


def demo_section(study: StudyResult, facts: dict[str, Any]) -> dict[str, Any]:
    """report.html's "About this demonstration" section: what the data are and the truth they were made with,
    and whether the estimate's interval contains it (computed, so it is right whatever the seed)."""
    from desist.evaluation import formatting as fmt

    hr = hazard_ratio(study)
    covered = hr["ci_low"] <= study.true_hr <= hr["ci_high"]
    return {
        "id": "demo",
        "title": "About this demonstration",
        "paragraphs": [
            f"The data are synthetic: {fmt.count(facts['men'])} generated men (seed {facts['seed']}), "
            f"imported into {facts['db']}. No real person is in them.",
            f"They were generated with a known harmful effect of the programme: {study.true_effect_text} for "
            "each man who completed it. Over the treated men in this cohort that is a marginal hazard ratio "
            f"of {fmt.ratio(study.true_hr)}, which is {'inside' if covered else 'outside'} the estimate's "
            f"95% confidence interval ({fmt.ci((hr['ci_low'], hr['ci_high']))}).",
        ],
    }


def true_hr_for(pop: Any, cohort: pd.DataFrame) -> float:
    """The TRUE marginal hazard ratio over the cohort's treated men (what the matched analysis estimates)."""
    treated = cohort.loc[cohort["treated"] == 1, "prison_number"]
    return float(pop.true_marginal_hr(treated)) if len(treated) else float(np.nan)
