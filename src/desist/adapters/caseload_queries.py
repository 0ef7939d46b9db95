"""The web application's read queries: caseload search within an organisation, a man's programme history,
referrals and offerings, the group and programme lists (``uow.caseload``).

Organisation scope in SQL mirrors :meth:`desist.domain.access.Principal.sees`: a man belongs to his
establishment, his probation region and the sites of his referrals' offerings; names compare case- and
space-insensitively (stored names are trimmed; the comparison lowers both sides).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from desist.adapters.orm import (
    Enrolment,
    EvaluationRun,
    Offering,
    Person,
    ProgrammeGroup,
    ProgrammeHistory,
    Referral,
)

#: a referral as its list shows it (the fields of ``ReferralView`` but its history), in that order
REFERRAL_ROW = (
    Referral.id,
    Referral.person_id,
    Person.prison_number,
    Referral.offering_id,
    Offering.programme_code,
    Offering.site,
    Referral.status,
    Referral.referrer,
    Referral.version,
    Referral.created_at,
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

    def referrals(
        self,
        *,
        organisation: str | None,
        status: str | None = None,
        offering_id: int | None = None,
        person_id: int | None = None,
        limit: int = 100,
        after_id: int = 0,
    ) -> list[Any]:
        """Referrals in id order, filtered; only those whose man or offering belongs to ``organisation``
        (None: every organisation). ``after_id`` pages on (keyset). One query, plain rows (no ORM objects):
        ``(id, person_id, prison_number, offering_id, programme_code, site, status, referrer, version,
        created_at)``, the fields of a referral's view without its history."""
        q = (
            select(*REFERRAL_ROW)
            .join(Person, Person.id == Referral.person_id)
            .join(Offering, Offering.id == Referral.offering_id)
            .where(Referral.id > after_id)
        )
        if status is not None:
            q = q.where(Referral.status == status)
        if offering_id is not None:
            q = q.where(Referral.offering_id == offering_id)
        if person_id is not None:
            q = q.where(Referral.person_id == person_id)
        if organisation is not None:
            org = _lower(organisation)
            other, site = aliased(Referral), aliased(Offering)  # his other referrals' sites
            q = q.where(
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
        return list(self.session.execute(q.order_by(Referral.id).limit(limit)))

