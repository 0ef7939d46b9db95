"""Which permission each route of the web application needs: one table, read by the authorisation tests.

Every route (pages and ``/api/v1``) is listed here with the :class:`~desist.domain.access.Action` it needs
(the services check the same action, from ``data/access_policy.yaml``), or as public (no sign-in) or as
needing only a signed-in user. The authorisation-matrix test enumerates the application's routes with
:func:`app_routes` and fails when a route is missing from this table, so a new route cannot ship without a
declared permission; the expected answer for every role (allowed, 403, or 404 for another organisation's
record) comes from the policy file through this table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from desist.domain.access import Action

#: routes anyone may call (signing in, the health check, the API description)
PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/sign-in"),
        ("POST", "/sign-in"),
        ("POST", "/sign-out"),
        ("GET", "/signed-out"),
        ("GET", "/healthz"),
        ("GET", "/favicon.ico"),
        ("GET", "/api/v1/openapi.json"),
    }
)

#: routes any signed-in user may call, whatever their roles
SIGNED_IN: frozenset[tuple[str, str]] = frozenset({("GET", "/")})

#: (method, path) -> the action the route needs
ROUTE_ACTIONS: dict[tuple[str, str], Action] = {
    # pages
    ("GET", "/people"): Action.PERSON_READ,
    ("GET", "/people/{person_id}"): Action.PERSON_READ,
    ("POST", "/people/{person_id}/referrals"): Action.REFERRAL_CREATE,
    ("GET", "/referrals/{referral_id}"): Action.PERSON_READ,
    ("GET", "/referrals/{referral_id}/move/{target}"): Action.REFERRAL_MOVE,
    ("POST", "/referrals/{referral_id}/move/{target}"): Action.REFERRAL_MOVE,
    ("GET", "/groups"): Action.GROUP_READ,
    ("GET", "/groups/{group_id}"): Action.GROUP_READ,
    ("POST", "/groups/{group_id}/enrol"): Action.GROUP_MANAGE,
    ("POST", "/groups/{group_id}/sessions"): Action.GROUP_MANAGE,
    ("POST", "/groups/{group_id}/sessions/{number}/attendance"): Action.GROUP_MANAGE,
    ("GET", "/programmes"): Action.EVALUATION_READ,
    ("GET", "/programmes/{code}"): Action.EVALUATION_READ,
    ("GET", "/programmes/{code}/report"): Action.EVALUATION_READ,
    ("GET", "/programmes/{code}/charts/{number}.svg"): Action.EVALUATION_READ,
    ("GET", "/programmes/{code}/monitoring.svg"): Action.MONITOR_READ,
    ("GET", "/exports"): Action.EXPORT_PSEUDONYMISED,
    ("GET", "/exports/{name}.csv"): Action.EXPORT_PSEUDONYMISED,
    # API
    ("GET", "/api/v1/people"): Action.PERSON_READ,
    ("GET", "/api/v1/people/{person_id}"): Action.PERSON_READ,
    ("GET", "/api/v1/referrals"): Action.PERSON_READ,
    ("GET", "/api/v1/referrals/{referral_id}"): Action.PERSON_READ,
    ("POST", "/api/v1/referrals"): Action.REFERRAL_CREATE,
    ("POST", "/api/v1/referrals/{referral_id}/moves"): Action.REFERRAL_MOVE,
    ("GET", "/api/v1/groups"): Action.GROUP_READ,
    ("GET", "/api/v1/groups/{group_id}"): Action.GROUP_READ,
    ("POST", "/api/v1/groups/{group_id}/enrolments"): Action.GROUP_MANAGE,
    ("POST", "/api/v1/groups/{group_id}/sessions"): Action.GROUP_MANAGE,
    ("PUT", "/api/v1/groups/{group_id}/sessions/{number}/attendance"): Action.GROUP_MANAGE,
    ("GET", "/api/v1/programmes"): Action.EVALUATION_READ,
    ("GET", "/api/v1/programmes/{code}/evaluations/latest"): Action.EVALUATION_READ,
    ("GET", "/api/v1/programmes/{code}/monitoring"): Action.MONITOR_READ,
}


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the application answers (HEAD folded into GET; static files left out)."""
    return sorted({(m, p) for m, p, _ in app_endpoints(app) if m != "HEAD"})


def app_endpoints(app: Any) -> list[tuple[str, str, Any]]:
    """Every (method, path, handler function) of the application (static files left out)."""
    return list(_walk(app.routes, ""))


def _walk(routes: Iterable[Any], prefix: str) -> Iterator[tuple[str, str, Any]]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI >= 0.165 keeps included routers as a node
            sub = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            yield from _walk(route.original_router.routes, prefix + sub)
        elif getattr(route, "methods", None):
            for method in route.methods:
                yield method, prefix + route.path, route.endpoint
        elif hasattr(getattr(route, "app", None), "routes"):  # a mounted application (/api/v1)
            yield from _walk(route.app.routes, prefix + route.path)
        # other mounts (/static) serve files and need no permission


def undeclared(app: Any) -> list[tuple[str, str]]:
    """Routes of ``app`` that this module does not list (each is a test failure)."""
    known = PUBLIC | SIGNED_IN | set(ROUTE_ACTIONS)
    return [r for r in app_routes(app) if r not in known]
