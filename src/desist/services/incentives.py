"""Incentive (IEP) use cases: change a man's level with a reason, show his history, and the 2017 Basic review.

Every change is a new ``incentive_level_change`` row (history is never rewritten), so the unit of work's
audit log holds one insert per change, with the actor and time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from desist.adapters.orm import IncentiveLevelChange
from desist.domain.access import Action
from desist.domain.dates import check_happened
from desist.domain.errors import InputError
from desist.domain.histories import check_not_before
from desist.domain.incentives import (
    BASIC_REVIEW_REASON,
    ENTRY_ABOLITION_REASON,
    IncentiveLevel,
    LevelReason,
    LevelReasonCategory,
    LevelRecord,
    check_level_change,
    entry_validity,
    select_for_basic_review,
    select_for_entry_abolition,
)
from desist.services.scope import acting, person_for, sees_person
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork


@dataclass(frozen=True)
class LevelChangeView:
    person_id: int
    prison_number: str
    from_level: str | None
    to_level: str
    effective_on: dt.date
    reason_category: str
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stored(level: IncentiveLevel) -> str:
    return level.value.capitalize()  # the table stores "Basic", "Standard", ...


def _flag(stored: bool, given: bool | None) -> bool:
    # What his record says or what the caller states: either protects him. A caller cannot switch a stored
    # flag off for one change; that is a change to his record (services.casework.set_person_flags), audited.
    return bool(stored) or bool(given)


def set_level(
    uow: UnitOfWork,
    *,
    person: int | str,
    level: IncentiveLevel,
    reason: LevelReason,
    on: dt.date | None = None,
    maintains_innocence: bool | None = None,
    recognised_appellant: bool | None = None,
) -> LevelChangeView:
    """Change a man's incentive level from ``on`` (default today), with a reason.

    Parameters
    ----------
    maintains_innocence, recognised_appellant : bool, optional
        What the caller knows beyond his record. The flags stored on his ``person`` row always count
        (read under the row lock); these can only add protection, never remove it.

    Raises
    ------
    InvalidTransition
        Same level, a level that did not exist then (Entry outside 2013-2019), or Basic for not taking part
        in programmes while he maintains innocence or is a recognised appellant.
    InputError
        A date before his latest recorded change (history is appended in order).
    """
    on = check_happened(on, "incentive change date") if on else dt.date.today()
    with uow:
        # Lock the man's row so two simultaneous changes cannot both start from the same current level, and
        # re-read it under the lock: a flag set (and committed) since find_person read the row must count.
        found = person_for(uow, person, Action.INCENTIVE_WRITE, f"set the incentive level of person {person}")
        p = uow.people.lock(found.id)
        check_not_before(on, p.date_of_birth, "incentive change date", "his date of birth")
        sentences = uow.sentences.for_person(p.id)
        if sentences:  # levels belong to time in custody: not before his first recorded sentence began
            first = min(x.start_date for x in sentences)
            check_not_before(on, first, "incentive change date", "his first sentence started")
        latest = uow.incentives.latest(p.id)
        if latest is not None and on < latest.effective_on:
            raise InputError(
                f"person {p.prison_number}: date {on.isoformat()} is before his latest level change "
                f"({latest.effective_on.isoformat()}); expected changes in date order"
            )
        current = IncentiveLevel(latest.level.lower()) if latest else None
        check_level_change(
            current,
            level,
            reason,
            on,
            maintains_innocence=_flag(p.maintains_innocence, maintains_innocence),
            recognised_appellant=_flag(p.recognised_appellant, recognised_appellant),
            where=f"person {p.prison_number}",
        )
        uow.incentives.add(
            IncentiveLevelChange(
                person_id=p.id,
                level=_stored(level),
                effective_on=on,
                reason_category=reason.category.value,
                reason=reason.text,
                actor=uow.actor,
            )
        )
        view = LevelChangeView(
            p.id,
            p.prison_number,
            current.value if current else None,
            level.value,
            on,
            reason.category.value,
            reason.text,
        )
        uow.commit()
    return view


def level_history(uow: UnitOfWork, person: int | str) -> list[LevelChangeView]:
    """A man's level changes in the order they took effect."""
    with uow:
        p = person_for(uow, person, Action.PERSON_READ, f"incentive history of person {person}")
        rows = uow.incentives.for_person(p.id)
        out, before = [], None
        for r in rows:
            out.append(
                LevelChangeView(
                    p.id,
                    p.prison_number,
                    before,
                    r.level.lower(),
                    r.effective_on,
                    r.reason_category,
                    r.reason,
                )
            )
            before = r.level.lower()
        return out


def _latest_records(uow: UnitOfWork) -> list[LevelRecord]:
    records = []
    for r in uow.incentives.latest_per_person():
        try:
            category = LevelReasonCategory(r.reason_category)
        except ValueError:  # imported history may carry categories outside ours; never selected
            category = LevelReasonCategory.OTHER
        records.append(LevelRecord(r.person_id, IncentiveLevel(r.level.lower()), category, r.effective_on))
    return records


def review_basic(
    uow: UnitOfWork, *, on: dt.date | None = None, dry_run: bool = False
) -> list[LevelChangeView]:
    """The 2017 review: everyone held on Basic for maintaining innocence or non-participation -> Standard.

    Each move is its own level-change row with the policy reason, so the audit log shows one record per man.
    Men on Basic for behaviour are left alone. With ``dry_run`` nothing is written.
    """
    return _bulk_to_standard(
        uow, select_for_basic_review, BASIC_REVIEW_REASON, on or dt.date.today(), dry_run
    )


def review_entry(
    uow: UnitOfWork, *, on: dt.date | None = None, dry_run: bool = False
) -> list[LevelChangeView]:
    """Entry's abolition (Aug 2019): everyone whose latest level is Entry -> Standard.

    ``on`` defaults to the day after Entry's last day (from the policy data file).
    """
    on = on or entry_validity()[1] + dt.timedelta(days=1)
    return _bulk_to_standard(uow, select_for_entry_abolition, ENTRY_ABOLITION_REASON, on, dry_run)


def _bulk_to_standard(
    uow: UnitOfWork,
    select_: Callable[[Iterable[LevelRecord]], list[LevelRecord]],
    reason: LevelReason,
    on: dt.date,
    dry_run: bool,
) -> list[LevelChangeView]:
    with uow:
        acting(uow, Action.INCENTIVE_WRITE, "review incentive levels")
        out = []
        for rec in select_(_latest_records(uow)):
            p = uow.people.get(rec.person_id)
            if not sees_person(uow, p):  # only the men of the acting user's organisation
                continue
            if on < rec.effective_date:
                raise InputError(
                    f"review date {on.isoformat()}: before {p.prison_number}'s {rec.level.value} level "
                    f"({rec.effective_date.isoformat()}); expected a later date"
                )
            check_level_change(
                rec.level, IncentiveLevel.STANDARD, reason, on, where=f"person {p.prison_number}"
            )
            uow.incentives.add(
                IncentiveLevelChange(
                    person_id=p.id,
                    level=_stored(IncentiveLevel.STANDARD),
                    effective_on=on,
                    reason_category=reason.category.value,
                    reason=reason.text,
                    actor=uow.actor,
                )
            )
            out.append(
                LevelChangeView(
                    p.id, p.prison_number, rec.level.value, "standard", on, reason.category.value, reason.text
                )
            )
        if not dry_run:
            uow.commit()
    return out
