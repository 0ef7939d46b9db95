"""``create_app(settings)``: the FastAPI application on the composition root (one App per process).

Pages are server-rendered and work with JavaScript off; ``/api/v1`` is a separate FastAPI application mounted
at that path, with its own OpenAPI document (``/api/v1/openapi.json``) and problem+json errors. Route handlers
are plain functions (run in the thread pool) because the services are synchronous.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from desist.bootstrap import App, bootstrap
from desist.config import Settings
from desist.domain.errors import DesistError
from desist.entrypoints.web import auth
from desist.entrypoints.web.errors import retry_after, status_of
from desist.entrypoints.web.security import SecurityHeaders
from desist.entrypoints.web.templating import render

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("desist.web")


def create_app(settings: Settings | None = None, *, app: App | None = None) -> FastAPI:
    """Build the web application.

    Parameters
    ----------
    settings : Settings, optional
        Default: read from the environment (``DESIST_DATABASE_URL``, ``DESIST_COOKIE_SECURE``...).
    app : App, optional
        An already bootstrapped store (tests share one); then the caller closes it. Otherwise the
        application opens one now (refusing, in one line, a database that is missing or not the newest
        schema) and closes it on shutdown.
    """
    owned = app is None
    desist = app if app is not None else bootstrap(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        import anyio

        # at most as many requests at once as the engine keeps connections: none waits for one or opens
        # and closes an extra one (the route handlers run in this thread pool)
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = getattr(desist.settings, "db_pool_size", 16)
        await anyio.to_thread.run_sync(_warm_up)  # the first requests do not pay for imports and parsing
        yield
        if owned:
            desist.close()

    web = FastAPI(title="desist", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    web.state.desist = desist
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    _page_errors(web)

    from desist.entrypoints.web.api import build_api
    from desist.entrypoints.web.pages import routers

    for router in routers():
        web.include_router(router)
    api = build_api()
    api.state.desist = desist
    web.mount("/api/v1", api)

    @web.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        auth.require_session(request)
        return render(request, "home.html")

    @web.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @web.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    hsts = bool(getattr(desist.settings, "cookie_secure", True))
    web.add_middleware(SecurityHeaders, hsts=hsts)
    return web


def _warm_up() -> None:
    """Load what every page needs once: the policy, the catalogue, the recommendation rules, the templates."""
    import desist.domain.pathways  # noqa: F401
    import desist.domain.profile  # noqa: F401
    from desist.domain.access import policy
    from desist.domain.catalogue import default_catalogue
    from desist.entrypoints.web.templating import TEMPLATES, environment

    policy()
    default_catalogue()
    for path in TEMPLATES.glob("*.html"):
        environment().get_template(path.name)


def _page_errors(web: FastAPI) -> None:
    """HTML answers for the pages: sign-in redirect, GOV.UK error pages, never a traceback."""

    @web.exception_handler(auth.SignInRequired)
    async def sign_in_first(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)

    @web.exception_handler(DesistError)
    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DesistError)
        status, title = status_of(exc)
        if status == 401:
            return await sign_in_first(request, exc)
        detail = exc.message
        if status == 404:
            title = "Page not found"
        response = render(request, "error.html", {"title": title, "detail": detail, "status": status}, status)
        response.headers.update(retry_after(exc))
        return response

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith("/api/"):  # an API address the mount did not match (e.g. a newline)
            from desist.entrypoints.web.api import problem_response

            detail = exc.detail if isinstance(exc.detail, str) else "error"
            return problem_response(exc.status_code, detail, detail)
        titles = {404: "Page not found", 405: "This page cannot do that"}
        title = titles.get(exc.status_code, "There is a problem")
        detail = "If you typed the web address, check it is correct." if exc.status_code == 404 else ""
        return render(
            request,
            "error.html",
            {"title": title, "detail": detail, "status": exc.status_code},
            exc.status_code,
        )

    @web.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        context: dict[str, Any] = {"title": "Sorry, there is a problem with the service", "status": 500}
        return render(request, "error.html", context, 500)
