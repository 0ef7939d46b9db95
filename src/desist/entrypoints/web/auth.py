"""Who is asking: the session cookie (pages) or a bearer token (API), resolved by the access services.

The cookie ``desist_session`` holds a random token whose hash is stored server-side
(:mod:`desist.services.users`); it is HttpOnly, SameSite=Lax, path /, and Secure unless the settings turn
that off (``DESIST_COOKIE_SECURE=false`` for http://127.0.0.1). A new token is issued at every sign-in, so a
token planted before sign-in is never promoted (no session fixation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from desist.domain.errors import DesistError

if TYPE_CHECKING:
    from desist.adapters.unit_of_work import UnitOfWork
    from desist.bootstrap import App
    from desist.domain.access import Principal

COOKIE = "desist_session"
SIGNIN_COOKIE = "desist_signin"  # the sign-in form's CSRF token (double submit), before any session exists
SYSTEM_ACTOR = "system:web"


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in user; answered by a redirect to the sign-in page."""


def desist_app(request: Request) -> App:
    return request.app.state.desist  # type: ignore[no-any-return]


def system_uow(request: Request) -> UnitOfWork:
    """A unit of work with no principal: only for signing in and resolving sessions and tokens."""
    return desist_app(request).uow(SYSTEM_ACTOR)


def uow(request: Request, principal: Principal) -> UnitOfWork:
    """A unit of work acting as ``principal`` (the services check its roles and organisation)."""
    return desist_app(request).uow(principal)


def cookie_secure(request: Request) -> bool:
    return bool(getattr(desist_app(request).settings, "cookie_secure", True))


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_session(request: Request) -> Any | None:
    """The request's ``SessionInfo`` (principal, csrf_token, session_id), or None when not signed in."""
    if hasattr(request.state, "session"):
        return request.state.session
    info = None
    token = request.cookies.get(COOKIE)
    if token:
        from desist.services import users

        try:
            info = users.resolve_session(system_uow(request), token)
        except DesistError:  # unknown, expired, revoked, or a disabled user: not signed in
            info = None
    request.state.session = info
    return info


def require_session(request: Request) -> Any:
    """The signed-in session, or :class:`SignInRequired` (the page handler redirects)."""
    info = current_session(request)
    if info is None:
        raise SignInRequired()
    return info


def principal_of(request: Request) -> Principal:
    return require_session(request).principal  # type: ignore[no-any-return]


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=cookie_secure(request), path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request))


def bearer_principal(request: Request) -> Principal:
    """The API caller, from ``Authorization: Bearer TOKEN`` only (no cookies: the API needs no CSRF token)."""
    from desist.domain.errors import NotAuthenticated
    from desist.services import users

    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return users.resolve_token(system_uow(request), token.strip())  # type: ignore[no-any-return]
    if header:
        raise NotAuthenticated("Authorization: expected 'Bearer TOKEN'")
    raise NotAuthenticated(
        "no credentials; send 'Authorization: Bearer TOKEN' (see `desist user token issue`)"
    )
