"""Sentences derived from an evaluation's numbers, for people who act on it rather than analyse it.

Every sentence here is computed from the result it describes, so none can contradict the numbers beside it:
"did worse" only when the interval lies above no effect, "signficance lost at Γ" only when the result was
significant to begin with, "treated men were higher risk" only when the balance table says so. Each rule has
its own test in ``tests/unit/evaluation/test_wording.py``.

All functions read the JSON form of a result (``EvaluationResult.to_dict()`` / ``Evaluation.to_dict()``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desist.evaluation import formatting as fmt

#: a verdict on one effect measure
HARM, BENEFIT, UNCLEAR = "harm", "benefit", "unclear"


@dataclass(frozen=True)
class Wording:
    """How to name things in sentences.

    Parameters
    ----------
    programme : str
        The programme as readers know it, e.g. "Core SOTP".
    outcome : str
        The outcome as a noun phrase, e.g. "proven sexual reoffending".
    window : str, optional
        The follow-up window for the binary outcome, e.g. "within 5 years of release".
    people : str
        Who was studied ("men").
    labels : mapping
        Covariate code -> readable label (e.g. "osp_dc_points" -> "OSP/DC points").
    """

    programme: str = "the programme"
    outcome: str = "proven reoffending"
    window: str | None = None
    people: str = "men"
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, code: str) -> str:
        """A covariate's readable name: the map's entry, else the code with spaces.

        A dummy column such as ``risk_band_very high`` reads "OSP/DC band: very high" when ``risk_band`` is
        in the map (the longest matching code wins).
        """
        if code in self.labels:
            return self.labels[code]
        for key, text in sorted(self.labels.items(), key=lambda kv: -len(kv[0])):
            if code.startswith(key + "_"):
                return f"{text}: {code[len(key) + 1 :].replace('_', ' ')}"
        return code.replace("_", " ")


def verdict(interval: Sequence[float] | None, null: float) -> str:
    """HARM when the 95% interval lies wholly above ``null``, BENEFIT when wholly below, else UNCLEAR.

    For reoffending, higher is worse: a difference above 0 or a hazard ratio above 1 is harm.
    """
    if not interval or any(v is None for v in interval):
        return UNCLEAR
    lo, hi = interval
    if lo > null:
        return HARM
    if hi < null:
        return BENEFIT
    return UNCLEAR


def measures(result: Mapping[str, Any]) -> dict[str, str]:
    """The verdict of each effect measure estimated: ``{"difference": ..., "hazard_ratio": ...}``."""
    out: dict[str, str] = {}
    o = result.get("outcome")
    if o and o.get("ci"):
        out["difference"] = verdict(o["ci"], 0.0)
    s = result.get("survival")
    if s and s.get("ci"):
        out["hazard_ratio"] = verdict(s["ci"], 1.0)
    return out


def headline(result: Mapping[str, Any], w: Wording) -> str:
    """The answer in one sentence a minister would understand."""
    if result.get("status") == "too_few" or not result.get("outcome"):
        return (
            f"There were too few {w.people} to tell whether {w.programme} changed {w.outcome}: "
            "no estimate is given."
        )
    v = measures(result)
    found = {x for x in v.values() if x != UNCLEAR}
    if not found:
        return (
            f"This evaluation cannot tell whether {w.programme} changed {w.outcome}: the results are "
            "consistent with it raising, lowering or not changing it."
        )
    if found == {HARM, BENEFIT}:
        return (
            f"The measures disagree about {w.programme}: one suggests it raised {w.outcome} and another that "
            "it lowered it; read the detail below before drawing any conclusion."
        )
    direction = "more" if found == {HARM} else "less"
    verb = "raised" if found == {HARM} else "lowered"
    clear = [k for k, x in v.items() if x != UNCLEAR]
    unclear = [k for k, x in v.items() if x == UNCLEAR]
    text = (
        f"{w.people.capitalize()} who took {w.programme} were {direction} likely to be proven to "
        f"reoffend than similar {w.people} who did not: the evidence suggests the programme {verb} "
        f"{w.outcome}."
    )
    if unclear:
        names = {"difference": f"the reoffending rate{_window(w)}", "hazard_ratio": "the time to reoffending"}
        text += (
            f" This rests on {', '.join(names[k] for k in clear)}; the difference in "
            f"{' and '.join(names[k] for k in unclear)} was not statistically clear."
        )
    return text


def _window(w: Wording) -> str:
    return f" {w.window}" if w.window else ""


def outcome_paragraph(result: Mapping[str, Any], w: Wording) -> str:
    """The Justice Data Lab's "for every 100 typical men" sentence for the binary outcome."""
    o = result["outcome"]
    comparison = _comparison(result)
    if o.get("type") == "continuous":
        text = (
            f"{w.people.capitalize()} treated had a mean {o['name']} of {fmt.number(o['treated_mean'])} "
            f"against {fmt.number(o['control_mean'])} in {comparison}: a difference of "
            f"{fmt.number(o['estimate'])} (95% CI {fmt.ci(o['ci'], 'number')})."
        )
        return text + " " + _significance(verdict(o["ci"], 0.0), o.get("p_value"))
    if o.get("estimand", "ATT") == "ATT":
        who = f"For every 100 typical {w.people} like those treated"
    else:
        who = f"For every 100 {w.people} like those in the study, had all been treated"
    if o.get("type") == "count":
        text = (
            f"{who}, {fmt.number(100 * o['treated_mean'])} {o['name']} were counted{_window(w)}, against "
            f"{fmt.number(100 * o['control_mean'])} in {comparison}: a difference of "
            f"{fmt.number(100 * o['estimate'])} per 100 (95% CI {fmt.number(100 * o['ci'][0])} to "
            f"{fmt.number(100 * o['ci'][1])} per 100)."
        )
        return text + " " + _significance(verdict(o["ci"], 0.0), o.get("p_value"))
    text = (
        f"{who}, {fmt.per_100(o['treated_mean'])} were proven to reoffend{_window(w)}, against "
        f"{fmt.per_100(o['control_mean'])} in {comparison}: a difference of "
        f"{fmt.signed_per_100(o['estimate'])} per 100 (95% CI {fmt.ci(o['ci'], 'per_100')} per 100)."
    )
    return text + " " + _significance(verdict(o["ci"], 0.0), o.get("p_value"))


