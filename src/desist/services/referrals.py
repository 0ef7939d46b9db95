"""Referral use cases: create (no duplicates), move through the state machine with history, show and list.

Each use case opens the unit of work, checks the pure rules in :mod:`desist.domain.referrals`, writes, and
commits once; the unit of work records every row it writes in the audit log. Concurrent changes to one
referral are caught by its version column (optimistic locking): the second writer gets :class:`Conflict`.
A caller that showed the referral to a person passes ``expected_version`` so a change made by someone else
in between is refused too, even when the two changes do not overlap in time.

Leaving ON_PROGRAMME (completion or a deselection) also closes the man's enrolment and writes his
programme history; completion first checks attendance and treatment targets (:mod:`desist.domain.groups`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, TypedDict, Unpack

from desist.adapters.orm import Enrolment, ProgrammeHistory, Referral, ReferralStatusChange
from desist.domain.access import Action
from desist.domain.dates import check_happened
from desist.domain.errors import Conflict, InputError, NotFound
from desist.domain.groups import GroupPolicy, Progress, check_completion
from desist.domain.histories import check_not_before
from desist.domain.referrals import (
    Reason,
    ReferralStatus,
    Role,
    Transition,
    check_no_open_referral,
    check_transition,
)
from desist.domain.versions import check_version
from desist.services.group_state import member_progress
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

S = ReferralStatus


@dataclass(frozen=True)
class StatusChangeView:
    at: dt.datetime
    actor: str
    from_status: str | None
    to_status: str
    reason_category: str | None
    reason: str | None


@dataclass(frozen=True)
class ReferralView:
    id: int
    person_id: int
    prison_number: str
    offering_id: int
    programme_code: str
    site: str
    status: str
    referrer: str
    version: int
    created_at: dt.datetime
    history: tuple[StatusChangeView, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def referral_view(uow: UnitOfWork, r: Referral, with_history: bool = True) -> ReferralView:
    person = uow.people.get(r.person_id)  # foreign keys guarantee both
    offering = uow.offerings.get(r.offering_id)
    history: tuple[StatusChangeView, ...] = ()
    if with_history:
        rows = uow.referrals.history(r.id)
        changes = [
            StatusChangeView(c.changed_at, c.actor, c.from_status, c.to_status, c.reason_category, c.reason)
            for c in rows
        ]
        # a transfer keeps the status; shown in the history as a change from that status to itself
        changes += [
            StatusChangeView(at, actor, status, status, category, text)
            for at, actor, status, category, text in uow.referrals.transfer_history(r.id)
        ]
        history = tuple(sorted(changes, key=lambda c: _utc(c.at)))
    return ReferralView(
        r.id,
        r.person_id,
        person.prison_number,
        r.offering_id,
        offering.programme_code,
        offering.site,
        r.status,
        r.referrer,
        r.version,
        r.created_at,
        history,
    )


def _utc(at: dt.datetime) -> dt.datetime:
    # stored times read back as aware UTC (orm.UtcDateTime); a naive one is UTC too
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def get_referral(uow: UnitOfWork, referral_id: int) -> Referral:
    return uow.referrals.get(referral_id)  # type: ignore[no-any-return]


def create_referral(
    uow: UnitOfWork,
    *,
    person: int | str,
    offering_id: int,
    referred_on: dt.date | None = None,
) -> ReferralView:
    """Start a referral (REFERRAL_STARTED) of a man to an offering; the acting user is the referrer.

    ``referred_on`` records a referral made on an earlier day (casework entered after the fact); by default
    it is made now. Nothing in the group (joining, sessions, completion) may be dated before it.

    Raises
    ------
    Conflict
        The man already has an open referral for this programme, at any site (also enforced by a partial
        unique index, so two simultaneous duplicates cannot both commit).
    """
    if referred_on is not None:
        check_happened(referred_on, "referral date")
    from desist.services.scope import person_for

    with uow:
        p = person_for(uow, person, Action.REFERRAL_CREATE, f"refer person {person}")
        role = _starting_role(uow)
        if referred_on is not None:
            check_not_before(referred_on, p.date_of_birth, "referral date", "his date of birth")
        offering = uow.offerings.get(offering_id)
        if not offering.active:
            raise InputError(
                f"offering {offering_id} ({offering.programme_code} at {offering.site}): not active"
            )
        check_no_open_referral(
            uow.referrals.open_referrals_of(p.id), offering.programme_code, f"person {p.prison_number}"
        )
        r = Referral(
            person_id=p.id,
            offering_id=offering_id,
            programme_code=offering.programme_code,
            status=S.REFERRAL_STARTED.value,
            referrer=uow.actor,
        )
        if referred_on is not None:
            r.created_at = dt.datetime.combine(referred_on, dt.time(), tzinfo=dt.UTC)
        number, code = p.prison_number, offering.programme_code  # after a failed flush nothing loads
        try:
            uow.referrals.add(r)
        except Conflict:  # another open referral committed since the check above (unique index)
            raise Conflict(
                f"person {number}: already has an open referral for {code} (created a moment ago); "
                "a second open referral for one programme is a duplicate"
            ) from None
        uow.referrals.add_change(
            ReferralStatusChange(
                referral_id=r.id,
                actor=f"{uow.actor} ({role.value})",
                from_status=None,
                to_status=S.REFERRAL_STARTED.value,
            )
        )
        view = referral_view(uow, r)
        uow.commit()
    return view


def _starting_role(uow: UnitOfWork) -> Role:
    """The referral-machine role a new referral is started in: the referrer's, if the user holds it."""
    from desist.domain.access import StaffRole

    return Role.REFERRER if StaffRole.REFERRER in uow.principal.roles else Role.PROGRAMME_TEAM


