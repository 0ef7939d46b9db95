"""``report.html``: one self-contained page (charts inline as SVG, no network) from an evaluation's JSON.

It opens with the answer in one sentence, then the numbers per 100 men, who was compared with whom, balance,
survival, subgroups, sensitivity, every warning the evaluation raised, a glossary and what is needed to
reproduce the result. Sentences come from :mod:`desist.evaluation.wording` and numbers from
:mod:`desist.evaluation.formatting`, so the page cannot say what its numbers do not.

Example
-------
>>> from desist.evaluation.simulate import simulate_cohort
>>> from desist.evaluation import Evaluation
>>> ev = Evaluation("treated", "reoffended_2y", ["age", "risk_band"], caliper=0.2).fit(
...     simulate_cohort(1500, seed=2, intercept=-2.0))
>>> html = render_report(ev.to_dict())
>>> html.startswith("<!DOCTYPE html>") and "For every 100 typical men" in html
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

from desist.evaluation import charts as ch
from desist.evaluation import formatting as fmt
from desist.evaluation import wording as wd


def glossary() -> dict[str, str]:
    """Every term the report may use, in plain words (``data/glossary.yaml``); a page prints those it uses."""
    import yaml

    text = resources.files("desist").joinpath("data/glossary.yaml").read_text("utf-8")
    return {t["term"]: t["meaning"] for t in yaml.safe_load(text)["terms"]}


def _css() -> str:
    return resources.files("desist.evaluation").joinpath("templates/report.css").read_text("utf-8")


def _template() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("desist.evaluation", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def render_report(
    result: Mapping[str, Any],
    *,
    wording: wd.Wording | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    extra_sections: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    result : mapping
        The JSON form of an evaluation (``to_dict()``). Optional keys it reads when present: ``charts``
        (from :mod:`desist.evaluation.chart_data`), ``naive`` (unmatched rates), ``flow`` (counts from the
        cohort to the men compared), ``spec``, ``data_cutoff``, ``fingerprint``, ``desist_version``,
        ``run_id``, ``fitted_at``.
    wording : Wording, optional
        Names for the programme, outcome, window and covariates.
    title, subtitle : str, optional
    extra_sections : sequence of mappings
        More sections (``id``, ``title``, ``paragraphs``, optional ``figure`` SVG and ``caption``), e.g. the
        monitoring chart.
    """
    w = wording or wd.Wording()
    used: set[str] = {
        "95% confidence interval (CI)",
        "p-value",
        "Statistically significant",
        "Proven reoffending",
    }
    has_outcome = bool(result.get("outcome"))
    method = result.get("method")
    used.add(
        "ATT (average treatment effect on the treated)"
        if result.get("estimand", "ATT") == "ATT"
        else "ATE (average treatment effect)"
    )
    used.update({"Propensity score"})
    used.add("Weighting" if method in ("ipw", "aipw") else "Matching")
    if _settings(result).get("caliper"):
        used.add("Caliper")
    context: dict[str, Any] = {
        "title": title or f"Did {w.programme} reduce {w.outcome}?",
        "subtitle": subtitle or _subtitle(result),
        "headline": wd.headline(result, w),
        "warnings": list(result.get("warnings") or []),
        "numbers": _numbers(result, w) if has_outcome else [],
        "paragraphs": [],
        "flow": _flow(result),
        "design_text": _design_text(result, w),
        "balance_rows": [],
        "balance_sentence": "",
        "survival_text": None,
        "subgroup_rows": [],
        "subgroup_sentence": "",
        "subgroup_label": "",
        "sensitivity": [],
        "charts": {},
        "extra_sections": list(extra_sections),
        "glossary": [],
        "reproduce": _reproduce(result),
        "spec_json": json.dumps(result["spec"], indent=2, default=str) if result.get("spec") else "",
        "version": result.get("desist_version") or _version(),
        "css": _css(),
    }
    charts: dict[str, str | None] = dict.fromkeys(("love", "overlap", "survival", "forest", "deniers"))
    if has_outcome:
        context["paragraphs"].append(wd.outcome_paragraph(result, w))
        survival = wd.survival_paragraph(result, w)
        if survival:
            context["survival_text"] = survival
            used.update({"Hazard ratio", "Kaplan-Meier curve"})
        if "pair" in str(result["outcome"].get("ci_method", "")):
            used.add("Pair-robust")
    balance = list(result.get("balance") or [])
    if balance:
        used.add("Standardised mean difference (SMD)")
        context["balance_sentence"] = wd.balance_sentence(balance, w)
        context["balance_rows"] = [
            {
                "name": w.label(b["covariate"]),
                "before": fmt.smd(b.get("smd_before")),
                "after": fmt.smd(b.get("smd_after")),
                "vr": fmt.number(b.get("variance_ratio_after"), 2),
            }
            for b in balance
        ]
        charts["love"] = _svg(lambda: ch.love_chart(balance, label=w.label), "Love plot of covariate balance")
    stored = result.get("charts") or {}
    if stored.get("overlap"):
        charts["overlap"] = _svg(lambda: ch.overlap_chart(stored["overlap"]), "Propensity score overlap")
    if stored.get("survival"):
        charts["survival"] = _svg(
            lambda: ch.survival_chart(stored["survival"], comparison=_comparison_name(result)),
            "Cumulative proven reoffending by year since release, treated and comparison",
        )
    sub = result.get("subgroups")
    if sub and sub.get("groups"):
        used.add("Interaction test")
        context["subgroup_sentence"] = wd.subgroup_sentence(sub, w)
        context["subgroup_label"] = w.label(sub["column"])
        context["subgroup_rows"] = _subgroup_rows(sub)
        charts["forest"] = _svg(
            lambda: ch.forest_chart(sub, result.get("outcome"), label=w.label(sub["column"])),
            "Forest plot of the difference per 100 men by group",
        )
    sens = result.get("sensitivity") or {}
    sentences = [wd.e_value_sentence(sens), wd.rosenbaum_sentence(sens), wd.deniers_sentence(sens)]
    context["sensitivity"] = [s for s in sentences if s]
    if sens.get("e_value"):
        used.add("E-value")
    if (sens.get("rosenbaum") or {}).get("available"):
        used.add("Hidden bias (Rosenbaum's Γ)")
    if (sens.get("deniers") or {}).get("table"):
        charts["deniers"] = _svg(
            lambda: ch.deniers_chart(sens["deniers"]["table"]), "Estimate under the innocent-deniers scenario"
        )
    context["charts"] = charts
    context["glossary"] = [(term, text) for term, text in glossary().items() if term in used]
    return str(_template().render(**context))


