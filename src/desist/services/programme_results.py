"""A programme's results for the web application: its latest stored evaluation (with the report's charts)
and its monitoring reviews, chart and open alerts. Checked against ``uow.principal``
(evaluation.read; monitoring needs monitor.read).

Results are about programmes, not men: no organisation scope applies.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from desist.domain.access import Action, Principal
from desist.domain.errors import NotFound
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_LABEL = re.compile(r'<svg[^>]*\baria-label="([^"]*)"')


@dataclass(frozen=True)
class ProgrammeLine:
    code: str
    name: str
    runs: int
    latest_review: dict[str, object] | None
    open_alerts: int


@dataclass(frozen=True)
class ProgrammeResults:
    code: str
    name: str
    run: Any | None  # desist.services.evaluations.StoredRun
    headline: str | None
    can_monitor: bool
    reviews: tuple[dict[str, object], ...] = ()
    alerts: tuple[dict[str, object], ...] = ()
    review_rows: tuple[Any, ...] = field(default=(), repr=False)  # the stored rows (for the chart)


def _name(code: str) -> str:
    from desist.domain.catalogue import default_catalogue

    catalogue = default_catalogue()
    return str(catalogue[code].name) if code in catalogue else code  # an unknown code is shown as itself


def programmes_overview(uow: UnitOfWork) -> list[ProgrammeLine]:
    """Every programme with a stored evaluation or monitoring review."""
    from desist.services.monitoring import stored_review

    with uow:
        me: Principal = uow.principal  # type: ignore[attr-defined]
        me.require(Action.EVALUATION_READ, "read programme results")
        runs = dict(uow.caseload.evaluated_programmes())  # type: ignore[attr-defined]
        latest: dict[str, dict[str, object]] = {}
        alerts: dict[str, int] = {}
        if me.can(Action.MONITOR_READ):
            store = uow.monitoring  # type: ignore[attr-defined]
            for row in store.reviews_in_order():
                latest[row.programme_code] = stored_review(row)
            for a in store.open_alerts():
                alerts[a.programme_code] = alerts.get(a.programme_code, 0) + 1
        codes = sorted(set(runs) | set(latest))
        return [ProgrammeLine(c, _name(c), runs.get(c, 0), latest.get(c), alerts.get(c, 0)) for c in codes]


def programme_results(uow: UnitOfWork, code: str) -> ProgrammeResults:
    """A programme's latest stored evaluation and its monitoring."""
    from desist.evaluation.report_words import wording_for
    from desist.evaluation.wording import headline
    from desist.services.evaluations import _stored
    from desist.services.monitoring import stored_review

    programme = code.strip().upper()
    with uow:
        me: Principal = uow.principal  # type: ignore[attr-defined]
        me.require(Action.EVALUATION_READ, "read programme results")
        rows = uow.evaluation_runs.list(programme, 1)  # type: ignore[attr-defined]
        run = _stored(rows[0]) if rows else None
        reviews: list[Any] = []
        alerts: list[dict[str, object]] = []
        can_monitor = me.can(Action.MONITOR_READ)
        if can_monitor:
            store = uow.monitoring  # type: ignore[attr-defined]
            reviews = [r for r in store.reviews_in_order() if r.programme_code == programme]
            alerts = [
                {"id": a.id, "as_of": a.as_of, "direction": a.direction, "evidence": a.evidence}
                for a in store.open_alerts()
                if a.programme_code == programme
            ]
        if run is None and not reviews:
            raise NotFound(f"programme {programme}: no stored evaluation or monitoring review")
        line = None
        if run is not None:
            result = run.result.to_dict()
            line = headline(result, wording_for(result, run.programme)) if result.get("outcome") else None
        return ProgrammeResults(
            programme,
            _name(programme),
            run,
            line,
            can_monitor,
            tuple(stored_review(r) for r in reviews),
            tuple(alerts),
            tuple(reviews),
        )


def report_html(run: Any) -> str:
    """The stored run's full report page (:func:`desist.services.reports.run_report`)."""
    from desist.services.reports import run_report

    return run_report(run)


def report_charts(html: str) -> list[tuple[str, str]]:
    """The report's charts in page order: (their accessible name, the chart as a standalone SVG document)."""
    import html as html_lib

    out = []
    for svg in _SVG.findall(html):
        label = _LABEL.search(svg[:1000])
        if "xmlns=" not in svg[:300]:
            svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
        name = html_lib.unescape(label.group(1)) if label else "Chart of the evaluation report"
        out.append((name, '<?xml version="1.0" encoding="utf-8"?>\n' + svg))
    return out


def monitoring_svg(results: ProgrammeResults) -> str | None:
    """The monitoring chart of the stored reviews (None when there is nothing to draw)."""
    from desist.evaluation.charts import to_svg
    from desist.monitoring.chart import CORE_SOTP_MILESTONES, monitoring_chart
    from desist.monitoring.record import Review

    reviews = [
        Review(
            programme=r.programme_code,
            as_of=r.as_of,
            method=r.method,
            treated=r.treated,
            comparison=r.comparison,
            events=r.events,
            estimate=r.estimate,
            ci=None if r.ci_low is None or r.ci_high is None else (r.ci_low, r.ci_high),
            z=r.z,
            information=r.information,
            information_fraction=r.information_fraction,
            boundary=r.boundary,
            decision=r.decision,
        )
        for r in results.review_rows
    ]
    if not any(r.estimate is not None and r.ci is not None for r in reviews):
        return None
    milestones = CORE_SOTP_MILESTONES if results.code == "SOTP-CORE" else None
    title = f"{results.name}: hazard ratio at each review"
    svg = to_svg(monitoring_chart(reviews, milestones=milestones, title=title))
    return '<?xml version="1.0" encoding="utf-8"?>\n' + svg


def today() -> dt.date:
    return dt.date.today()
