"""The report's charts, drawn from a result's JSON so a stored evaluation can be redrawn without its data.

Each function takes ``ax=`` (draw into the caller's axes) and otherwise makes a bare
:class:`matplotlib.figure.Figure` on the Agg canvas: pyplot is never imported, so the caller's backend and
open figures are never touched (a notebook keeps its inline backend).

The survival chart draws its number-at-risk table itself: lifelines' ``add_at_risk_counts`` needs the fitted
Kaplan-Meier objects, and a stored result keeps only the curves and counts (``chart_data``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from desist.evaluation import formatting as fmt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

#: colours that stay distinct for the common colour-vision deficiencies (Okabe-Ito) and in greyscale print
TREATED, COMPARISON, NEUTRAL = "#D55E00", "#0072B2", "#505a5f"
#: the order subgroups are shown in when the column is a risk band (lowest risk first)
RISK_ORDER = ("low", "medium", "high", "very_high", "very high")


def new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure | SubFigure, Axes]:
    """The caller's axes, or a new headless figure (no pyplot, no backend change)."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


def to_svg(fig: Figure | SubFigure) -> str:
    """The figure as an SVG document string (for embedding in HTML)."""
    buf = io.StringIO()
    fig.figure.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: not allowed inside HTML


def survival_chart(
    curves: Mapping[str, Any], ax: Axes | None = None, *, comparison: str = "matched comparison"
) -> Figure | SubFigure:
    """Share proven to reoffend since release (1 − Kaplan-Meier) per arm, 95% bands, number at risk below.

    The y-axis starts at 0: cumulative reoffending rises from 0, so no part of the scale is hidden.
    """
    fig, ax = new_axes(ax, (7.0, 4.6))
    names = {"treated": "Treated", "comparison": comparison.capitalize()}
    colours = {"treated": TREATED, "comparison": COMPARISON}
    top = 0.0
    for arm, c in curves["arms"].items():
        t = c["time"]
        cum = [1 - s for s in c["survival"]]
        lo = [1 - s for s in c["ci_high"]]
        hi = [1 - s for s in c["ci_low"]]
        ax.step(t, cum, where="post", color=colours[arm], label=names[arm], linewidth=1.8)
        ax.fill_between(t, lo, hi, step="post", color=colours[arm], alpha=0.18, linewidth=0)
        top = max(top, max(hi, default=0.0))
    ax.set_ylim(0, max(0.05, top * 1.1))
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.set_xlim(left=0)
    ax.set_xlabel("Years since release")
    ax.set_ylabel("Proven to reoffend (cumulative)")
    ax.set_title("Proven reoffending since release, with 95% confidence bands", loc="left", fontsize=11)
    ax.legend(loc="upper left", frameon=False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    _at_risk_table(ax, curves.get("at_risk") or {}, names)
    return fig


def _at_risk_table(ax: Axes, at_risk: Mapping[str, Any], names: Mapping[str, str]) -> None:
    years = at_risk.get("years") or []
    if not years:
        return
    step = max(1, len(years) // 10)  # at most ~10 columns, so the numbers never overlap
    shown = list(range(0, len(years), step))
    ax.set_xticks([years[i] for i in shown])
    ax.text(
        -0.06,
        -0.2,
        "Number at risk",
        transform=ax.transAxes,
        fontsize=8,
        fontweight="bold",
        va="top",
        ha="right",
    )
    for row, arm in enumerate(a for a in ("treated", "comparison") if a in at_risk):
        y = -0.27 - 0.07 * row
        ax.text(-0.06, y, names[arm], transform=ax.transAxes, fontsize=8, ha="right", va="top")
        for i in shown:
            ax.text(
                years[i],
                y,
                fmt.count(at_risk[arm][i]),
                transform=ax.get_xaxis_transform(),
                fontsize=8,
                ha="center",
                va="top",
            )


def forest_chart(
    subgroups: Mapping[str, Any],
    overall: Mapping[str, Any] | None = None,
    ax: Axes | None = None,
    *,
    label: str | None = None,
) -> Figure | SubFigure:
    """Difference per 100 men in each subgroup (risk order), the overall estimate as a diamond."""
    groups = order_levels(subgroups["groups"])
    rows = [g for g in groups if g.get("estimate") is not None and not g.get("skipped")]
    fig, ax = new_axes(ax, (7.0, 0.55 * (len(rows) + 2) + 1.4))
    ys = list(range(len(rows) + (1 if overall else 0)))[::-1]
    for y, g in zip(ys, rows, strict=False):
        ax.plot([100 * g["ci_low"], 100 * g["ci_high"]], [y, y], color=NEUTRAL, linewidth=1.5)
        ax.plot(100 * g["estimate"], y, "s", color=TREATED, markersize=7)
    names = [f"{_level(g['level'])} ({fmt.count(g.get('n_treated'))} treated)" for g in rows]
    if overall:
        lo, hi = overall["ci"]
        est = overall["estimate"]
        y = ys[-1]
        ax.fill([100 * lo, 100 * est, 100 * hi, 100 * est], [y, y + 0.25, y, y - 0.25], color=COMPARISON)
        names.append("All men")
    ax.set_yticks(ys)
    ax.set_yticklabels(names)
    ax.axvline(0, color="black", linewidth=1)
    ax.set_xlabel(
        "Difference in proven reoffending per 100 men (treated − comparison)\n← treated did better"
        "      treated did worse →"
    )
    title = f"Effect by {label or subgroups['column'].replace('_', ' ')}, with 95% CIs"
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    return fig


def order_levels(groups: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Subgroups in risk order when their levels are risk bands, else as given (never alphabetical)."""
    rank = {name: i for i, name in enumerate(RISK_ORDER)}
    if all(str(g["level"]).lower() in rank for g in groups):
        return sorted(groups, key=lambda g: rank[str(g["level"]).lower()])
    return list(groups)


def _level(level: Any) -> str:
    text = str(level).replace("_", " ")
    return text[:1].upper() + text[1:]


def love_chart(
    balance: Sequence[Mapping[str, Any]],
    ax: Axes | None = None,
    *,
    label: Any = None,
    threshold: float = 0.1,
    strict: float = 0.05,
) -> Figure | SubFigure:
    """Absolute standardised mean difference of each covariate before and after the design.

    ``label`` maps a covariate code to its readable name
    (e.g. :meth:`desist.evaluation.wording.Wording.label`).
    """
    rows = list(balance)[::-1]
    fig, ax = new_axes(ax, (7.0, 0.33 * len(rows) + 1.8))
    ys = list(range(len(rows)))
    before = [abs(r["smd_before"]) if r.get("smd_before") is not None else float("nan") for r in rows]
    after = [abs(r["smd_after"]) if r.get("smd_after") is not None else float("nan") for r in rows]
    ax.scatter(before, ys, marker="o", facecolors="none", edgecolors=TREATED, label="Before matching")
    ax.scatter(after, ys, marker="o", color=COMPARISON, label="After matching")
    ax.axvline(strict, color=NEUTRAL, linestyle=":", linewidth=1, label=f"{strict} (key covariates)")
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"{threshold} (usual threshold)")
    ax.set_yticks(ys)
    ax.set_yticklabels([label(r["covariate"]) if label else str(r["covariate"]) for r in rows])
    ax.set_xlim(left=0)
    ax.set_xlabel("Absolute standardised mean difference (binary covariates: difference in proportions)")
    ax.set_title("How alike the groups were, before and after matching", loc="left", fontsize=11)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def overlap_chart(
    data: Mapping[str, Any], ax: Axes | None = None, *, after_title: str = "After matching"
) -> Figure | SubFigure:
    """Propensity-score histograms, treated above the axis and comparison below, before and after.

    With ``ax`` only the "after" panel is drawn (one axes cannot hold both).
    """
    edges = data["edges"]
    mids = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]
    width = edges[1] - edges[0]
    if ax is None:
        fig, _ = new_axes(None, (7.0, 3.4))
        fig.clear()
        axes = fig.subplots(1, 2, sharey=True)
    else:
        fig, axes = ax.figure, [ax]
    stages = ("before", "after") if len(axes) == 2 else ("after",)
    for a, stage in zip(axes, stages, strict=True):
        a.bar(mids, data[stage]["treated"], width=width, color=TREATED, label="Treated")
        a.bar(
            mids, [-v for v in data[stage]["comparison"]], width=width, color=COMPARISON, label="Comparison"
        )
        a.axhline(0, color="black", linewidth=0.8)
        a.set_title("Before matching" if stage == "before" else after_title, fontsize=10)
        a.set_xlabel("Propensity score (chance of treatment)")
        a.yaxis.set_major_formatter(_percent_formatter(absolute=True))
    axes[0].set_ylabel("Share of the group")
    axes[0].legend(fontsize=8, loc="upper right")
    return fig


def deniers_chart(table: Sequence[Mapping[str, Any]], ax: Axes | None = None) -> Figure | SubFigure:
    """The estimate as a growing share of comparison men who maintained innocence are assumed innocent."""
    fig, ax = new_axes(ax, (7.0, 3.8))
    x = [100 * r["fraction"] for r in table]
    ax.fill_between(
        x,
        [100 * r["ci_low"] for r in table],
        [100 * r["ci_high"] for r in table],
        color=TREATED,
        alpha=0.18,
        linewidth=0,
        label="95% CI",
    )
    ax.plot(x, [100 * r["estimate"] for r in table], color=TREATED, linewidth=1.8, label="Estimate")
    ax.axhline(0, color="black", linewidth=1)
    ax.set_xlabel(
        "Share of comparison men maintaining innocence who are assumed innocent (%)\n"
        "(an innocent man's outcome is set to 'not reconvicted')"
    )
    ax.set_ylabel("Difference per 100 men")
    ax.set_title("If some men who denied their offence were innocent", loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def _percent_formatter(absolute: bool = False) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{abs(v) if absolute else v:.0%}")


__all__ = [
    "deniers_chart",
    "forest_chart",
    "love_chart",
    "new_axes",
    "order_levels",
    "overlap_chart",
    "survival_chart",
    "to_svg",
]
