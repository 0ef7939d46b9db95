"""Looks: what one evaluation found, in the form the review loop tests.

:func:`cox_look` fits a cohort table directly (the Cox hazard ratio of treatment adjusted for recorded
covariates): the synthetic national history's replays and the benchmarks use it. :func:`result_look` reads
a stored evaluation (:class:`desist.evaluation.result.EvaluationResult`, from
``services.evaluations.evaluate_programme`` on the casework store): its matched hazard ratio and robust
standard error, the cohort, the events, the worst balance after matching and the subgroup with the largest
effect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from desist.domain.errors import AnalysisError, InputError
from desist.monitoring.review import Z95, Look


def worst_balance(cohort: pd.DataFrame, covariates: Sequence[str]) -> tuple[str, float]:
    """The covariate with the largest absolute standardised mean difference, treated against comparison."""
    t = cohort["treated"].to_numpy(int) == 1
    worst, value = "", 0.0
    for col in covariates:
        x = cohort[col].to_numpy(float)
        sd = math.sqrt((x[t].var() + x[~t].var()) / 2) if t.any() and (~t).any() else 0.0
        smd = abs(x[t].mean() - x[~t].mean()) / sd if sd > 0 else 0.0
        if smd >= value:
            worst, value = col, float(smd)
    return worst, value


def _fit(cohort: pd.DataFrame, covariates: Sequence[str]) -> tuple[float, float] | None:
    from desist.evaluation.survival import fit_cox

    usable = [c for c in covariates if cohort[c].nunique() > 1]
    try:
        row = fit_cox(cohort, "time_days", "event", ["treated", *usable]).coefficients.iloc[0]
    except (AnalysisError, InputError):
        return None
    if not (math.isfinite(row["coef"]) and math.isfinite(row["se"]) and row["se"] > 0):
        return None
    return float(row["coef"]), float(row["se"])


def cox_look(
    cohort: pd.DataFrame, covariates: Sequence[str], *, subgroup: str | None = "risk_band"
) -> Look | None:
    """Fit ``time_days``/``event`` on ``treated`` + covariates; None when either group has no events."""
    if cohort.empty:
        return None
    t = cohort["treated"].to_numpy(int) == 1
    e = cohort["event"].to_numpy(int) == 1
    if not (e & t).any() or not (e & ~t).any():
        return None
    fit = _fit(cohort, covariates)
    if fit is None:
        return None
    name, smd = worst_balance(cohort, covariates)
    evidence: dict[str, object] = {"worst_balance": {"covariate": name, "smd": round(smd, 3)}}
    if subgroup is not None and subgroup in cohort:
        effects = {}
        for level, part in cohort.groupby(subgroup, observed=True):
            pt = part["treated"].to_numpy(int) == 1
            pe = part["event"].to_numpy(int) == 1
            if (pe & pt).sum() >= 10 and (pe & ~pt).sum() >= 10:
                sub = _fit(part, covariates)
                if sub is not None:
                    effects[str(level)] = sub
        if effects:
            level, (coef, se) = max(effects.items(), key=lambda kv: abs(kv[1][0]))
            evidence["largest_subgroup_effect"] = {
                "subgroup": f"{subgroup} = {level}",
                "hazard_ratio": round(math.exp(coef), 3),
                "ci": [round(math.exp(coef - 1.96 * se), 3), round(math.exp(coef + 1.96 * se), 3)],
            }
    return Look(
        log_hr=fit[0],
        se=fit[1],
        treated=int(t.sum()),
        comparison=int((~t).sum()),
        events_treated=int((e & t).sum()),
        events_comparison=int((e & ~t).sum()),
        evidence=evidence,
    )


def result_look(result: Any, **extra: object) -> Look | None:
    """The look an evaluation result gives: its survival (matched Cox) hazard ratio and robust SE.

    ``result`` is an :class:`~desist.evaluation.result.EvaluationResult` (or its ``to_dict()``); ``extra``
    is added to the evidence (e.g. the evaluation run's id). The SE is read back from the 95% interval
    (``log(high / low) / (2 x 1.96)``, exact: the interval was built from it). Cohort sizes are the as-of
    cohort's treated and comparison men; events are those in the matched sample the hazard ratio compares.
    None when the result has no survival model (a spec without ``time``/``event``) or no finite interval.
    """
    data: Mapping[str, Any] = result if isinstance(result, Mapping) else result.to_dict()
    survival = data.get("survival")
    if not survival or not survival.get("ci") or survival.get("hazard_ratio") is None:
        return None
    hr, (low, high) = float(survival["hazard_ratio"]), survival["ci"]
    if low is None or high is None or not (0 < low <= hr <= high < math.inf) or high == low:
        return None
    se = math.log(high / low) / (2 * Z95)
    n = data.get("n") or {}
    events = survival.get("events") or {}
    evidence: dict[str, object] = {
        "matched": {"treated": n.get("treated_matched"), "comparison": n.get("control_matched")},
        **_worst_balance(data.get("balance") or []),
        **_largest_subgroup(data.get("subgroups")),
        **extra,
    }
    return Look(
        log_hr=math.log(hr),
        se=se,
        treated=int(n.get("treated") or 0),
        comparison=int(n.get("control") or 0),
        events_treated=int(events.get("treated") or 0),
        events_comparison=int(events.get("control") or 0),
        evidence=evidence,
    )


def _worst_balance(balance: Sequence[Mapping[str, Any]]) -> dict[str, object]:
    rows = [r for r in balance if r.get("smd_after") is not None and math.isfinite(r["smd_after"])]
    if not rows:
        return {}
    worst = max(rows, key=lambda r: abs(float(r["smd_after"])))
    smd = round(abs(float(worst["smd_after"])), 3)
    return {"worst_balance": {"covariate": str(worst["covariate"]), "smd": smd, "after": "matching"}}


def _largest_subgroup(subgroups: Mapping[str, Any] | None) -> dict[str, object]:
    if not subgroups:
        return {}
    groups = [
        g
        for g in subgroups.get("groups") or []
        if not g.get("skipped") and g.get("estimate") is not None and math.isfinite(g["estimate"])
    ]
    if not groups:
        return {}
    g = max(groups, key=lambda r: abs(float(r["estimate"])))
    ci = [g.get("ci_low"), g.get("ci_high")]
    return {
        "largest_subgroup_effect": {
            "subgroup": f"{subgroups.get('column')} = {g['level']}",
            "measure": "risk difference",
            "estimate": round(float(g["estimate"]), 4),
            "ci": [None if v is None else round(float(v), 4) for v in ci],
            "treated": g.get("n_treated"),
            "comparison": g.get("n_control"),
        }
    }
