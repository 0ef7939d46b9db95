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
from dataclasses import dataclass
from typing import Any, Unpack

from desist.adapters.orm import Enrolment, GroupSession, Offering, ProgrammeGroup, Referral
from desist.domain.access import Action
from desist.domain.dates import check_happened
from desist.domain.errors import InputError, NotFound
from desist.domain.groups import (
    GroupKind,
    GroupPolicy,
    WaitingEntry,
    check_can_join,
    check_mixing,
    plan_allocation,
)
from desist.domain.histories import check_not_before
from desist.domain.referrals import Reason, ReferralStatus
from desist.services import scope
from desist.services.group_state import (
    GroupView,
    group_member,
    group_view,
    mark_attendance,
    open_members,
    referral_of,
    sessions_held,
    waiting_entries,
)
from desist.services.referrals import (
    MoveOptions,
    ReferralView,
    apply_transition,
    get_referral,
    move_in_uow,
    referral_view,
)
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

#: sanity limits on a group's size and session plan (real groups: 8-12 men, up to ~90 sessions)
MAX_GROUP_SIZE = 1000
MAX_SESSIONS = 1000

S = ReferralStatus


def create_offering(uow: UnitOfWork, *, programme_code: str, site: str) -> dict[str, Any]:
    """Offer a programme at a site (of the acting user's organisation); the same one twice is a Conflict."""
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
        scope.acting(uow, Action.GROUP_MANAGE, "create offering")
        scope.check_site(uow, place, "create offering")
        o = Offering(programme_code=code, site=place, active=True)
        uow.offerings.add(o)
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
    policy = policy or GroupPolicy()
    # Upper bounds are sanity limits, far above any real group (8-12 men, at most ~90 sessions): without
    # them a mistyped number overflowed the database or built a session plan too big to store.
    if not 1 <= capacity <= MAX_GROUP_SIZE:
        raise InputError(f"capacity: {capacity}; expected 1 to {MAX_GROUP_SIZE:,} places")
    if not 1 <= planned_sessions <= MAX_SESSIONS:
        raise InputError(f"planned sessions: {planned_sessions}; expected 1 to {MAX_SESSIONS:,}")
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
        scope.offering_for(uow, offering_id, Action.GROUP_MANAGE, "create group")  # NotFound if unknown
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
        uow.groups.add(g)
        view = group_view(uow, g)
        uow.commit()
    return view


def _enrol(uow: UnitOfWork, g: ProgrammeGroup, r: Referral, on: dt.date, policy: GroupPolicy) -> Enrolment:
    """Place one man (group already locked): joining rules, mixing rules, enrolment, referral ON_PROGRAMME."""
    where = f"group {g.id}"
    if r.offering_id != g.offering_id:
        raise InputError(
            f"referral {r.id}: is for offering {r.offering_id}, group {g.id} runs offering {g.offering_id}"
        )
    if r.status != S.ASSESSED_SUITABLE.value:
        raise InputError(f"referral {r.id}: is {r.status}; expected ASSESSED_SUITABLE to join a group")
    if r.person_id in uow.groups.former_members(g.id):
        raise InputError(
            f"referral {r.id}: he had a place in group {g.id} and left it; expected another group"
        )
    check_not_before(on, r.created_at.date(), "joining date", f"referral {r.id} was made")
    members = open_members(uow, g.id)
    held = sessions_held(uow, g.id)
    check_can_join(GroupKind(g.kind), g.capacity, len(members), held, g.last_joining_session, where)
    check_mixing(group_member(uow, r, on), [group_member(uow, m, on) for m in members], policy, where)
    apply_transition(uow, r, S.ON_PROGRAMME, note=f"joined group {g.id} at session {held + 1}")
    e = Enrolment(
        group_id=g.id, person_id=r.person_id, referral_id=r.id, joined_on=on, joined_session=held + 1
    )
    uow.groups.add_enrolment(e)
    return e


