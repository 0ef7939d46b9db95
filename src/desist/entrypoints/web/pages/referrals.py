"""A referral's page and its moves: one form per allowed move, with the reason it needs.

The form carries the referral's version (optimistic concurrency): if someone moved it since the page was
read, the move is refused with a message and the page shows the new state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from desist.domain.errors import DesistError, NotFound
from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus, parse_status
from desist.entrypoints.web import auth
from desist.entrypoints.web.errors import status_of
from desist.entrypoints.web.pages.forms import FORM, FieldError, errors_by_field, signed
from desist.entrypoints.web.templating import render

router = APIRouter()
REASONS = [(c.value, c.value.capitalize()) for c in ReasonCategory]


@router.get("/referrals/{referral_id}", name="referral")
def referral(request: Request, referral_id: int) -> Response:
    from desist.services.caseload import referral_page

    principal = auth.principal_of(request)
    row = referral_page(auth.uow(request, principal), referral_id)
    return render(request, "referral.html", {"row": row, "r": row.referral})


def _move_form(
    request: Request,
    referral_id: int,
    target: str,
    *,
    errors: list[FieldError] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    from desist.services.caseload import referral_page

    principal = auth.principal_of(request)
    row = referral_page(auth.uow(request, principal), referral_id)
    move = next((m for m in row.moves if m.target == target.upper()), None)
    if move is None:
        raise NotFound(
            f"referral {referral_id}: you cannot move it to {target.upper()} now "
            f"(it is {row.referral.status})"
        )
    r = row.referral
    context = {
        "row": row,
        "r": r,
        "move": move,
        "reasons": REASONS,
        "values": values or {},
        "errors": errors or [],
        "error": errors_by_field(errors or []),
        "submitting": r.status == "REFERRAL_STARTED" and move.target == "REFERRAL_SUBMITTED",
        "completing": move.target == "PROGRAMME_COMPLETE",
        "leaving": r.status == "ON_PROGRAMME",
        "today": dt.date.today().isoformat(),
    }
    return render(request, "referral_move.html", context, status)


@router.get("/referrals/{referral_id}/move/{target}", name="referral_move_form")
def move_form(request: Request, referral_id: int, target: str) -> Response:
    return _move_form(request, referral_id, target)


@router.post("/referrals/{referral_id}/move/{target}", name="referral_move")
def move(request: Request, referral_id: int, target: str, fields: dict[str, Any] = FORM) -> Response:
    info = signed(request, fields)
    errors: list[FieldError] = []
    status = parse_status(target, "target")
    version_text = str(fields.get("version", "")).strip()
    reason = None
    category, text = fields.get("reason_category") or None, str(fields.get("reason", "")).strip()
    needs_reason = fields.get("needs_reason") == "yes"
    if needs_reason and not category:
        errors.append(FieldError("reason_category", "Select why"))
    if needs_reason and not text:
        errors.append(FieldError("reason", "Enter the reason"))
    if len(text) > 2000:
        errors.append(FieldError("reason", "Reason must be 2,000 characters or fewer"))
    on = None
    if fields.get("on"):
        try:
            on = dt.date.fromisoformat(str(fields["on"]))
        except ValueError:
            errors.append(FieldError("on", "Enter the date as YYYY-MM-DD, for example 2026-03-31"))
    targets_met = {"yes": True, "no": False}.get(str(fields.get("targets_met", "")))
    if status is ReferralStatus.PROGRAMME_COMPLETE and targets_met is None:
        errors.append(FieldError("targets_met", "Select whether he met his treatment targets"))
    if not errors and (category or text):
        try:
            reason = Reason.parse(category, text)
        except DesistError as exc:
            errors.append(FieldError("reason_category", exc.message))
    if errors:
        return _move_form(request, referral_id, target, errors=errors, values=fields, status=400)
    from desist.services.referrals import move_referral

    try:
        move_referral(
            auth.uow(request, info.principal),
            referral_id,
            status,
            reason=reason,
            expected_version=int(version_text) if version_text.isdigit() else None,
            assessment_confirmed=fields.get("assessment_confirmed") == "yes",
            programme_history_reviewed=fields.get("programme_history_reviewed") == "yes",
            targets_met=targets_met,
            on=on,
        )
    except DesistError as exc:
        code, _ = status_of(exc)
        if code in (401, 403, 404) and not _is_move_refusal(exc):
            raise
        if code == 409 and "changed by someone else" in exc.message:
            return _stale(request, referral_id, exc.message)
        return _move_form(
            request,
            referral_id,
            target,
            errors=[FieldError("reason", exc.message)],
            values=fields,
            status=code,
        )
    return RedirectResponse(f"/referrals/{referral_id}", status_code=303)


def _is_move_refusal(exc: DesistError) -> bool:
    return "may not move" in exc.message or "may not make this move" in exc.message


def _stale(request: Request, referral_id: int, message: str) -> Response:
    from desist.services.caseload import referral_page

    principal = auth.principal_of(request)
    row = referral_page(auth.uow(request, principal), referral_id)
    errors = [FieldError("history", f"{message}. This page now shows the referral as it is.")]
    return render(request, "referral.html", {"row": row, "r": row.referral, "errors": errors}, 409)
