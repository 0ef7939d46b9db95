"""Monitoring use cases: replay a programme's history review by review, and draw its monitoring chart.

Reviews are evaluated through an evaluator callable (:data:`desist.monitoring.review.Evaluator`); here
the synthetic national history supplies it. Reviews of the casework store will plug
``services.evaluations.evaluate_programme`` into the same interface.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from desist.monitoring import GroupSequentialDesign, make_design, maximum_information
from desist.monitoring.review import Evaluator, Monitor, Replay, quarter_ends, replay


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
    dates = quarter_ends(start, end)
    if yearly:
        dates = [d for d in dates if d.month == 12] or dates[-1:]
    evaluator, detail = synthetic_evaluators(seed, men, programmes, end)
    return replay(evaluator, programmes, dates, make_monitor(method, alpha, effect), detail=detail)


def make_monitor(method: str = "group-sequential", alpha: float = 0.05, effect: float = 1.25) -> Monitor:
    """The design for ``method`` with the planned maximum information for ``effect`` (90% power, 12 looks)."""
    design = make_design(method, alpha=alpha)
    return Monitor(design, maximum_information(GroupSequentialDesign(alpha=alpha), hazard_ratio=effect))


def synthetic_evaluators(
    seed: int, men: int | None, programmes: list[str], end: dt.date
) -> tuple[Evaluator, Evaluator]:
    """A fast evaluator (no subgroups) and a detailed one, both on the synthetic national history."""
    from desist.monitoring.looks import cox_look
    from desist.synth.history import COVARIATES, national_history

    history = national_history(seed, men=men)
    for code in programmes:  # an unknown code is one line before any work
        history.cohort(code, end)

    def fast(programme: str, as_of: dt.date) -> Any:
        return cox_look(history.cohort(programme, as_of), COVARIATES, subgroup=None)

    def detailed(programme: str, as_of: dt.date) -> Any:
        return cox_look(history.cohort(programme, as_of), COVARIATES)

    return fast, detailed


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


# --- stored reviews and alerts -------------------------------------------------------------------------


def _design_settings(monitor: Monitor) -> dict[str, object]:
    design = monitor.design
    settings: dict[str, object] = {
        "method": design.method,
        "alpha": design.alpha,
        "sided": design.sided,
        "max_information": monitor.max_information,
        "min_events": monitor.min_events,
    }
    if isinstance(design, GroupSequentialDesign):
        settings.update(spending=design.spending, gamma=design.gamma)
    return settings


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def run_reviews(
    uow_factory: Callable[[], Any],
    evaluator: Evaluator,
    programmes: list[str],
    as_of: dt.date,
    monitor: Monitor,
    *,
    source: str,
) -> list[dict[str, object]]:
    """Review each programme on ``as_of`` and store the review (and an alert when a boundary is crossed).

    Idempotent: a programme already reviewed on that date with that method is returned as stored, and
    nothing is written. The boundary uses the information of the programme's earlier stored reviews.
    Returns the reviews as plain dictionaries (with ``id`` and ``stored``: False when it already existed).
    """
    from desist.adapters.orm import MonitoringAlert, MonitoringReview

    out: list[dict[str, object]] = []
    for programme in programmes:
        with uow_factory() as uow:
            store = uow.monitoring
            existing = store.review_on(programme, as_of, monitor.design.method)
            if existing is not None:
                out.append({**stored_review(existing), "stored": False})
                continue
            earlier = store.earlier_reviews(programme, as_of, monitor.design.method)
            tested = [
                float(r.information_fraction)
                for r in earlier
                if r.decision != "too little data" and r.information_fraction is not None
            ]
            review = monitor.review(programme, as_of, evaluator(programme, as_of), tested)
            row = MonitoringReview(
                programme_code=programme,
                as_of=as_of,
                method=review.method,
                design=_design_settings(monitor),
                source=source[:200],
                treated=review.treated,
                comparison=review.comparison,
                events=review.events,
                estimate=_finite(review.estimate),
                ci_low=None if review.ci is None else _finite(review.ci[0]),
                ci_high=None if review.ci is None else _finite(review.ci[1]),
                z=_finite(review.z),
                information=_finite(review.information),
                information_fraction=_finite(review.information_fraction),
                boundary=_finite(review.boundary),
                decision=review.decision,
                evidence=dict(review.evidence),
            )
            store.add(row)
            if review.alert:
                evidence = {
                    "estimate": review.estimate,
                    "ci": list(review.ci) if review.ci else None,
                    "z": review.z,
                    "boundary": review.boundary,
                    "treated": review.treated,
                    "comparison": review.comparison,
                    "events": review.events,
                    **dict(review.evidence),
                }
                store.add(
                    MonitoringAlert(
                        review_id=row.id,
                        programme_code=programme,
                        as_of=as_of,
                        direction=review.decision,
                        evidence=evidence,
                    )
                )
            uow.commit()
            out.append({**stored_review(row), "stored": True})
    return out


def stored_review(row: Any) -> dict[str, object]:
    """A stored review as plain values (the replay's review fields plus ``id``)."""
    return {
        "id": row.id,
        "programme": row.programme_code,
        "as_of": row.as_of.isoformat(),
        "method": row.method,
        "treated": row.treated,
        "comparison": row.comparison,
        "events": row.events,
        "estimate": row.estimate,
        "ci": None if row.ci_low is None else [row.ci_low, row.ci_high],
        "z": row.z,
        "information_fraction": row.information_fraction,
        "boundary": row.boundary,
        "decision": row.decision,
    }


def status(uow_factory: Callable[[], Any]) -> dict[str, object]:
    """Each programme's latest review and every alert not yet acknowledged."""
    with uow_factory() as uow:
        store = uow.monitoring
        latest: dict[str, dict[str, object]] = {}
        for row in store.reviews_in_order():
            latest[row.programme_code] = stored_review(row)
        alerts = [
            {
                "id": a.id,
                "programme": a.programme_code,
                "as_of": a.as_of.isoformat(),
                "direction": a.direction,
                "review_id": a.review_id,
                "evidence": a.evidence,
            }
            for a in store.open_alerts()
        ]
    return {"programmes": [latest[k] for k in sorted(latest)], "open_alerts": alerts}


def acknowledge(uow_factory: Callable[[], Any], alert_id: int, reason: str) -> dict[str, object]:
    """Record that an alert was seen and what was decided; the unit of work's actor is who acknowledged."""
    from desist.adapters.orm import utcnow
    from desist.domain.errors import Conflict, InputError, NotFound

    if not reason or not reason.strip():
        raise InputError("--reason: empty; expected what was decided about the alert")
    with uow_factory() as uow:
        alert = uow.monitoring.alert(alert_id)
        if alert is None:
            raise NotFound(f"alert {alert_id}: no such alert")
        if alert.acknowledged_at is not None:
            when = f"{alert.acknowledged_at:%Y-%m-%d}"
            raise Conflict(f"alert {alert_id}: already acknowledged by {alert.acknowledged_by} on {when}")
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = uow.actor
        alert.ack_reason = reason.strip()
        uow.commit()
        return {
            "id": alert.id,
            "programme": alert.programme_code,
            "acknowledged_by": alert.acknowledged_by,
            "reason": alert.ack_reason,
        }
