"""The group board (capacity, members, waiting list with mixing warnings, sessions and attendance) and the
list of groups: read use cases for the web application, checked against ``uow.principal``.

A group belongs to its offering's site; a user without national access sees only their own site's groups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from desist.domain.access import Action, Principal
from desist.domain.errors import CapacityError
from desist.domain.groups import GroupKind, GroupPolicy, check_can_join, mixing_conflict
from desist.services import scope
from desist.services.group_state import GroupView, group_member, group_view, waiting_entries
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork


@dataclass(frozen=True)
class GroupSummary:
    id: int
    label: str | None
    programme_code: str
    site: str
    kind: str
    capacity: int
    members: int


@dataclass(frozen=True)
class WaitingRow:
    """A man waiting for this offering, and why the mixing rules would refuse him now (None: he may join)."""

    referral_id: int
    person_id: int | None
    prison_number: str
    referred_on: dt.date
    release_date: dt.date | None
    risk_band: str | None
    offence_type: str | None
    warning: str | None


@dataclass(frozen=True)
class SessionRow:
    number: int
    held_on: dt.date
    topic: str | None
    marks: dict[int, str]  # enrolment id -> attended | absent | excused


@dataclass(frozen=True)
class GroupBoard:
    group: GroupView
    waiting: tuple[WaitingRow, ...]
    sessions: tuple[SessionRow, ...]
    closed_to_joiners: str | None  # why nobody can join now (full, past the last joining session)
    can_manage: bool


def list_groups(uow: UnitOfWork) -> list[GroupSummary]:
    """The groups of the user's site (every site with national access)."""
    with uow:
        me: Principal = uow.principal  # type: ignore[attr-defined]
        me.require(Action.GROUP_READ, "list groups")
        return [
            GroupSummary(g.id, g.label, o.programme_code, o.site, g.kind, g.capacity, n)
            for g, o, n in uow.caseload.groups(me.limited_to)  # type: ignore[attr-defined]
        ]


def group_board(uow: UnitOfWork, group_id: int, *, on: dt.date | None = None) -> GroupBoard:
    """Everything the group board shows."""
    day = on or dt.date.today()
    with uow:
        me: Principal = uow.principal  # type: ignore[attr-defined]
        g = scope.group_for(uow, group_id, Action.GROUP_READ, f"read group {group_id}")
        held = uow.groups.sessions_with_marks(g.id)
        view = group_view(uow, g, held)
        current = [group_member(uow, e, day) for e in uow.groups.enrolments(g.id, open_only=True)]
        policy = GroupPolicy()
        waiting = []
        for entry in waiting_entries(uow, g.offering_id, day):
            person = uow.people.get(entry.person_id) if entry.person_id is not None else None
            m = entry.member
            waiting.append(
                WaitingRow(
                    entry.referral_id,
                    entry.person_id,
                    person.prison_number if person is not None else "",
                    entry.referral_date,
                    entry.release_date,
                    m.risk_band.value if m.risk_band is not None else None,
                    m.offence_type.value if m.offence_type is not None else None,
                    mixing_conflict(m, current, policy),
                )
            )
        sessions = tuple(SessionRow(s.number, s.held_on, s.topic, marks) for s, marks in held)
        try:
            check_can_join(
                GroupKind(g.kind),
                g.capacity,
                view.places_taken,
                view.sessions_held,
                g.last_joining_session,
                f"group {g.id}",
            )
            closed = None
        except CapacityError as exc:
            closed = exc.message
        return GroupBoard(view, tuple(waiting), sessions, closed, me.can(Action.GROUP_MANAGE))
