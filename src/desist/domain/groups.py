"""Group rules as pure functions: capacity, joining, mixing, waiting-list priority and completion.

Policy figures (attendance threshold, the last session a closed group takes joiners, the mixing rules)
are settings read from ``data/casework_policy.yaml`` so a local policy change is a reviewed data change.

Example
-------
>>> policy = GroupPolicy()
>>> check_can_join(GroupKind.ROLLING, capacity=10, members=9, sessions_held=40,
...                last_joining_session=3)
>>> Progress(planned_sessions=10, sessions_offered=10, sessions_attended=8, targets_met=True).attendance_rate
0.8
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from desist.domain.errors import CapacityError, InputError, InvalidTransition
from desist.domain.records import parse_member
from desist.domain.risk.bands import Band


class GroupKind(StrEnum):
    """Closed groups start and finish together; rolling groups take joiners at any session."""

    CLOSED = "closed"
    ROLLING = "rolling"


class OffenceContact(StrEnum):
    """Contact offences against a person, or non-contact (e.g. indecent images only): the coarse grouping of
    :class:`desist.domain.profile.OffenceType` the mixing rules use."""

    CONTACT = "contact"
    NON_CONTACT = "non_contact"


#: the old names, kept for one release: ``RiskBand`` is :class:`Band` (one risk band everywhere), and
#: ``OffenceType`` here was the contact grouping (now :class:`OffenceContact`; ``profile.OffenceType`` is the
#: offence type)
_RENAMED = {"RiskBand": "Band", "OffenceType": "OffenceContact"}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        import warnings

        warnings.warn(
            f"desist.domain.groups.{name} is deprecated; use {_RENAMED[name]}",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[_RENAMED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MixingRuleError(CapacityError):
    """The group does not take this man under the mixing rules (a kind of 'group does not take joiners')."""


HIGH_BANDS = frozenset({Band.HIGH, Band.VERY_HIGH})


@cache
def _policy_data() -> dict[str, Any]:
    # A file path, not importlib.resources: data/ is package data without an __init__.py.
    text = (Path(__file__).resolve().parent.parent / "data" / "casework_policy.yaml").read_text(
        encoding="utf-8"
    )
    from desist.domain.yaml_text import load_yaml  # PyYAML here, not at import: keeps start-up light

    data: dict[str, Any] = load_yaml(text)
    return data


def policy_data() -> dict[str, Any]:
    """The casework policy file as a dict (each fact with its source)."""
    return _policy_data()


@dataclass(frozen=True)
class GroupPolicy:
    """Local policy settings for groups; defaults come from ``data/casework_policy.yaml``."""

    attendance_threshold: float = field(
        default_factory=lambda: float(_policy_data()["groups"]["attendance_threshold"]["value"])
    )
    closed_group_last_joining_session: int = field(
        default_factory=lambda: int(_policy_data()["groups"]["closed_group_last_joining_session"]["value"])
    )
    no_low_risk_with_high_risk: bool = field(
        default_factory=lambda: bool(_policy_data()["groups"]["no_low_risk_with_high_risk"]["value"])
    )
    separate_contact_and_non_contact: bool = field(
        default_factory=lambda: bool(_policy_data()["groups"]["separate_contact_and_non_contact"]["value"])
    )

    def __post_init__(self) -> None:
        if not 0 < self.attendance_threshold <= 1:
            raise InputError(
                f"policy attendance_threshold: {self.attendance_threshold!r}; expected a fraction in (0, 1]"
            )
        if self.closed_group_last_joining_session < 1:
            raise InputError(
                f"policy closed_group_last_joining_session: {self.closed_group_last_joining_session!r};"
                " expected a session number of 1 or more"
            )


def check_can_join(
    kind: GroupKind,
    capacity: int,
    members: int,
    sessions_held: int,
    last_joining_session: int | None,
    where: str = "group",
) -> None:
    """Refuse a joiner when the group is full or, for a closed group, past its last joining session.

    A closed group stops taking joiners once session ``last_joining_session`` has been held, so a late
    joiner has missed at most ``last_joining_session - 1`` sessions. Rolling groups take joiners at any
    session.

    Raises
    ------
    CapacityError
        Full, or closed to joiners.
    """
    if members >= capacity:
        raise CapacityError(f"{where}: full ({members} of {capacity} places taken); expected a free place")
    if (
        kind is GroupKind.CLOSED
        and last_joining_session is not None
        and sessions_held >= last_joining_session
    ):
        raise CapacityError(
            f"{where}: closed group takes no joiners after session {last_joining_session} "
            f"({sessions_held} sessions held)"
        )


@dataclass(frozen=True)
class Member:
    """What the mixing rules need to know about a man (in the group or joining it)."""

    key: Any
    risk_band: Band | None
    offence_type: OffenceContact | None


def mixing_conflict(candidate: Member, members: Iterable[Member], policy: GroupPolicy) -> str | None:
    """Return why ``candidate`` may not join a group with ``members`` under ``policy``, or None if he may."""
    members = list(members)
    if policy.no_low_risk_with_high_risk:
        if candidate.risk_band is None:
            return "risk band unknown; expected an assessment with a risk band before allocation"
        if candidate.risk_band is Band.LOW and any(m.risk_band in HIGH_BANDS for m in members):
            return "low-risk man may not join a group with high/very-high risk men"
        if candidate.risk_band in HIGH_BANDS and any(m.risk_band is Band.LOW for m in members):
            band = candidate.risk_band.value.lower().replace("_", " ")
            return f"{band}-risk man may not join a group with low-risk men"
    if policy.separate_contact_and_non_contact:
        if candidate.offence_type is None:
            return "offence type (contact/non-contact) unknown; expected it recorded before allocation"
        others = {m.offence_type for m in members if m.offence_type is not None}
        if others and others != {candidate.offence_type}:
            return (
                f"{candidate.offence_type.value} offender may not join a group of "
                f"{'/'.join(sorted(o.value for o in others))} offenders (contact/non-contact separated)"
            )
    return None


def check_mixing(
    candidate: Member, members: Iterable[Member], policy: GroupPolicy, where: str = "group"
) -> None:
    """Raise :class:`MixingRuleError` if the mixing rules refuse ``candidate``."""
    why = mixing_conflict(candidate, members, policy)
    if why:
        raise MixingRuleError(f"{where}: {why}")


@dataclass(frozen=True)
class WaitingEntry:
    """A man on the waiting list for an offering (a referral assessed suitable, not yet in a group)."""

    referral_id: int
    referral_date: date
    release_date: date | None
    member: Member
    person_id: int | None = None


def priority_key(entry: WaitingEntry) -> tuple[bool, date, date, int]:
    """Waiting-list priority: earliest release first, then earliest referral date, then referral id.

    Men with no known release date (community cases, indeterminate sentences) come after everyone with a
    date, because the men about to be released lose the chance to do the programme in custody first.
    The referral id breaks remaining ties so the order is always the same.
    """
    return (
        entry.release_date is None,
        entry.release_date or date.max,
        entry.referral_date,
        entry.referral_id,
    )


def order_waiting_list(entries: Iterable[WaitingEntry]) -> list[WaitingEntry]:
    """Sort a waiting list by :func:`priority_key`."""
    return sorted(entries, key=priority_key)


@dataclass(frozen=True)
class AllocationPlan:
    """Who to place from the waiting list, in priority order, and who was passed over and why."""

    chosen: tuple[WaitingEntry, ...]
    passed_over: tuple[tuple[WaitingEntry, str], ...]


#: why a man who left a group is not put back into it by allocation
LEFT_THIS_GROUP = "had a place in this group and left it; he waits for another group"


def plan_allocation(
    waiting: Iterable[WaitingEntry],
    members: Sequence[Member],
    places: int,
    policy: GroupPolicy,
    former_members: Collection[int] = (),
) -> AllocationPlan:
    """Fill up to ``places`` free places from the waiting list in priority order, respecting mixing rules.

    Each man chosen joins the members the next candidate is checked against, so the mixing rules hold for
    the whole group, not just pairwise with the men already there. ``former_members`` are the person ids of
    men who had a place in this group and left it (deselected back to suitable): they stay on the waiting
    list for a later group but are passed over here, so a man at the head of the list who cannot rejoin
    never blocks the men behind him.
    """
    current = list(members)
    former = frozenset(former_members)
    chosen: list[WaitingEntry] = []
    passed: list[tuple[WaitingEntry, str]] = []
    for entry in order_waiting_list(waiting):
        if len(chosen) >= places:
            break
        if entry.person_id is not None and entry.person_id in former:
            passed.append((entry, LEFT_THIS_GROUP))
            continue
        why = mixing_conflict(entry.member, current, policy)
        if why:
            passed.append((entry, why))
            continue
        chosen.append(entry)
        current.append(entry.member)
    return AllocationPlan(tuple(chosen), tuple(passed))


@dataclass(frozen=True)
class Progress:
    """One member's progress through the session plan.

    ``sessions_offered`` counts the group's sessions held since he joined (for a rolling group each member
    is at his own stage); ``planned_sessions`` is the programme's session plan length.
    """

    planned_sessions: int
    sessions_offered: int
    sessions_attended: int
    targets_met: bool

    @property
    def attendance_rate(self) -> float:
        """Sessions attended over the planned number, at most 1.

        Missed sessions count against him (also a late joiner's); in a rolling group a man who missed
        sessions may catch up by attending more sessions than the plan's length.
        """
        if not self.planned_sessions:
            return 0.0
        return min(1.0, self.sessions_attended / self.planned_sessions)

    @property
    def finished(self) -> bool:
        return self.sessions_offered >= self.planned_sessions


def check_completion(progress: Progress, policy: GroupPolicy, where: str = "enrolment") -> None:
    """Refuse completion unless the plan was delivered, attendance meets the threshold and targets are met.

    Raises
    ------
    InvalidTransition
        With the first unmet condition and the figures behind it.
    """
    p = progress
    if p.planned_sessions < 1:
        raise InvalidTransition(
            f"{where}: the group has no session plan; expected planned sessions of 1 or more"
        )
    if not p.finished:
        raise InvalidTransition(
            f"{where}: cannot complete; {p.sessions_offered} of {p.planned_sessions} planned "
            "sessions held since joining"
        )
    if p.attendance_rate + 1e-9 < policy.attendance_threshold:
        raise InvalidTransition(
            f"{where}: cannot complete; attended {p.sessions_attended} of {p.planned_sessions} "
            f"sessions ({p.attendance_rate:.0%}), policy needs {policy.attendance_threshold:.0%}"
        )
    if not p.targets_met:
        raise InvalidTransition(f"{where}: cannot complete; treatment targets not recorded as met")


def parse_enum(enum: type[StrEnum], value: str | None, where: str) -> Any:
    """Read an enum value from text (case-insensitive, '-' as '_'); None stays None."""
    if value is None or value == "":
        return None
    return parse_member(enum, value, where)
