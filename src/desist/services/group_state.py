"""Shared state of a group for the group use cases: views, the group lock, members and attendance marks.

Kept apart from :mod:`desist.services.groups` so that module holds the use cases only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from desist.adapters.orm import Attendance, Enrolment, GroupSession, ProgrammeGroup
from desist.domain.errors import InputError, NotFound
from desist.domain.histories import check_not_before
from desist.domain.records import AttendanceMark, values
from desist.services.casework import find_person
from desist.services.referrals import enrolment_progress
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

ATTENDANCE_MARKS = values(AttendanceMark)


__all__ = ["GroupView", "MemberView", "group_view", "lock_group", "mark_attendance"]


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


def group_view(uow: UnitOfWork, g: ProgrammeGroup) -> GroupView:
    offering = uow.offerings.get(g.offering_id)
    members = []
    for e in uow.groups.enrolments(g.id):
        progress = enrolment_progress(uow, e, targets_met=bool(e.targets_met))
        person = find_person(uow, e.person_id)
        members.append(
            MemberView(
                e.id,
                e.person_id,
                person.prison_number,
                e.referral_id,
                e.joined_on,
                e.joined_session,
                e.left_on,
                e.completed,
                progress.sessions_offered,
                progress.sessions_attended,
                round(progress.attendance_rate, 4),
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
        len(g.session_plan or []),
        g.last_joining_session,
        sessions_held(uow, g.id),
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
