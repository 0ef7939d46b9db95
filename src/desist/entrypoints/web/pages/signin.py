"""Sign in and sign out."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from desist.domain.errors import DesistError, Forbidden
from desist.entrypoints.web import auth
from desist.entrypoints.web.pages.forms import FORM, FieldError, errors_by_field
from desist.entrypoints.web.security import check_csrf, new_token
from desist.entrypoints.web.templating import render

router = APIRouter()
WRONG = "Your username or password is wrong"


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: a path on this site only (no open redirect)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and "\n" not in value:
        return value
    return "/"


def _form(
    request: Request,
    *,
    username: str = "",
    errors: list[FieldError] | None = None,
    status: int = 200,
    next_url: str = "/",
) -> Response:
    token = request.cookies.get(auth.SIGNIN_COOKIE) or new_token()
    request.state.signin_csrf = token
    response = render(
        request,
        "sign_in.html",
        {
            "username": username,
            "errors": errors or [],
            "error": errors_by_field(errors or []),
            "next_url": next_url,
            "signin_csrf": token,
        },
        status=status,
    )
    response.set_cookie(
        auth.SIGNIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=auth.cookie_secure(request),
        path="/sign-in",
    )
    return response


@router.get("/sign-in", name="sign_in")
def sign_in_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    """The form (also when signed in: signing in again, e.g. as someone else, ends the current session)."""
    request.state.session = None  # the layout shows no one signed in on this page
    return _form(request, next_url=safe_next(next))


@router.post("/sign-in")
def sign_in(request: Request, fields: dict[str, Any] = FORM) -> Response:
    from desist.services import users

    next_url = safe_next(fields.get("next"))
    check_csrf(request.cookies.get(auth.SIGNIN_COOKIE), fields.get("csrf_token"))
    username = str(fields.get("username", "")).strip()
    password = str(fields.get("password", ""))
    errors = []
    if not username:
        errors.append(FieldError("username", "Enter your username"))
    if not password:
        errors.append(FieldError("password", "Enter your password"))
    if errors:
        return _form(request, username=username, errors=errors, status=400, next_url=next_url)
    try:
        principal = users.authenticate(
            auth.system_uow(request), username, password, client=auth.client_of(request)
        )
    except DesistError as exc:
        minutes = getattr(exc, "minutes_left", None)
        if minutes is not None:
            text = (
                f"You have tried to sign in too many times. Try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}"
            )
            response = _form(
                request,
                username=username,
                status=429,
                next_url=next_url,
                errors=[FieldError("username", text)],
            )
            response.headers["Retry-After"] = str(max(1, int(minutes)) * 60)
            return response
        status = 403 if isinstance(exc, Forbidden) else 401
        return _form(
            request,
            username=username,
            status=status,
            next_url=next_url,
            errors=[FieldError("username", WRONG)],
        )
    old = request.cookies.get(auth.COOKIE)
    if old:  # rotate: whatever session the browser had ends; the new one has a new token
        with contextlib.suppress(DesistError):
            users.end_session(auth.system_uow(request), old)
    started = users.start_session(auth.system_uow(request), principal)
    response = RedirectResponse(next_url, status_code=303)
    auth.set_session_cookie(request, response, started.token)
    response.delete_cookie(auth.SIGNIN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out", name="sign_out")
def sign_out(request: Request, fields: dict[str, Any] = FORM) -> Response:
    from desist.services import users

    info = auth.current_session(request)
    if info is not None:
        check_csrf(info.csrf_token, fields.get("csrf_token"))
        token = request.cookies.get(auth.COOKIE)
        if token:
            users.end_session(auth.system_uow(request), token)
    response = RedirectResponse("/signed-out", status_code=303)
    auth.clear_session_cookie(request, response)
    return response


@router.get("/signed-out", name="signed_out")
def signed_out(request: Request) -> Response:
    request.state.session = None
    return render(request, "signed_out.html")
