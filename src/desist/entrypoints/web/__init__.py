"""The web application: server-rendered GOV.UK pages and the ``/api/v1`` REST API on the casework services.

``create_app(settings)`` builds it (FastAPI is imported only here, so the CLI's other commands start fast).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from desist.bootstrap import App
    from desist.config import Settings


def create_app(settings: Settings | None = None, *, app: App | None = None, **kwargs: Any) -> FastAPI:
    """The ASGI application (see :func:`desist.entrypoints.web.app.create_app`)."""
    from desist.entrypoints.web.app import create_app as build

    return build(settings, app=app, **kwargs)


__all__ = ["create_app"]
