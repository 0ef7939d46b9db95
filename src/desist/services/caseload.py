"""Caseload search and a man's page: the web application's read use cases, checked against ``uow.principal``.

Both need :attr:`~desist.domain.access.Action.PERSON_READ`, and see only men of the user's organisation
(establishment, probation region, or a site of one of his referrals) unless the user has national access.
A man outside it is "not found", as in every scoped service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from desist.domain.access import Action, Principal
from desist.domain.errors import DesistError, InputError, NotFound
from desist.domain.people import full_name
from desist.domain.referrals import ReferralStatus
from desist.services.casework import PersonView, person_view
from desist.services.incentives import LevelChangeView
from desist.services.referrals import ReferralView, referral_view
from desist.services.scope import sees_person
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

#: most men a search lists
SEARCH_LIMIT = 50
#: the longest search text: a full name (given and family names are at most 100 characters each)
SEARCH_MAX = 100


@dataclass(frozen=True)
class PersonSummary:
    """One line of a caseload search."""

    id: int
    prison_number: str
    date_of_birth: dt.date
    establishment: str | None
    probation_region: str | None
    given_name: str | None = None
    family_name: str | None = None

    @property
    def name(self) -> str | None:
        """"Given Family" as recorded, or None."""
        return full_name(self.given_name, self.family_name)


def search_people(uow: UnitOfWork, text: str, *, limit: int = SEARCH_LIMIT) -> list[PersonSummary]:
    """Men found by the start of a prison number, PNC number or name, within the user's organisation.

    One word matches a prison number, PNC number, family name or given name; several words match names
    that start with every word ("john smi"). Results in name order.

    Raises
    ------
    InputError
        ``text`` shorter than 2 characters or longer than 100.
    """
    query = " ".join((text or "").split())
    if len(query) < 2 or len(query) > SEARCH_MAX:
        raise InputError(
            f"search: enter at least 2 and at most {SEARCH_MAX} characters of a name, prison number or "
            "PNC number"
        )
    with uow.reading():
        me: Principal = uow.principal  # type: ignore[attr-defined]
        me.require(Action.PERSON_READ, "search people")
        rows = uow.caseload.search_people(query, me.limited_to, limit)  # type: ignore[attr-defined]
        return [PersonSummary(*row) for row in rows]


def scoped_person(
    uow: UnitOfWork, person_id: int, action: Action, what: str, shown: str | None = None
) -> Any:
    """The stored man ``person_id`` if the user may do ``action`` to him (else Forbidden / NotFound).

    ``shown`` names the record in the "not found" answer (default ``person #ID``): reading a referral
    says ``referral N: not found`` whether it does not exist or its man is out of scope, never his id.
    """
    me: Principal = uow.principal  # type: ignore[attr-defined]
    me.require(action, what)
    person = uow.people.find(person_id)
    if person is None or not sees_person(uow, person):  # the same answer whether or not he exists elsewhere
        raise NotFound(f"{shown or f'person #{person_id}'}: not found")
    return person


@dataclass(frozen=True)
class AssessmentView:
    """A stored assessment with its scores and, recomputed from its inputs, the item breakdown."""

    id: int
    assessed_on: dt.date
    tool: str
    assessor: str | None
    scores: tuple[tuple[str, str], ...]
    items: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Move:
    """A status the user may move a referral to now."""

    target: str
    needs_reason: bool
    label: str


@dataclass(frozen=True)
class ReferralRow:
    referral: ReferralView
    moves: tuple[Move, ...]


@dataclass(frozen=True)
class ProgrammeRecord:
    programme_code: str
    started_on: dt.date | None
    ended_on: dt.date | None
    result: str | None
    targets_met: bool | None
    source: str | None


@dataclass(frozen=True)
class PersonPage:
    """Everything the person page shows, as plain values."""

    person: PersonView
    sentences: tuple[dict[str, Any], ...]
    assessments: tuple[AssessmentView, ...]
    pathway: str | None
    recommendation: Any | None  # desist.domain.pathways.Recommendation
    no_recommendation: str | None
    referrals: tuple[ReferralRow, ...]
    incentives: tuple[LevelChangeView, ...]
    programme_history: tuple[ProgrammeRecord, ...]
    can_refer: bool = False
    offerings: tuple[tuple[int, str, str], ...] = field(default=())


def person_page(uow: UnitOfWork, person_id: int, *, today: dt.date | None = None) -> PersonPage:
    """A man's page: sentence, assessments, pathway, recommendation, referrals with the moves this user
    may make, incentive and programme history."""
    from desist.services.person_profile import assessment_view, recommendation_for

    day = today or dt.date.today()
    with uow.reading():
        me: Principal = uow.principal  # type: ignore[attr-defined]
        p = scoped_person(uow, person_id, Action.PERSON_READ, "read person")
        sentences = tuple(
            {
                "start_date": s.start_date,
                "release_date": s.release_date,
                "licence_end_date": s.licence_end_date,
                "custodial": s.custodial,
                "index_offence": s.index_offence,
            }
            for s in uow.sentences.for_person(p.id)
        )
        stored = uow.assessments.newest_first(p.id, day)
        assessments = tuple(assessment_view(a) for a in stored)
        pni = next((a for a in stored if a.tool.lower() == "pni" and a.outputs), None)
        pathway = (pni.outputs or {}).get("pathway") if pni is not None else None
        history = tuple(
            ProgrammeRecord(h.programme_code, h.started_on, h.ended_on, h.result, h.targets_met, h.source)
            for h in uow.caseload.programme_history(p.id)  # type: ignore[attr-defined]
        )
        recommendation, why_not = recommendation_for(p, stored, sentences, history, day)
        referrals = tuple(
            ReferralRow(referral_view(uow, r), moves_for(me, ReferralStatus(r.status)))
            for r in uow.caseload.referrals_of(p.id)  # type: ignore[attr-defined]
        )
        incentives = _incentives(uow, p)
        can_refer = me.can(Action.REFERRAL_CREATE)
        offerings: tuple[tuple[int, str, str], ...] = ()
        if can_refer:
            offerings = tuple(
                (o.id, o.programme_code, o.site)
                for o in uow.caseload.offerings(me.limited_to)  # type: ignore[attr-defined]
            )
        return PersonPage(
            person_view(p),
            sentences,
            assessments,
            pathway,
            recommendation,
            why_not,
            referrals,
            incentives,
            history,
            can_refer,
            offerings,
        )


def _incentives(uow: UnitOfWork, p: Any) -> tuple[LevelChangeView, ...]:
    out, before = [], None
    for r in uow.incentives.for_person(p.id):
        out.append(
            LevelChangeView(
                p.id, p.prison_number, before, r.level.lower(), r.effective_on, r.reason_category, r.reason
            )
        )
        before = r.level.lower()
    return tuple(out)


def moves_for(principal: Principal, status: ReferralStatus) -> tuple[Move, ...]:
    """The moves ``principal`` may make from ``status`` (ON_PROGRAMME is set by enrolling him in a group)."""
    from desist.domain.referrals import allowed_targets, reason_required

    if not principal.can(Action.REFERRAL_MOVE):
        return ()
    out = []
    for target in allowed_targets(status):
        if target is ReferralStatus.ON_PROGRAMME:
            continue
        try:
            principal.referral_role(status, target)
        except DesistError:
            continue
        out.append(
            Move(target.value, reason_required(status, target), target.value.replace("_", " ").capitalize())
        )
    return tuple(out)


def referral_page(uow: UnitOfWork, referral_id: int) -> ReferralRow:
    """A referral with its history and the moves this user may make (scoped through the man)."""
    with uow.reading():
        me: Principal = uow.principal  # type: ignore[attr-defined]
        r = uow.referrals.find(referral_id)
        if r is None:
            me.require(Action.PERSON_READ, f"read referral {referral_id}")
            raise NotFound(f"referral {referral_id}: not found")
        scoped_person(
            uow, r.person_id, Action.PERSON_READ, f"read referral {referral_id}", f"referral {referral_id}"
        )
        return ReferralRow(referral_view(uow, r), moves_for(me, ReferralStatus(r.status)))


def list_referrals_in_scope(
    uow: UnitOfWork,
    *,
    status: ReferralStatus | None = None,
    offering_id: int | None = None,
    person_id: int | None = None,
    limit: int = 100,
    after_id: int = 0,
) -> list[ReferralView]:
    """Referrals of the user's organisation (all with national access), oldest first, without history."""
    if not 1 <= limit <= 500:
        raise InputError(f"limit: {limit}; expected 1 to 500")
    with uow.reading():
        me: Principal = uow.principal  # type: ignore[attr-defined]
        me.require(Action.PERSON_READ, "list referrals")
        rows = uow.caseload.referrals(  # type: ignore[attr-defined]
            organisation=me.limited_to,
            status=status.value if status is not None else None,
            offering_id=offering_id,
            person_id=person_id,
            limit=limit,
            after_id=after_id,
        )
        return [ReferralView(*row) for row in rows]
