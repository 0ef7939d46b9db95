"""The access checks every casework service makes: the acting user's role, then the record's organisation.

A service first checks that one of the acting user's roles allows the action (:class:`Forbidden`, whatever
the record), then finds the record and checks that it belongs to the user's organisation, unless the user
has national access. A record outside it is reported exactly as one that does not exist (:class:`NotFound`
with the same words), so a user cannot learn that a man is held elsewhere.

A man belongs to the organisations of his establishment, his probation region and the sites of his
referrals' offerings; a group and an offering to their site; a referral to its man.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desist.domain.access import Action, Principal
from desist.domain.errors import Forbidden, NotFound

if TYPE_CHECKING:  # types only: the role check (acting) is also used on paths that load no ORM
    from desist.adapters.orm import Person, ProgrammeGroup, Referral
    from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork


def acting(uow: UnitOfWork, action: Action, what: str) -> Principal:
    """The acting user, if a role of theirs allows ``action`` (else :class:`Forbidden`).

    The one role check of every service that takes a unit of work (casework, imports, evaluations,
    monitoring): a unit of work without a user is refused (:class:`NotAuthenticated`).
    """
    principal = uow.principal
    principal.require(action, what)
    return principal


def person_organisations(uow: UnitOfWork, p: Person) -> list[str | None]:
    """The organisations a man's records belong to."""
    return [p.establishment, p.probation_region, *uow.referrals.sites_of(p.id)]


def sees_person(uow: UnitOfWork, p: Person) -> bool:
    """True if the acting user may see this man (for filtering lists)."""
    principal = uow.principal
    return principal.national or principal.sees(person_organisations(uow, p))


def _unknown_person(person: int | str) -> NotFound:
    # the words of find_person's own "not found": outside the user's scope reads as unknown
    return NotFound(f"person {person!r}: not found; expected a known prison number or #<internal id>")


def person_for(uow: UnitOfWork, person: int | str, action: Action, what: str) -> Person:
    """The man ``person`` if the acting user may do ``action`` to him: role, then organisation."""
    from desist.services.casework import find_person

    acting(uow, action, what)
    p = find_person(uow, person)
    if not sees_person(uow, p):
        raise _unknown_person(person)
    return p


def check_person(uow: UnitOfWork, p: Person, shown: int | str) -> Person:
    """``p`` if within the acting user's organisation, else "not found" in find_person's words."""
    if not sees_person(uow, p):
        raise _unknown_person(shown)
    return p


def referral_for(
    uow: UnitOfWork, referral_id: int, action: Action, what: str, *, lock: bool = False
) -> Referral:
    """The referral if the acting user may do ``action`` to it (its man within their organisation)."""
    acting(uow, action, what)
    r = uow.referrals.lock(referral_id) if lock else uow.referrals.get(referral_id)
    check_referral(uow, r)
    return r


def check_referral(uow: UnitOfWork, r: Referral) -> Referral:
    principal = uow.principal
    if principal.national:
        return r
    p = uow.people.get(r.person_id)
    if not principal.sees(person_organisations(uow, p)):
        raise NotFound(f"referral {r.id}: not found")
    return r


def group_for(
    uow: UnitOfWork, group_id: int, action: Action, what: str, *, lock: bool = False
) -> ProgrammeGroup:
    """The group if the acting user may do ``action`` to it (its offering's site in their organisation)."""
    acting(uow, action, what)
    g = uow.groups.lock(group_id) if lock else uow.groups.get(group_id)
    check_group(uow, g)
    return g


def check_group(uow: UnitOfWork, g: ProgrammeGroup) -> ProgrammeGroup:
    if not uow.principal.sees([uow.offerings.get(g.offering_id).site]):
        raise NotFound(f"group {g.id}: not found")
    return g


def sees_group(uow: UnitOfWork, g: Any) -> bool:
    return uow.principal.sees([uow.offerings.get(g.offering_id).site])


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
