"""``/api/v1/people``: caseload search and a man's record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from desist.domain.access import Principal
from desist.entrypoints.web.api.common import PROBLEMS, Caller, etag, fields_of, referral_body, uow_factory
from desist.entrypoints.web.api.schemas import PersonRecord, PersonSearch

router = APIRouter(tags=["people"], responses=PROBLEMS)


@router.get(
    "/people",
    response_model=PersonSearch,
    summary="Search the caseload by the start of a name, prison number or PNC number",
    description="One word matches the start of a prison number, PNC number, family name or given name; "
    "several words match men whose names start with every word (`john smi`). At most 50, in name order.",
)
def search(
    request: Request, q: str = Query(..., min_length=2, max_length=100), principal: Principal = Caller
) -> Any:
    from desist.services.caseload import search_people

    return {"people": search_people(uow_factory(request, principal)(), q)}


@router.get(
    "/people/{person_id}",
    response_model=PersonRecord,
    summary="A man's record: sentence, assessments, recommendation, referrals",
)
def person(request: Request, response: Response, person_id: int, principal: Principal = Caller) -> Any:
    from desist.services.caseload import person_page

    page = person_page(uow_factory(request, principal)(), person_id)
    response.headers["ETag"] = etag("person", page.person.id, page.person.version or 0)
    return {
        "person": page.person,
        "sentences": page.sentences,
        "assessments": [
            {**fields_of(a), "scores": dict(a.scores), "items": dict(a.items)} for a in page.assessments
        ],
        "pathway": page.pathway,
        "recommendation": page.recommendation.to_dict() if page.recommendation is not None else None,
        "no_recommendation": page.no_recommendation,
        "referrals": [referral_body(row) for row in page.referrals],
        "incentives": page.incentives,
        "programme_history": page.programme_history,
    }