def _machine_role(uow: UnitOfWork, source: ReferralStatus, target: ReferralStatus) -> Role:
    """The role the acting user moves ``source -> target`` in; when none of theirs may, the role the state
    machine then refuses with its own words (``referrer may not move ...``, or no such move at all)."""
    from desist.domain.access import policy
    from desist.domain.errors import Forbidden

    principal = uow.principal
    try:
        return principal.referral_role(source, target)
    except Forbidden:
        mapped = {policy().referral_roles[r] for r in principal.roles if r in policy().referral_roles}
        if not mapped:
            raise
        return Role.PROGRAMME_TEAM if Role.PROGRAMME_TEAM in mapped else Role.REFERRER


def apply_transition(
    uow: UnitOfWork,
    referral: Referral,
    target: ReferralStatus,
    reason: Reason | None = None,
    *,
    assessment_confirmed: bool = False,
    programme_history_reviewed: bool = False,
    note: str | None = None,
) -> Transition:
    """Check and apply one move inside an open transaction: update status, append to its history.

    The move is made in the referral-machine role the acting user holds for it
    (:meth:`desist.domain.access.Principal.referral_role`); the history names the user and that role.
    """
    role = _machine_role(uow, S(referral.status), target)
    actor = uow.actor
    t = check_transition(
        S(referral.status),
        target,
        role,
        reason,
        assessment_confirmed=assessment_confirmed,
        programme_history_reviewed=programme_history_reviewed,
        where=f"referral {referral.id}",
    )
    referral.status = target.value
    text = reason.text if reason else note
    uow.referrals.add_change(
        ReferralStatusChange(
            referral_id=referral.id,
            actor=f"{actor} ({role.value})",
            from_status=t.source.value,
            to_status=target.value,
            reason_category=reason.category.value if reason else None,
            reason=text,
        )
    )
    return t


def open_enrolment(uow: UnitOfWork, referral: Referral) -> Enrolment | None:
    """The man's current place in a group for this referral (joined, not yet left)."""
    return uow.groups.open_enrolment_for_referral(referral.id)  # type: ignore[no-any-return]


def enrolment_progress(uow: UnitOfWork, enrolment: Enrolment, targets_met: bool) -> Progress:
    """Sessions planned, held since he joined, and attended, for one member (rolling: his own stage)."""
    group = uow.groups.get(enrolment.group_id)
    held = uow.groups.sessions_with_marks(group.id)
    return member_progress(enrolment, held, len(group.session_plan or []), targets_met)


def _leave_programme(
    uow: UnitOfWork,
    referral: Referral,
    t: Transition,
    on: dt.date,
    targets_met: bool | None,
    policy: GroupPolicy,
) -> None:
    """Close the enrolment and write programme history for a completion or deselection."""
    enrolment = open_enrolment(uow, referral)
    if enrolment is None:
        raise NotFound(f"referral {referral.id}: ON_PROGRAMME but no open group place found")
    if t.is_completion:
        progress = enrolment_progress(uow, enrolment, bool(targets_met))
        check_completion(progress, policy, where=f"referral {referral.id}")
    check_not_before(
        on, referral.created_at.date(), "date of leaving the programme", f"referral {referral.id} was made"
    )
    if on < enrolment.joined_on:
        raise InputError(
            f"date: {on.isoformat()} is before he joined the group on {enrolment.joined_on.isoformat()}"
        )
    enrolment.left_on = on
    enrolment.completed = t.is_completion
    enrolment.targets_met = bool(targets_met) if t.is_completion else targets_met
    offering = uow.offerings.get(referral.offering_id)
    uow.programme_history.add(
        ProgrammeHistory(
            person_id=referral.person_id,
            programme_code=offering.programme_code,
            started_on=enrolment.joined_on,
            ended_on=on,
            result="completed" if t.is_completion else "incomplete",
            targets_met=enrolment.targets_met,
            source="desist",
            referral_id=referral.id,
        )
    )


