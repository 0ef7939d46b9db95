"""The published OpenAPI document says what the API really answers: errors as RFC 9457 problem documents
(``application/problem+json``, not FastAPI's default validation-error body) and bearer-token authentication.

FastAPI documents the success body (each endpoint's ``response_model``, :mod:`.schemas`) and a 422 with its
own ``HTTPValidationError`` body; every error here is a problem document instead, and any operation may
answer 401 (no or bad token), 403 (the role or the token's scope does not allow it), 404 (not found, or
another organisation's record), 409, 422 and 429. Writes that take ``If-Match`` may answer 412 and 428.
Schemathesis checks the answers against this document
(tests/web/test_api_fuzz.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}
ERRORS = {
    "400": "The request cannot be handled",
    "401": "No valid bearer token",
    "403": "Your role or your token's scope does not allow this",
    "404": "Not found (or not in your organisation)",
    "409": "The change conflicts with the record's state: a duplicate, a move the rules refuse now, or"
    " another change to the record committed while this one was being made (read it again and retry)",
    "422": "The request is not valid",
    "429": "Too many attempts",
    "500": "An unexpected error (logged)",
}
CONDITIONAL = {
    "412": "If-Match names a version that is no longer current: nothing was changed (read it again)",
    "428": "If-Match is required",
}

IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag of your last read of the record (or * to skip the check)",
    "schema": {"type": "string", "maxLength": 200},
}


def install(api: FastAPI) -> None:
    """Replace ``api.openapi`` by the document with problem responses and the bearer scheme."""

    def build() -> dict[str, Any]:
        if api.openapi_schema:
            return api.openapi_schema
        doc = get_openapi(
            title=api.title, version=api.version, description=api.description, routes=api.routes
        )
        components = doc.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
        ref = {"$ref": "#/components/schemas/Problem"}
        for operations in doc.get("paths", {}).values():
            for op in operations.values():
                responses = op.setdefault("responses", {})
                names = {p.get("name", "").lower() for p in op.get("parameters", [])}
                conditional = "if-match" in names or _moves(op)
                if conditional and "if-match" not in names:  # read from the request, not a declared parameter
                    op.setdefault("parameters", []).append(IF_MATCH)
                codes = {**ERRORS, **(CONDITIONAL if conditional else {})}
                for code, text in codes.items():
                    responses[code] = {"description": text, "content": {PROBLEM: {"schema": ref}}}
        api.openapi_schema = doc
        return doc

    api.openapi = build  # type: ignore[method-assign]


def _moves(op: dict[str, Any]) -> bool:
    return "If-Match" in (op.get("summary") or "")
