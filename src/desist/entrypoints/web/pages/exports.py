"""Analysts' pseudonymised exports: a page listing them, and each as a CSV download."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from desist.domain.access import Action
from desist.entrypoints.web import auth
from desist.entrypoints.web.templating import render

router = APIRouter()


@router.get("/exports", name="exports")
def exports(request: Request) -> Response:
    from desist.services.analyst_exports import EXPORTS

    principal = auth.principal_of(request)
    principal.require(Action.EXPORT_PSEUDONYMISED, "analysts' exports")
    return render(request, "exports.html", {"exports": EXPORTS})


@router.get("/exports/{name}.csv", name="export")
def export(request: Request, name: str) -> Response:
    from desist.services.analyst_exports import pseudonymised_csv

    principal = auth.principal_of(request)
    settings = auth.desist_app(request).settings
    text = pseudonymised_csv(auth.uow(request, principal), name, settings.pseudonym_key_bytes)  # type: ignore[attr-defined]
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="desist-{name}-pseudonymised.csv"'},
    )
