"""Shared state of a group for the group use cases: views, the group lock, members and attendance marks.

Kept apart from :mod:`desist.services.groups` so that module holds the use cases only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desist.adapters.orm import Attendance, Enrolment, GroupSession, Offering, ProgrammeGroup
from desist.domain.errors import Forbidden, InputError, NotFound
from desist.domain.referrals import Role
from desist.services.casework import find_person
from desist.services.referrals import enrolment_progress

ATTENDANCE_MARKS = ("attended", "absent", "excused")


def team_only(role: Role, what: str) -> None:
    if role is not Role.PROGRAMME_TEAM:
        raise Forbidden(f"{what}: only the programme team may do this (role {role.value})")


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


def lock_group(session: Session, group_id: int) -> ProgrammeGroup:
    # FOR UPDATE serialises enrolments into one group on PostgreSQL; SQLite ignores it and relies on
    # BEGIN IMMEDIATE (desist.adapters.engine). populate_existing re-reads a row already in the session.
    g = session.scalars(
        select(ProgrammeGroup)
        .where(ProgrammeGroup.id == group_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if g is None:
        raise NotFound(f"group {group_id}: not found")
    return g


def sessions_held(session: Session, group_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(GroupSession).where(GroupSession.group_id == group_id)
        )
        or 0
    )


def open_members(session: Session, group_id: int) -> list[Enrolment]:
    return list(
        session.scalars(
            select(Enrolment)
            .where(Enrolment.group_id == group_id, Enrolment.left_on.is_(None))
            .order_by(Enrolment.id)
        )
    )


def group_view(session: Session, g: ProgrammeGroup) -> GroupView:
    offering = session.get(Offering, g.offering_id)
    assert offering is not None
    members = []
    for e in session.scalars(select(Enrolment).where(Enrolment.group_id == g.id).order_by(Enrolment.id)):
        progress = enrolment_progress(session, e, targets_met=bool(e.targets_met))
        person = find_person(session, e.person_id)
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
        sessions_held(session, g.id),
        g.version,
        tuple(members),
    )


def mark_attendance(session: Session, g: ProgrammeGroup, gs: GroupSession, marks: Mapping[Any, str]) -> int:
    for person_key, status in marks.items():
        if status not in ATTENDANCE_MARKS:
            raise InputError(
                f"attendance for {person_key}: {status!r}; expected one of {', '.join(ATTENDANCE_MARKS)}"
            )
        p = find_person(session, person_key)
        e = session.scalars(
            select(Enrolment).where(Enrolment.group_id == g.id, Enrolment.person_id == p.id)
        ).first()
        if (
            e is None
            or (e.joined_session or 1) > gs.number
            or (e.left_on is not None and e.left_on < gs.held_on)
        ):
            raise InputError(
                f"attendance for {p.prison_number}: not a member of group {g.id} at session {gs.number}"
            )
        row = session.scalars(
            select(Attendance).where(Attendance.session_id == gs.id, Attendance.enrolment_id == e.id)
        ).first()
        if row is None:
            session.add(Attendance(session_id=gs.id, enrolment_id=e.id, status=status))
        else:
            row.status = status
    session.flush()
    return len(marks)


def referral_of(session: Session, group_id: int, person: int | str) -> int:
    p = find_person(session, person)
    e = session.scalars(
        select(Enrolment).where(
            Enrolment.group_id == group_id, Enrolment.person_id == p.id, Enrolment.left_on.is_(None)
        )
    ).first()
    if e is None or e.referral_id is None:
        raise NotFound(f"group {group_id}: {p.prison_number} has no current place in this group")
    return e.referral_id