def plain_language(result: Mapping[str, Any], w: Wording) -> str:
    """Every outcome estimated, in words: the rate (or mean) and, when fitted, the time to reoffending.

    The evaluation's cautions (too few men, say) follow, so the paragraph cannot be read without them.
    """
    parts = [outcome_paragraph(result, w)]
    survival = survival_paragraph(result, w)
    if survival:
        parts.append(survival)
    cautions = (result.get("outcome") or {}).get("warnings") or []
    if cautions:
        parts.append("Caution: " + "; ".join(cautions) + ".")
    return " ".join(parts)


def survival_paragraph(result: Mapping[str, Any], w: Wording) -> str | None:
    """The hazard ratio in words, or None when no time-to-event analysis was run."""
    s = result.get("survival")
    if not s:
        return None
    hr, (lo, hi) = s["hazard_ratio"], s["ci"]
    text = (
        f"At any point after release, the rate at which treated {w.people} were proven to reoffend was "
        f"{fmt.ratio(hr)} times that of {_comparison(result)} (hazard ratio; 95% CI {fmt.ci(s['ci'])}): "
        f"{_change(lo)} to {_change(hi)}."
    )
    return text + " " + _significance(verdict(s["ci"], 1.0), s.get("p_value"))


def _change(r: float) -> str:
    """A ratio as "23% higher" / "16% lower" / "no different"."""
    pct = 100 * (r - 1)
    if abs(pct) < 0.5:
        return "no different"
    return f"{abs(pct):.0f}% {'higher' if pct > 0 else 'lower'}"


def _significance(v: str, p: float | None) -> str:
    shown = fmt.p_value(p)
    pv = "" if p is None else (f" (p {shown})" if shown.startswith("<") else f" (p = {shown})")
    significant = f"the difference is statistically significant at the 5% level{pv}."
    if v == HARM:
        return f"The treated group did worse, and {significant}"
    if v == BENEFIT:
        return f"The treated group did better, and {significant}"
    return (
        f"The difference is not statistically significant{pv}: the data are consistent with the programme "
        "raising, lowering or not changing the outcome by the amounts in the interval."
    )


def _comparison(result: Mapping[str, Any]) -> str:
    return (
        "the matched comparison group"
        if result.get("method") in ("nearest", "subclass")
        else "the weighted comparison group"
    )


def naive_sentence(
    naive: Mapping[str, float] | None, balance: Sequence[Mapping[str, Any]], w: Wording
) -> str | None:
    """The unmatched comparison and how the groups differed before matching, both read from the numbers."""
    if not naive:
        return None
    t, c = naive["treated"], naive["untreated"]
    text = (
        f"Before any matching, {fmt.percent(t)} of treated and {fmt.percent(c)} of untreated {w.people} were "
        f"proven to reoffend{_window(w)}."
    )
    worst = sorted(
        (b for b in balance if b.get("smd_before") is not None and abs(b["smd_before"]) >= 0.1),
        key=lambda b: -abs(b["smd_before"]),
    )[:3]
    if worst:
        parts = [f"{_more_or_less(b, w)} (SMD {fmt.smd(b['smd_before'])})" for b in worst]
        text += (
            " That comparison is not fair: before matching the treated men differed from the others, with "
            + _and(parts)
            + "."
        )
    else:
        text += " Before matching the two groups were already similar on every covariate measured."
    return text


def _more_or_less(row: Mapping[str, Any], w: Wording) -> str:
    """ "higher age" for a number, "more men with setting: prison" for a yes/no covariate."""
    up = row["smd_before"] > 0
    if row.get("type") == "binary":
        return f"{'more' if up else 'fewer'} {w.people} with {w.label(row['covariate'])}"
    return f"{'higher' if up else 'lower'} {w.label(row['covariate'])}"


