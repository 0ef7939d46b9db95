"""A look from a cohort table: the Cox hazard ratio of treatment adjusted for recorded covariates.

Used to review the synthetic history directly (and by the benchmarks); the store's reviews use
``services.evaluations.evaluate_programme`` once that is available.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from desist.domain.errors import AnalysisError, InputError
from desist.monitoring.review import Look


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
