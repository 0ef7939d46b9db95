"""The groups list and the group board: places, members, waiting list with mixing warnings, sessions and
attendance; enrolling a man from the waiting list, recording a session and its attendance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from desist.domain.errors import DesistError
from desist.entrypoints.web import auth
from desist.entrypoints.web.errors import status_of
from desist.entrypoints.web.pages.forms import FORM, FieldError, errors_by_field, signed
from desist.entrypoints.web.templating import render

router = APIRouter()
MARKS = (("attended", "Attended"), ("absent", "Absent"), ("excused", "Excused"))


@router.get("/groups", name="groups")
def groups(request: Request) -> Response:
    from desist.services.group_board import list_groups

    principal = auth.principal_of(request)
    return render(request, "groups.html", {"groups": list_groups(auth.uow(request, principal))})


def _board(
    request: Request,
    group_id: int,
    errors: list[FieldError] | None = None,
    status: int = 200,
    values: dict[str, Any] | None = None,
) -> Response:
    from desist.services.group_board import group_board

    principal = auth.principal_of(request)
    board = group_board(auth.uow(request, principal), group_id)
    members = [m for m in board.group.members if m.left_on is None]
    return render(
        request,
        "group.html",
        {
            "board": board,
            "g": board.group,
            "current": members,
            "marks": MARKS,
            "values": values or {},
            "errors": errors or [],
            "error": errors_by_field(errors or []),
            "today": dt.date.today().isoformat(),
        },
        status,
    )


@router.get("/groups/{group_id}", name="group")
def group(request: Request, group_id: int) -> Response:
    return _board(request, group_id)


def _change(
    request: Request,
    info: Any,
    group_id: int,
    fields: dict[str, Any],
    change: Callable[[Any], object],
    where: tuple[str, str],
) -> Response:
    """``change(uow)`` as the signed-in user, then back to the board at the anchor ``where[1]``; refused, the
    board again with the reason at the form's field ``where[0]``."""
    try:
        change(auth.uow(request, info.principal))
    except DesistError as exc:
        status, _ = status_of(exc)
        if status in (401, 403, 404):
            raise
        return _board(request, group_id, [FieldError(where[0], exc.message)], status, fields)
    return RedirectResponse(f"/groups/{group_id}#{where[1]}", status_code=303)


@router.post("/groups/{group_id}/enrol", name="group_enrol")
def enrol_page(request: Request, group_id: int, fields: dict[str, Any] = FORM) -> Response:
    from desist.services.groups import enrol

    info = signed(request, fields)
    raw = str(fields.get("referral_id", "")).strip()
    if not raw.isdigit():
        return _board(
            request, group_id, [FieldError("referral_id", "Select a man from the waiting list")], 400
        )
    return _change(
        request,
        info,
        group_id,
        fields,
        lambda uow: enrol(uow, group_id=group_id, referral_id=int(raw)),
        ("referral_id", "members"),
    )


def _marks(fields: dict[str, Any]) -> dict[int, str]:
    out = {}
    for key, value in fields.items():
        if key.startswith("mark-") and key[5:].isdigit() and value:
            out[int(key[5:])] = str(value)
    return out


@router.post("/groups/{group_id}/sessions", name="group_session")
def session_page(request: Request, group_id: int, fields: dict[str, Any] = FORM) -> Response:
    from desist.services.groups import record_session

    info = signed(request, fields)
    errors = []
    try:
        held_on = dt.date.fromisoformat(str(fields.get("held_on", "")).strip())
    except ValueError:
        errors.append(
            FieldError("held_on", "Enter the date of the session as YYYY-MM-DD, for example 2026-03-31")
        )
    topic = str(fields.get("topic", "")).strip() or None
    if topic and len(topic) > 200:
        errors.append(FieldError("topic", "Topic must be 200 characters or fewer"))
    if errors:
        return _board(request, group_id, errors, 400, fields)
    marks = _marks(fields)
    return _change(
        request,
        info,
        group_id,
        fields,
        lambda uow: record_session(uow, group_id=group_id, held_on=held_on, topic=topic, attendance=marks),
        ("held_on", "sessions"),
    )


@router.post("/groups/{group_id}/sessions/{number}/attendance", name="group_attendance")
def attendance_page(request: Request, group_id: int, number: int, fields: dict[str, Any] = FORM) -> Response:
    from desist.services.groups import record_attendance

    info = signed(request, fields)
    marks = _marks(fields)
    if not marks:
        return _board(request, group_id, [FieldError(f"session-{number}", "Mark at least one man")], 400)
    return _change(
        request,
        info,
        group_id,
        fields,
        lambda uow: record_attendance(uow, group_id=group_id, session_number=number, marks=marks),
        (f"session-{number}", f"session-{number}"),
    )
