"""Small query helpers the services share. Each raises :class:`NotFound` / :class:`Conflict` with one line.

Locking
-------
On PostgreSQL :func:`lock` takes a row lock (``SELECT ... FOR UPDATE``) so capacity checks and status
changes serialise on the row. On SQLite every unit of work already holds the database write lock from
its first statement (``BEGIN IMMEDIATE``, see ``desist.adapters.engine``), so ``FOR UPDATE`` is not needed
and SQLAlchemy leaves it out.

Optimistic locking across requests: a user reads a referral (version 3), edits it in a form, and submits
later. Pass the version they saw as ``expected_version``; if someone changed it meanwhile the version has
moved on and :func:`get` raises :class:`Conflict`. Within one unit of work SQLAlchemy's ``version_id_col``
does the same check on UPDATE.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from desist.adapters.orm import (
    CLOSED_REFERRAL_STATUSES,
    Base,
    Enrolment,
    Offering,
    Person,
    Referral,
    ReferralTransfer,
)
from desist.domain.errors import NotFound
from desist.domain.referrals import OpenReferral, ReferralStatus
from desist.domain.versions import check_version

M = TypeVar("M", bound=Base)


def _label(model: type[Base]) -> str:
    return str(model.__tablename__).replace("_", " ")


def get(
    session: Session,
    model: type[M],
    id_: int,
    *,
    expected_version: int | None = None,
    for_update: bool = False,
    label: str | None = None,
) -> M:
    """Load a row by id, optionally locking it and checking the version the caller last saw.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    model : mapped class
    id_ : int
    expected_version : int, optional
        The ``version`` the caller read earlier; a different current version raises :class:`Conflict`
        (:func:`desist.domain.versions.check_version`, the one optimistic-version check).
    for_update : bool
        Lock the row until the transaction ends (PostgreSQL), re-reading it if already in the session.
    label : str, optional
        How messages name the table (default: its name with spaces).
    """
    what = label or _label(model)
    obj = None
    if 0 <= id_ < 2**31:  # a larger id cannot exist, and binding it would overflow the driver
        if for_update:
            # FOR UPDATE serialises changes to the row on PostgreSQL; SQLite ignores it and relies on
            # BEGIN IMMEDIATE (desist.adapters.engine). populate_existing re-reads a row already loaded.
            key = model.__mapper__.primary_key[0]
            obj = session.scalars(
                select(model).where(key == id_).with_for_update().execution_options(populate_existing=True)
            ).first()
        else:
            obj = session.get(model, id_)
    if obj is None:
        raise NotFound(f"{what} {id_}: not found")
    check_version(f"{what} {id_}", getattr(obj, "version", None), expected_version)
    return obj


def lock(session: Session, model: type[M], id_: int, *, label: str | None = None) -> M:
    """Load a row and hold a write lock on it until commit (capacity checks, status changes): the one lock
    helper every service uses."""
    return get(session, model, id_, for_update=True, label=label)


def person_by_prison_number(session: Session, prison_number: str) -> Person:
    """The person with this prison number, or :class:`NotFound`."""
    person = session.scalars(select(Person).where(Person.prison_number == prison_number)).one_or_none()
    if person is None:
        raise NotFound(f"no person with prison number {prison_number!r}")
    return person


def person_ids_by_prison_number(session: Session, prison_numbers: Any = None) -> dict[str, int]:
    """Map prison number -> person id, for all people or only the numbers given (importers resolve rows)."""
    stmt = select(Person.prison_number, Person.id)
    if prison_numbers is not None:
        numbers = list(prison_numbers)
        if not numbers:
            return {}
        stmt = stmt.where(Person.prison_number.in_(numbers))
    return {number: pid for number, pid in session.execute(stmt)}


def offering_by_code(session: Session, programme_code: str, site: str) -> Offering:
    """The offering of ``programme_code`` at ``site``, or :class:`NotFound`."""
    offering = session.scalars(
        select(Offering).where(Offering.programme_code == programme_code, Offering.site == site)
    ).one_or_none()
    if offering is None:
        raise NotFound(f"no offering of programme {programme_code!r} at {site!r}")
    return offering


# statements every referral write or referral page runs, built once (building one costs about as much as
# running it; the transfers' two aliases of offering cost more)
_OPEN_REFERRALS_OF = (
    select(Referral.id, Referral.status, Referral.programme_code, Offering.site)
    .join(Offering, Offering.id == Referral.offering_id)
    .where(Referral.person_id == bindparam("person_id"), Referral.status.not_in(CLOSED_REFERRAL_STATUSES))
    .order_by(Referral.id)
)
_SOURCE, _TARGET = aliased(Offering), aliased(Offering)
_TRANSFERS_OF = (
    select(ReferralTransfer, _SOURCE.site, _TARGET.site)
    .join(_SOURCE, _SOURCE.id == ReferralTransfer.from_offering_id)
    .join(_TARGET, _TARGET.id == ReferralTransfer.to_offering_id)
    .where(ReferralTransfer.referral_id == bindparam("referral_id"))
    .order_by(ReferralTransfer.id)
)


def open_referrals_of(session: Session, person_id: int) -> list[OpenReferral]:
    """The man's open referrals, every programme and site, oldest first (for the one-open-referral rule)."""
    rows = session.execute(_OPEN_REFERRALS_OF, {"person_id": person_id})
    return [OpenReferral(rid, ReferralStatus(status), code, site) for rid, status, code, site in rows]


def former_members(session: Session, group_id: int) -> set[int]:
    """Person ids of men who had a place in this group and left it (they may not take a second place)."""
    return set(
        session.scalars(
            select(Enrolment.person_id).where(Enrolment.group_id == group_id, Enrolment.left_on.is_not(None))
        )
    )


def transfer_history(session: Session, referral_id: int) -> list[tuple[Any, ...]]:
    """A referral's transfers, oldest first: (at, actor, status, reason category, text naming both sites)."""
    rows = session.execute(_TRANSFERS_OF, {"referral_id": referral_id})
    out = []
    for t, from_site, to_site in rows:
        text = (
            f"transferred from offering {t.from_offering_id} ({from_site}) "
            f"to offering {t.to_offering_id} ({to_site})"
        )
        why = f"{text}: {t.reason}" if t.reason else text
        out.append((t.transferred_at, t.actor, t.status, t.reason_category, why))
    return out
