"""What every API endpoint shares: the caller (bearer token), units of work, the views' fields, ETags."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fastapi import Depends
from fastapi.security import HTTPBearer
from pydantic import BaseModel
from starlette.requests import Request

from desist.domain.access import Principal
from desist.domain.errors import DesistError, StaleVersion
from desist.entrypoints.web import auth


class PreconditionFailed(DesistError):
    """If-Match names a version that is no longer current (HTTP 412)."""


class PreconditionRequired(DesistError):
    """A write that needs If-Match came without it (HTTP 428)."""


class Problem(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


def _problem(text: str) -> dict[str, Any]:
    return {"description": text, "model": Problem, "content": {"application/problem+json": {}}}


#: the errors every endpoint may answer (documented in the OpenAPI description)
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: _problem("No valid bearer token"),
    403: _problem("Your roles (or the token's scopes) do not allow this"),
    404: _problem("Not found, or outside your organisation"),
    409: _problem("A conflict: a duplicate, a move the rules refuse now, or a concurrent change"),
    422: _problem("The request is not valid"),
    429: _problem("Too many attempts"),
}
#: and the writes guarded by If-Match
PRECONDITIONS: dict[int | str, dict[str, Any]] = {
    412: _problem("The record changed since the ETag you sent (nothing was changed)"),
    428: _problem("If-Match is required"),
}


_BEARER = HTTPBearer(auto_error=False, description="An API token: `desist user token issue`")


def caller(request: Request, _: Any = Depends(_BEARER)) -> Principal:
    """The API caller (``Authorization: Bearer TOKEN``; the dependency documents the scheme in OpenAPI)."""
    return auth.bearer_principal(request)


Caller = Depends(caller)


def uow_factory(request: Request, principal: Principal) -> Callable[[], Any]:
    return lambda: auth.uow(request, principal)


def fields_of(view: Any) -> dict[str, Any]:
    """A view dataclass's fields, one level deep (nested views stay views: the response model reads them)."""
    return {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}


def referral_body(row: Any) -> dict[str, Any]:
    """A referral with the moves the caller may make (``schemas.Referral``)."""
    return {**fields_of(row.referral), "moves": row.moves}


def etag(kind: str, id_: int, version: int) -> str:
    """A strong ETag naming a record's version, e.g. ``"referral-12-v3"``."""
    return f'"{kind}-{id_}-v{version}"'


def if_match_version(request: Request, kind: str, id_: int, *, required: bool) -> int | None:
    """The version named by If-Match (None when absent and not required)."""
    header = request.headers.get("if-match")
    if header is None:
        if required:
            raise PreconditionRequired(
                f"{kind} {id_}: If-Match is required; send the ETag of your last read of the {kind}"
            )
        return None
    prefix = f'"{kind}-{id_}-v'
    for part in header.split(","):
        tag = part.strip().removeprefix("W/")
        if tag == "*":
            return None
        if tag.startswith(prefix) and tag.endswith('"') and tag[len(prefix) : -1].isdigit():
            return int(tag[len(prefix) : -1])
    raise PreconditionFailed(f"{kind} {id_}: If-Match {header.strip()!r} is not an ETag of this {kind}")


def stale_to_412(exc: DesistError) -> DesistError:
    """The If-Match version is no longer current: a failed precondition (412, RFC 9110 13.1.1).

    A change that collided with a concurrent one while being written (another transaction committed first:
    the version check passed, the UPDATE found the row changed) stays a :class:`Conflict` (409)."""
    if isinstance(exc, StaleVersion):
        return PreconditionFailed(exc.message)
    return exc
