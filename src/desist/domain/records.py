"""The fixed vocabularies of casework records: the one place their allowed values are written; and the one
reader of a vocabulary's words from text (:func:`parse_member`, for every domain enum).

The ORM's CHECK constraints, the importers' choices and the services' checks are all built from these enums
(a test ties them), so a value cannot be allowed in one layer and refused in another.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import TypeVar

from desist.domain.errors import InputError

E = TypeVar("E", bound=StrEnum)


class Sex(StrEnum):
    """Sex as recorded on a man's file."""

    M = "M"
    F = "F"


class AttendanceMark(StrEnum):
    """A member's mark for one group session."""

    ATTENDED = "attended"
    ABSENT = "absent"
    EXCUSED = "excused"


class HistoryResult(StrEnum):
    """How a programme a man started ended."""

    COMPLETED = "completed"
    INCOMPLETE = "incomplete"


class OutcomeKind(StrEnum):
    """The kind of a proven reoffence."""

    SEXUAL_CONTACT = "sexual_contact"
    SEXUAL_IMAGES = "sexual_images"
    VIOLENT = "violent"
    OTHER = "other"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The allowed values of ``enum`` in definition order.

    Examples
    --------
    >>> values(Sex)
    ('M', 'F')
    """
    return tuple(member.value for member in enum)


def parse_member(enum: type[E], value: object, where: str, noun: str | None = None) -> E:
    """The member of ``enum`` that ``value`` names: its value in any case, with "-" or a space for "_" and
    surrounding space ignored (a member passes as it is); else a one-line :class:`InputError` naming
    ``where`` and the allowed values (``noun``: what the value is not, e.g. "a referral status").

    Examples
    --------
    >>> parse_member(AttendanceMark, " Attended", "mark")
    <AttendanceMark.ATTENDED: 'attended'>
    >>> parse_member(Sex, "x", "sex")
    Traceback (most recent call last):
    desist.domain.errors.InputError: sex: 'x' is unknown; expected one of M, F
    """
    text = str(getattr(value, "value", value))
    found: E | None = _members(enum).get(_key(text))
    if found is None:
        what = "is unknown" if noun is None else f"is not {noun}"
        raise InputError(f"{where}: {text!r} {what}; expected one of {', '.join(values(enum))}")
    return found


def _key(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


@cache
def _members(enum: type[E]) -> dict[str, E]:
    return {_key(member.value): member for member in enum}
