"""Caseload search, the person page, and referring a man to a programme."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from desist.domain.errors import DesistError, InputError
from desist.entrypoints.web import auth
from desist.entrypoints.web.errors import status_of
from desist.entrypoints.web.pages.forms import FORM, FieldError, errors_by_field, signed
from desist.entrypoints.web.templating import render

router = APIRouter()


@router.get("/people", name="caseload")
def caseload(request: Request, q: str | None = None) -> Response:
    from desist.services.caseload import search_people

    principal = auth.principal_of(request)
    results, errors = None, []
    if q is not None:
        try:
            results = search_people(auth.uow(request, principal), q)
        except InputError as exc:
            errors = [FieldError("q", "Enter 2 to 100 characters of a name, prison number or PNC number")]
            del exc
    else:  # the page itself needs the permission too
        from desist.domain.access import Action

        principal.require(Action.PERSON_READ, "search people")
    return render(
        request,
        "caseload.html",
        {"q": q or "", "results": results, "errors": errors, "error": errors_by_field(errors)},
        400 if errors else 200,
    )


def _person(
    request: Request,
    person_id: int,
    errors: list[FieldError] | None = None,
    status: int = 200,
    offering_id: str = "",
) -> Response:
    from desist.services.caseload import person_page

    principal = auth.principal_of(request)
    page = person_page(auth.uow(request, principal), person_id)
    return render(
        request,
        "person.html",
        {
            "page": page,
            "p": page.person,
            "errors": errors or [],
            "error": errors_by_field(errors or []),
            "offering_id": offering_id,
        },
        status,
    )


@router.get("/people/{person_id}", name="person")
def person(request: Request, person_id: int) -> Response:
    return _person(request, person_id)


@router.post("/people/{person_id}/referrals", name="refer")
def refer(request: Request, person_id: int, fields: dict[str, Any] = FORM) -> Response:
    info = signed(request, fields)
    raw = str(fields.get("offering_id", "")).strip()
    if not raw.isdigit():
        return _person(request, person_id, [FieldError("offering_id", "Select a programme and site")], 400)
    from desist.services.referrals import create_referral

    try:
        view = create_referral(auth.uow(request, info.principal), person=person_id, offering_id=int(raw))
    except DesistError as exc:
        status, _ = status_of(exc)
        if status in (401, 403, 404):
            raise
        return _person(request, person_id, [FieldError("offering_id", exc.message)], status, raw)
    return RedirectResponse(f"/referrals/{view.id}", status_code=303)