class MoveOptions(TypedDict, total=False):
    """The optional keywords of a move, shared by :func:`move_referral` and :func:`move_in_uow`."""

    reason: Reason | None
    expected_version: int | None
    assessment_confirmed: bool
    programme_history_reviewed: bool
    targets_met: bool | None
    on: dt.date | None
    policy: GroupPolicy | None


def move_referral(
    uow: UnitOfWork,
    referral_id: int,
    target: ReferralStatus,
    **options: Unpack[MoveOptions],
) -> ReferralView:
    """Move a referral to ``target`` and record who, when, from, to and why.

    Parameters
    ----------
    reason : Reason, optional
        Why (required by the state machine for some moves).
    expected_version : int, optional
        The version the caller last saw; if the referral changed since, :class:`Conflict`.
    assessment_confirmed, programme_history_reviewed : bool
        The referrer's confirmations, needed to submit.
    targets_met : bool, optional
        For completion (needed) and deselection (recorded if given).
    on : date, optional
        The day a completion or deselection takes effect (default today).
    policy : GroupPolicy, optional
        The completion rules (attendance, targets); the default policy when not given.

    Raises
    ------
    InvalidTransition, Forbidden, InputError
        From the state machine; and moving to ON_PROGRAMME here (use group enrolment).
    Conflict
        Someone else changed the referral first.
    """
    with uow:
        r = move_in_uow(uow, referral_id, target, **options)
        view = referral_view(uow, r)
        uow.commit()
    return view


def move_in_uow(
    uow: UnitOfWork,
    referral_id: int,
    target: ReferralStatus,
    *,
    reason: Reason | None = None,
    expected_version: int | None = None,
    assessment_confirmed: bool = False,
    programme_history_reviewed: bool = False,
    targets_met: bool | None = None,
    on: dt.date | None = None,
    policy: GroupPolicy | None = None,
) -> Referral:
    """The body of :func:`move_referral` inside a transaction the caller owns (for group use cases)."""
    if on is not None:
        check_happened(on, "date of leaving the programme")
    if target is S.ON_PROGRAMME:
        raise InputError(
            f"referral {referral_id}: ON_PROGRAMME is set by enrolling him in a group; "
            "expected `desist group enrol` (or allocate)"
        )
    from desist.services.scope import referral_for

    r = referral_for(uow, referral_id, Action.REFERRAL_MOVE, f"move referral {referral_id}")
    check_version(f"referral {referral_id}", r.version, expected_version)
    note = None
    if target is S.REFERRAL_SUBMITTED and r.status == S.REFERRAL_STARTED.value:
        note = "submitted: assessment confirmed; programme history reviewed"
    t = apply_transition(
        uow,
        r,
        target,
        reason,
        assessment_confirmed=assessment_confirmed,
        programme_history_reviewed=programme_history_reviewed,
        note=note,
    )
    if t.writes_programme_history:
        _leave_programme(uow, r, t, on or dt.date.today(), targets_met, policy or GroupPolicy())
    uow.referrals.add(r)  # flush: the version moves on now
    return r


def show_referral(uow: UnitOfWork, referral_id: int) -> ReferralView:
    """A referral with its full status history."""
    from desist.services.scope import referral_for

    with uow:
        r = referral_for(uow, referral_id, Action.PERSON_READ, f"show referral {referral_id}")
        return referral_view(uow, r)


def list_referrals(
    uow: UnitOfWork,
    *,
    status: ReferralStatus | None = None,
    offering_id: int | None = None,
    person: int | str | None = None,
) -> list[ReferralView]:
    """Referrals the acting user may see, oldest first, optionally filtered by status, offering or person."""
    from desist.services.scope import acting, person_for, sees_person

    with uow:
        acting(uow, Action.PERSON_READ, "list referrals")
        rows = uow.referrals.list(
            status=status.value if status is not None else None,
            offering_id=offering_id,
            person_id=person_for(uow, person, Action.PERSON_READ, "list referrals").id
            if person is not None else None,
        )
        seen: dict[int, bool] = {}
        out = []
        for r in rows:
            if r.person_id not in seen:
                seen[r.person_id] = sees_person(uow, uow.people.get(r.person_id))
            if seen[r.person_id]:
                out.append(referral_view(uow, r, with_history=False))
        return out
