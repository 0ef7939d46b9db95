"""Group use cases: offerings, groups, waiting list, allocation, enrolment, sessions, attendance, completion.

Capacity is never exceeded, even when many people enrol at once: every use case that adds a member first
locks the group row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the engine begins every transaction
with ``BEGIN IMMEDIATE``, so writers queue on the database's write lock) and only then counts the members.
A man's place follows his referral: enrolling moves it to ON_PROGRAMME, completing or deselecting moves it on
(see :mod:`desist.services.referrals`), so the two can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desist.adapters.orm import Attendance, Enrolment, GroupSession, Offering, ProgrammeGroup, Referral
from desist.domain.errors import Forbidden, InputError, NotFound
from desist.domain.groups import (
    GroupKind,
    GroupPolicy,
    Member,
    WaitingEntry,
    check_can_join,
    check_mixing,
    order_waiting_list,
    plan_allocation,
)
from desist.domain.referrals import Reason, ReferralStatus, Role
from desist.services.casework import find_person, release_date, risk_member
from desist.services.referrals import (
    ReferralView,
    apply_transition,
    enrolment_progress,
    get_referral,
    move_in_session,
    referral_view,
)
from desist.services.unit_of_work import UnitOfWork

S = ReferralStatus
ATTENDANCE_MARKS = ("attended", "absent", "excused")


def _team_only(role: Role, what: str) -> None:
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


def create_offering(uow: UnitOfWork, *, programme_code: str, site: str, role: Role) -> dict[str, Any]:
    """Offer a programme at a site; the same programme at the same site twice is a Conflict."""
    _team_only(role, "create offering")
    code, place = (programme_code or "").strip().upper(), (site or "").strip()
    if not code or not place:
        raise InputError("offering: programme code and site are both required")
    from desist.domain.catalogue import Catalogue  # loaded when needed: it reads and validates the YAML

    known = sorted(p.code.upper() for p in Catalogue.load().programmes)
    if code not in known:
        raise InputError(
            f"programme code: {programme_code!r} is not in the catalogue; expected one of {', '.join(known)}"
        )
    with uow:
        o = Offering(programme_code=code, site=place, active=True)
        uow.session.add(o)
        uow.session.flush()
        out = {"id": o.id, "programme_code": code, "site": place}
        uow.commit()
    return out


def create_group(
    uow: UnitOfWork,
    *,
    offering_id: int,
    kind: GroupKind,
    capacity: int,
    planned_sessions: int,
    role: Role,
    label: str | None = None,
    facilitators: list[str] | None = None,
    start_date: dt.date | None = None,
    last_joining_session: int | None = None,
    policy: GroupPolicy | None = None,
) -> GroupView:
    """Create a closed or rolling group with a session plan of ``planned_sessions`` sessions.

    A closed group takes joiners until ``last_joining_session`` has been held (default from policy);
    a rolling group takes them at any session, so it has no such limit.
    """
    _team_only(role, "create group")
    policy = policy or GroupPolicy()
    if capacity < 1:
        raise InputError(f"capacity: {capacity}; expected 1 or more places")
    if planned_sessions < 1:
        raise InputError(f"planned sessions: {planned_sessions}; expected 1 or more")
    if kind is GroupKind.ROLLING:
        if last_joining_session is not None:
            raise InputError(
                "last joining session: rolling groups take joiners at any session; leave it unset"
            )
    else:
        if last_joining_session is None:  # the policy default, within a short plan
            last_joining_session = min(policy.closed_group_last_joining_session, planned_sessions)
        if not 1 <= last_joining_session <= planned_sessions:
            raise InputError(
                f"last joining session: {last_joining_session}; expected 1 to {planned_sessions}"
            )
    with uow:
        s = uow.session
        if s.get(Offering, offering_id) is None:
            raise NotFound(f"offering {offering_id}: not found")
        g = ProgrammeGroup(
            offering_id=offering_id,
            label=label,
            kind=kind.value,
            capacity=capacity,
            facilitators=list(facilitators or []),
            start_date=start_date,
            session_plan=[f"session {i}" for i in range(1, planned_sessions + 1)],
            last_joining_session=last_joining_session,
        )
        s.add(g)
        s.flush()
        view = group_view(s, g)
        uow.commit()
    return view


def _lock_group(session: Session, group_id: int) -> ProgrammeGroup:
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


def _sessions_held(session: Session, group_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(GroupSession).where(GroupSession.group_id == group_id)
        )
        or 0
    )


def _open_members(session: Session, group_id: int) -> list[Enrolment]:
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
        _sessions_held(session, g.id),
        g.version,
        tuple(members),
    )


def _member(session: Session, e_or_r: Enrolment | Referral, on: dt.date) -> Member:
    return risk_member(session, e_or_r.person_id, key=e_or_r.person_id, on=on)


def _enrol(
    session: Session, g: ProgrammeGroup, r: Referral, role: Role, actor: str, on: dt.date, policy: GroupPolicy
) -> Enrolment:
    """Place one man (group already locked): joining rules, mixing rules, enrolment, referral ON_PROGRAMME."""
    where = f"group {g.id}"
    if r.offering_id != g.offering_id:
        raise InputError(
            f"referral {r.id}: is for offering {r.offering_id}, group {g.id} runs offering {g.offering_id}"
        )
    if r.status != S.ASSESSED_SUITABLE.value:
        raise InputError(f"referral {r.id}: is {r.status}; expected ASSESSED_SUITABLE to join a group")
    members = _open_members(session, g.id)
    held = _sessions_held(session, g.id)
    check_can_join(GroupKind(g.kind), g.capacity, len(members), held, g.last_joining_session, where)
    check_mixing(_member(session, r, on), [_member(session, m, on) for m in members], policy, where)
    apply_transition(
        session, r, S.ON_PROGRAMME, role, actor, note=f"joined group {g.id} at session {held + 1}"
    )
    e = Enrolment(
        group_id=g.id, person_id=r.person_id, referral_id=r.id, joined_on=on, joined_session=held + 1
    )
    session.add(e)
    session.flush()
    return e


def enrol(
    uow: UnitOfWork,
    *,
    group_id: int,
    referral_id: int,
    role: Role,
    on: dt.date | None = None,
    policy: GroupPolicy | None = None,
) -> GroupView:
    """Enrol the man of an ASSESSED_SUITABLE referral in a group.

    Raises
    ------
    CapacityError
        The group is full, a closed group is past its last joining session, or the mixing rules refuse him
        (:class:`~desist.domain.groups.MixingRuleError`).
    """
    _team_only(role, f"enrol in group {group_id}")
    with uow:
        s = uow.session
        g = _lock_group(s, group_id)
        _enrol(
            s,
            g,
            get_referral(s, referral_id),
            role,
            uow.actor,
            on or dt.date.today(),
            policy or GroupPolicy(),
        )
        view = group_view(s, g)
        uow.commit()
    return view


def waiting_list(uow: UnitOfWork, offering_id: int, on: dt.date | None = None) -> list[WaitingEntry]:
    """Men assessed suitable for an offering and not in a group, in priority order (see ``priority_key``)."""
    with uow:
        return _waiting(uow.session, offering_id, on or dt.date.today())


def _waiting(session: Session, offering_id: int, on: dt.date) -> list[WaitingEntry]:
    rows = session.scalars(
        select(Referral).where(
            Referral.offering_id == offering_id, Referral.status == S.ASSESSED_SUITABLE.value
        )
    )
    return order_waiting_list(
        WaitingEntry(
            r.id,
            r.created_at.date(),
            release_date(session, r.person_id),
            risk_member(session, r.person_id, key=r.id, on=on),
        )
        for r in rows
    )


@dataclass(frozen=True)
class AllocationResult:
    group: GroupView
    enrolled_referrals: tuple[int, ...]
    passed_over: tuple[tuple[int, str], ...]


def allocate(
    uow: UnitOfWork,
    *,
    group_id: int,
    role: Role,
    on: dt.date | None = None,
    policy: GroupPolicy | None = None,
) -> AllocationResult:
    """Fill free places from the offering's waiting list, in priority order, within the mixing rules."""
    _team_only(role, f"allocate to group {group_id}")
    policy = policy or GroupPolicy()
    on = on or dt.date.today()
    with uow:
        s = uow.session
        g = _lock_group(s, group_id)
        members = _open_members(s, g.id)
        # closed to joiners / already full: say so rather than silently allocating nobody
        check_can_join(
            GroupKind(g.kind),
            g.capacity,
            len(members),
            _sessions_held(s, g.id),
            g.last_joining_session,
            f"group {g.id}",
        )
        plan = plan_allocation(
            _waiting(s, g.offering_id, on),
            [_member(s, m, on) for m in members],
            g.capacity - len(members),
            policy,
        )
        for entry in plan.chosen:
            _enrol(s, g, get_referral(s, entry.referral_id), role, uow.actor, on, policy)
        result = AllocationResult(
            group_view(s, g),
            tuple(e.referral_id for e in plan.chosen),
            tuple((e.referral_id, why) for e, why in plan.passed_over),
        )
        uow.commit()
    return result


