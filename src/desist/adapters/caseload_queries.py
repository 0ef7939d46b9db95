"""The web application's read queries: caseload search within an organisation, a man's programme history,
referrals and offerings, the group and programme lists (``uow.caseload``).

Organisation scope in SQL mirrors :meth:`desist.domain.access.Principal.sees`: a man belongs to his
establishment, his probation region and the sites of his referrals' offerings; names compare case- and
space-insensitively (stored names are trimmed; the comparison lowers both sides).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select
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

#: a man as the caseload search lists him (the fields of ``PersonSummary``), in that order
PERSON_SUMMARY = (
    Person.id,
    Person.prison_number,
    Person.date_of_birth,
    Person.establishment,
    Person.probation_region,
    Person.given_name,
    Person.family_name,
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


def _after_prefix(prefix: str) -> str | None:
    """The first text after every text starting with ``prefix`` in code-point (byte) order, or None when
    there is none (an empty prefix, or one of the highest character only)."""
    head = prefix.rstrip(chr(0x10FFFF))
    if not head:
        return None
    nxt = ord(head[-1]) + 1
    if 0xD800 <= nxt <= 0xDFFF:  # surrogates are not characters
        nxt = 0xE000
    return head[:-1] + chr(nxt)


def _person_in_organisation() -> Any:
    """A man belongs to ``:org`` (lower-cased): his establishment, his probation region, or the site of
    one of his referrals' offerings."""
    org = bindparam("org")
    by_site = exists(
        select(Referral.id)
        .join(Offering, Offering.id == Referral.offering_id)
        .where(Referral.person_id == Person.id, func.lower(Offering.site) == org)
    )
    return or_(func.lower(Person.establishment) == org, func.lower(Person.probation_region) == org, by_site)


@functools.lru_cache(maxsize=256)
def _search(dialect: str, words: int, bounded: tuple[bool, ...], scoped: bool) -> Any:
    """The caseload search for ``words`` words (built once per shape: building the statement costs more
    than running it). ``bounded`` says, per prefix parameter, whether it has an upper end.

    A prefix is a range of text compared byte by byte (from ``:w0`` up to, not including, ``:w0_after``),
    which an index serves: SQLite compares so anyway; PostgreSQL does with its pattern operators, the ones
    its indexes for this use (migrations 0010 and 0011). Nothing in the words is a wildcard.
    """
    ends = iter(bounded)

    def starts(text: Any, name: str) -> Any:
        if dialect == "postgresql":
            at_least, below = text.op("~>=~", is_comparison=True), text.op("~<~", is_comparison=True)
        else:
            at_least, below = text.__ge__, text.__lt__
        low = at_least(bindparam(name))
        return and_(low, below(bindparam(f"{name}_after"))) if next(ends) else low

    def named(i: int) -> Any:
        family, given = func.lower(Person.family_name), func.lower(Person.given_name)
        return or_(starts(family, f"low{i}"), starts(given, f"low{i}"))

    if words == 1:
        match = or_(
            starts(Person.prison_number, "up0"), starts(func.upper(Person.pnc_number), "up0"), named(0)
        )
    else:
        match = and_(*(named(i) for i in range(words)))
    q = select(*PERSON_SUMMARY).where(match)
    if scoped:
        q = q.where(_person_in_organisation())
    order = (Person.family_name.is_(None), Person.family_name, Person.given_name, Person.prison_number)
    return q.order_by(*order).limit(bindparam("limit"))


# the person page's statements, built once (building one costs about as much as running it)
_HISTORY_OF = (
    select(ProgrammeHistory)
    .where(ProgrammeHistory.person_id == bindparam("person_id"))
    .order_by(ProgrammeHistory.started_on, ProgrammeHistory.id)
)
_REFERRALS_OF = (
    select(Referral)
    .where(Referral.person_id == bindparam("person_id"))
    .order_by(Referral.created_at, Referral.id)
)
_OFFERINGS = (
    select(Offering).where(Offering.active.is_(True)).order_by(Offering.programme_code, Offering.site)
)
_OFFERINGS_AT = _OFFERINGS.where(func.lower(Offering.site) == bindparam("site"))


class CaseloadQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def search_people(self, text: str, organisation: str | None, limit: int) -> list[Any]:
        """Men matching ``text`` (case-insensitive), in name order; only those of ``organisation`` unless it
        is None (national access). Plain rows of :data:`PERSON_SUMMARY`.

        One word finds men whose prison number, PNC number, family name or given name starts with it
        ("A12", "2001/", "smi", "john"); several words find men whose names start with every word, in
        either name ("john smi", "smith j").
        """
        words = text.split()
        if not words:
            return []
        params: dict[str, Any] = {"limit": limit}
        prefixes = [("up0", words[0].upper())] if len(words) == 1 else []
        prefixes += [(f"low{i}", w.lower()) for i, w in enumerate(words)]
        for name, value in prefixes:
            params[name], params[f"{name}_after"] = value, _after_prefix(value)
        # the order starts() reads them in: up0 twice (number, PNC), then each word's twice (two names)
        order = [name for name, _ in prefixes for _ in (0, 1)]
        bounded = tuple(params[f"{name}_after"] is not None for name in order)
        if organisation is not None:
            params["org"] = _lower(organisation)
        dialect = self.session.get_bind().dialect.name
        stmt = _search(dialect, len(words), bounded, organisation is not None)
        return list(self.session.execute(stmt, params))

    def programme_history(self, person_id: int) -> list[ProgrammeHistory]:
        return list(self.session.scalars(_HISTORY_OF, {"person_id": person_id}))

    def referrals_of(self, person_id: int) -> list[Referral]:
        return list(self.session.scalars(_REFERRALS_OF, {"person_id": person_id}))

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
        """Active offerings, of ``site`` (None: every site), by programme and site."""
        if site is None:
            return list(self.session.scalars(_OFFERINGS))
        return list(self.session.scalars(_OFFERINGS_AT, {"site": _lower(site)}))

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
        stmt = _referrals(
            status is not None, offering_id is not None, person_id is not None, organisation is not None
        )
        params: dict[str, Any] = {"after_id": after_id, "limit": limit, "status": status}
        params.update(offering_id=offering_id, person_id=person_id)
        if organisation is not None:
            params["org"] = _lower(organisation)
        return list(self.session.execute(stmt, params))


@functools.cache
def _referrals(status: bool, offering: bool, person: bool, scoped: bool) -> Any:
    """The referral list with the filters given (built once per combination)."""
    q = (
        select(*REFERRAL_ROW)
        .join(Person, Person.id == Referral.person_id)
        .join(Offering, Offering.id == Referral.offering_id)
        .where(Referral.id > bindparam("after_id"))
    )
    if status:
        q = q.where(Referral.status == bindparam("status"))
    if offering:
        q = q.where(Referral.offering_id == bindparam("offering_id"))
    if person:
        q = q.where(Referral.person_id == bindparam("person_id"))
    if scoped:
        org = bindparam("org")
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
    return q.order_by(Referral.id).limit(bindparam("limit"))
