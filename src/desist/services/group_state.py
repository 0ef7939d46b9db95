"""Shared state of a group for the group use cases and the board: views, the group lock, members (their
progress, as the mixing rules see them), the waiting list and attendance marks.

Kept apart from :mod:`desist.services.groups` so that module holds the use cases only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from desist.adapters.orm import Attendance, Enrolment, GroupSession, ProgrammeGroup, Referral
from desist.domain.errors import InputError, NotFound
from desist.domain.groups import Member, Progress, WaitingEntry, order_waiting_list
from desist.domain.histories import check_not_before
from desist.domain.records import AttendanceMark, values
from desist.domain.referrals import ReferralStatus
from desist.services.casework import find_person, release_date, risk_member
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

ATTENDANCE_MARKS = values(AttendanceMark)


__all__ = [
    "GroupView",
    "MemberView",
    "group_member",
    "group_view",
    "lock_group",
    "mark_attendance",
    "member_progress",
    "waiting_entries",
]


@dataclass(frozen=True)
class MemberView:
    enrolment_id: int
    person_id: int
    prison_number: str
    referral_id: int | None
    joined_on: dt.date
    joined_session: int | None
    left_on: dt.date | None
    completed: bool | None
    sessions_offered: int
    sessions_attended: int
    attendance_rate: float


@dataclass(frozen=True)
class GroupView:
    id: int
    offering_id: int
    programme_code: str
    site: str
    label: str | None
    kind: str
    capacity: int
    planned_sessions: int
    last_joining_session: int | None
    sessions_held: int
    version: int
    members: tuple[MemberView, ...] = field(default_factory=tuple)

    @property
    def places_taken(self) -> int:
        return sum(1 for m in self.members if m.left_on is None)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "places_taken": self.places_taken}


def lock_group(uow: UnitOfWork, group_id: int) -> ProgrammeGroup:
    """The group, re-read and write-locked until commit: enrolments into one group queue on this lock."""
    return uow.groups.lock(group_id)  # type: ignore[no-any-return]


def sessions_held(uow: UnitOfWork, group_id: int) -> int:
    return uow.groups.sessions_held(group_id)


def open_members(uow: UnitOfWork, group_id: int) -> list[Enrolment]:
    return uow.groups.enrolments(group_id, open_only=True)


def member_progress(
    e: Enrolment, held: Sequence[tuple[Any, Mapping[int, str]]], planned: int, targets_met: bool
) -> Progress:
    """One member's progress from his group's held sessions and their marks
    (``uow.groups.sessions_with_marks``): the sessions offered to him are those held from his joining
    session on and not after he left, the sessions attended his 'attended' marks. The one definition: the
    group view and the completion check (:func:`desist.services.referrals.enrolment_progress`) count by it.
    """
    first = e.joined_session or 1
    offered = sum(1 for s, _ in held if s.number >= first and (e.left_on is None or s.held_on <= e.left_on))
    attended = sum(1 for _, marks in held if marks.get(e.id) == AttendanceMark.ATTENDED)
    return Progress(planned, offered, attended, targets_met)


def group_member(uow: UnitOfWork, e_or_r: Enrolment | Referral, on: dt.date) -> Member:
    """The man of an enrolment or referral as the mixing rules see him on ``on`` (risk band, offence)."""
    return risk_member(uow, e_or_r.person_id, key=e_or_r.person_id, on=on)


def waiting_entries(uow: UnitOfWork, offering_id: int, on: dt.date) -> list[WaitingEntry]:
    """An offering's waiting list in priority order, unchecked (the caller has checked the user's scope)."""
    rows = uow.referrals.list(offering_id=offering_id, status=ReferralStatus.ASSESSED_SUITABLE.value)
    return order_waiting_list(
        WaitingEntry(
            r.id,
            r.created_at.date(),
            release_date(uow, r.person_id),
            risk_member(uow, r.person_id, key=r.id, on=on),
            r.person_id,
        )
        for r in rows
    )


def group_view(
    uow: UnitOfWork, g: ProgrammeGroup, held: Sequence[tuple[Any, Mapping[int, str]]] | None = None
) -> GroupView:
    """The group with every member's progress, in three queries whatever its size (the offering, the held
    sessions with their attendance marks, the members with their prison numbers); ``held`` passes the
    sessions and marks a caller has already read (``uow.groups.sessions_with_marks``); each member's counts
    are :func:`member_progress`'s.
    """
    offering = uow.offerings.get(g.offering_id)
    held = uow.groups.sessions_with_marks(g.id) if held is None else held
    planned = len(g.session_plan or [])
    members = []
    for e, number in uow.groups.members(g.id):
        p = member_progress(e, held, planned, bool(e.targets_met))
        members.append(
            MemberView(
                e.id,
                e.person_id,
                number,
                e.referral_id,
                e.joined_on,
                e.joined_session,
                e.left_on,
                e.completed,
                p.sessions_offered,
                p.sessions_attended,
                round(p.attendance_rate, 4),
            )
        )
    return GroupView(
        g.id,
        g.offering_id,
        offering.programme_code,
        offering.site,
        g.label,
        g.kind,
        g.capacity,
        planned,
        g.last_joining_session,
        len(held),
        g.version,
        tuple(members),
    )


def mark_attendance(uow: UnitOfWork, g: ProgrammeGroup, gs: GroupSession, marks: Mapping[Any, str]) -> int:
    for person_key, status in marks.items():
        if status not in ATTENDANCE_MARKS:
            raise InputError(
                f"attendance for {person_key}: {status!r}; expected one of {', '.join(ATTENDANCE_MARKS)}"
            )
        p = find_person(uow, person_key)
        e = uow.groups.enrolment_of(g.id, p.id)
        if (
            e is None
            or (e.joined_session or 1) > gs.number
            or (e.left_on is not None and e.left_on < gs.held_on)
        ):
            raise InputError(
                f"attendance for {p.prison_number}: not a member of group {g.id} at session {gs.number}"
            )
        check_not_before(gs.held_on, e.joined_on, f"session {gs.number} date", f"{p.prison_number} joined")
        row = uow.groups.attendance(gs.id, e.id)
        if row is None:
            uow.groups.add_attendance(Attendance(session_id=gs.id, enrolment_id=e.id, status=status))
        else:
            row.status = status
            uow.groups.add_attendance(row)  # flush the change
    return len(marks)


def referral_of(uow: UnitOfWork, group_id: int, person: int | str) -> int:
    p = find_person(uow, person)
    e = uow.groups.enrolment_of(group_id, p.id, open_only=True)
    if e is None or e.referral_id is None:
        raise NotFound(f"group {group_id}: {p.prison_number} has no current place in this group")
    return e.referral_id
