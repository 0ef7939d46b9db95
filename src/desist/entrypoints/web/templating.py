"""The Jinja2 environment of the pages (autoescaped) and the helper that renders a page with its layout."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from desist.domain.access import Action
from desist.domain.words import label, plain

TEMPLATES = Path(__file__).resolve().parent / "templates"
SERVICE_NAME = "desist"

#: the service navigation: (label, path, action needed to see it)
NAVIGATION = (
    ("Caseload", "/people", Action.PERSON_READ),
    ("Groups", "/groups", Action.GROUP_READ),
    ("Programmes", "/programmes", Action.EVALUATION_READ),
    ("Exports", "/exports", Action.EXPORT_PSEUDONYMISED),
)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates ship with the package: no file check at every page
    )
    env.filters["status_label"] = status_label
    env.filters["plain"] = plain
    env.filters["date"] = lambda d: "" if d is None else f"{d:%-d %B %Y}"
    return env


def status_label(value: str | None) -> str:
    """``ASSESSED_SUITABLE`` -> ``Assessed suitable`` (:func:`desist.domain.words.label`)."""
    return label(value)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render ``template`` with the signed-in user, their navigation and the form's CSRF token."""
    info = getattr(request.state, "session", None)
    principal = info.principal if info is not None else None
    nav = []
    if principal is not None:
        path = request.url.path
        nav = [
            {"text": text, "href": href, "active": path == href or path.startswith(href + "/")}
            for text, href, action in NAVIGATION
            if principal.can(action)
        ]
    ctx = {
        "service_name": SERVICE_NAME,
        "principal": principal,
        "csrf_token": info.csrf_token if info is not None else getattr(request.state, "signin_csrf", ""),
        "navigation": nav,
        "errors": [],
        **(context or {}),
    }
    html = environment().get_template(template).render(**ctx)
    return HTMLResponse(html, status_code=status)
