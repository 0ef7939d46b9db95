"""The fixed vocabularies of casework records: the one place their allowed values are written.

The ORM's CHECK constraints, the importers' choices and the services' checks are all built from these enums
(a test ties them), so a value cannot be allowed in one layer and refused in another.
"""

from __future__ import annotations

from enum import StrEnum


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
