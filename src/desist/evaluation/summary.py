"""``result.summary()``: the effects with the counts and the design diagnostics a reader checks first.

A view of :class:`~desist.evaluation.result.EvaluationResult` (never a second truth): how many men were
compared, how many the design kept, whether the groups are balanced afterwards, how much the weights cost,
how many matched sets a tie decided, and how strong unmeasured confounding would have to be - each with the
rule of thumb it is judged by, so ``print(result.summary())`` says at a glance whether the estimate can be
read at all. The thresholds are the conventional ones (Austin 2009 and Stuart 2010 for |SMD| 0.1 and variance
ratios 0.5-2, as MatchIt's documentation uses them).

Example
-------
>>> from desist.evaluation.simulate import simulate_cohort
>>> from desist.evaluation.spec import EvaluationSpec
>>> from desist.evaluation.evaluate import evaluate
>>> result = evaluate(simulate_cohort(1500, seed=2, intercept=-2.0),
...                   EvaluationSpec(outcome="reoffended_2y", covariates=("age", "risk_band")))
>>> s = result.summary()
>>> s.counts["treated"], s.counts["treated_kept"], s.counts["comparison_kept"]
(408, 408, 408)
>>> bool(s.diagnostics.set_index("check").loc["largest |SMD| after", "ok"])
True
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from desist.evaluation.result import EvaluationResult

#: conventional balance thresholds (Austin 2009; Stuart 2010)
SMD_OK = 0.1
VARIANCE_RATIO_OK = (0.5, 2.0)
#: below this share of treated men kept, the estimate describes a different population than "the treated"
KEPT_OK = 0.95
WIDTH = 80


@dataclass(frozen=True)
class ResultSummary:
    """Effects, counts and diagnostics of one evaluation (build with ``EvaluationResult.summary()``).

    Attributes
    ----------
    effects : DataFrame
        Each effect measure with its 95% CI and p-value (the same as ``result.to_frame()``).
    counts : dict
        ``treated``, ``comparison``, ``treated_kept``, ``comparison_kept``, ``rows_dropped`` and, where the
        design has them, ``ess_comparison`` (effective sample size of the weighted comparison group) and
        ``sets_decided_by_ties``.
    diagnostics : DataFrame
        One row per check: ``check``, ``value``, ``rule`` (what is conventionally acceptable) and ``ok``.
    warnings : tuple of str
        The result's warnings.
    """

    title: str
    effects: pd.DataFrame
    counts: dict[str, Any]
    diagnostics: pd.DataFrame
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "effects": self.effects.to_dict(orient="records"),
            "counts": dict(self.counts),
            "diagnostics": self.diagnostics.to_dict(orient="records"),
            "warnings": list(self.warnings),
        }

    def __str__(self) -> str:
        c = self.counts
        lines = [self.title, ""]
        lines.append(
            f"men: treated {c['treated']:,} (kept {c['treated_kept']:,}), comparison "
            f"{c['comparison']:,} (kept {c['comparison_kept']:,})"
        )
        extra = [f"{c['rows_dropped']:,} rows dropped for missing values"] if c["rows_dropped"] else []
        if c.get("ess_comparison") is not None:
            extra.append(f"effective comparison size {c['ess_comparison']:,.0f}")
        if extra:
            lines.append("; ".join(extra))
        lines += ["", "effects (95% CI)"]
        for row in self.effects.itertuples(index=False):
            p = "" if _missing(row.p_value) else f"  p = {row.p_value:.3g}"
            lines.append(
                f"  {row.measure:<14}{_num(row.estimate):>9}  ({_num(row.ci_low)} to {_num(row.ci_high)}){p}"
            )
        lines += ["", "diagnostics"]
        for check, raw, rule, ok in self.diagnostics.itertuples(index=False):
            mark = "ok   " if ok else ("check" if ok is False else "     ")
            value = f"{raw:.0%}" if str(check).startswith("share") else _num(raw)
            lines.append(f"  {mark} {check!s:<32}{value:>9}  {rule}")
        for w in self.warnings:
            lines += textwrap.wrap("warning: " + w, WIDTH, subsequent_indent="  ")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def summarise(result: EvaluationResult) -> ResultSummary:
    """The :class:`ResultSummary` of ``result`` (see the module docstring)."""
    n = result.n
    counts: dict[str, Any] = {
        "treated": n.get("treated"),
        "comparison": n.get("control"),
        "treated_kept": n.get("treated_matched"),
        "comparison_kept": n.get("control_matched"),
        "rows_dropped": result.rows_dropped,
    }
    if n.get("ess_control") is not None:
        counts["ess_comparison"] = float(n["ess_control"])
    if n.get("matched_sets_with_ties") is not None:
        counts["sets_decided_by_ties"] = n["matched_sets_with_ties"]
    title = (
        f"{result.method} ({result.estimand}) of {result.treatment.get('column')!r} on "
        f"{result.outcome.get('name')!r}"
    )
    return ResultSummary(
        title=title,
        effects=result.to_frame(),
        counts=counts,
        diagnostics=pd.DataFrame(_diagnostics(result, counts), columns=["check", "value", "rule", "ok"]),
        warnings=tuple(result.warnings),
    )


Row = tuple[str, Any, str, bool | None]


def _diagnostics(result: EvaluationResult, counts: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    after = [abs(b["smd_after"]) for b in result.balance if not _missing(b.get("smd_after"))]
    if after:
        worst = max(after)
        rows.append(("largest |SMD| after", worst, f"at most {SMD_OK}", worst <= SMD_OK))
        over = sum(v > SMD_OK for v in after)
        rows.append(("covariates with |SMD| > 0.1", over, "none", over == 0))
    ratios = [b["variance_ratio_after"] for b in result.balance]
    ratios = [r for r in ratios if not _missing(r)]
    if ratios:
        lo, hi = VARIANCE_RATIO_OK
        outside = sum(not lo <= r <= hi for r in ratios)
        rows.append(("variance ratios outside 0.5-2", outside, "none (continuous only)", outside == 0))
    if counts["treated"]:
        kept = counts["treated_kept"] / counts["treated"]
        rows.append(("share of treated men kept", kept, f"at least {KEPT_OK:.0%}", kept >= KEPT_OK))
    if counts.get("ess_comparison") is not None and counts["comparison"]:
        share = counts["ess_comparison"] / counts["comparison"]
        rows.append(("share of comparison kept (ESS)", share, "information the weights keep", None))
    if counts.get("sets_decided_by_ties"):
        rows.append(("matched sets decided by a tie", counts["sets_decided_by_ties"], "fewer = firmer", None))
    e = result.sensitivity.get("e_value") or {}
    if e.get("point") is not None:
        rows.append(("E-value (point estimate)", e["point"], "larger = more robust", None))
        rows.append(("E-value (CI limit)", e.get("ci"), "1 = CI includes no effect", None))
    ros = result.sensitivity.get("rosenbaum") or {}
    gamma = ros.get("gamma_critical") if ros.get("available") else None
    if gamma is not None and gamma > 1:  # at gamma 1 the result was not significant to begin with
        rows.append(("Rosenbaum gamma losing p < 0.05", gamma, "larger = more robust", None))
    return rows


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _num(v: Any) -> str:
    if _missing(v):
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
