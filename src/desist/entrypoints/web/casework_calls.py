"""The casework writes the pages and the API make, in one place.

The services take the acting user from ``uow.principal``; while some of them still take a referral-machine
``role=`` keyword (before the access work's second step), the role is derived here from the user's staff
roles, never typed by anyone.
"""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

from desist.domain.access import Principal
from desist.domain.referrals import Reason, ReferralStatus, Role


def _takes_role(fn: Any) -> bool:
    return "role" in inspect.signature(fn).parameters


def _casework_role(principal: Principal) -> Role:
    from desist.domain.access import policy

    mapped = {policy().referral_roles[r] for r in principal.roles if r in policy().referral_roles}
    return Role.PROGRAMME_TEAM if Role.PROGRAMME_TEAM in mapped else Role.REFERRER


def create_referral(uow_factory: Any, principal: Principal, *, person_id: int, offering_id: int) -> Any:
    from desist.services import referrals

    extra = {"role": _casework_role(principal)} if _takes_role(referrals.create_referral) else {}
    return referrals.create_referral(uow_factory(), person=person_id, offering_id=offering_id, **extra)


def move_referral(
    uow_factory: Any,
    principal: Principal,
    referral_id: int,
    target: ReferralStatus,
    *,
    current: ReferralStatus,
    reason: Reason | None,
    expected_version: int | None,
    assessment_confirmed: bool = False,
    programme_history_reviewed: bool = False,
    targets_met: bool | None = None,
    on: dt.date | None = None,
) -> Any:
    from desist.services import referrals

    options: dict[str, Any] = {
        "reason": reason,
        "expected_version": expected_version,
        "assessment_confirmed": assessment_confirmed,
        "programme_history_reviewed": programme_history_reviewed,
        "targets_met": targets_met,
        "on": on,
    }
    if _takes_role(referrals.move_referral):
        return referrals.move_referral(
            uow_factory(), referral_id, target, principal.referral_role(current, target), **options
        )
    return referrals.move_referral(uow_factory(), referral_id, target, **options)


def _team_role(fn: Any, principal: Principal) -> dict[str, Any]:
    return {"role": _casework_role(principal)} if _takes_role(fn) else {}


def enrol(uow_factory: Any, principal: Principal, *, group_id: int, referral_id: int) -> Any:
    from desist.services import groups

    return groups.enrol(
        uow_factory(), group_id=group_id, referral_id=referral_id, **_team_role(groups.enrol, principal)
    )


def record_session(
    uow_factory: Any,
    principal: Principal,
    *,
    group_id: int,
    held_on: dt.date,
    topic: str | None,
    marks: dict[int, str],
) -> Any:
    from desist.services import groups

    return groups.record_session(
        uow_factory(),
        group_id=group_id,
        held_on=held_on,
        topic=topic,
        attendance=marks,
        **_team_role(groups.record_session, principal),
    )


def record_attendance(
    uow_factory: Any, principal: Principal, *, group_id: int, session_number: int, marks: dict[int, str]
) -> Any:
    from desist.services import groups

    return groups.record_attendance(
        uow_factory(),
        group_id=group_id,
        session_number=session_number,
        marks=marks,
        **_team_role(groups.record_attendance, principal),
    )
