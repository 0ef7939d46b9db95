"""The casework writes the pages and the API make, in one place.

The services take the acting user from the unit of work (``uow.principal``): its roles decide the
referral-machine role of each move and its organisation the records it may change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from desist.domain.access import Principal
from desist.domain.referrals import Reason, ReferralStatus


def create_referral(uow_factory: Any, principal: Principal, *, person_id: int, offering_id: int) -> Any:
    from desist.services import referrals

    return referrals.create_referral(uow_factory(), person=person_id, offering_id=offering_id)


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

    del current  # the service reads the status itself (under the version check)
    return referrals.move_referral(
        uow_factory(),
        referral_id,
        target,
        reason=reason,
        expected_version=expected_version,
        assessment_confirmed=assessment_confirmed,
        programme_history_reviewed=programme_history_reviewed,
        targets_met=targets_met,
        on=on,
    )


def enrol(uow_factory: Any, principal: Principal, *, group_id: int, referral_id: int) -> Any:
    from desist.services import groups

    return groups.enrol(uow_factory(), group_id=group_id, referral_id=referral_id)


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
        uow_factory(), group_id=group_id, held_on=held_on, topic=topic, attendance=marks
    )


def record_attendance(
    uow_factory: Any, principal: Principal, *, group_id: int, session_number: int, marks: dict[int, str]
) -> Any:
    from desist.services import groups

    return groups.record_attendance(
        uow_factory(), group_id=group_id, session_number=session_number, marks=marks
    )
