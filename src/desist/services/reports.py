"""report.html for a stored evaluation run: the words from :func:`desist.evaluation.report_words.wording_for`,
the numbers from the run's stored result.

A report is a view of a run: rendering it twice gives the same page, and it needs nothing but the run (no data
are re-read), so a run stored years ago still prints as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from desist.evaluation.report_html import render_report
from desist.evaluation.report_words import wording_for
from desist.services.evaluations import StoredRun, get_run


def run_report(run: StoredRun, extra_sections: Sequence[Mapping[str, Any]] = ()) -> str:
    """The HTML report of a stored run."""
    result = run.result.to_dict()
    result.update(run_id=run.id, data_cutoff=run.as_of.isoformat())
    w = wording_for(result, run.programme)
    return render_report(
        result,
        wording=w,
        subtitle=f"Evaluation run {run.id} of {run.programme}, data to {run.as_of.isoformat()}, "
        f"stored {run.created_at[:10]} by {run.actor}",
        extra_sections=extra_sections,
    )


def monitoring_section(replay: Any, programme: str, finding: str, title: str) -> dict[str, Any]:
    """A report section with ``programme``'s sequential reviews drawn (estimate, CI, harm and benefit
    boundaries, alerts; Core SOTP's withdrawal and the evaluation's publication marked)."""
    from desist.evaluation.charts import to_svg
    from desist.monitoring.chart import CORE_SOTP_MILESTONES, monitoring_chart

    reviews = [r for r in replay.reviews if r.programme == programme]
    milestones = CORE_SOTP_MILESTONES if programme == "SOTP-CORE" else None
    truth = getattr(replay, "truth", {}).get(programme)
    svg = to_svg(monitoring_chart(reviews, milestones=milestones, title=title, truth=truth))
    paragraphs = [
        "Instead of one evaluation after twenty years, desist re-evaluates every programme at regular "
        "reviews against sequential boundaries, so that evidence of harm raises an alert as soon as it "
        "is strong enough, without false alarms from looking often. On a national-scale synthetic "
        f"history: {finding}."
    ]
    if truth is not None:
        paragraphs.append(
            f"The synthetic truth line ({truth:.2f}) is the effect these estimates are comparable with: the "
            "hazard ratio each treated man's data were made with, averaged over the men treated by the last "
            "review and weighted by their reoffences, as the estimate's model weights them. "
            + (
                "The per-man ratios are 1.15 for medium risk and 1.35 for high and very high risk (times 1.1 "
                "after Extended SOTP); most treated men, and more of those who reoffend, are high-risk. "
                if programme == "SOTP-CORE"
                else ""
            )
            + "One history's estimates scatter around it by their interval (see docs/monitoring.md)."
        )
    return {
        "id": "monitoring",
        "title": "Monitoring: when would we have known?",
        "paragraphs": paragraphs,
        "figure": svg.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1),
        "caption": "Figure: the hazard ratio and its confidence interval at each review, with the harm and "
        "benefit boundaries; alerts are marked.",
    }


def report_of_run(run_id: int, uow: Any) -> str:
    """``desist report RUN_ID``: the HTML report of stored run ``run_id``."""
    return run_report(get_run(uow, run_id))


__all__ = ["monitoring_section", "report_of_run", "run_report"]
