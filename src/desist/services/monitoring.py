"""Monitoring use cases: replay a programme's history review by review, and draw its monitoring chart.

Reviews are evaluated through an evaluator callable (:data:`desist.monitoring.review.Evaluator`); here
the synthetic national history supplies it. Reviews of the casework store will plug
``services.evaluations.evaluate_programme`` into the same interface.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from desist.monitoring import GroupSequentialDesign, make_design, maximum_information
from desist.monitoring.review import Monitor, Replay, quarter_ends, replay


def replay_synthetic(
    programmes: list[str],
    start: dt.date,
    end: dt.date,
    *,
    method: str = "group-sequential",
    alpha: float = 0.05,
    effect: float = 1.25,
    seed: int = 1,
    men: int | None = None,
    yearly: bool = False,
) -> Replay:
    """Review each programme of a synthetic national history at every quarter (or year) end."""
    from desist.monitoring.looks import cox_look
    from desist.synth.history import COVARIATES, national_history

    dates = quarter_ends(start, end)
    if yearly:
        dates = [d for d in dates if d.month == 12] or dates[-1:]
    design = make_design(method, alpha=alpha)
    max_info = maximum_information(GroupSequentialDesign(alpha=alpha), hazard_ratio=effect)
    history = national_history(seed, men=men)
    for code in programmes:  # an unknown code is one line before any work
        history.cohort(code, end)
    return replay(
        lambda p, d: cox_look(history.cohort(p, d), COVARIATES, subgroup=None),
        programmes,
        dates,
        Monitor(design, max_info),
        detail=lambda p, d: cox_look(history.cohort(p, d), COVARIATES),
    )


def save_chart(
    result: Replay,
    programme: str,
    path: Path,
    *,
    title: str | None = None,
    protect: Iterable[Path] = (),
) -> Path:
    """Draw ``programme``'s reviews to ``path`` (PNG or SVG), Core SOTP's milestones marked.

    Written through :mod:`desist.adapters.files`: atomically, replacing an earlier chart of that name, and
    never onto ``protect`` (e.g. the demo's database) or any database.
    """
    from desist.adapters import files
    from desist.monitoring.chart import CORE_SOTP_MILESTONES, monitoring_chart

    reviews = [r for r in result.reviews if r.programme == programme]
    milestones = CORE_SOTP_MILESTONES if programme == "SOTP-CORE" else None
    fig = monitoring_chart(reviews, milestones=milestones, title=title or f"{programme}: sequential reviews")
    draw = lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight")  # noqa: E731
    files.write_with(path, draw, protect=protect, force=True)
    return path
