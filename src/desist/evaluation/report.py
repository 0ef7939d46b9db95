"""Words and tables for an evaluation: the Justice Data Lab style paragraph and ``--format table``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from desist.evaluation.outcomes import OutcomeResult


def _n(x: float) -> str:
    """Rates per 100 as the Justice Data Lab prints them: whole numbers, one decimal below 10."""
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"


def _signed(x: float) -> str:
    return f"{x:+.1f}"


def plain_language(
    result: OutcomeResult,
    *,
    window: str | None = None,
    people: str = "men",
    comparison: str = "the matched comparison group",
) -> str:
    """A plain-language paragraph in the Justice Data Lab's "for every 100 typical people" style.

    Parameters
    ----------
    result : OutcomeResult
    window : str, optional
        How the outcome is bounded in time, e.g. "within two years"; omitted when not given.
    people : str
        Who was studied ("men").
    comparison : str
        How to name the comparison group ("the matched comparison group", "the weighted comparison group").

    Examples
    --------
    For a binary outcome: "For every 100 typical men like those treated, 10 reoffended within two years
    against 8.0 in the matched comparison group (difference between +0.4 and +3.6 per 100). ..."
    """
    when = f" {window}" if window else ""
    if result.estimand == "ATT":
        who = f"For every 100 typical {people} like those treated"
    else:
        who = f"For every 100 {people} like those in the study, had all been treated"
    lo, hi = result.ci
    if result.type == "continuous":
        text = (
            f"{people.capitalize()} treated had a mean {result.name} of {result.treated_mean:.4g} against "
            f"{result.control_mean:.4g} in {comparison} (difference {result.estimate:+.4g}, 95% CI between "
            f"{lo:+.4g} and {hi:+.4g})."
        )
    else:
        verb = "reoffended" if result.type == "binary" else f"{result.name} counted"
        unit = "" if result.type == "binary" else " (total)"
        text = (
            f"{who}, {_n(100 * result.treated_mean)} {verb}{when}{unit} against "
            f"{_n(100 * result.control_mean)} in {comparison} (difference between {_signed(100 * lo)} and "
            f"{_signed(100 * hi)} per 100)."
        )
    if lo > 0:
        text += " The treated group did worse; the difference is statistically significant at the 5% level."
    elif hi < 0:
        text += " The treated group did better; the difference is statistically significant at the 5% level."
    else:
        text += (
            " The difference is not statistically significant: the data are consistent with the programme "
            "increasing, reducing or not changing the outcome by the amounts in the interval."
        )
    if result.warnings:
        text += " Caution: " + "; ".join(result.warnings) + "."
    return text


def _frame_text(title: str, frame: pd.DataFrame) -> str:
    return f"{title}\n{frame.to_string(index=False, float_format=lambda v: f'{v:.4g}')}\n"


def table_text(d: dict[str, Any]) -> str:
    """Render the JSON result of an evaluation (:meth:`Evaluation.to_dict`) as plain text tables."""
    parts = [f"desist evaluation: {d['method']} ({d['estimand']})"]
    n = d["n"]
    parts.append(
        f"treated {n['treated']} (matched/weighted {n['treated_matched']}), "
        f"comparison {n['control']} (matched/weighted {n['control_matched']})\n"
    )
    o = d["outcome"]
    rows = [("difference", o["estimate"], *o["ci"], o["p_value"])]
    for key in ("risk_ratio", "odds_ratio"):
        if o.get(key):
            rows.append((key.replace("_", " "), o[key]["estimate"], *o[key]["ci"], float("nan")))
    head = (
        f"outcome {o['name']} ({o['type']}): treated {o['treated_mean']:.4g}, comparison "
        f"{o['control_mean']:.4g}; CI {o['ci_method']}"
    )
    parts.append(
        _frame_text(head, pd.DataFrame(rows, columns=["measure", "estimate", "ci_low", "ci_high", "p"]))
    )
    bal = pd.DataFrame(d["balance"])
    if len(bal):
        keep = [
            c for c in ("covariate", "smd_before", "smd_after", "variance_ratio_after", "flag") if c in bal
        ]
        parts.append(_frame_text("balance", bal[keep]))
    if d.get("survival"):
        s = d["survival"]
        parts.append(
            f"survival: hazard ratio {s['hazard_ratio']:.3g} ({s['ci'][0]:.3g} to {s['ci'][1]:.3g}), "
            f"p = {s['p_value']:.3g}; log-rank p = {s['logrank']['p_value']:.3g}\n"
        )
    sens = d["sensitivity"]
    ev = sens.get("e_value") or {}
    if ev:
        parts.append(
            f"E-value ({ev['measure']}): point {ev['point']:.3g}, CI {ev['ci']:.3g}"
            if ev.get("ci")
            else f"E-value ({ev['measure']}): point {ev['point']:.3g}"
        )
    ros = sens.get("rosenbaum") or {}
    if ros.get("available"):
        g = ros["gamma_critical"]
        parts.append(
            f"Rosenbaum ({ros['test']}): significance lost at Gamma = {'>1000' if g is None else f'{g:.3g}'}"
        )
    elif ros:
        parts.append(f"Rosenbaum: not available ({ros.get('reason')})")
    if sens.get("deniers"):
        parts.append("\n" + _frame_text("innocent deniers scenario", pd.DataFrame(sens["deniers"]["table"])))
    if d.get("subgroups"):
        sg = d["subgroups"]
        frame = pd.DataFrame(sg["groups"])
        cols = [c for c in ("level", "n_treated", "estimate", "ci_low", "ci_high", "skipped") if c in frame]
        p = sg["interaction"]["p_value"]
        parts.append(
            "\n"
            + _frame_text(
                f"subgroups by {sg['column']} (interaction p = {'n/a' if p is None else f'{p:.3g}'})",
                frame[cols],
            )
        )
    for w in d.get("warnings", []):
        parts.append(f"warning: {w}")
    parts.append("\n" + d["plain_language"])
    return "\n".join(parts) + "\n"