def enrol(
    uow: UnitOfWork,
    *,
    group_id: int,
    referral_id: int,
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
    with uow:
        g = scope.group_for(uow, group_id, Action.GROUP_MANAGE, f"enrol in group {group_id}", lock=True)
        _enrol(uow, g, get_referral(uow, referral_id), on or dt.date.today(), policy or GroupPolicy())
        view = group_view(uow, g)
        uow.commit()
    return view


def waiting_list(uow: UnitOfWork, offering_id: int, on: dt.date | None = None) -> list[WaitingEntry]:
    """Men assessed suitable for an offering and not in a group, in priority order (see ``priority_key``)."""
    with uow:
        scope.offering_for(uow, offering_id, Action.GROUP_READ, f"waiting list of offering {offering_id}")
        return waiting_entries(uow, offering_id, on or dt.date.today())


@dataclass(frozen=True)
class AllocationResult:
    group: GroupView
    enrolled_referrals: tuple[int, ...]
    passed_over: tuple[tuple[int, str], ...]


def allocate(
    uow: UnitOfWork,
    *,
    group_id: int,
    on: dt.date | None = None,
    policy: GroupPolicy | None = None,
) -> AllocationResult:
    """Fill free places from the offering's waiting list, in priority order, within the mixing rules."""
    policy = policy or GroupPolicy()
    on = on or dt.date.today()
    with uow:
        g = scope.group_for(uow, group_id, Action.GROUP_MANAGE, f"allocate to group {group_id}", lock=True)
        members = open_members(uow, g.id)
        # closed to joiners / already full: say so rather than silently allocating nobody
        check_can_join(
            GroupKind(g.kind),
            g.capacity,
            len(members),
            sessions_held(uow, g.id),
            g.last_joining_session,
            f"group {g.id}",
        )
        plan = plan_allocation(
            waiting_entries(uow, g.offering_id, on),
            [group_member(uow, m, on) for m in members],
            g.capacity - len(members),
            policy,
            former_members=uow.groups.former_members(g.id),
        )
        for entry in plan.chosen:
            _enrol(uow, g, get_referral(uow, entry.referral_id), on, policy)
        result = AllocationResult(
            group_view(uow, g),
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
    topic: str | None = None,
    attendance: Mapping[Any, str] | None = None,
) -> dict[str, Any]:
    """Record the group's next session (numbered in order) and, optionally, who attended it."""
    check_happened(held_on, "session date")
    with uow:
        what = f"record a session of group {group_id}"
        g = scope.group_for(uow, group_id, Action.GROUP_MANAGE, what, lock=True)
        held = sessions_held(uow, g.id)
        last = uow.groups.last_session_date(g.id)
        if last is not None and held_on < last:
            raise InputError(
                f"session date: {held_on.isoformat()} is before the last session ({last.isoformat()})"
            )
        if g.kind == GroupKind.CLOSED.value and held >= len(g.session_plan or []):
            raise InputError(
                f"group {g.id}: all {held} planned sessions of this closed group are already held"
            )
        gs = GroupSession(group_id=g.id, number=held + 1, held_on=held_on, topic=topic)
        uow.groups.add_session(gs)
        if g.start_date is None:
            g.start_date = held_on
        if g.kind == GroupKind.CLOSED.value and gs.number == len(g.session_plan or []):
            g.end_date = held_on  # a closed group ends with its last planned session
        uow.groups.add(g)  # flush the dates
        marked = mark_attendance(uow, g, gs, attendance or {})
        out = {"group_id": g.id, "session": gs.number, "held_on": held_on, "marked": marked}
        uow.commit()
    return out


def record_attendance(
    uow: UnitOfWork, *, group_id: int, session_number: int, marks: Mapping[Any, str]
) -> dict[str, Any]:
    """Mark attendance at a held session: ``{person (id or prison number): attended|absent|excused}``."""
    if not marks:
        raise InputError("attendance: nobody given; expected at least one person and mark")
    with uow:
        what = f"record attendance in group {group_id}"
        g = scope.group_for(uow, group_id, Action.GROUP_MANAGE, what, lock=True)
        gs = uow.groups.session_number(g.id, session_number)
        if gs is None:
            raise NotFound(f"group {group_id}: session {session_number} not held yet")
        marked = mark_attendance(uow, g, gs, marks)
        uow.commit()
    return {"group_id": group_id, "session": session_number, "marked": marked}


def complete(
    uow: UnitOfWork,
    *,
    group_id: int,
    person: int | str,
    targets_met: bool,
    on: dt.date | None = None,
    policy: GroupPolicy | None = None,
) -> ReferralView:
    """Complete a member: attendance threshold and treatment targets checked, programme history written."""
    return _move_member(
        uow,
        group_id,
        person,
        f"complete in group {group_id}",
        S.PROGRAMME_COMPLETE,
        targets_met=targets_met,
        on=on,
        policy=policy,
    )


def deselect(
    uow: UnitOfWork,
    *,
    group_id: int,
    person: int | str,
    reason: Reason | None,
    to: ReferralStatus = S.DESELECTED,
    on: dt.date | None = None,
) -> ReferralView:
    """Take a man out of a group: DESELECTED closes his referral; ASSESSED_SUITABLE or SUITABLE_NOT_READY
    record a deselection but keep it open (he may join a later group)."""
    if to not in (S.DESELECTED, S.ASSESSED_SUITABLE, S.SUITABLE_NOT_READY):
        raise InputError(
            f"deselect to: {to.value}; expected DESELECTED, ASSESSED_SUITABLE or SUITABLE_NOT_READY"
        )
    return _move_member(uow, group_id, person, f"deselect from group {group_id}", to, reason=reason, on=on)


def _move_member(
    uow: UnitOfWork,
    group_id: int,
    person: int | str,
    what: str,
    target: ReferralStatus,
    **options: Unpack[MoveOptions],
) -> ReferralView:
    """Move the referral of a member of the group (locked first) to ``target``, as :func:`complete` and
    :func:`deselect` do."""
    with uow:
        scope.group_for(uow, group_id, Action.GROUP_MANAGE, what, lock=True)
        r = move_in_uow(uow, referral_of(uow, group_id, person), target, **options)
        view = referral_view(uow, r)
        uow.commit()
    return view


def show_group(uow: UnitOfWork, group_id: int) -> GroupView:
    """A group with every member's progress."""
    with uow:
        return group_view(uow, scope.group_for(uow, group_id, Action.GROUP_READ, f"show group {group_id}"))
