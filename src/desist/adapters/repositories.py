"""Repositories: every query the casework services make, one class per aggregate, on the unit of work.

The services reach the store only through these (``uow.people``, ``uow.referrals``, ``uow.groups``...), so
they import no SQLAlchemy and run unchanged on the in-memory fakes of the fast test tier
(``tests/unit/services/fakes.py``, which implements the same methods). The generic lookup, the one row-lock
helper and the optimistic-version check are in :mod:`desist.adapters.repository`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desist.adapters import repository
from desist.adapters.orm import (
    Assessment,
    Attendance,
    Base,
    Enrolment,
    GroupSession,
    IncentiveLevelChange,
    Offering,
    Outcome,
    Person,
    ProgrammeGroup,
    ProgrammeHistory,
    Referral,
    ReferralStatusChange,
    Sentence,
)
from desist.domain.errors import Conflict

M = TypeVar("M", bound=Base)


class SqlRepository(Generic[M]):
    """Add, find, get (or :class:`NotFound`) and lock rows of one table."""

    model: type[M]
    label: str

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, obj: M) -> M:
        """Stage ``obj`` and flush it (ids assigned); a database rule it breaks is a :class:`Conflict`."""
        return _add(self.session, obj)

    def find(self, id_: int) -> M | None:
        # an id beyond the 32-bit id column cannot exist (and PostgreSQL would refuse to compare with it)
        return self.session.get(self.model, id_) if 0 <= id_ < 2**31 else None

    def get(self, id_: int, *, expected_version: int | None = None) -> M:
        """The row, or :class:`NotFound` ("<label> <id>: not found"); version checked when given."""
        return repository.get(
            self.session, self.model, id_, expected_version=expected_version, label=self.label
        )

    def lock(self, id_: int) -> M:
        """The row, re-read and write-locked until commit (see :func:`desist.adapters.repository.lock`)."""
        return repository.lock(self.session, self.model, id_, label=self.label)


def _add(session: Session, obj: Any, *, flush: bool = True) -> Any:
    from desist.adapters.unit_of_work import to_domain_error

    session.add(obj)
    if not flush:  # written with the next flush or the commit (a record nobody reads back at once)
        return obj
    try:
        session.flush()
    except IntegrityError as exc:  # the unit of work rolls the transaction back
        raise to_domain_error(exc) or Conflict(str(exc)) from exc
    return obj


class PersonRepository(SqlRepository[Person]):
    model, label = Person, "person"

    def by_prison_number(self, number: str) -> Person | None:
        return self.session.scalars(select(Person).where(Person.prison_number == number)).first()


class SentenceRepository(SqlRepository[Sentence]):
    model, label = Sentence, "sentence"
    # the person page's statements are built once: building one costs about as much as running it
    _of_person = (
        select(Sentence)
        .where(Sentence.person_id == bindparam("person_id"))
        .order_by(Sentence.start_date.desc(), Sentence.id.desc())
    )

    def for_person(self, person_id: int) -> list[Sentence]:
        """His sentences, newest start first."""
        return list(self.session.scalars(self._of_person, {"person_id": person_id}))

    def latest_release_date(self, person_id: int) -> dt.date | None:
        """Release date of his most recent sentence (None when none is recorded)."""
        return self.session.scalars(
            select(Sentence.release_date)
            .where(Sentence.person_id == person_id)
            .order_by(Sentence.start_date.desc(), Sentence.id.desc())
            .limit(1)
        ).first()


class AssessmentRepository(SqlRepository[Assessment]):
    model, label = Assessment, "assessment"

    _of_person = (
        select(Assessment)
        .where(Assessment.person_id == bindparam("person_id"), Assessment.assessed_on <= bindparam("until"))
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
    )

    def newest_first(self, person_id: int, until: dt.date) -> list[Assessment]:
        """His assessments on or before ``until``, newest first."""
        return list(self.session.scalars(self._of_person, {"person_id": person_id, "until": until}))


class OutcomeRepository(SqlRepository[Outcome]):
    model, label = Outcome, "outcome"


class OfferingRepository(SqlRepository[Offering]):
    model, label = Offering, "offering"


class ProgrammeHistoryRepository(SqlRepository[ProgrammeHistory]):
    model, label = ProgrammeHistory, "programme history"

    def add(self, obj: ProgrammeHistory) -> ProgrammeHistory:
        return _add(self.session, obj, flush=False)


class ReferralRepository(SqlRepository[Referral]):
    model, label = Referral, "referral"

    def open_for(self, person_id: int, offering_id: int, closed: Iterable[str]) -> Referral | None:
        """His referral to the offering whose status is not one of ``closed``, if any."""
        return self.session.scalars(
            select(Referral).where(
                Referral.person_id == person_id,
                Referral.offering_id == offering_id,
                Referral.status.not_in(list(closed)),
            )
        ).first()

    def list(
        self, *, status: str | None = None, offering_id: int | None = None, person_id: int | None = None
    ) -> list[Referral]:
        """Referrals, oldest first, optionally filtered."""
        q = select(Referral).order_by(Referral.id)
        if status is not None:
            q = q.where(Referral.status == status)
        if offering_id is not None:
            q = q.where(Referral.offering_id == offering_id)
        if person_id is not None:
            q = q.where(Referral.person_id == person_id)
        return list(self.session.scalars(q))

    _sites_of = (
        select(Offering.site)
        .join(Referral, Referral.offering_id == Offering.id)
        .where(Referral.person_id == bindparam("person_id"))
        .distinct()
    )

    def sites_of(self, person_id: int) -> list[str]:
        """The sites of the offerings his referrals are for (any status): part of whose records he is."""
        return list(self.session.scalars(self._sites_of, {"person_id": person_id}))

    def open_referrals_of(self, person_id: int) -> list[Any]:
        """His open referrals, every programme and site, oldest first (``domain.referrals.OpenReferral``)."""
        return repository.open_referrals_of(self.session, person_id)

    def transfer_history(self, referral_id: int) -> list[tuple[Any, ...]]:
        """Its transfers, oldest first: (at, actor, status, reason category, text naming both sites)."""
        return repository.transfer_history(self.session, referral_id)

    def add_transfer(self, transfer: Any) -> Any:
        """Record a move to another offering (``orm.ReferralTransfer``)."""
        return _add(self.session, transfer)

    def add_change(self, change: ReferralStatusChange) -> ReferralStatusChange:
        # not flushed now: a stale referral then fails at commit, where callers expect the Conflict
        return _add(self.session, change, flush=False)

    _history = (
        select(ReferralStatusChange)
        .where(ReferralStatusChange.referral_id == bindparam("referral_id"))
        .order_by(ReferralStatusChange.id)
    )

    def history(self, referral_id: int) -> list[ReferralStatusChange]:
        """Its status changes, in order."""
        return list(self.session.scalars(self._history, {"referral_id": referral_id}))


class GroupRepository(SqlRepository[ProgrammeGroup]):
    """Groups with their sessions, enrolments and attendance (one aggregate: a group's capacity and
    attendance rules span them, and the group row's lock serialises changes to all of them)."""

    model, label = ProgrammeGroup, "group"

    def sessions_held(self, group_id: int) -> int:
        stmt = select(func.count()).select_from(GroupSession).where(GroupSession.group_id == group_id)
        return int(self.session.scalar(stmt) or 0)

    def last_session_date(self, group_id: int) -> dt.date | None:
        return self.session.scalar(
            select(func.max(GroupSession.held_on)).where(GroupSession.group_id == group_id)
        )

    def session_number(self, group_id: int, number: int) -> GroupSession | None:
        return self.session.scalars(
            select(GroupSession).where(GroupSession.group_id == group_id, GroupSession.number == number)
        ).first()

    def add_session(self, gs: GroupSession) -> GroupSession:
        return _add(self.session, gs)

    def enrolments(self, group_id: int, *, open_only: bool = False) -> list[Enrolment]:
        """Its enrolments in order (``open_only``: members who have not left)."""
        q = select(Enrolment).where(Enrolment.group_id == group_id).order_by(Enrolment.id)
        if open_only:
            q = q.where(Enrolment.left_on.is_(None))
        return list(self.session.scalars(q))

    def enrolment_of(self, group_id: int, person_id: int, *, open_only: bool = False) -> Enrolment | None:
        q = select(Enrolment).where(Enrolment.group_id == group_id, Enrolment.person_id == person_id)
        if open_only:
            q = q.where(Enrolment.left_on.is_(None))
        return self.session.scalars(q).first()

    def open_enrolment_for_referral(self, referral_id: int) -> Enrolment | None:
        """The place held for this referral (joined, not yet left)."""
        return self.session.scalars(
            select(Enrolment).where(Enrolment.referral_id == referral_id, Enrolment.left_on.is_(None))
        ).first()

    def former_members(self, group_id: int) -> set[int]:
        """Person ids of men who had a place in this group and left it."""
        return repository.former_members(self.session, group_id)

    def add_enrolment(self, e: Enrolment) -> Enrolment:
        return _add(self.session, e)

    def attendance(self, session_id: int, enrolment_id: int) -> Attendance | None:
        return self.session.scalars(
            select(Attendance).where(
                Attendance.session_id == session_id, Attendance.enrolment_id == enrolment_id
            )
        ).first()

    def add_attendance(self, a: Attendance) -> Attendance:
        return _add(self.session, a)

    def sessions_with_marks(self, group_id: int) -> list[tuple[GroupSession, dict[int, str]]]:
        """A group's held sessions in order, each with its attendance marks by enrolment id (two queries)."""
        sessions = list(
            self.session.scalars(
                select(GroupSession).where(GroupSession.group_id == group_id).order_by(GroupSession.number)
            )
        )
        marks: dict[int, dict[int, str]] = {s.id: {} for s in sessions}
        if sessions:
            q = select(Attendance).where(Attendance.session_id.in_(list(marks)))
            for a in self.session.scalars(q):
                marks[a.session_id][a.enrolment_id] = a.status
        return [(s, marks[s.id]) for s in sessions]

    def members(self, group_id: int) -> list[tuple[Enrolment, str]]:
        """Every enrolment of a group in order, with the man's prison number (one query)."""
        q = (
            select(Enrolment, Person.prison_number)
            .join(Person, Person.id == Enrolment.person_id)
            .where(Enrolment.group_id == group_id)
            .order_by(Enrolment.id)
        )
        return [(e, number) for e, number in self.session.execute(q)]


class IncentiveRepository(SqlRepository[IncentiveLevelChange]):
    model, label = IncentiveLevelChange, "incentive level change"

    def add(self, obj: IncentiveLevelChange) -> IncentiveLevelChange:
        return _add(self.session, obj, flush=False)  # many in one review: written together at commit

    _of_person = (
        select(IncentiveLevelChange)
        .where(IncentiveLevelChange.person_id == bindparam("person_id"))
        .order_by(IncentiveLevelChange.effective_on, IncentiveLevelChange.id)
    )

    def for_person(self, person_id: int) -> list[IncentiveLevelChange]:
        """His level changes in the order they took effect."""
        return list(self.session.scalars(self._of_person, {"person_id": person_id}))

    def latest(self, person_id: int) -> IncentiveLevelChange | None:
        return self.session.scalars(
            select(IncentiveLevelChange)
            .where(IncentiveLevelChange.person_id == person_id)
            .order_by(IncentiveLevelChange.effective_on.desc(), IncentiveLevelChange.id.desc())
            .limit(1)
        ).first()

    def latest_per_person(self) -> list[IncentiveLevelChange]:
        """Everyone's latest change (walks all changes in order and keeps the last: portable, no window
        functions)."""
        latest: dict[int, IncentiveLevelChange] = {}
        for r in self.session.scalars(
            select(IncentiveLevelChange).order_by(IncentiveLevelChange.effective_on, IncentiveLevelChange.id)
        ):
            latest[r.person_id] = r
        return list(latest.values())