def record_session(
    uow: UnitOfWork,
    *,
    group_id: int,
    held_on: dt.date,
    role: Role,
    topic: str | None = None,
    attendance: Mapping[Any, str] | None = None,
) -> dict[str, Any]:
    """Record the group's next session (numbered in order) and, optionally, who attended it."""
    _team_only(role, f"record a session of group {group_id}")
    with uow:
        s = uow.session
        g = _lock_group(s, group_id)
        held = _sessions_held(s, g.id)
        last = s.scalar(select(func.max(GroupSession.held_on)).where(GroupSession.group_id == g.id))
        if last is not None and held_on < last:
            raise InputError(
                f"session date: {held_on.isoformat()} is before the last session ({last.isoformat()})"
            )
        if g.kind == GroupKind.CLOSED.value and held >= len(g.session_plan or []):
            raise InputError(
                f"group {g.id}: all {held} planned sessions of this closed group are already held"
            )
        gs = GroupSession(group_id=g.id, number=held + 1, held_on=held_on, topic=topic)
        s.add(gs)
        s.flush()
        marked = _mark(s, g, gs, attendance or {})
        out = {"group_id": g.id, "session": gs.number, "held_on": held_on, "marked": marked}
        uow.commit()
    return out


def _mark(session: Session, g: ProgrammeGroup, gs: GroupSession, marks: Mapping[Any, str]) -> int:
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


