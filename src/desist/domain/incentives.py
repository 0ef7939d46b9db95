"""Incentives and Earned Privileges (IEP): levels, level-change rules and the 2017 Basic review.

Facts (Entry's validity, the date from which non-participation by men maintaining innocence may not keep
them on Basic) come from ``data/casework_policy.yaml`` with their sources.

Example
-------
>>> from datetime import date
>>> check_level_change(IncentiveLevel.STANDARD, IncentiveLevel.ENHANCED,
...                    LevelReason(LevelReasonCategory.BEHAVIOUR, "positive reports"), date(2020, 1, 6))
>>> IncentiveLevel.ENTRY.valid_on(date(2020, 1, 1))
False
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from desist.domain.errors import InputError, InvalidTransition
from desist.domain.groups import policy_data
from desist.domain.records import parse_member


class IncentiveLevel(StrEnum):
    """IEP levels. Entry existed from Nov 2013 to Aug 2019 (then everyone on Entry moved to Standard)."""

    BASIC = "basic"
    ENTRY = "entry"
    STANDARD = "standard"
    ENHANCED = "enhanced"

    def valid_on(self, on: date) -> bool:
        """Whether the level existed on ``on``."""
        if self is not IncentiveLevel.ENTRY:
            return True
        start, end = entry_validity()
        return start <= on <= end


def entry_validity() -> tuple[date, date]:
    """First and last day the Entry level existed (from the policy data file)."""
    entry = policy_data()["incentives"]["entry_level"]
    return entry["valid_from"], entry["valid_to"]


def protection_from() -> date:
    """First day on which denial or an appeal may not keep a man on Basic for not taking part."""
    value: date = policy_data()["incentives"]["non_participation_protection_from"]["value"]
    return value


class LevelReasonCategory(StrEnum):
    """Why a level changed."""

    BEHAVIOUR = "behaviour"
    NON_PARTICIPATION = "non_participation"  # not taking part in programmes or regime
    MAINTAINING_INNOCENCE = "maintaining_innocence"  # historic: denial blocked SOTP, so Basic followed
    REVIEW = "review"  # routine review
    POLICY = "policy"  # a policy change, e.g. the 2017 SOTP withdrawal or Entry's abolition in 2019
    RECEPTION = "reception"  # first level on arrival
    OTHER = "other"


#: reasons that hold a man's refusal of programmes against him
NON_PARTICIPATION_REASONS = frozenset(
    {LevelReasonCategory.NON_PARTICIPATION, LevelReasonCategory.MAINTAINING_INNOCENCE}
)


@dataclass(frozen=True)
class LevelReason:
    """Reason for a level change: category and text, both required."""

    category: LevelReasonCategory
    text: str

    @classmethod
    def parse(cls, category: str | None, text: str | None) -> LevelReason:
        """Build from plain values, raising a one-line :class:`InputError` if either is missing or unknown."""
        allowed = ", ".join(c.value for c in LevelReasonCategory)
        if not category:
            raise InputError(f"incentive reason category: missing; expected one of {allowed}")
        cat = parse_member(LevelReasonCategory, category, "incentive reason category")
        if not (text and text.strip()):
            raise InputError(
                f"incentive reason text: empty for category {cat.value!r}; expected an explanation"
            )
        return cls(cat, text.strip())


def parse_level(value: str, where: str = "incentive level") -> IncentiveLevel:
    """Read a level name (case-insensitive)."""
    return parse_member(IncentiveLevel, value, where)


def check_level_change(
    current: IncentiveLevel | None,
    new: IncentiveLevel,
    reason: LevelReason,
    on: date,
    *,
    maintains_innocence: bool = False,
    recognised_appellant: bool = False,
    where: str = "person",
) -> None:
    """Check one level change, raising a one-line error if the rules refuse it.

    Parameters
    ----------
    current : IncentiveLevel or None
        The level now (None when no level is recorded yet).
    new : IncentiveLevel
        The level asked for.
    reason : LevelReason
        Why; required for every change.
    on : date
        The date the change takes effect.
    maintains_innocence, recognised_appellant : bool
        What is known about the man. From :func:`protection_from` on, neither may be kept on Basic
        because he does not take part in programmes; before that date the record keeps what happened.

    Raises
    ------
    InvalidTransition
        No change, a level that did not exist on ``on``, or Basic for non-participation of a protected man.
    """
    if current is new:
        raise InvalidTransition(f"{where}: already on {new.value}; expected a different level")
    if not new.valid_on(on):
        start, end = entry_validity()
        raise InvalidTransition(
            f"{where}: {new.value} level did not exist on {on.isoformat()}; "
            f"it existed {start.isoformat()} to {end.isoformat()}"
        )
    protected = maintains_innocence or recognised_appellant
    if (
        new is IncentiveLevel.BASIC
        and reason.category in NON_PARTICIPATION_REASONS
        and protected
        and on >= protection_from()
    ):
        who = "a recognised appellant" if recognised_appellant else "a man maintaining innocence"
        raise InvalidTransition(
            f"{where}: {who} may not be placed on basic for not taking part in programmes "
            f"(rule in force from {protection_from().isoformat()})"
        )


@dataclass(frozen=True)
class LevelRecord:
    """A person's latest level change, as the bulk review sees it."""

    person_id: int
    level: IncentiveLevel
    reason_category: LevelReasonCategory
    effective_date: date


def select_for_basic_review(latest: Iterable[LevelRecord]) -> list[LevelRecord]:
    """The 2017 review: everyone whose latest level is Basic for maintaining innocence or non-participation.

    Men on Basic for their behaviour are not selected; their level is a separate matter.
    Returned in person-id order so the review's audit trail is reproducible.
    """
    return sorted(
        (
            r
            for r in latest
            if r.level is IncentiveLevel.BASIC and r.reason_category in NON_PARTICIPATION_REASONS
        ),
        key=lambda r: r.person_id,
    )


def select_for_entry_abolition(latest: Iterable[LevelRecord]) -> list[LevelRecord]:
    """Aug 2019: everyone whose latest level is Entry (the level was abolished; all moved to Standard)."""
    return sorted((r for r in latest if r.level is IncentiveLevel.ENTRY), key=lambda r: r.person_id)


ENTRY_ABOLITION_REASON = LevelReason(
    LevelReasonCategory.POLICY, "Entry level abolished (Aug 2019): everyone on Entry moved to Standard"
)

BASIC_REVIEW_REASON = LevelReason(
    LevelReasonCategory.POLICY,
    "SOTP withdrawn (2017): Basic for maintaining innocence or non-participation reversed to Standard",
)
