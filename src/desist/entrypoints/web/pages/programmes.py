"""Programme results: the programmes with stored evaluations or monitoring, and one programme's page with its
latest evaluation (headline, the report's charts, the full report) and its monitoring chart and alerts."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from desist.domain.errors import NotFound
from desist.entrypoints.web import auth
from desist.entrypoints.web.security import CHART_CSP, REPORT_CSP
from desist.entrypoints.web.templating import render

router = APIRouter()


@router.get("/programmes", name="programmes")
def programmes(request: Request) -> Response:
    from desist.services.programme_results import programmes_overview

    principal = auth.principal_of(request)
    return render(request, "programmes.html", {"lines": programmes_overview(auth.uow(request, principal))})


def _results(request: Request, code: str) -> Any:
    from desist.services.programme_results import programme_results

    principal = auth.principal_of(request)
    return programme_results(auth.uow(request, principal), code)


@functools.lru_cache(maxsize=16)
def _report(run_id: int, created_at: str, run: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A stored run's report page and charts (a run never changes: rendered once per process)."""
    from desist.services.programme_results import report_charts, report_html

    html = report_html(run)
    return html, tuple(report_charts(html))


def _run_report(results: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    run = results.run
    return _report(run.id, run.created_at, _Key(run))


class _Key:
    """Wraps a StoredRun so the cache keys on its id and stored time, not on the (unhashable) result."""

    def __init__(self, run: Any) -> None:
        self.run = run

    def __hash__(self) -> int:
        return hash((self.run.id, self.run.created_at))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and (self.run.id, self.run.created_at) == (
            other.run.id,
            other.run.created_at,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.run, name)


@router.get("/programmes/{code}", name="programme")
def programme(request: Request, code: str) -> Response:
    results = _results(request, code)
    charts: tuple[tuple[str, str], ...] = ()
    if results.run is not None:
        _, charts = _run_report(results)
    labels = [label for label, _ in charts]
    return render(
        request,
        "programme.html",
        {"r": results, "charts": labels, "has_monitoring_chart": bool(results.review_rows)},
    )


@router.get("/programmes/{code}/report", name="programme_report")
def report(request: Request, code: str) -> Response:
    results = _results(request, code)
    if results.run is None:
        raise NotFound(f"programme {results.code}: no stored evaluation")
    html, _ = _run_report(results)
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})


def _svg(text: str) -> Response:
    return Response(text, media_type="image/svg+xml", headers={"Content-Security-Policy": CHART_CSP})


@router.get("/programmes/{code}/charts/{number}.svg", name="programme_chart")
def chart(request: Request, code: str, number: int) -> Response:
    results = _results(request, code)
    if results.run is None:
        raise NotFound(f"programme {results.code}: no stored evaluation")
    _, charts = _run_report(results)
    if not 1 <= number <= len(charts):
        raise NotFound(f"programme {results.code}: no chart {number}")
    return _svg(charts[number - 1][1])


@router.get("/programmes/{code}/monitoring.svg", name="programme_monitoring_chart")
def monitoring_chart(request: Request, code: str) -> Response:
    from desist.services.programme_results import monitoring_svg

    results = _results(request, code)
    svg = monitoring_svg(results) if results.can_monitor else None
    if svg is None:
        raise NotFound(f"programme {results.code}: no monitoring review to draw")
    return _svg(svg)