def _svg(draw: Callable[[], Any], label: str) -> str:
    """Draw, then give the SVG an accessible name (screen readers read the caption too)."""
    svg = ch.to_svg(draw())
    from html import escape

    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def _subtitle(result: Mapping[str, Any]) -> str:
    parts = []
    if result.get("run_id") is not None:
        parts.append(f"Stored run {result['run_id']}")
    if result.get("data_cutoff"):
        parts.append(f"data to {result['data_cutoff']}")
    if result.get("fitted_at"):
        parts.append(f"computed {str(result['fitted_at'])[:10]}")
    return ", ".join(parts) or "Evaluation report"


def _comparison_name(result: Mapping[str, Any]) -> str:
    return "matched comparison" if result.get("method") in ("nearest", "subclass") else "weighted comparison"


def _numbers(result: Mapping[str, Any], w: wd.Wording) -> list[dict[str, str]]:
    o = result["outcome"]
    window = f" {w.window}" if w.window else ""
    rows = [
        {
            "measure": f"Proven to reoffend{window}, per 100 men",
            "treated": fmt.per_100(o["treated_mean"]),
            "comparison": fmt.per_100(o["control_mean"]),
            "effect": f"{fmt.signed_per_100(o['estimate'])} ({fmt.ci(o['ci'], 'per_100')})",
            "p": fmt.p_value(o.get("p_value")),
        }
    ]
    rr = o.get("risk_ratio")
    if rr:
        rows.append(
            {
                "measure": "Risk ratio",
                "treated": "",
                "comparison": "",
                "p": "",
                "effect": fmt.ratio_ci(rr["estimate"], rr["ci"]).replace("95% CI ", ""),
            }
        )
    s = result.get("survival")
    if s:
        ev = s.get("events") or {}
        rows.append(
            {
                "measure": "Hazard ratio (time to proven reoffending); men with an event",
                "treated": fmt.count(ev.get("treated")),
                "comparison": fmt.count(ev.get("control")),
                "effect": fmt.ratio_ci(s["hazard_ratio"], s["ci"]).replace("95% CI ", ""),
                "p": fmt.p_value(s.get("p_value")),
            }
        )
    return rows


