"""``/api/v1``: the REST API (bearer tokens, ETag/If-Match, problem+json errors, OpenAPI document)."""

from __future__ import annotations

import importlib
import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from desist.domain.errors import DesistError
from desist.entrypoints.web.errors import problem, retry_after, status_of

log = logging.getLogger("desist.web")
PROBLEM = "application/problem+json"
#: endpoint modules, each with ``router``
API_MODULES = ("people", "referrals", "groups", "programmes")


def problem_response(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        problem(status, title, detail), status_code=status, media_type=PROBLEM, headers=headers
    )


def build_api() -> FastAPI:
    api = FastAPI(
        title="desist API",
        version="1",
        description="Casework, groups, evaluations and monitoring of offending-behaviour programmes. "
        "Authenticate with `Authorization: Bearer TOKEN` (tokens: `desist user token issue`). Errors are "
        "RFC 9457 problem documents. Writes to a referral take `If-Match` with the ETag of the last read.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )

    @api.exception_handler(DesistError)
    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DesistError)
        status, title = status_of(exc)
        headers = retry_after(exc)
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="desist"'
        return problem_response(status, title, exc.message, headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return problem_response(422, "The request is not valid", "; ".join(parts) or "invalid request")

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        return problem_response(exc.status_code, detail, detail, dict(exc.headers or {}))

    @api.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(500, "Internal error", "an unexpected error; it was logged")

    for name in API_MODULES:
        api.include_router(importlib.import_module(f"{__name__}.{name}").router)
    from desist.entrypoints.web.api.openapi_doc import install

    install(api)  # the document describes the problem responses and the bearer scheme
    return api
