"""The server-rendered pages, one router per area."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

#: page modules, each with ``router``
PAGE_MODULES = ("signin", "people", "referrals", "groups", "programmes", "exports")


def routers() -> list[APIRouter]:
    return [importlib.import_module(f"{__name__}.{name}").router for name in PAGE_MODULES]
