"""An in-memory unit of work with the repositories the services use, for the fast service tier (no database).

Rows are the ORM classes themselves (declarative classes are plain objects until a session sees them); the
fake applies column defaults and ids on ``add`` as a flush would, counts versions up on flush, and keeps the
rules the database enforces that the services rely on (the one open referral per man and offering, unique
group member, unique prison number). A commit publishes the changes; leaving without one throws them away.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import count
from typing import Any

from sqlalchemy import inspect

from desist.adapters.orm import (
    CLOSED_REFERRAL_STATUSES,
    Assessment,
    Attendance,
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
    ReferralTransfer,
    Sentence,
)
from desist.domain.access import Principal
from desist.domain.errors import Conflict, NotFound
from desist.domain.referrals import OpenReferral, ReferralStatus
from desist.domain.versions import check_version
from tests.principals import caseworker


def _defaults(obj: Any) -> None:
    for attr in inspect(type(obj)).column_attrs:
        column = attr.columns[0]
        if getattr(obj, attr.key, None) is None and column.default is not None:
            arg = column.default.arg
            # a default that reads the database (no connection here) is left unset
            with contextlib.suppress(AttributeError):
                setattr(obj, attr.key, arg(None) if callable(arg) else copy.copy(arg))


class Tables:
    """The committed state: rows per class, and id counters."""

    def __init__(self) -> None:
        self.rows: dict[type, dict[int, Any]] = {}
        self.ids: dict[type, count[int]] = {}

    def table(self, model: type) -> dict[int, Any]:
        return self.rows.setdefault(model, {})


class FakeRepository:
    model: type
    label: str

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    # rows of any class this repository holds
    def _rows(self, model: type | None = None) -> list[Any]:
        return sorted(self.uow.working.table(model or self.model).values(), key=lambda o: o.id)

    def _add(self, obj: Any) -> Any:
        model = type(obj)
        if getattr(obj, "id", None) is None:
            _defaults(obj)
            if hasattr(obj, "version") and obj.version is None:
                obj.version = 1
            self.uow.check_unique(obj)
            obj.id = next(self.uow.working.ids.setdefault(model, count(1)))
            self.uow.new.add((model, obj.id))
            self.uow.working.table(model)[obj.id] = obj
        self.uow.flush()
        return obj

    def add(self, obj: Any) -> Any:
        return self._add(obj)

    def find(self, id_: int) -> Any | None:
        return self.uow.working.table(self.model).get(id_)

    def get(self, id_: int, *, expected_version: int | None = None) -> Any:
        obj = self.find(id_)
        if obj is None:
            raise NotFound(f"{self.label} {id_}: not found")
        check_version(f"{self.label} {id_}", getattr(obj, "version", None), expected_version)
        return obj

    def lock(self, id_: int) -> Any:
        return self.get(id_)  # one thread: nothing to wait for


class FakePeople(FakeRepository):
    model, label = Person, "person"

    def by_prison_number(self, number: str) -> Person | None:
        return next((p for p in self._rows() if p.prison_number == number), None)


class FakeSentences(FakeRepository):
    model, label = Sentence, "sentence"

    def for_person(self, person_id: int) -> list[Sentence]:
        mine = [s for s in self._rows() if s.person_id == person_id]
        return sorted(mine, key=lambda s: (s.start_date, s.id), reverse=True)

    def latest_release_date(self, person_id: int) -> dt.date | None:
        mine = self.for_person(person_id)
        return mine[0].release_date if mine else None


class FakeAssessments(FakeRepository):
    model, label = Assessment, "assessment"

    def newest_first(self, person_id: int, until: dt.date) -> list[Assessment]:
        mine = [a for a in self._rows() if a.person_id == person_id and a.assessed_on <= until]
        return sorted(mine, key=lambda a: (a.assessed_on, a.id), reverse=True)


class FakeOutcomes(FakeRepository):
    model, label = Outcome, "outcome"


class FakeOfferings(FakeRepository):
    model, label = Offering, "offering"


class FakeProgrammeHistory(FakeRepository):
    model, label = ProgrammeHistory, "programme history"


class FakeReferrals(FakeRepository):
    model, label = Referral, "referral"

    def open_for(self, person_id: int, offering_id: int, closed: Iterable[str]) -> Referral | None:
        shut = set(closed)
        return next(
            (
                r
                for r in self._rows()
                if r.person_id == person_id and r.offering_id == offering_id and r.status not in shut
            ),
            None,
        )

    def list(
        self, *, status: str | None = None, offering_id: int | None = None, person_id: int | None = None
    ) -> list[Referral]:
        return [
            r
            for r in self._rows()
            if (status is None or r.status == status)
            and (offering_id is None or r.offering_id == offering_id)
            and (person_id is None or r.person_id == person_id)
        ]

    def sites_of(self, person_id: int) -> list[str]:
        sites = {o.id: o.site for o in self._rows(Offering)}
        return sorted({sites[r.offering_id] for r in self._rows() if r.person_id == person_id})

    def open_referrals_of(self, person_id: int) -> list[OpenReferral]:
        sites = {o.id: o.site for o in self._rows(Offering)}
        return [
            OpenReferral(r.id, ReferralStatus(r.status), r.programme_code, sites.get(r.offering_id, "?"))
            for r in self._rows()
            if r.person_id == person_id and r.status not in CLOSED_REFERRAL_STATUSES
        ]

    def transfer_history(self, referral_id: int) -> list[tuple[Any, ...]]:
        sites = {o.id: o.site for o in self._rows(Offering)}
        return [
            (
                t.transferred_at,
                t.actor,
                t.status,
                t.reason_category,
                f"transferred from offering {t.from_offering_id} ({sites[t.from_offering_id]}) "
                f"to offering {t.to_offering_id} ({sites[t.to_offering_id]})"
                + (f": {t.reason}" if t.reason else ""),
            )
            for t in self._rows(ReferralTransfer)
            if t.referral_id == referral_id
        ]

    def add_transfer(self, transfer: ReferralTransfer) -> ReferralTransfer:
        return self._add(transfer)

    def add_change(self, change: ReferralStatusChange) -> ReferralStatusChange:
        return self._add(change)

    def history(self, referral_id: int) -> list[ReferralStatusChange]:
        return [c for c in self._rows(ReferralStatusChange) if c.referral_id == referral_id]


class FakeGroups(FakeRepository):
    model, label = ProgrammeGroup, "group"

    def _sessions(self, group_id: int) -> list[GroupSession]:
        return [s for s in self._rows(GroupSession) if s.group_id == group_id]

    def sessions_held(self, group_id: int) -> int:
        return len(self._sessions(group_id))

    def last_session_date(self, group_id: int) -> dt.date | None:
        return max((s.held_on for s in self._sessions(group_id)), default=None)

    def session_number(self, group_id: int, number: int) -> GroupSession | None:
        return next((s for s in self._sessions(group_id) if s.number == number), None)

    def add_session(self, gs: GroupSession) -> GroupSession:
        return self._add(gs)

    def enrolments(self, group_id: int, *, open_only: bool = False) -> list[Enrolment]:
        return [
            e
            for e in self._rows(Enrolment)
            if e.group_id == group_id and (not open_only or e.left_on is None)
        ]

    def enrolment_of(self, group_id: int, person_id: int, *, open_only: bool = False) -> Enrolment | None:
        return next(
            (e for e in self.enrolments(group_id, open_only=open_only) if e.person_id == person_id), None
        )

    def open_enrolment_for_referral(self, referral_id: int) -> Enrolment | None:
        return next(
            (e for e in self._rows(Enrolment) if e.referral_id == referral_id and e.left_on is None), None
        )

    def former_members(self, group_id: int) -> set[int]:
        return {e.person_id for e in self.enrolments(group_id) if e.left_on is not None}

    def add_enrolment(self, e: Enrolment) -> Enrolment:
        return self._add(e)

    def attendance(self, session_id: int, enrolment_id: int) -> Attendance | None:
        return next(
            (
                a
                for a in self._rows(Attendance)
                if a.session_id == session_id and a.enrolment_id == enrolment_id
            ),
            None,
        )

    def add_attendance(self, a: Attendance) -> Attendance:
        return self._add(a)

    def sessions_with_marks(self, group_id: int) -> list[tuple[GroupSession, dict[int, str]]]:
        marks = self._rows(Attendance)
        return [
            (s, {a.enrolment_id: a.status for a in marks if a.session_id == s.id})
            for s in sorted(self._sessions(group_id), key=lambda s: s.number)
        ]

    def members(self, group_id: int) -> list[tuple[Enrolment, str]]:
        numbers = {p.id: p.prison_number for p in self._rows(Person)}
        return [(e, numbers[e.person_id]) for e in sorted(self.enrolments(group_id), key=lambda e: e.id)]


class FakeIncentives(FakeRepository):
    model, label = IncentiveLevelChange, "incentive level change"

    def for_person(self, person_id: int) -> list[IncentiveLevelChange]:
        mine = [r for r in self._rows() if r.person_id == person_id]
        return sorted(mine, key=lambda r: (r.effective_on, r.id))

    def latest(self, person_id: int) -> IncentiveLevelChange | None:
        mine = self.for_person(person_id)
        return mine[-1] if mine else None

    def latest_per_person(self) -> list[IncentiveLevelChange]:
        latest: dict[int, IncentiveLevelChange] = {}
        for r in sorted(self._rows(), key=lambda r: (r.effective_on, r.id)):
            latest[r.person_id] = r
        return list(latest.values())


class FakeUnitOfWork:
    """The fake: ``FakeUnitOfWork(actor="x")``; share ``tables`` between several to share one store."""

    def __init__(self, actor: str | Principal = "test", tables: Tables | None = None) -> None:
        # a plain name: a caseworker with every casework role, national (tests of the casework rules)
        self.principal = actor if isinstance(actor, Principal) else caseworker(actor)
        self.actor = self.principal.username
        self.tables = tables or Tables()
        self.committed = False
        self.reading_only = False
        self.people = FakePeople(self)
        self.sentences = FakeSentences(self)
        self.assessments = FakeAssessments(self)
        self.outcomes = FakeOutcomes(self)
        self.offerings = FakeOfferings(self)
        self.referrals = FakeReferrals(self)
        self.groups = FakeGroups(self)
        self.programme_history = FakeProgrammeHistory(self)
        self.incentives = FakeIncentives(self)

    @property
    def working(self) -> Tables:
        return self.tables

    @contextlib.contextmanager
    def reading(self) -> Iterator[FakeUnitOfWork]:
        """As the real one: a read that cannot commit."""
        self.reading_only = True
        try:
            with self:
                yield self
        finally:
            self.reading_only = False

    def __enter__(self) -> FakeUnitOfWork:
        # remember every row's values: leaving without commit() puts them back and drops new rows
        self.snapshot = {(m, i): _values(o) for m, rows in self.tables.rows.items() for i, o in rows.items()}
        self.flushed = dict(self.snapshot)
        self.new: set[tuple[type, int]] = set()
        self.touched: set[tuple[type, int]] = set()
        self.committed = False
        return self

    def flush(self) -> None:
        """What a flush of an UPDATE does to the version column: count it up once per flushed change."""
        for model, rows in self.tables.rows.items():
            for id_, obj in rows.items():
                key = (model, id_)
                if key in self.flushed and hasattr(obj, "version") and _values(obj) != self.flushed[key]:
                    obj.version = (obj.version or 0) + 1
                self.flushed[key] = _values(obj)

    def check_unique(self, obj: Any) -> None:
        """The database rules the services rely on to refuse duplicates."""
        if isinstance(obj, Person) and any(
            p.prison_number == obj.prison_number for p in self.tables.table(Person).values()
        ):
            raise Conflict(
                f"a record with the same person.prison_number already exists ({obj.prison_number})"
            )
        if isinstance(obj, Referral) and any(
            o.programme_code == obj.programme_code for o in self.referrals.open_referrals_of(obj.person_id)
        ):
            raise Conflict("referral breaks rule uq_referral_open_person_programme")

    def commit(self) -> None:
        if self.committed:
            raise RuntimeError("commit() called twice; a unit of work commits once")
        if self.reading_only:
            raise RuntimeError("commit() in reading(): a reading unit of work writes nothing")
        self.flush()
        self.committed = True

    def rollback(self) -> None:
        for model, id_ in self.new:
            self.tables.table(model).pop(id_, None)
        for (model, id_), values in self.snapshot.items():
            obj = self.tables.table(model).get(id_)
            if obj is not None:
                for key, value in values.items():
                    setattr(obj, key, value)
        self.new.clear()

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            self.rollback()


def _values(obj: Any) -> dict[str, Any]:
    return {
        a.key: copy.copy(getattr(obj, a.key)) for a in inspect(type(obj)).column_attrs if a.key != "version"
    }


def factory(actor: str | Principal = "test") -> Any:
    """``make(actor)`` -> a fresh fake unit of work on one shared in-memory store."""
    tables = Tables()
    return lambda who=actor: FakeUnitOfWork(who, tables)
