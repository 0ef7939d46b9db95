"""``/api/v1/programmes``: stored evaluations and monitoring of each programme."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from starlette.requests import Request

from desist.domain.access import Principal
from desist.domain.errors import NotFound
from desist.entrypoints.web.api.common import PROBLEMS, Caller, uow_factory
from desist.entrypoints.web.api.schemas import Monitoring, ProgrammeList, StoredEvaluation

router = APIRouter(tags=["programmes"], responses=PROBLEMS)
Code = Path(..., min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")


@router.get(
    "/programmes",
    response_model=ProgrammeList,
    summary="Programmes with a stored evaluation or monitoring review",
)
def programmes(request: Request, principal: Principal = Caller) -> Any:
    from desist.services.programme_results import programmes_overview

    return {"programmes": programmes_overview(uow_factory(request, principal)())}


@router.get(
    "/programmes/{code}/evaluations/latest",
    response_model=StoredEvaluation,
    summary="The latest stored evaluation run (full result)",
)
def latest_evaluation(request: Request, code: str = Code, principal: Principal = Caller) -> Any:
    from desist.services.programme_results import programme_results

    results = programme_results(uow_factory(request, principal)(), code)
    if results.run is None:
        raise NotFound(f"programme {results.code}: no stored evaluation")
    return {**results.run.to_dict(), "headline": results.headline}


@router.get(
    "/programmes/{code}/monitoring", response_model=Monitoring, summary="Monitoring reviews and open alerts"
)
def monitoring(request: Request, code: str = Code, principal: Principal = Caller) -> Any:
    from desist.domain.access import Action
    from desist.services.programme_results import programme_results

    principal.require(Action.MONITOR_READ, "read monitoring")
    results = programme_results(uow_factory(request, principal)(), code)
    return {
        "programme": results.code,
        "reviews": results.reviews,
        "open_alerts": results.alerts,
    }