def record_attendance(
    uow: UnitOfWork, *, group_id: int, session_number: int, marks: Mapping[Any, str], role: Role
) -> dict[str, Any]:
    """Mark attendance at a held session: ``{person (id or prison number): attended|absent|excused}``."""
    _team_only(role, f"record attendance in group {group_id}")
    if not marks:
        raise InputError("attendance: nobody given; expected at least one person and mark")
    with uow:
        s = uow.session
        g = _lock_group(s, group_id)
        gs = s.scalars(
            select(GroupSession).where(GroupSession.group_id == g.id, GroupSession.number == session_number)
        ).first()
        if gs is None:
            raise NotFound(f"group {group_id}: session {session_number} not held yet")
        marked = _mark(s, g, gs, marks)
        uow.commit()
    return {"group_id": group_id, "session": session_number, "marked": marked}


def _referral_of(session: Session, group_id: int, person: int | str) -> int:
    p = find_person(session, person)
    e = session.scalars(
        select(Enrolment).where(
            Enrolment.group_id == group_id, Enrolment.person_id == p.id, Enrolment.left_on.is_(None)
        )
    ).first()
    if e is None or e.referral_id is None:
        raise NotFound(f"group {group_id}: {p.prison_number} has no current place in this group")
    return e.referral_id


def complete(
    uow: UnitOfWork,
    *,
    group_id: int,
    person: int | str,
    role: Role,
    targets_met: bool,
    on: dt.date | None = None,
    policy: GroupPolicy | None = None,
) -> ReferralView:
    """Complete a member: attendance threshold and treatment targets checked, programme history written."""
    _team_only(role, f"complete in group {group_id}")
    with uow:
        s = uow.session
        _lock_group(s, group_id)
        r = move_in_session(
            s,
            uow.actor,
            _referral_of(s, group_id, person),
            S.PROGRAMME_COMPLETE,
            role,
            targets_met=targets_met,
            on=on,
            policy=policy,
        )
        view = referral_view(s, r)
        uow.commit()
    return view


def deselect(
    uow: UnitOfWork,
    *,
    group_id: int,
    person: int | str,
    role: Role,
    reason: Reason | None,
    to: ReferralStatus = S.DESELECTED,
    on: dt.date | None = None,
) -> ReferralView:
    """Take a man out of a group: DESELECTED closes his referral; ASSESSED_SUITABLE or SUITABLE_NOT_READY
    record a deselection but keep it open (he may join a later group)."""
    _team_only(role, f"deselect from group {group_id}")
    if to not in (S.DESELECTED, S.ASSESSED_SUITABLE, S.SUITABLE_NOT_READY):
        raise InputError(
            f"deselect to: {to.value}; expected DESELECTED, ASSESSED_SUITABLE or SUITABLE_NOT_READY"
        )
    with uow:
        s = uow.session
        _lock_group(s, group_id)
        r = move_in_session(s, uow.actor, _referral_of(s, group_id, person), to, role, reason=reason, on=on)
        view = referral_view(s, r)
        uow.commit()
    return view


def show_group(uow: UnitOfWork, group_id: int) -> GroupView:
    """A group with every member's progress."""
    with uow:
        g = uow.session.get(ProgrammeGroup, group_id)
        if g is None:
            raise NotFound(f"group {group_id}: not found")
        return group_view(uow.session, g)
