"""``/api/v1/referrals``: list, read, create and move referrals (moves need If-Match)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from desist.domain.access import Principal
from desist.domain.errors import DesistError
from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
from desist.entrypoints.web.api.common import (
    PRECONDITIONS,
    PROBLEMS,
    Caller,
    etag,
    if_match_version,
    referral_body,
    stale_to_412,
    uow_factory,
)
from desist.entrypoints.web.api.schemas import Referral, ReferralList

router = APIRouter(tags=["referrals"], responses=PROBLEMS)


class NewReferral(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: int = Field(ge=1, le=2**31 - 1)
    offering_id: int = Field(ge=1, le=2**31 - 1)


class ReferralMove(BaseModel):
    """A move of a referral to ``target``, with the reason and confirmations the move needs."""

    model_config = ConfigDict(extra="forbid")
    target: ReferralStatus
    reason_category: ReasonCategory | None = None
    reason: str | None = Field(default=None, max_length=2000)
    assessment_confirmed: bool = False
    programme_history_reviewed: bool = False
    targets_met: bool | None = None
    on: dt.date | None = None


def _one(
    request: Request, response: Response, principal: Principal, referral_id: int, status: int = 200
) -> Any:
    from desist.services.caseload import referral_page

    row = referral_page(uow_factory(request, principal)(), referral_id)
    response.headers["ETag"] = etag("referral", referral_id, row.referral.version)
    if status == 201:
        response.headers["Location"] = f"/api/v1/referrals/{referral_id}"
    return referral_body(row)


@router.get(
    "/referrals",
    response_model=ReferralList,
    summary="Referrals in your organisation, oldest first (page on with after_id)",
)
def list_referrals(
    request: Request,
    status: ReferralStatus | None = None,
    offering_id: int | None = Query(None, ge=1, le=2**31 - 1),
    person_id: int | None = Query(None, ge=1, le=2**31 - 1),
    limit: int = Query(100, ge=1, le=500),
    after_id: int = Query(0, ge=0, le=2**31 - 1),
    principal: Principal = Caller,
) -> Any:
    from desist.services.caseload import list_referrals_in_scope

    rows = list_referrals_in_scope(
        uow_factory(request, principal)(),
        status=status,
        offering_id=offering_id,
        person_id=person_id,
        limit=limit,
        after_id=after_id,
    )
    return {"referrals": rows, "next_after_id": rows[-1].id if len(rows) == limit else None}


@router.get(
    "/referrals/{referral_id}",
    response_model=Referral,
    summary="A referral with its history and the moves you may make",
)
def get_referral(
    request: Request, response: Response, referral_id: int, principal: Principal = Caller
) -> Any:
    return _one(request, response, principal, referral_id)


@router.post(
    "/referrals",
    status_code=201,
    response_model=Referral,
    summary="Refer a man to an offering (REFERRAL_STARTED)",
)
def create(request: Request, response: Response, body: NewReferral, principal: Principal = Caller) -> Any:
    from desist.services.referrals import create_referral

    view = create_referral(
        uow_factory(request, principal)(), person=body.person_id, offering_id=body.offering_id
    )
    return _one(request, response, principal, view.id, status=201)


@router.post(
    "/referrals/{referral_id}/moves",
    response_model=Referral,
    summary="Move a referral (If-Match: the ETag of your last read; 412 if it changed since)",
    responses=PRECONDITIONS,
)
def move(
    request: Request, response: Response, referral_id: int, body: ReferralMove, principal: Principal = Caller
) -> Any:
    from desist.services.referrals import move_referral

    expected = if_match_version(request, "referral", referral_id, required=True)
    try:
        reason = Reason.parse(body.reason_category, body.reason)
        move_referral(
            uow_factory(request, principal)(),
            referral_id,
            body.target,
            reason=reason,
            expected_version=expected,
            assessment_confirmed=body.assessment_confirmed,
            programme_history_reviewed=body.programme_history_reviewed,
            targets_met=body.targets_met,
            on=body.on,
        )
    except DesistError as exc:
        raise stale_to_412(exc) from None
    return _one(request, response, principal, referral_id)
