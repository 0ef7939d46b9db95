"""The access checks every casework service makes: the acting user's role, then the record's organisation.

A service first checks that one of the acting user's roles allows the action (:class:`Forbidden`, whatever
the record), then finds the record and checks that it belongs to the user's organisation, unless the user
has national access. A record outside it is reported exactly as one that does not exist (:class:`NotFound`
with the same words), so a user cannot learn that a man is held elsewhere.

A man belongs to the organisations of his establishment, his probation region and the sites of his
referrals' offerings; a group and an offering to their site; a referral to its man.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from desist.domain.access import Action, Principal
from desist.domain.errors import Forbidden, NotFound

if TYPE_CHECKING:  # types only: the role check (acting) is also used on paths that load no ORM
    from desist.adapters.orm import Person, ProgrammeGroup, Referral
    from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork
    from desist.services.unit_of_work import Repository

R = TypeVar("R")  # a scoped record: a referral or a group


def acting(uow: UnitOfWork, action: Action, what: str) -> Principal:
    """The acting user, if a role of theirs allows ``action`` (else :class:`Forbidden`).

    The one role check of every service that takes a unit of work (casework, imports, evaluations,
    monitoring): a unit of work without a user is refused (:class:`NotAuthenticated`).
    """
    principal = uow.principal
    principal.require(action, what)
    return principal


def person_organisations(uow: UnitOfWork, p: Person) -> list[str | None]:
    """The organisations a man belongs to: his establishment, his probation region and the sites of his
    referrals' offerings (any status). The one definition: the casework services, the caseload pages and
    the API all scope a man by it."""
    return [p.establishment, p.probation_region, *uow.referrals.sites_of(p.id)]


def group_organisations(uow: UnitOfWork, g: ProgrammeGroup) -> list[str | None]:
    """The organisation a group belongs to: its offering's site."""
    return [uow.offerings.get(g.offering_id).site]


def _sees(uow: UnitOfWork, organisations: Callable[[UnitOfWork, Any], list[str | None]], record: Any) -> bool:
    principal = uow.principal
    return principal.national or principal.sees(organisations(uow, record))  # national: no query


def sees_person(uow: UnitOfWork, p: Person) -> bool:
    """True if the acting user may see this man (for filtering lists)."""
    return _sees(uow, person_organisations, p)


def sees_group(uow: UnitOfWork, g: ProgrammeGroup) -> bool:
    """True if the acting user may see this group."""
    return _sees(uow, group_organisations, g)


def _unknown_person(person: int | str) -> NotFound:
    # the words of find_person's own "not found": outside the user's scope reads as unknown
    return NotFound(f"person {person!r}: not found; expected a known prison number or #<internal id>")


def person_for(uow: UnitOfWork, person: int | str, action: Action, what: str) -> Person:
    """The man ``person`` if the acting user may do ``action`` to him: role, then organisation."""
    from desist.services.casework import find_person

    acting(uow, action, what)
    return check_person(uow, find_person(uow, person), person)


def check_person(uow: UnitOfWork, p: Person, shown: int | str) -> Person:
    """``p`` if within the acting user's organisation, else "not found" in find_person's words."""
    if not sees_person(uow, p):
        raise _unknown_person(shown)
    return p


def referral_organisations(uow: UnitOfWork, r: Referral) -> list[str | None]:
    """The organisations a referral belongs to: its man's."""
    return person_organisations(uow, uow.people.get(r.person_id))


def referral_for(
    uow: UnitOfWork, referral_id: int, action: Action, what: str, *, lock: bool = False
) -> Referral:
    """The referral if the acting user may do ``action`` to it (its man within their organisation)."""
    return _record_for(
        uow, action, what, uow.referrals, referral_id, lock, referral_organisations, "referral"
    )


def group_for(
    uow: UnitOfWork, group_id: int, action: Action, what: str, *, lock: bool = False
) -> ProgrammeGroup:
    """The group if the acting user may do ``action`` to it (its offering's site in their organisation)."""
    return _record_for(uow, action, what, uow.groups, group_id, lock, group_organisations, "group")


def _record_for(
    uow: UnitOfWork,
    action: Action,
    what: str,
    repository: Repository,
    record_id: int,
    lock: bool,
    organisations: Callable[[UnitOfWork, R], list[str | None]],
    noun: str,
) -> R:
    """Role first, then the record (locked for update if ``lock``), then its organisations: a record outside
    the user's reads "``noun`` ``record_id``: not found", as an unknown one does."""
    acting(uow, action, what)
    record: R = repository.lock(record_id) if lock else repository.get(record_id)
    if not _sees(uow, organisations, record):
        raise NotFound(f"{noun} {record_id}: not found")
    return record


def check_site(uow: UnitOfWork, site: str, what: str) -> None:
    """Refuse work at a site outside the acting user's organisation (an offering, a group there)."""
    principal = uow.principal
    if not principal.sees([site]):
        raise Forbidden(f"{what}: {site} is outside your organisation ({principal.organisation})")


def offering_for(uow: UnitOfWork, offering_id: int, action: Action, what: str) -> Any:
    """The offering if the acting user may do ``action`` at its site (outside: not found)."""
    acting(uow, action, what)
    o = uow.offerings.get(offering_id)
    if not uow.principal.sees([o.site]):
        raise NotFound(f"offering {offering_id}: not found")
    return o
