"""Rows of the analysts' pseudonymised exports: each starts with the man's prison number (replaced by his
pseudonym in the service) and carries no name, date of birth, PNC number or free text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from desist.adapters.orm import Offering, Outcome, Person, ProgrammeHistory, Referral

#: export name -> (column names after the pseudonym, select statement whose first column is the prison number)
_EXPORTS: dict[str, tuple[tuple[str, ...], Any]] = {
    "people": (
        ("birth_year", "sex", "ldc", "maintains_innocence"),
        select(
            Person.prison_number,
            extract("year", Person.date_of_birth),
            Person.sex,
            Person.ldc,
            Person.maintains_innocence,
        ).order_by(Person.id),
    ),
    "referrals": (
        ("programme_code", "site", "status", "referred_at", "updated_at"),
        select(
            Person.prison_number,
            Referral.programme_code,
            Offering.site,
            Referral.status,
            Referral.created_at,
            Referral.updated_at,
        )
        .join(Person, Person.id == Referral.person_id)
        .join(Offering, Offering.id == Referral.offering_id)
        .order_by(Referral.id),
    ),
    "programme_history": (
        ("programme_code", "started_on", "ended_on", "result", "targets_met"),
        select(
            Person.prison_number,
            ProgrammeHistory.programme_code,
            ProgrammeHistory.started_on,
            ProgrammeHistory.ended_on,
            ProgrammeHistory.result,
            ProgrammeHistory.targets_met,
        )
        .join(Person, Person.id == ProgrammeHistory.person_id)
        .order_by(ProgrammeHistory.id),
    ),
    "outcomes": (
        ("offence_date", "proven_date", "kind"),
        select(Person.prison_number, Outcome.offence_date, Outcome.proven_date, Outcome.kind)
        .join(Person, Person.id == Outcome.person_id)
        .order_by(Outcome.id),
    ),
}

EXPORT_NAMES = tuple(_EXPORTS)


def columns(name: str) -> tuple[str, ...]:
    return _EXPORTS[name][0]


def rows(session: Session, name: str) -> Iterator[tuple[Any, ...]]:
    """The export's rows, streamed from the database in batches."""
    result = session.execute(_EXPORTS[name][1].execution_options(yield_per=2000))
    for row in result:
        yield tuple(row)
