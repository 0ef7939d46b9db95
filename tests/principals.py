"""Acting users for tests: ``as_user(role, org)`` builds the Principal a service checks.

A test about casework rules (not about who may do them) acts as :func:`caseworker`: a user with every
casework role and national access; a test of imports as :func:`admin` (:func:`importing` gives the unit of
work), of evaluations and monitoring as :func:`analyst`. Tests about access build the exact user with
:func:`as_user`.
"""

from __future__ import annotations

from typing import Any

from desist.domain.access import Principal, StaffRole, parse_roles

WHATTON, USK = "HMP Whatton", "HMP Usk"
CASEWORK_ROLES = frozenset({StaffRole.REFERRER, StaffRole.PROGRAMME_TEAM, StaffRole.TREATMENT_MANAGER})


def as_user(*roles: str | StaffRole, org: str | None = WHATTON, national: bool = False,
            name: str | None = None) -> Principal:
    """A user holding ``roles`` in ``org`` (or national), named after the first role unless ``name``."""
    parsed = parse_roles([getattr(r, "value", r) for r in roles])
    return Principal(name or f"{'-'.join(sorted(r.value for r in parsed)) or 'nobody'}", parsed,
                     organisation=org, national=national)


def caseworker(name: str = "test") -> Principal:
    """Every casework role, every organisation: for tests of the casework rules themselves."""
    return Principal(name, CASEWORK_ROLES, national=True)


def admin(name: str = "admin") -> Principal:
    """An administrator with national access (imports, identified exports, the audit log)."""
    return Principal(name, frozenset({StaffRole.ADMIN}), national=True)


def analyst(name: str = "analyst") -> Principal:
    """An analyst with national access (evaluations, monitoring, pseudonymised exports)."""
    return Principal(name, frozenset({StaffRole.ANALYST}), national=True)


def importing(session_factory: Any, name: str = "admin") -> Any:
    """A fresh unit of work acting as the administrator ``name``: what ``import_file`` takes."""
    from desist.services.unit_of_work import UnitOfWork

    return UnitOfWork(session_factory, principal=admin(name))