def _flow(result: Mapping[str, Any]) -> list[dict[str, str]]:
    """Steps from the cohort to the men compared, from ``flow`` when the result has it, else from ``n``."""
    if result.get("flow"):
        return [{"count": fmt.count(s["count"]), "text": s["text"]} for s in result["flow"]]
    n = result.get("n") or {}
    cohort = (result.get("source") or {}).get("cohort") or {}
    steps: list[dict[str, str]] = []
    if cohort:
        programme = (result.get("treatment") or {}).get("programme") or "the programme"
        definition = (result.get("treatment") or {}).get("definition") or "took"
        steps = [
            {"count": fmt.count(cohort.get("men")), "text": "men in the casework store"},
            {"count": fmt.count(cohort.get("eligible")), "text": f"were eligible for {programme}"},
            {"count": fmt.count(cohort.get("followed_up")), "text": "were followed up long enough"},
            {"count": fmt.count(n.get("treated")), "text": f"of them {definition} the programme"},
        ]
    if not n:
        return []
    matched = "matched" if result.get("method") in ("nearest", "subclass") else "given weight"
    if not steps:
        steps = [{"count": fmt.count(n.get("treated")), "text": "treated men in the cohort"}]
    steps.append({"count": fmt.count(n.get("control")), "text": "eligible men who were not treated"})
    if n.get("treated_matched") is not None:
        steps.append({"count": fmt.count(n.get("treated_matched")), "text": f"treated men {matched}"})
    if n.get("control_matched") is not None:
        steps.append({"count": fmt.count(n.get("control_matched")), "text": f"comparison men {matched}"})
    return steps


def _design_text(result: Mapping[str, Any], w: wd.Wording) -> list[str]:
    out = []
    naive = wd.naive_sentence(result.get("naive"), result.get("balance") or [], w)
    if naive:
        out.append(naive)
    settings = _settings(result)
    method = result.get("method")
    if method == "nearest":
        ratio = settings.get("ratio", 1)
        whom = "one comparison man" if ratio == 1 else f"{ratio} comparison men"
        reuse = " (a man could be used more than once)" if settings.get("replace") else ""
        text = f"Each treated man was matched to {whom} with the closest propensity score{reuse}"
        if settings.get("caliper"):
            text += (
                f", no further apart than {fmt.number(settings['caliper'])} standard deviations of the score"
            )
        if settings.get("exact"):
            text += f", and exactly on {', '.join(w.label(c) for c in settings['exact'])}"
        out.append(text + ".")
    elif method == "subclass":
        k = settings.get("n_subclasses")
        out.append(
            f"Men were grouped into {k or 'several'} bands of similar propensity score and compared "
            "within them."
        )
    elif method in ("ipw", "aipw"):
        out.append(
            "Comparison men were weighted so the weighted group resembles the treated men"
            + (" and the outcome was also modelled (doubly robust)." if method == "aipw" else ".")
        )
    return out


def _subgroup_rows(sub: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for g in ch.order_levels(sub["groups"]):
        if g.get("skipped"):
            effect = f"not estimated: {g['skipped']}"
        else:
            effect = f"{fmt.signed_per_100(g['estimate'])} ({fmt.ci((g['ci_low'], g['ci_high']), 'per_100')})"
        rows.append(
            {
                "level": str(g["level"]).replace("_", " ").capitalize(),
                "n": fmt.count(g.get("n_treated")),
                "treated": fmt.per_100(g.get("treated_mean")),
                "comparison": fmt.per_100(g.get("control_mean")),
                "effect": effect,
            }
        )
    return rows


def _reproduce(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    keys = [
        ("run_id", "Stored run"),
        ("data_cutoff", "Data cut-off"),
        ("fingerprint", "Data fingerprint"),
        ("desist_version", "desist version"),
        ("fitted_at", "Computed at"),
    ]
    rows = [(label, str(result[k])) for k, label in keys if result.get(k) not in (None, "")]
    rows.append(("Design", f"{result.get('method')} ({result.get('estimand')})"))
    settings = _settings(result)
    shown = [f"{k}={v}" for k, v in settings.items() if v is not None and not isinstance(v, dict)]
    if shown:
        rows.append(("Settings", ", ".join(shown)))
    return rows


def _settings(result: Mapping[str, Any]) -> dict[str, Any]:
    """The design settings as applied, a design's own parameters (under ``params``) brought up a level."""
    applied = dict(result.get("settings") or {})
    return {**applied, **(applied.pop("params", None) or {})}


def _version() -> str:
    from desist import __version__

    return str(__version__)


__all__ = ["glossary", "render_report"]
