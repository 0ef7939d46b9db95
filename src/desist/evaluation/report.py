"""Words and tables for an evaluation: the Justice Data Lab style paragraph and ``--format table``."""

from __future__ import annotations

from typing import Any

from desist.evaluation.outcomes import OutcomeResult


def plain_language(
    result: OutcomeResult,
    *,
    window: str | None = None,
    people: str = "men",
    method: str = "nearest",
    survival: dict[str, Any] | None = None,
) -> str:
    """A plain-language paragraph in the Justice Data Lab's "for every 100 typical people" style.

    Covers the binary (or count, or continuous) outcome and, when ``survival`` (a
    :class:`~desist.evaluation.survival.SurvivalResult` ``to_dict()``) is given, the time to reoffending;
    the words come from :func:`desist.evaluation.wording.plain_language`.

    Examples
    --------
    "For every 100 typical men like those treated, 10 were proven to reoffend within two years, against 8.0
    in the matched comparison group: a difference of +2.0 per 100 (95% CI +0.4 to +3.6 per 100). ..."
    """
    from desist.evaluation import wording as wd

    d = {"outcome": result.to_dict(), "survival": survival, "method": method}
    return wd.plain_language(d, wd.Wording(window=window, people=people))


METHOD_NAMES = {
    "nearest": "nearest-neighbour matching",
    "subclass": "subclassification on the propensity score",
    "ipw": "inverse probability weighting",
    "aipw": "augmented inverse probability weighting (doubly robust)",
}


def _row(cells: list[str], widths: list[int]) -> str:
    """Left-align the first cell, right-align the numbers; the widths keep a table inside 80 columns."""
    first, *rest = cells
    line = "  " + first.ljust(widths[0]) + "".join(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))
    return line.rstrip()


def table_text(d: dict[str, Any], *, window: str | None = None) -> str:
    """An evaluation's JSON (``to_dict()``) as text for a terminal, within 80 columns.

    ``window`` words the follow-up window ("within two years"). Numbers follow
    :mod:`desist.evaluation.formatting` and every sentence comes from
    :mod:`desist.evaluation.wording`, so the terminal and report.html say the same thing.
    """
    from desist.evaluation import formatting as fmt
    from desist.evaluation import wording as wd

    w = wd.Wording(window=window)
    n = d.get("n") or {}
    method = METHOD_NAMES.get(str(d.get("method")), str(d.get("method")))
    used = "matched" if d.get("method") in ("nearest", "subclass") else "weighted"
    parts = [
        f"desist evaluation: {method} ({d.get('estimand')})",
        f"treated {fmt.count(n.get('treated'))} ({fmt.count(n.get('treated_matched'))} {used}), "
        f"untreated {fmt.count(n.get('control'))} ({fmt.count(n.get('control_matched'))} {used})",
        "",
        wd.headline(d, w),
    ]
    o = d.get("outcome")
    if o:
        widths = [24, 9, 11, 25, 9]
        parts += ["", f"outcome {o['name']} ({o['type']}); CIs {o.get('ci_method', '')}"]
        parts.append(_row(["measure", "treated", "comparison", "effect (95% CI)", "p"], widths))
        if o["type"] == "binary":
            first = [
                "per 100 men",
                fmt.per_100(o["treated_mean"]),
                fmt.per_100(o["control_mean"]),
                f"{fmt.signed_per_100(o['estimate'])} ({fmt.ci(o['ci'], 'per_100')})",
            ]
        else:
            first = [
                "mean",
                fmt.number(o["treated_mean"]),
                fmt.number(o["control_mean"]),
                f"{fmt.number(o['estimate'])} ({fmt.ci(o['ci'], 'number')})",
            ]
        parts.append(_row([*first, fmt.p_value(o.get("p_value"))], widths))
        for key in ("risk_ratio", "odds_ratio"):
            if o.get(key):
                r = o[key]
                effect = f"{fmt.ratio(r['estimate'])} ({fmt.ci(r['ci'])})"
                parts.append(_row([key.replace("_", " "), "", "", effect, ""], widths))
        s = d.get("survival")
        if s:
            ev = s.get("events") or {}
            effect = f"{fmt.ratio(s['hazard_ratio'])} ({fmt.ci(s['ci'])})"
            parts.append(
                _row(
                    [
                        "hazard ratio (events)",
                        fmt.count(ev.get("treated")),
                        fmt.count(ev.get("control")),
                        effect,
                        fmt.p_value(s.get("p_value")),
                    ],
                    widths,
                )
            )
            lr = s.get("logrank") or {}
            if lr:
                parts.append(
                    f"  log-rank test p {fmt.p_value(lr.get('p_value'))} (descriptive; ignores pairing)"
                )
    bal = d.get("balance") or []
    if bal:
        widths = [34, 12, 12, 14]
        parts += ["", "balance (standardised mean difference)"]
        parts.append(_row(["covariate", "before", "after", "var. ratio"], widths))
        for b in bal:
            name = str(b["covariate"])
            name = name if len(name) <= 32 else name[:31] + "…"
            parts.append(
                _row(
                    [
                        name,
                        fmt.smd(b.get("smd_before")),
                        fmt.smd(b.get("smd_after")),
                        fmt.number(b.get("variance_ratio_after"), 2),
                    ],
                    widths,
                )
            )
        parts.append("  " + wd.balance_sentence(bal, w))
    sens = d.get("sensitivity") or {}
    sentences = [wd.e_value_sentence(sens), wd.rosenbaum_sentence(sens), wd.deniers_sentence(sens)]
    if any(sentences):
        parts += ["", "sensitivity"] + [f"  {x}" for x in sentences if x]
    sub = d.get("subgroups")
    if sub and sub.get("groups"):
        from desist.evaluation.charts import order_levels

        widths = [20, 10, 9, 11, 26]
        parts += ["", f"subgroups by {sub['column']}"]
        parts.append(_row(["group", "treated", "treated", "comparison", "difference per 100 (CI)"], widths))
        parts.append(_row(["", "men", "per 100", "per 100", ""], widths))
        for g in order_levels(sub["groups"]):
            effect = (
                f"not estimated ({g['skipped']})"
                if g.get("skipped")
                else f"{fmt.signed_per_100(g['estimate'])} ({fmt.ci((g['ci_low'], g['ci_high']), 'per_100')})"
            )
            parts.append(
                _row(
                    [
                        str(g["level"]).replace("_", " "),
                        fmt.count(g.get("n_treated")),
                        fmt.per_100(g.get("treated_mean")),
                        fmt.per_100(g.get("control_mean")),
                        effect,
                    ],
                    widths,
                )
            )
        parts.append("  " + (wd.subgroup_sentence(sub, w) or ""))
    for message in d.get("warnings") or []:
        parts.append(f"warning: {message}")
    if o:
        parts += ["", wd.outcome_paragraph(d, w)]
        survival = wd.survival_paragraph(d, w)
        if survival:
            parts.append(survival)
    return _wrap("\n".join(parts)) + "\n"


def _wrap(text: str, width: int = 80) -> str:
    """Wrap prose lines to the terminal width; table rows (which start with two spaces) are already narrow."""
    import textwrap

    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
        else:
            indent = "  " if line.startswith("  ") else ""
            out.append(textwrap.fill(line, width=width, subsequent_indent=indent))
    return "\n".join(out)
