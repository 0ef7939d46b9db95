"""Single-record casework: people, sentences, assessments and outcomes, plus the lookups other services share.

Bulk files go through the importers; these use cases record one thing at a time (a new reception, an
assessment just done) and give the referral, group and incentive services one way to find a man and his
current risk profile.

Example
-------
>>> # with UnitOfWork(session_factory, actor="j.smith") as uow:
>>> #     register_person(uow, prison_number="A1234BC", date_of_birth=date(1980, 1, 2), sex="M")
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from desist.adapters.orm import Assessment, Outcome, Person, Sentence
from desist.domain.access import Action
from desist.domain.dates import check_happened
from desist.domain.errors import Forbidden, InputError, NotFound
from desist.domain.groups import Member, OffenceContact, parse_enum
from desist.domain.histories import check_not_before
from desist.domain.people import PRISON_NUMBER_PATTERN, clean_name, full_name
from desist.domain.records import OutcomeKind, Sex, values
from desist.domain.risk.bands import Band
from desist.domain.risk_member import (
    OFFENCE_TYPE_KEY,
    RISK_BAND_KEY,
    assessment_band,
    assessment_offence_type,
    member_from,
)
from desist.domain.versions import check_version
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

__all__ = [
    "OFFENCE_TYPE_KEY",
    "RISK_BAND_KEY",
    "assessment_band",
    "assessment_offence_type",
    "find_person",
    "record_assessment",
    "record_outcome",
    "record_sentence",
    "register_person",
    "release_date",
    "risk_member",
    "set_person_flags",
]


@dataclass(frozen=True)
class PersonView:
    id: int
    prison_number: str
    pnc_number: str | None
    date_of_birth: dt.date
    sex: str
    establishment: str | None
    probation_region: str | None
    maintains_innocence: bool = False
    recognised_appellant: bool = False
    version: int | None = None
    ldc: bool = False
    given_name: str | None = None
    family_name: str | None = None

    @property
    def name(self) -> str | None:
        """"Given Family" as recorded, or None when no name is on file."""
        return full_name(self.given_name, self.family_name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def person_view(p: Person) -> PersonView:
    return PersonView(
        p.id,
        p.prison_number,
        p.pnc_number,
        p.date_of_birth,
        p.sex,
        p.establishment,
        p.probation_region,
        bool(p.maintains_innocence),
        bool(p.recognised_appellant),
        p.version,
        bool(p.ldc),
        p.given_name,
        p.family_name,
    )


def find_person(uow: UnitOfWork, person: int | str) -> Person:
    """A person by prison number, or by internal id; :class:`NotFound` otherwise.

    Text is a prison number first: prison numbers may be all digits ("1234"), so a number that is a known
    prison number means that man, never the man whose internal id it happens to be. Only when no prison
    number matches is all-digit text read as an internal id (what casework scripts have always passed).
    ``#12`` is always the internal id 12, and an ``int`` is always an id: the unambiguous forms for scripts.
    """
    text = person.strip() if isinstance(person, str) else ""
    if not isinstance(person, int):
        if text.startswith("#"):
            digits = text[1:].strip()
            if not (digits.isascii() and digits.isdigit()):
                raise NotFound(f"person {person!r}: not found; expected #<internal id>, such as #12")
            return _person_by_id(uow, int(digits), person)
        found = uow.people.by_prison_number(text.upper())
        if found is not None:
            return found  # type: ignore[no-any-return]
        if not (text.isascii() and text.isdigit()):
            raise NotFound(f"person {person!r}: not found; expected a known prison number or #<internal id>")
    return _person_by_id(uow, int(person), person)


def _person_by_id(uow: UnitOfWork, pid: int, shown: int | str) -> Person:
    found = uow.people.find(pid)
    if found is None:
        raise NotFound(f"person {shown!r}: not found; expected a known prison number or #<internal id>")
    return found  # type: ignore[no-any-return]


def register_person(
    uow: UnitOfWork,
    *,
    prison_number: str,
    date_of_birth: dt.date,
    sex: str,
    establishment: str | None = None,
    probation_region: str | None = None,
    pnc_number: str | None = None,
    maintains_innocence: bool = False,
    recognised_appellant: bool = False,
    ldc: bool = False,
    given_name: str | None = None,
    family_name: str | None = None,
) -> PersonView:
    """Record a new man; a prison number already on file is a Conflict (via the unique constraint).

    ``maintains_innocence`` and ``recognised_appellant`` are stored on his record; the incentive rules
    read them from there; ``ldc`` (learning disability or challenges) marks him for the adapted
    programmes (see :func:`set_person_flags` to change any of them later).
    """
    # spaces only: a tab, line break or other control character is refused below, not trimmed away
    number = (prison_number or "").strip(" ").upper()
    if not number:
        raise InputError("prison number: empty; expected an identifier such as A1234BC")
    if not re.fullmatch(PRISON_NUMBER_PATTERN, number):
        # the same rule as the people import, so a man added by hand can be exported and re-imported
        shown = number if len(number) <= 30 else number[:27] + "..."
        raise InputError(
            f"prison number {shown!r}: badly formed; expected letters and digits, up to 20, such as A1234BC"
        )
    if sex not in values(Sex):
        raise InputError(f"sex: {sex!r}; expected M or F")
    if date_of_birth > dt.date.today():
        raise InputError(f"date of birth: {date_of_birth.isoformat()} is in the future")
    with uow:
        _check_new_man(uow, number, establishment, probation_region)
        person = Person(
            prison_number=number,
            date_of_birth=date_of_birth,
            sex=sex,
            establishment=establishment,
            probation_region=probation_region,
            pnc_number=pnc_number,
            maintains_innocence=bool(maintains_innocence),
            recognised_appellant=bool(recognised_appellant),
            ldc=bool(ldc),
            given_name=clean_name(given_name),
            family_name=clean_name(family_name),
        )
        uow.people.add(person)
        view = person_view(person)
        uow.commit()
    return view


def _check_new_man(uow: UnitOfWork, number: str, establishment: str | None, region: str | None) -> None:
    """A user without national access records men of their own organisation only."""
    from desist.services.scope import acting

    me = acting(uow, Action.PERSON_WRITE, f"record person {number}")
    if me.national:
        return
    if not (establishment or region):
        raise InputError(
            f"person {number}: no establishment or probation region; expected your organisation "
            f"({me.organisation}), or he would be outside it"
        )
    if not me.sees([establishment, region]):
        raise Forbidden(
            f"record person {number}: {establishment or region} is outside your organisation "
            f"({me.organisation}); expected a man of your own"
        )


def set_person_flags(
    uow: UnitOfWork,
    *,
    person: int | str,
    maintains_innocence: bool | None = None,
    recognised_appellant: bool | None = None,
    expected_version: int | None = None,
    ldc: bool | None = None,
) -> PersonView:
    """Change a man's ``maintains_innocence`` / ``recognised_appellant`` / ``ldc`` flags (None: as it is).

    The change is an ordinary audited update of his ``person`` row (before and after in the audit log).
    Setting a flag to the value it already has writes nothing.

    Parameters
    ----------
    expected_version : int, optional
        The record's ``version`` the caller last saw; if it has moved on, :class:`Conflict` is raised.

    Raises
    ------
    InputError
        No flag given.
    NotFound, Conflict
        Unknown man; his record changed since ``expected_version``.
    """
    if maintains_innocence is None and recognised_appellant is None and ldc is None:
        raise InputError(
            "person flags: nothing to change; expected maintains_innocence, recognised_appellant and/or ldc"
        )
    from desist.services.scope import person_for

    with uow:
        p = person_for(uow, person, Action.PERSON_WRITE, f"change the flags of person {person}")
        check_version(f"person {p.prison_number}", p.version, expected_version)
        if maintains_innocence is not None and p.maintains_innocence != maintains_innocence:
            p.maintains_innocence = maintains_innocence
        if recognised_appellant is not None and p.recognised_appellant != recognised_appellant:
            p.recognised_appellant = recognised_appellant
        if ldc is not None and p.ldc != ldc:
            p.ldc = ldc
        uow.people.add(p)  # flush: the view shows the new version
        view = person_view(p)
        uow.commit()
    return view


def record_sentence(
    uow: UnitOfWork,
    *,
    person: int | str,
    start_date: dt.date,
    release_date: dt.date | None = None,
    licence_end_date: dt.date | None = None,
    custodial: bool = True,
    index_offence: str | None = None,
) -> dict[str, Any]:
    """Record a sentence or custody episode (release date drives waiting-list priority)."""
    if release_date is not None and release_date < start_date:
        raise InputError(
            f"release date: {release_date.isoformat()} is before the start {start_date.isoformat()}"
        )
    if licence_end_date is not None and release_date is not None and licence_end_date < release_date:
        raise InputError(
            f"licence end: {licence_end_date.isoformat()} is before release {release_date.isoformat()}"
        )
    return _record_event(
        uow,
        person,
        start_date,
        "sentence start",
        "sentences",
        lambda pid: Sentence(
            person_id=pid,
            start_date=start_date,
            release_date=release_date,
            licence_end_date=licence_end_date,
            custodial=custodial,
            index_offence=index_offence,
        ),
        lambda row: {"start_date": start_date, "release_date": release_date},
    )


def record_assessment(
    uow: UnitOfWork,
    *,
    person: int | str,
    assessed_on: dt.date,
    tool: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any] | None = None,
    assessor: str | None = None,
) -> dict[str, Any]:
    """Record one tool's inputs and outputs as they were on ``assessed_on``.

    ``outputs["risk_band"]`` (low ... very_high) and ``outputs["offence_type"]`` (contact/non_contact),
    when present, are what the group mixing rules use; they are validated here so a bad value is refused now
    rather than at allocation.
    """
    outputs = dict(outputs or {})
    for key, enum in ((RISK_BAND_KEY, Band), (OFFENCE_TYPE_KEY, OffenceContact)):
        if key in outputs:
            outputs[key] = parse_enum(enum, outputs[key], f"assessment output {key}").value
    if not tool or not tool.strip():
        raise InputError("assessment tool: empty; expected a tool name such as OSP or RM2000")
    check_happened(assessed_on, "assessment date")
    return _record_event(
        uow,
        person,
        assessed_on,
        "assessment date",
        "assessments",
        lambda pid: Assessment(
            person_id=pid,
            assessed_on=assessed_on,
            tool=tool.strip(),
            inputs=inputs,
            outputs=outputs,
            assessor=assessor,
        ),
        lambda row: {"assessed_on": assessed_on, "tool": row.tool, "outputs": outputs},
    )


def record_outcome(
    uow: UnitOfWork,
    *,
    person: int | str,
    offence_date: dt.date,
    proven_date: dt.date,
    kind: str,
    disposal: str | None = None,
) -> dict[str, Any]:
    """Record one proven reoffence (kind: sexual_contact, sexual_images, violent or other)."""
    kinds = values(OutcomeKind)
    if kind not in kinds:
        raise InputError(f"outcome kind: {kind!r}; expected one of {', '.join(kinds)}")
    check_happened(offence_date, "offence date")
    check_happened(proven_date, "proven date")
    if proven_date < offence_date:
        raise InputError(
            f"proven date: {proven_date.isoformat()} is before the offence {offence_date.isoformat()}"
        )
    return _record_event(
        uow,
        person,
        offence_date,
        "offence date",
        "outcomes",
        lambda pid: Outcome(
            person_id=pid, offence_date=offence_date, proven_date=proven_date, kind=kind, disposal=disposal
        ),
        lambda row: {"kind": kind, "offence_date": offence_date},
    )


def _record_event(
    uow: UnitOfWork,
    person: int | str,
    day: dt.date,
    what: str,
    repository: str,
    build: Callable[[int], Any],
    view: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """Record one event in a man's life (``build(person_id)`` makes the row), not dated before his birth."""
    from desist.services.scope import person_for

    with uow:
        p = person_for(uow, person, Action.PERSON_WRITE, f"record the {repository} of person {person}")
        check_not_before(day, p.date_of_birth, what, "his date of birth")
        row = build(p.id)
        getattr(uow, repository).add(row)
        out = {"id": row.id, "person_id": p.id, **view(row)}
        uow.commit()
    return out


def risk_member(uow: UnitOfWork, person_id: int, key: Any, on: dt.date | None = None) -> Member:
    """The mixing-rule view of a man: risk band and offence type from his latest assessments that give them
    (:func:`desist.domain.risk_member.member_from`), looking back from ``on`` (default today)."""
    return member_from(key, uow.assessments.newest_first(person_id, on or dt.date.today()))


def release_date(uow: UnitOfWork, person_id: int) -> dt.date | None:
    """Release date of the man's most recent sentence (None when none is recorded)."""
    return uow.sentences.latest_release_date(person_id)
