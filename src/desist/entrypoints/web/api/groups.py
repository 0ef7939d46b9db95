"""``/api/v1/groups``: the group board, enrolling from the waiting list, sessions and attendance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from desist.domain.access import Principal
from desist.domain.records import AttendanceMark
from desist.entrypoints.web.api.common import PROBLEMS, Caller, etag, fields_of, uow_factory
from desist.entrypoints.web.api.schemas import GroupBoard, GroupList

router = APIRouter(tags=["groups"], responses=PROBLEMS)


class Enrolment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    referral_id: int = Field(ge=1, le=2**31 - 1)


class NewSession(BaseModel):
    """The group's next session; ``attendance`` maps a member's person id to his mark."""

    model_config = ConfigDict(extra="forbid")
    held_on: dt.date
    topic: str | None = Field(default=None, max_length=200)
    attendance: dict[int, AttendanceMark] = Field(default_factory=dict, max_length=200)


class Attendance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attendance: dict[int, AttendanceMark] = Field(min_length=1, max_length=200)


def _board(request: Request, response: Response, principal: Principal, group_id: int) -> Any:
    from desist.services.group_board import group_board

    board = group_board(uow_factory(request, principal)(), group_id)
    response.headers["ETag"] = etag("group", group_id, board.group.version)
    return {
        "group": {**fields_of(board.group), "places_taken": board.group.places_taken},
        "waiting": board.waiting,
        "sessions": [
            {**fields_of(s), "marks": {str(k): v for k, v in s.marks.items()}} for s in board.sessions
        ],
        "closed_to_joiners": board.closed_to_joiners,
    }


@router.get(
    "/groups", response_model=GroupList, summary="Groups at your site (every site with national access)"
)
def list_groups(request: Request, principal: Principal = Caller) -> Any:
    from desist.services.group_board import list_groups as groups

    return {"groups": groups(uow_factory(request, principal)())}


@router.get(
    "/groups/{group_id}",
    response_model=GroupBoard,
    summary="The group board: places, members, waiting list, sessions",
)
def get_group(request: Request, response: Response, group_id: int, principal: Principal = Caller) -> Any:
    return _board(request, response, principal, group_id)


@router.post(
    "/groups/{group_id}/enrolments",
    status_code=201,
    response_model=GroupBoard,
    summary="Put a man from the waiting list in the group",
)
def enrol(
    request: Request, response: Response, group_id: int, body: Enrolment, principal: Principal = Caller
) -> Any:
    from desist.services.groups import enrol as service

    service(uow_factory(request, principal)(), group_id=group_id, referral_id=body.referral_id)
    return _board(request, response, principal, group_id)


@router.post(
    "/groups/{group_id}/sessions",
    status_code=201,
    response_model=GroupBoard,
    summary="Record the group's next session and its attendance",
)
def add_session(
    request: Request, response: Response, group_id: int, body: NewSession, principal: Principal = Caller
) -> Any:
    from desist.services.groups import record_session

    record_session(
        uow_factory(request, principal)(),
        group_id=group_id,
        held_on=body.held_on,
        topic=body.topic,
        attendance=dict(body.attendance),
    )
    return _board(request, response, principal, group_id)


@router.put(
    "/groups/{group_id}/sessions/{number}/attendance",
    response_model=GroupBoard,
    summary="Mark attendance at a held session",
)
def mark(
    request: Request,
    response: Response,
    group_id: int,
    number: int,
    body: Attendance,
    principal: Principal = Caller,
) -> Any:
    from desist.services.groups import record_attendance

    record_attendance(
        uow_factory(request, principal)(),
        group_id=group_id,
        session_number=number,
        marks=dict(body.attendance),
    )
    return _board(request, response, principal, group_id)
