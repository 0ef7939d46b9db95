"""Domain errors as HTTP: one status per kind, an HTML error page for the browser, problem+json for the API.

A :class:`~desist.domain.errors.DesistError` is something a user caused; its one-line message is shown as is.
Anything else is a bug: the user gets a generic page (no traceback, no personal data) and the log gets the
traceback with the request's method and path only.
"""

from __future__ import annotations

import logging
from typing import Any

from desist.domain import errors as e  # noqa: F401  (the kinds named below)

log = logging.getLogger("desist.web")

#: most specific first (Locked is a Forbidden)
_STATUSES: tuple[tuple[str, int, str], ...] = (
    ("PreconditionFailed", 412, "The record changed since you read it"),
    ("PreconditionRequired", 428, "If-Match required"),
    ("Locked", 429, "Too many attempts"),
    ("NotAuthenticated", 401, "Sign in required"),
    ("Forbidden", 403, "You do not have permission"),
    ("NotFound", 404, "Not found"),
    ("InputError", 422, "The request is not valid"),
    ("AnalysisError", 422, "The data cannot support this analysis"),
    ("Conflict", 409, "Someone else changed this first"),
    ("InvalidTransition", 409, "This change is not allowed now"),
    ("CapacityError", 409, "The group cannot take him"),
)


def status_of(exc: e.DesistError) -> tuple[int, str]:
    """The HTTP status and a short title for a domain error."""
    names = {c.__name__ for c in type(exc).__mro__}
    for name, status, title in _STATUSES:
        if name in names:
            return status, title
    return 400, "Bad request"


def retry_after(exc: BaseException) -> dict[str, str]:
    """A ``Retry-After`` header (seconds) for a lockout."""
    minutes = getattr(exc, "minutes_left", None)
    return {"Retry-After": str(max(1, int(minutes)) * 60)} if minutes is not None else {}


def problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """An RFC 9457 problem document."""
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