def balance_sentence(balance: Sequence[Mapping[str, Any]], w: Wording, threshold: float = 0.1) -> str:
    """Whether the design balanced the covariates, naming any that stayed imbalanced."""
    after = [b for b in balance if b.get("smd_after") is not None]
    if not after:
        return "No balance statistics were computed."
    bad = [b for b in after if abs(b["smd_after"]) > threshold]
    if not bad:
        worst = max(abs(b["smd_after"]) for b in after)
        return (
            f"After matching every covariate was balanced: the largest standardised mean difference was "
            f"{worst:.2f} (the usual threshold is {threshold})."
        )
    names = [f"{w.label(b['covariate'])} (SMD {fmt.smd(b['smd_after'])})" for b in bad]
    return (
        f"After matching {len(bad)} covariate{'s were' if len(bad) > 1 else ' was'} still imbalanced "
        f"(|SMD| above {threshold}): {_and(names)}. Treat the estimates with caution."
    )


def rosenbaum_sentence(sens: Mapping[str, Any]) -> str | None:
    """Hidden bias, worded so it is true whether or not the result was significant to begin with."""
    ros = sens.get("rosenbaum") or {}
    if not ros:
        return None
    if not ros.get("available"):
        return f"The hidden-bias (Rosenbaum) analysis was not run: {ros.get('reason', 'not available')}."
    table = ros.get("table") or []
    p1 = next((r["p_upper"] for r in table if abs(r["gamma"] - 1.0) < 1e-9), None)
    if p1 is not None and p1 >= 0.05:
        return (
            "For the reoffending rate, the result is not significant even with no hidden bias "
            f"(Γ = 1, one-sided p = {fmt.p_value(p1)}), so there is no finding for hidden bias to overturn."
        )
    g = ros.get("gamma_critical")
    if g is None:
        top = max((r["gamma"] for r in table), default=None)
        return (
            "The difference in the reoffending rate stays significant for every amount of hidden bias "
            "examined "
            f"(up to Γ = {fmt.number(top)})."
        )
    return (
        f"An unmeasured factor that made one man of a matched pair {fmt.number(g)} times as likely to be "
        f"treated as the other (Γ = {fmt.number(g)}) would be enough to make the difference in the "
        "reoffending rate no longer significant."
    )


def e_value_sentence(sens: Mapping[str, Any]) -> str | None:
    """The E-value in words (VanderWeele & Ding 2017)."""
    ev = sens.get("e_value") or {}
    if not ev:
        return None
    text = (
        "To explain away the estimate, an unmeasured confounder would need to be associated with both "
        f"taking the programme and reoffending by a risk ratio of {fmt.number(ev['point'])} each "
        "(the E-value)"
    )
    ci = ev.get("ci")
    if ci is None:
        return text + "."
    if ci <= 1.0:
        return text + "; the confidence interval already includes no effect."
    return text + f"; {fmt.number(ci)} each would move the confidence interval to include no effect."


def subgroup_sentence(sub: Mapping[str, Any] | None, w: Wording) -> str | None:
    """The interaction test in words."""
    if not sub:
        return None
    p = (sub.get("interaction") or {}).get("p_value")
    name = w.label(sub["column"])
    if p is None:
        return f"Some groups of {name} had too few men to test whether the effect differed between them."
    if p < 0.05:
        return f"The effect differed between groups of {name} (interaction test p = {fmt.p_value(p)})."
    return (
        f"There is no clear evidence that the effect differed between groups of {name} "
        f"(interaction test p = {fmt.p_value(p)}); each group's estimate is less precise than the "
        "overall one."
    )


def deniers_sentence(sens: Mapping[str, Any]) -> str | None:
    """Where in the innocent-deniers scenario the conclusion changes."""
    d = sens.get("deniers")
    if not d or not d.get("table"):
        return None
    table = d["table"]
    n = d.get("n_deniers") or {}
    base = verdict((table[0]["ci_low"], table[0]["ci_high"]), 0.0)
    change = next((r for r in table if verdict((r["ci_low"], r["ci_high"]), 0.0) != base), None)
    who = (
        f"{fmt.count(n.get('control'))} men in the comparison group and "
        f"{fmt.count(n.get('treated'))} treated men maintained their innocence"
        if n
        else "Some men maintained their innocence"
    )
    if change is None:
        return (
            f"{who}. Assuming any share of those in the comparison group were innocent (and would never be "
            "reconvicted) does not change the conclusion."
        )
    new = {HARM: "significantly worse", BENEFIT: "significantly better", UNCLEAR: "not significant"}[
        verdict((change["ci_low"], change["ci_high"]), 0.0)
    ]
    return (
        f"{who}. If {fmt.percent(change['fraction'])} or more of those in the comparison group were innocent "
        f"(and would never be reconvicted), the treated group's result would be {new}."
    )


def _and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


__all__ = [
    "BENEFIT",
    "HARM",
    "UNCLEAR",
    "Wording",
    "balance_sentence",
    "deniers_sentence",
    "e_value_sentence",
    "headline",
    "measures",
    "naive_sentence",
    "outcome_paragraph",
    "plain_language",
    "rosenbaum_sentence",
    "subgroup_sentence",
    "survival_paragraph",
    "verdict",
]
