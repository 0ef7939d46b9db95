"""Monitoring use cases: review programmes on a date and store the reviews, replay a history review by
review, and draw the monitoring chart.

A review asks an *evaluator* (:data:`desist.monitoring.review.Evaluator`, ``(programme, as_of) -> Look``,
or a ``NoLook`` saying why there is no estimate) what the evidence was on a date. Two evaluators exist:

* :func:`store_evaluator`: the casework store's own evaluation,
  :func:`desist.services.evaluations.evaluate_programme` on what the database knew on that date (each look
  is also kept as an ``evaluation_run``); ``desist monitor run`` uses it by default;
* :func:`synthetic_evaluators`: the synthetic national history (``desist monitor replay`` and
  ``desist monitor run --synthetic``).

Whatever the evidence, a stored review is the acting user's: storing reviews needs ``monitor.run``
(analysts), reading them ``monitor.read``, acknowledging an alert ``monitor.ack`` (treatment managers and
analysts; ``data/access_policy.yaml``). Replaying a history stores nothing and needs no user.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from desist.domain.access import Action
from desist.monitoring import GroupSequentialDesign, make_design, maximum_information
from desist.monitoring.record import Method
from desist.monitoring.review import Evaluator, Monitor, Replay, quarter_ends, replay
from desist.services.scope import acting

#: the ``source`` of reviews made through :func:`store_evaluator`
STORE_SOURCE = "casework store (evaluate_programme, default spec)"


def synthetic_source(seed: int, men: int | None) -> str:
    """The ``source`` of reviews of the synthetic national history."""
    return f"synthetic national history (seed {seed}, men {men or 'national'})"


def store_evaluator(
    uow_factory: Callable[[], Any],
    *,
    spec: Any = None,
    min_treated: int | None = None,
    today: dt.date | None = None,
) -> Evaluator:
    """An evaluator over the casework store: ``evaluate_programme(programme, as_of, spec)``.

    Each look evaluates the programme as it could have been evaluated on ``as_of`` (men treated and
    released by then, reoffences proven by then after the waiting period; see
    :func:`desist.evaluation.cohort.programme_cohort`) and is stored as an ``evaluation_run`` whose id the
    look's evidence names. Too few treated men (below ``min_treated``, default the Justice Data Lab's 60) or
    a cohort the model cannot fit (no events in an arm) give a ``NoLook`` with the reason and cohort sizes:
    the review says "too little data".
    A date in the future, an unknown programme or one the store cannot evaluate stay errors.
    """
    from desist.domain.errors import AnalysisError
    from desist.monitoring.looks import result_look
    from desist.monitoring.review import NoLook
    from desist.services.evaluations import MIN_TREATED, TooFewTreated, evaluate_programme

    def evaluate(programme: str, as_of: dt.date) -> Any:
        try:
            run = evaluate_programme(
                programme,
                as_of,
                spec,
                uow_factory(),
                min_treated=MIN_TREATED if min_treated is None else min_treated,
                today=today,
            )
        except TooFewTreated as exc:
            return NoLook(exc.message, exc.treated, exc.comparison)
        except AnalysisError as exc:
            return NoLook(exc.message)
        return result_look(run.result, evaluation_run=run.id) or NoLook(
            f"evaluation run {run.id} has no hazard ratio",
            run.result.n.get("treated") or 0,
            run.result.n.get("control") or 0,
        )

    return evaluate


def store_programmes(uow_factory: Callable[[], Any]) -> list[str]:
    """The programmes a store review covers by default: those in the store's programme history that the
    store evaluation supports (custody programmes chosen by sexual-risk band), in catalogue order."""
    from desist.domain.catalogue import default_catalogue
    from desist.domain.errors import InputError
    from desist.evaluation.cohort import programme_rules

    catalogue = default_catalogue()
    uow = uow_factory()
    acting(uow, Action.MONITOR_RUN, "choose programmes to review")
    with uow:
        present = set(uow.monitoring.programmes_in_history())
    codes = []
    for prog in catalogue:
        if prog.code not in present:
            continue
        try:
            programme_rules(prog, catalogue)
        except InputError:
            continue
        codes.append(prog.code)
    return codes


def replay_synthetic(
    programmes: list[str],
    start: dt.date,
    end: dt.date,
    *,
    method: str = Method.GROUP_SEQUENTIAL,
    alpha: float = 0.05,
    effect: float = 1.25,
    seed: int = 1,
    men: int | None = None,
    yearly: bool = False,
) -> Replay:
    """Review each programme of a synthetic national history at every quarter (or year) end.

    The result's ``truth`` holds each programme's TRUE effect in the form the estimates are comparable
    with, over the men treated by the last review (see :func:`synthetic_truth`).
    """
    from dataclasses import replace as with_

    dates = quarter_ends(start, end)
    if yearly:
        dates = [d for d in dates if d.month == 12] or dates[-1:]
    history = _history(seed, men, programmes, end)
    evaluator, detail = _evaluators(history)
    result = replay(evaluator, programmes, dates, make_monitor(method, alpha, effect), detail=detail)
    truth = {code: synthetic_truth(history, code, dates[-1]) for code in programmes}
    return with_(result, truth={k: v for k, v in truth.items() if math.isfinite(v)})


def synthetic_truth(history: Any, programme: str, as_of: dt.date) -> float:
    """The TRUE hazard ratio a review of ``programme`` on ``as_of`` estimates, on a synthetic history.

    The replay's covariate-adjusted Cox model estimates the per-man hazard ratio, and where that differs
    between men it averages it roughly as the model's information does: by reoffences. So the comparable
    truth is the per-man TRUE hazard ratio of the men treated by ``as_of`` (Core SOTP: 1.15 for medium risk,
    1.35 for high and very high, times 1.1 after Extended SOTP), averaged on the log scale with weights
    their reoffences in the review's cohort: about 1.35 for Core SOTP, not the 1.15 to 1.35 of the bands,
    because most treated men, and more of those who reoffend, are high-risk. Measured over 20 histories
    (benchmarks/monitoring_bias.py, docs/monitoring.md). NaN when no treated man has reoffended.
    """
    import numpy as np

    cohort = history.cohort(programme, as_of)
    treated = cohort[cohort["treated"] == 1]
    events = treated["event"].to_numpy(float)
    if not events.sum():
        return float("nan")
    per_man = history.population.men.set_index("prison_number")["true_hr"]
    hr = treated["prison_number"].map(per_man).to_numpy(float)
    return float(np.exp(np.average(np.log(hr), weights=events)))


def make_monitor(method: str = Method.GROUP_SEQUENTIAL, alpha: float = 0.05, effect: float = 1.25) -> Monitor:
    """The design for ``method`` with the planned maximum information for ``effect`` (90% power, 12 looks)."""
    design = make_design(method, alpha=alpha)
    return Monitor(design, maximum_information(GroupSequentialDesign(alpha=alpha), hazard_ratio=effect))


def _history(seed: int, men: int | None, programmes: list[str], end: dt.date) -> Any:
    from desist.synth.history import national_history

    history = national_history(seed, men=men)
    for code in programmes:  # an unknown code is one line before any work
        history.cohort(code, end)
    return history


def _evaluators(history: Any) -> tuple[Evaluator, Evaluator]:
    from desist.monitoring.looks import cox_look
    from desist.synth.history import COVARIATES

    def fast(programme: str, as_of: dt.date) -> Any:
        return cox_look(history.cohort(programme, as_of), COVARIATES, subgroup=None)

    def detailed(programme: str, as_of: dt.date) -> Any:
        return cox_look(history.cohort(programme, as_of), COVARIATES)

    return fast, detailed


def synthetic_evaluators(
    seed: int, men: int | None, programmes: list[str], end: dt.date
) -> tuple[Evaluator, Evaluator]:
    """A fast evaluator (no subgroups) and a detailed one, both on the synthetic national history."""
    return _evaluators(_history(seed, men, programmes, end))


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
    fig = monitoring_chart(
        reviews,
        milestones=milestones,
        title=title or f"{programme}: sequential reviews",
        truth=result.truth.get(programme),
    )
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


def check_may_store_reviews(uow_factory: Callable[[], Any]) -> None:
    """Refuse (:class:`~desist.domain.errors.Forbidden`) a user who may not store reviews (``monitor.run``):
    asked before an expensive evaluator is built; :func:`run_reviews` checks again."""
    acting(uow_factory(), Action.MONITOR_RUN, "store monitoring reviews")


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
    nothing is written (nor evaluated). The boundary uses the information of the programme's earlier stored
    reviews, which must come from the same ``source``: a programme's reviews are one sequence of looks at
    one body of evidence, so mixing sources (the casework store and the synthetic history) is refused.
    The evaluator runs between two short transactions (it may open its own, as the store's does).
    Returns the reviews as plain dictionaries (with ``id`` and ``stored``: False when it already existed).
    """
    check_may_store_reviews(uow_factory)
    out: list[dict[str, object]] = []
    method = monitor.design.method
    for programme in programmes:
        with uow_factory() as uow:
            existing = uow.monitoring.review_on(programme, as_of, method)
            if existing is not None:
                _same_source(existing, source)
                out.append({**stored_review(existing), "stored": False})
                continue
            earlier = uow.monitoring.earlier_reviews(programme, as_of, method)
            for row in earlier:
                _same_source(row, source)
            tested = [
                float(r.information_fraction)
                for r in earlier
                if r.decision != "too little data" and r.information_fraction is not None
            ]
        review = monitor.review(programme, as_of, evaluator(programme, as_of), tested)
        out.append(_store_or_read(uow_factory, review, monitor, source))
    return out


