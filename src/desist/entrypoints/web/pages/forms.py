"""Form helpers: read a posted form, check its CSRF token, build GOV.UK error summaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends
from starlette.requests import Request

from desist.entrypoints.web.auth import require_session
from desist.entrypoints.web.security import check_csrf

#: the longest form a page accepts (fields are short; a bigger body is refused before parsing)
MAX_FORM_FIELDS = 400


@dataclass(frozen=True)
class FieldError:
    """One error of a form: the field's id (the summary links to it) and the message."""

    field: str
    text: str

    @property
    def href(self) -> str:
        return f"#{self.field}"


async def posted(request: Request) -> dict[str, Any]:
    """The posted fields (last value of each name; lists for names given several times, as ``name[]``)."""
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    out: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = values if key.endswith("[]") else (values[-1] if values else "")
    return out


#: a form handler's parameter: the posted fields, read on the event loop before the handler runs. The
#: handler itself is a plain function, so FastAPI runs it in the thread pool: its database work (and the
#: sign-in's password hashing) never holds up the event loop, which serves every other request.
FORM = Depends(posted)


def signed(request: Request, fields: dict[str, Any]) -> Any:
    """The session of a posted form, after checking the form's CSRF token against the session's."""
    info = require_session(request)
    check_csrf(info.csrf_token, fields.get("csrf_token"))
    return info


def errors_by_field(errors: list[FieldError]) -> dict[str, str]:
    return {e.field: e.text for e in errors}
