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
    """Write ``evaluation.json``, ``balance.png``, ``survival.png``, ``deniers.png``, ``subgroups.png`` and
    ``report.md`` into ``out``; returns their paths.

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
    paths = {"json": out / "evaluation.json", "report": out / "report.md"}
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
    files.write_text(paths["report"], report_markdown(study, facts), protect=guarded, force=True)
    return paths


def hazard_ratio(study: StudyResult) -> dict[str, float]:
    row = study.evaluation.summary().set_index("measure").loc["hazard_ratio"]
    return {
        "estimate": float(row["estimate"]),
        "ci_low": float(row["ci_low"]),
        "ci_high": float(row["ci_high"]),
        "p_value": float(row["p_value"]),
    }


def report_markdown(study: StudyResult, facts: dict[str, Any]) -> str:
    """A short markdown report of the demo's evaluation."""
    ev = study.evaluation
    hr = hazard_ratio(study)
    covered = hr["ci_low"] <= study.true_hr <= hr["ci_high"]
    summary = _md_table(ev.summary())
    sub = ev.subgroups_.to_frame() if ev.subgroups_ is not None else None
    lines = [
        "# desist demo: did Core SOTP reduce sexual reoffending?",
        "",
        f"Synthetic data: {facts['men']} men (seed {facts['seed']}), imported into `{facts['db']}`. "
        "No real people.",
        "",
        f"* Evaluation cohort: {ev.n_['treated']} men who completed Core SOTP before 2017 and "
        f"{ev.n_['control']} "
        f"eligible men who did not; {ev.n_['treated_matched']} matched pairs (nearest 1:1, caliper 0.2 SD, "
        "exact on OSP/DC band).",
        f"* Naive (unmatched) sexual reoffending within {WINDOW_YEARS} years: treated "
        f"{100 * study.naive['treated']:.1f}%, untreated {100 * study.naive['untreated']:.1f}% "
        "(confounded: treated men were higher risk and served longer).",
        f"* Estimated hazard ratio (matched, Cox, pair-robust): **{hr['estimate']:.2f}** "
        f"(95% CI {hr['ci_low']:.2f} to {hr['ci_high']:.2f}).",
        f"* TRUE effect used to generate the data: {study.true_effect_text} for each man who completed Core; "
        f"as a marginal hazard ratio over these treated men (their simulated outcomes with and without the "
        f"programme) **{study.true_hr:.2f}** - {'inside' if covered else 'outside'} the interval.",
        "",
        "## Estimates",
        "",
        summary,
        "",
        ev.plain_language_,
        "",
    ]
    if sub is not None:
        cols = [
            c
            for c in ("level", "n_treated", "treated_mean", "control_mean", "estimate", "ci_low", "ci_high")
            if c in sub.columns
        ]
        lines += ["## By OSP/DC band (difference within the window)", "", _md_table(sub[cols]), ""]
    e = ev.sensitivity_.get("e_value") if isinstance(ev.sensitivity_, dict) else None
    if e:
        text = f"E-value for the risk ratio: {e['point']:.2f} (for its CI: {e['ci']:.2f})"
        if e.get("hazard_ratio"):
            h = e["hazard_ratio"]
            text += f"; for the hazard ratio: {h['point']:.2f} (for its CI: {h['ci']:.2f})"
        lines += [
            text + ". An unmeasured confounder would need associations this strong with both treatment and "
            "reoffending to explain the estimate away.",
            "",
        ]
    lines += [
        "## Plots",
        "",
        "* `balance.png`: standardised mean differences before and after matching (love plot).",
        "* `survival.png`: time to first proven sexual reoffence, matched arms (Kaplan-Meier).",
        "* `deniers.png`: the estimate if some men maintaining innocence (all in the comparison pool) were "
        "innocent and would never reoffend.",
        "* `subgroups.png`: effects by OSP/DC band.",
        "",
    ]
    return "\n".join(lines)


def true_hr_for(pop: Any, cohort: pd.DataFrame) -> float:
    """The TRUE marginal hazard ratio over the cohort's treated men (what the matched analysis estimates)."""
    treated = cohort.loc[cohort["treated"] == 1, "prison_number"]
    return float(pop.true_marginal_hr(treated)) if len(treated) else float(np.nan)


def _md_table(frame: pd.DataFrame) -> str:
    """A markdown table (pandas' ``to_markdown`` needs ``tabulate``, which is not a dependency)."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{0.0 if abs(v) < 1e-12 else v:.4g}"
        return "" if v is None else str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])