def _store_or_read(
    uow_factory: Callable[[], Any], review: Any, monitor: Monitor, source: str
) -> dict[str, object]:
    """Store ``review``; if another run stored the same look meanwhile, return that one (``stored`` False).

    Two ``monitor run``s of the same date at the same moment both find no review and both evaluate; the
    unique constraint (programme, date, method) lets one commit, and the other reads what it stored.
    """
    from desist.domain.errors import Conflict

    try:
        with uow_factory() as uow:
            row = _store_review(uow.monitoring, review, monitor, source)
            uow.commit()
            return {**stored_review(row), "stored": True}
    except Conflict:
        with uow_factory() as uow:
            existing = uow.monitoring.review_on(review.programme, review.as_of, review.method)
            if existing is None:
                raise
            _same_source(existing, source)
            return {**stored_review(existing), "stored": False}


def _same_source(row: Any, source: str) -> None:
    from desist.domain.errors import Conflict

    if row.source != source[:200]:
        raise Conflict(
            f"programme {row.programme_code}: its {row.method} review of {row.as_of.isoformat()} came from "
            f"{row.source!r}; expected {source!r}: keep each source's reviews in their own database"
        )


def _store_review(store: Any, review: Any, monitor: Monitor, source: str) -> Any:
    from desist.adapters.orm import MonitoringAlert, MonitoringReview

    row = MonitoringReview(
        programme_code=review.programme,
        as_of=review.as_of,
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
                programme_code=review.programme,
                as_of=review.as_of,
                direction=review.decision,
                evidence=evidence,
            )
        )
    return row


def stored_review(row: Any) -> dict[str, object]:
    """A stored review as plain values: the :class:`~desist.monitoring.record.Review` fields but
    ``information``, plus ``id`` and ``source`` (the API publishes this shape as ``MonitoringReview``)."""
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
        "source": row.source,
        "evidence": row.evidence,
    }


def status(uow_factory: Callable[[], Any]) -> dict[str, object]:
    """Each programme's latest review and every alert not yet acknowledged; needs ``monitor.read``."""
    uow = uow_factory()
    acting(uow, Action.MONITOR_READ, "read monitoring reviews")
    with uow:
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
    """Record that an alert was seen and what was decided; the unit of work's user (who needs
    ``monitor.ack``) is who acknowledged."""
    from desist.adapters.orm import utcnow
    from desist.domain.errors import Conflict, InputError, NotFound

    uow = uow_factory()
    acting(uow, Action.MONITOR_ACK, f"acknowledge alert {alert_id}")
    if not reason or not reason.strip():
        raise InputError("--reason: empty; expected what was decided about the alert")
    with uow:
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
