"""The web application's read queries: caseload search within an organisation, a man's organisations and
programme history, the group and programme lists (``uow.caseload``).

Organisation scope in SQL mirrors :meth:`desist.domain.access.Principal.sees`: a man belongs to his
establishment, his probation region and the sites of his referrals' offerings; names compare case- and
space-insensitively (stored names are trimmed; the comparison lowers both sides).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from desist.adapters.orm import (
    Attendance,
    Enrolment,
    EvaluationRun,
    GroupSession,
    Offering,
    Person,
    ProgrammeGroup,
    ProgrammeHistory,
    Referral,
)


def _lower(value: str) -> str:
    return " ".join(value.split()).lower()


class CaseloadQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _person_in(self, organisation: str) -> Any:
        org = _lower(organisation)
        by_site = exists(
            select(Referral.id)
            .join(Offering, Offering.id == Referral.offering_id)
            .where(Referral.person_id == Person.id, func.lower(Offering.site) == org)
        )
        return or_(
            func.lower(Person.establishment) == org, func.lower(Person.probation_region) == org, by_site
        )

    def search_people(self, text: str, organisation: str | None, limit: int) -> list[Person]:
        """Men matching ``text`` (case-insensitive), in name order; only those of ``organisation`` unless it
        is None (national access).

        One word finds men whose prison number, PNC number, family name or given name starts with it
        ("A12", "2001/", "smi", "john"); several words find men whose names start with every word, in
        either name ("john smi", "smith j").
        """
        words = text.split()
        if not words:
            return []

        def named(word: str) -> Any:
            low = word.lower()  # autoescape: "%" and "_" are letters to look for, not wildcards
            return or_(
                func.lower(Person.family_name).startswith(low, autoescape=True),
                func.lower(Person.given_name).startswith(low, autoescape=True),
            )

        if len(words) == 1:
            (word,) = words
            up = word.upper()
            match = or_(
                Person.prison_number.startswith(up, autoescape=True),
                func.upper(Person.pnc_number).startswith(up, autoescape=True),
                named(word),
            )
        else:
            match = and_(*(named(w) for w in words))
        q = select(Person).where(match)
        if organisation is not None:
            q = q.where(self._person_in(organisation))
        order = (Person.family_name.is_(None), Person.family_name, Person.given_name, Person.prison_number)
        return list(self.session.scalars(q.order_by(*order).limit(limit)))

    def programme_history(self, person_id: int) -> list[ProgrammeHistory]:
        q = (
            select(ProgrammeHistory)
            .where(ProgrammeHistory.person_id == person_id)
            .order_by(ProgrammeHistory.started_on, ProgrammeHistory.id)
        )
        return list(self.session.scalars(q))

    def referrals_of(self, person_id: int) -> list[Referral]:
        q = select(Referral).where(Referral.person_id == person_id).order_by(Referral.created_at, Referral.id)
        return list(self.session.scalars(q))

    def groups(self, site: str | None) -> list[tuple[ProgrammeGroup, Offering, int]]:
        """Groups with their offering and number of current members, of ``site`` (None: every site)."""
        members = (
            select(func.count(Enrolment.id))
            .where(Enrolment.group_id == ProgrammeGroup.id, Enrolment.left_on.is_(None))
            .scalar_subquery()
        )
        q = select(ProgrammeGroup, Offering, members).join(
            Offering, Offering.id == ProgrammeGroup.offering_id
        )
        if site is not None:
            q = q.where(func.lower(Offering.site) == _lower(site))
        q = q.order_by(Offering.site, Offering.programme_code, ProgrammeGroup.id)
        return [(g, o, int(n or 0)) for g, o, n in self.session.execute(q)]

    def offerings(self, site: str | None) -> list[Offering]:
        q = select(Offering).where(Offering.active.is_(True))
        if site is not None:
            q = q.where(func.lower(Offering.site) == _lower(site))
        return list(self.session.scalars(q.order_by(Offering.programme_code, Offering.site)))

    def evaluated_programmes(self) -> list[tuple[str, int]]:
        """Programme codes with stored evaluation runs, and how many."""
        q = (
            select(EvaluationRun.programme_code, func.count(EvaluationRun.id))
            .group_by(EvaluationRun.programme_code)
            .order_by(EvaluationRun.programme_code)
        )
        return [(code, int(n)) for code, n in self.session.execute(q)]

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

    def referrals(
        self,
        *,
        organisation: str | None,
        status: str | None = None,
        offering_id: int | None = None,
        person_id: int | None = None,
        limit: int = 100,
        after_id: int = 0,
    ) -> list[Referral]:
        """Referrals in id order, filtered; only those whose man or offering belongs to ``organisation``
        (None: every organisation). ``after_id`` pages on (keyset)."""
        q = select(Referral).where(Referral.id > after_id)
        if status is not None:
            q = q.where(Referral.status == status)
        if offering_id is not None:
            q = q.where(Referral.offering_id == offering_id)
        if person_id is not None:
            q = q.where(Referral.person_id == person_id)
        if organisation is not None:
            org = _lower(organisation)
            other, site = aliased(Referral), aliased(Offering)  # his other referrals' sites
            q = (
                q.join(Person, Person.id == Referral.person_id)
                .join(Offering, Offering.id == Referral.offering_id)
                .where(
                    or_(
                        func.lower(Offering.site) == org,
                        func.lower(Person.establishment) == org,
                        func.lower(Person.probation_region) == org,
                        exists(
                            select(other.id)
                            .join(site, site.id == other.offering_id)
                            .where(other.person_id == Person.id, func.lower(site.site) == org)
                        ),
                    )
                )
            )
        rows = list(self.session.scalars(q.order_by(Referral.id).limit(limit)))
        self._preload(rows)
        return rows

    def _preload(self, referrals: list[Referral]) -> None:
        """Load the referrals' men and offerings in two queries, so building their views reads the
        session's identity map instead of one query per row."""
        people = {r.person_id for r in referrals}
        offerings = {r.offering_id for r in referrals}
        kept = self.session.info.setdefault("preloaded", [])  # the identity map holds weak references
        if people:
            kept.extend(self.session.scalars(select(Person).where(Person.id.in_(people))))
        if offerings:
            kept.extend(self.session.scalars(select(Offering).where(Offering.id.in_(offerings))))

    def members(self, group_id: int) -> list[tuple[Enrolment, str]]:
        """Every enrolment of a group in order, with the man's prison number (one query)."""
        q = (
            select(Enrolment, Person.prison_number)
            .join(Person, Person.id == Enrolment.person_id)
            .where(Enrolment.group_id == group_id)
            .order_by(Enrolment.id)
        )
        return [(e, number) for e, number in self.session.execute(q)]
