"""The monitoring chart: a programme's hazard ratio and 95% interval at each review, with the harm and
benefit boundaries of the design (the hazard ratio at which that review would have raised the alarm),
alerts marked, and dated milestones (e.g. Core SOTP's withdrawal and the evaluation's publication).

Drawn on the caller's axes (``ax=``) or on a new headless figure: pyplot is never imported, so the
caller's backend and figures are untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from desist.monitoring.record import Review

#: Core SOTP's story: the last groups ran in spring 2017; the evaluation was published in June 2017
CORE_SOTP_MILESTONES = {
    "withdrawn (spring 2017)": dt.date(2017, 3, 31),
    "evaluation published": dt.date(2017, 6, 30),
}


def monitoring_chart(
    reviews: Sequence[Review],
    ax: Any = None,
    *,
    milestones: Mapping[str, dt.date] | None = None,
    title: str | None = None,
    benefit: bool = True,
    truth: float | None = None,
) -> Any:
    """Draw the reviews of one programme; returns the figure.

    Parameters
    ----------
    reviews : sequence of Review
        One programme's reviews in date order (from :func:`desist.monitoring.review.replay`).
    ax : matplotlib Axes, optional
    milestones : mapping of label -> date, optional
        Vertical dotted lines, e.g. :data:`CORE_SOTP_MILESTONES`.
    benefit : bool
        Draw the benefit boundary (two-sided designs).
    truth : float, optional
        On synthetic data: the TRUE hazard ratio the estimates are comparable with
        (:func:`desist.services.monitoring.synthetic_truth`), drawn as a horizontal line.
    """
    from desist.evaluation.charts import new_axes

    fig, ax = new_axes(ax, (8.0, 4.5))
    tested = [r for r in reviews if r.estimate is not None and r.ci is not None]
    dates = [r.as_of for r in tested]
    lows = [r.ci[0] for r in tested if r.ci is not None]
    highs = [r.ci[1] for r in tested if r.ci is not None]
    if tested:
        ax.fill_between(dates, lows, highs, color="#9ecae1", alpha=0.5, label="95% interval")
        ax.plot(dates, [r.estimate for r in tested], color="#08519c", lw=1.8, label="hazard ratio (estimate)")
    bounded = [(r.as_of, hr) for r in tested if (hr := r.boundary_hr()) is not None]
    if bounded:
        at = [d for d, _ in bounded]
        ax.plot(at, [b[0] for _, b in bounded], color="#cb181d", ls="--", lw=1.4, label="harm boundary")
        if benefit:
            benefit_hr = [b[1] for _, b in bounded]
            ax.plot(at, benefit_hr, color="#238b45", ls="--", lw=1.4, label="benefit boundary")
    alerts = [r for r in tested if r.alert]
    if alerts:
        first = alerts[0]
        ax.scatter(
            [r.as_of for r in alerts],
            [r.estimate for r in alerts],
            color="#cb181d",
            zorder=5,
            s=18,
            label="alert",
        )
        ax.annotate(
            f"first alert {first.as_of:%b %Y}",
            (first.as_of, first.estimate),
            xytext=(-90, 30),
            textcoords="offset points",
            arrowprops={"arrowstyle": "->", "color": "#cb181d"},
            color="#cb181d",
        )
    ax.axhline(1.0, color="grey", lw=0.8)
    if truth is not None:
        ax.axhline(
            truth, color="#6a51a3", ls="-.", lw=1.2, label=f"synthetic truth {truth:.2f}"
        )
    for i, (label, when) in enumerate((milestones or {}).items()):
        ax.axvline(when, color="black", ls=":", lw=1)
        ax.text(
            when,
            1.0,
            f" {label}",
            rotation=90,
            va="bottom",
            ha="right" if i == 0 else "left",
            transform=ax.get_xaxis_transform(),
            fontsize=8,
        )
    ax.set_yscale("log")
    if tested:  # the first looks have very wide intervals: keep the scale readable
        low = min(min(lows), 0.8)
        high = max(max(highs), 1.25)
        ax.set_ylim(max(low, 0.25), min(high, 4.0))
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ax.yaxis.set_major_locator(FixedLocator([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("hazard ratio (log scale; > 1 = more reoffending)")
    ax.set_xlabel("review date")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return fig
