"""Subgroup effects: the design is refitted within each subgroup, then the estimates are tested for
heterogeneity.

Matching within a subgroup (rather than splitting one matched sample) guarantees that every pair lies in one
subgroup, so the subgroup estimates are independent. The interaction test is then Cochran's Q on the subgroup
differences and their robust SEs: with independent subgroups it is the Wald test of the treatment x subgroup
terms of a fully interacted weighted model on the stacked matched data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from desist.domain.errors import DesistError, InputError
from desist.evaluation._checks import check_subgroup_levels
from desist.evaluation._plotting import PlotPath, save
from desist.evaluation.outcomes import JDL_MIN_TREATED, OutcomeResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

_COLUMNS = [
    "level",
    "n_treated",
    "n_control",
    "treated_mean",
    "control_mean",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "skipped",
    "note",
]


@dataclass(frozen=True)
class SubgroupResult:
    """Per-subgroup estimates (``table``) and the interaction (heterogeneity) test."""

    column: str
    table: pd.DataFrame
    q_statistic: float | None
    df: int
    p_interaction: float | None

    def to_dict(self) -> dict[str, Any]:
        groups = self.table.astype(object).where(self.table.notna(), None).to_dict(orient="records")
        return {
            "column": self.column,
            "groups": groups,
            "interaction": {
                "test": "Cochran's Q across subgroup differences (Wald test of treatment x subgroup)",
                "statistic": self.q_statistic,
                "df": self.df,
                "p_value": self.p_interaction,
            },
        }

    def to_frame(self) -> pd.DataFrame:
        return self.table


def heterogeneity(estimates: ArrayLike, ses: ArrayLike) -> tuple[float | None, int, float | None]:
    """Cochran's Q = sum w_i (b_i - b_pooled)^2, w_i = 1/se_i^2, on k - 1 df; None below 2 groups."""
    b = np.asarray(estimates, dtype=float)
    se = np.asarray(ses, dtype=float)
    ok = np.isfinite(b) & np.isfinite(se) & (se > 0)
    b, se = b[ok], se[ok]
    if len(b) < 2:
        return None, 0, None
    w = 1 / se**2
    pooled = np.sum(w * b) / np.sum(w)
    q = float(np.sum(w * (b - pooled) ** 2))
    df = len(b) - 1
    return q, df, float(stats.chi2.sf(q, df))


def subgroup_effects(
    data: pd.DataFrame,
    column: str,
    treatment: str,
    fit_one: Callable[[pd.DataFrame], OutcomeResult],
    *,
    min_treated: int = 10,
) -> SubgroupResult:
    """Estimate the effect within each level of ``column`` and test whether it differs between levels.

    Parameters
    ----------
    data : DataFrame
        The analysis data (complete in the columns used).
    column : str
        The subgroup column (e.g. risk band, setting, maintaining innocence).
    treatment : str
        The treatment column, to count treated people per subgroup.
    fit_one : callable
        Runs the whole design and outcome step on a subset and returns its :class:`OutcomeResult`.
    min_treated : int
        Subgroups with fewer treated people are skipped, with the reason recorded.

    A column with more than ``MAX_SUBGROUP_LEVELS`` (20) distinct values is refused: band it first.
    """
    if column not in data.columns:
        raise InputError(f"subgroup column {column!r} not found; expected one of the data's columns")
    if data[column].isna().any():
        raise InputError(f"subgroup column {column!r}: {int(data[column].isna().sum())} missing values")
    check_subgroup_levels(data, column)
    rows = []
    for level, part in data.groupby(column, sort=True, observed=True):
        t = part[treatment].astype(bool)
        n1, n0 = int(t.sum()), int((~t).sum())
        base = {"level": str(level), "n_treated": n1, "n_control": n0}
        if n1 < min_treated or n0 < min_treated:
            rows.append({**base, "skipped": f"fewer than {min_treated} treated or comparison people"})
            continue
        try:
            r = fit_one(part)
        except DesistError as exc:  # e.g. separation or no matches inside this subgroup: report, don't abort
            rows.append({**base, "skipped": exc.message})
            continue
        rows.append(
            {
                **base,
                "n_treated": r.n_treated,
                "n_control": r.n_control,
                "treated_mean": r.treated_mean,
                "control_mean": r.control_mean,
                "estimate": r.estimate,
                "ci_low": r.ci[0],
                "ci_high": r.ci[1],
                "p_value": r.p_value,
                "se": r.se,
                "skipped": None,
                "note": (
                    f"fewer than {JDL_MIN_TREATED} treated: indicative only"
                    if r.n_treated < JDL_MIN_TREATED
                    else None
                ),
            }
        )
    table = pd.DataFrame(rows)
    for c in [*_COLUMNS, "se"]:
        if c not in table.columns:
            table[c] = np.nan
    q, df, p = heterogeneity(table["estimate"], table["se"])
    return SubgroupResult(
        column=column, table=table[[*_COLUMNS, "se"]], q_statistic=q, df=df, p_interaction=p
    )


def plot_subgroups(
    result: SubgroupResult,
    ax: Axes | None = None,
    path: PlotPath | None = None,
    *,
    overall: dict[str, Any] | None = None,
    label: str | None = None,
) -> Figure | SubFigure:
    """Forest plot of subgroup differences per 100 men with 95% CIs, in risk order.

    Drawn by :func:`desist.evaluation.charts.forest_chart`; ``overall`` (an outcome's ``to_dict()``) adds
    the overall estimate as a diamond.
    """
    from desist.evaluation.charts import forest_chart

    fig = forest_chart(result.to_dict(), overall, ax=ax, label=label)
    save(fig, path)
    return fig
