"""The referral state machine of the HMPPS accredited-programmes service (domain.md section 2).

Pure rules: statuses, who may move a referral from one status to another, which moves need a reason,
and the preconditions of submitting. Services call :func:`check_transition` before they write anything,
so a refused move leaves no trace but a one-line error.

Example
-------
>>> t = check_transition(ReferralStatus.ASSESSMENT_STARTED, ReferralStatus.ASSESSED_SUITABLE,
...                      Role.PROGRAMME_TEAM)
>>> t.target.value
'ASSESSED_SUITABLE'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desist.domain.errors import Conflict, Forbidden, InputError, InvalidTransition
from desist.domain.records import parse_member


class ReferralStatus(StrEnum):
    """The statuses of a referral, exactly as the accredited-programmes service names them."""

    REFERRAL_STARTED = "REFERRAL_STARTED"
    REFERRAL_SUBMITTED = "REFERRAL_SUBMITTED"
    ON_HOLD_REFERRAL_SUBMITTED = "ON_HOLD_REFERRAL_SUBMITTED"
    AWAITING_ASSESSMENT = "AWAITING_ASSESSMENT"
    ON_HOLD_AWAITING_ASSESSMENT = "ON_HOLD_AWAITING_ASSESSMENT"
    ASSESSMENT_STARTED = "ASSESSMENT_STARTED"
    ON_HOLD_ASSESSMENT_STARTED = "ON_HOLD_ASSESSMENT_STARTED"
    ASSESSED_SUITABLE = "ASSESSED_SUITABLE"
    SUITABLE_NOT_READY = "SUITABLE_NOT_READY"
    ON_PROGRAMME = "ON_PROGRAMME"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    NOT_SUITABLE = "NOT_SUITABLE"
    WITHDRAWN = "WITHDRAWN"
    DESELECTED = "DESELECTED"
    PROGRAMME_COMPLETE = "PROGRAMME_COMPLETE"

    @property
    def closed(self) -> bool:
        """True for the final statuses that nothing may leave."""
        return self in CLOSED_STATUSES


class Role(StrEnum):
    """Who is acting: the person who referred the man, or the team that runs the programme."""

    REFERRER = "referrer"
    PROGRAMME_TEAM = "programme_team"


class ReasonCategory(StrEnum):
    """Why a referral was withdrawn, deselected or put on hold (the service's reason groups)."""

    MOTIVATION = "motivation"
    OPERATIONAL = "operational"  # e.g. released, transferred, sentence too short
    PERSONAL = "personal"  # e.g. health
    RISK = "risk"  # e.g. risk or need changed, behaviour in the group
    ADMINISTRATIVE = "administrative"  # e.g. duplicate or mistaken referral
    OTHER = "other"


S = ReferralStatus
CLOSED_STATUSES = frozenset({S.NOT_ELIGIBLE, S.NOT_SUITABLE, S.WITHDRAWN, S.DESELECTED, S.PROGRAMME_COMPLETE})
OPEN_STATUSES = frozenset(s for s in S if s not in CLOSED_STATUSES)
#: open statuses before a man starts the programme; from any of these he may be withdrawn
PRE_PROGRAMME_STATUSES = OPEN_STATUSES - {S.ON_PROGRAMME}
#: each status that can be put on hold, with its on-hold twin
HOLD_TWINS = {
    S.REFERRAL_SUBMITTED: S.ON_HOLD_REFERRAL_SUBMITTED,
    S.AWAITING_ASSESSMENT: S.ON_HOLD_AWAITING_ASSESSMENT,
    S.ASSESSMENT_STARTED: S.ON_HOLD_ASSESSMENT_STARTED,
}
ON_HOLD_STATUSES = frozenset(HOLD_TWINS.values())

BOTH = frozenset({Role.REFERRER, Role.PROGRAMME_TEAM})
TEAM = frozenset({Role.PROGRAMME_TEAM})


def _build_table() -> dict[tuple[ReferralStatus, ReferralStatus], frozenset[Role]]:
    table: dict[tuple[ReferralStatus, ReferralStatus], frozenset[Role]] = {}
    # Referrer or programme team
    table[(S.REFERRAL_STARTED, S.REFERRAL_SUBMITTED)] = BOTH
    for status in PRE_PROGRAMME_STATUSES:
        table[(status, S.WITHDRAWN)] = BOTH
    for status, twin in HOLD_TWINS.items():
        table[(status, twin)] = BOTH
        table[(twin, status)] = BOTH
    # Programme team only
    team_moves = {
        S.REFERRAL_SUBMITTED: (S.AWAITING_ASSESSMENT, S.NOT_ELIGIBLE),
        S.AWAITING_ASSESSMENT: (S.ASSESSMENT_STARTED,),
        S.ASSESSMENT_STARTED: (S.ASSESSED_SUITABLE, S.SUITABLE_NOT_READY, S.NOT_SUITABLE),
        S.ASSESSED_SUITABLE: (S.ON_PROGRAMME, S.SUITABLE_NOT_READY),
        S.SUITABLE_NOT_READY: (S.ASSESSED_SUITABLE,),
        S.ON_PROGRAMME: (S.PROGRAMME_COMPLETE, S.DESELECTED, S.ASSESSED_SUITABLE, S.SUITABLE_NOT_READY),
    }
    for source, targets in team_moves.items():
        for target in targets:
            table[(source, target)] = TEAM
    return table


#: (from, to) -> roles allowed to make that move; any pair not here is refused
TRANSITIONS: dict[tuple[ReferralStatus, ReferralStatus], frozenset[Role]] = _build_table()


def allowed_targets(current: ReferralStatus, role: Role | None = None) -> list[ReferralStatus]:
    """Statuses reachable from ``current`` (by ``role`` if given), in the enum's order."""
    return [
        t for t in S if (current, t) in TRANSITIONS and (role is None or role in TRANSITIONS[(current, t)])
    ]


@dataclass(frozen=True)
class Reason:
    """A reason for a move: a category and free text, both required when a reason is needed."""

    category: ReasonCategory
    text: str

    @classmethod
    def parse(cls, category: str | None, text: str | None) -> Reason | None:
        """Build a reason from plain values; ``None`` when neither is given.

        Raises
        ------
        InputError
            If only one of the two is given, or the category is unknown.
        """
        if not category and not (text and text.strip()):
            return None
        if not category:
            raise InputError(f"reason category: missing for reason {text!r}; expected one of {_categories()}")
        cat = parse_member(ReasonCategory, category, "reason category")
        if not (text and text.strip()):
            raise InputError(f"reason text: empty for category {cat.value!r}; expected a short explanation")
        return cls(cat, text.strip())


def _categories() -> str:
    return ", ".join(c.value for c in ReasonCategory)


@dataclass(frozen=True)
class Transition:
    """An allowed move and what it means for the record kept about it."""

    source: ReferralStatus
    target: ReferralStatus
    role: Role
    reason: Reason | None

    @property
    def is_deselection(self) -> bool:
        """Leaving the programme without completing it (closing, or back to suitable and kept open)."""
        return self.source is S.ON_PROGRAMME and self.target in {
            S.DESELECTED,
            S.ASSESSED_SUITABLE,
            S.SUITABLE_NOT_READY,
        }

    @property
    def is_completion(self) -> bool:
        return self.target is S.PROGRAMME_COMPLETE

    @property
    def writes_programme_history(self) -> bool:
        """Completion or deselection is written to the man's programme history."""
        return self.is_completion or self.is_deselection


def reason_required(source: ReferralStatus, target: ReferralStatus) -> bool:
    """Withdrawals, deselections (closing or not) and putting a referral on hold need a reason."""
    if target is S.WITHDRAWN or target in ON_HOLD_STATUSES:
        return True
    return source is S.ON_PROGRAMME and target is not S.PROGRAMME_COMPLETE


def parse_status(value: str, where: str = "status") -> ReferralStatus:
    """Read a status name (case-insensitive), raising a one-line :class:`InputError` if unknown."""
    return parse_member(S, value, where, "a referral status")


def parse_role(value: str) -> Role:
    """Read a role name such as ``referrer`` or ``programme-team``."""
    return parse_member(Role, value, "role")


def check_transition(
    current: ReferralStatus,
    target: ReferralStatus,
    role: Role,
    reason: Reason | None = None,
    *,
    assessment_confirmed: bool = False,
    programme_history_reviewed: bool = False,
    where: str = "referral",
) -> Transition:
    """Check one move of a referral and return it, or raise a one-line error.

    Parameters
    ----------
    current, target : ReferralStatus
        The referral's status now and the status asked for.
    role : Role
        Who is acting.
    reason : Reason, optional
        Required for withdrawals, deselections and holds (see :func:`reason_required`).
    assessment_confirmed, programme_history_reviewed : bool
        Preconditions of submitting a started referral.
    where : str
        Names the referral in error messages (e.g. ``"referral 12"``).

    Raises
    ------
    InvalidTransition
        The move is not in the table, leaves a closed status, or submitting lacks its preconditions.
    Forbidden
        The move exists but only the programme team may make it.
    InputError
        A reason is required and missing.
    """
    if current is target:
        raise InvalidTransition(f"{where}: already {current.value}; expected a different target status")
    if current.closed:
        raise InvalidTransition(f"{where}: {current.value} is closed; nothing leaves a closed status")
    roles = TRANSITIONS.get((current, target))
    if roles is None:
        allowed = ", ".join(t.value for t in allowed_targets(current)) or "none"
        raise InvalidTransition(
            f"{where}: cannot move from {current.value} to {target.value}; "
            f"allowed from {current.value}: {allowed}"
        )
    if role not in roles:
        raise Forbidden(
            f"{where}: {role.value} may not move {current.value} to {target.value}; "
            f"only the programme team may"
        )
    if reason_required(current, target) and reason is None:
        raise InputError(
            f"{where}: moving {current.value} to {target.value} needs a reason "
            f"(category and text); categories: {_categories()}"
        )
    if current is S.REFERRAL_STARTED and target is S.REFERRAL_SUBMITTED:
        missing = [
            name
            for name, ok in (
                ("assessment confirmed", assessment_confirmed),
                ("programme history reviewed", programme_history_reviewed),
            )
            if not ok
        ]
        if missing:
            raise InvalidTransition(f"{where}: cannot submit before {' and '.join(missing)}")
    return Transition(current, target, role, reason)


def is_active(status: ReferralStatus) -> bool:
    """An active referral is any open one; a second active referral for the same programme is a duplicate."""
    return not status.closed


@dataclass(frozen=True)
class OpenReferral:
    """What the one-open-referral rule needs to know about a referral a man already holds."""

    id: int
    status: ReferralStatus
    programme_code: str
    site: str


def check_no_open_referral(
    existing: list[OpenReferral], programme_code: str, who: str = "person"
) -> None:
    """Refuse a new referral when the man already holds an open one for the same programme, at any site.

    One programme, one open referral: moving him to another site is a transfer of that referral
    (:func:`check_transfer`), never a second referral, so he can never hold places in two groups of
    one programme at once.

    Raises
    ------
    Conflict
        With the referral he already holds and how to move it instead.
    """
    code = programme_code.upper()
    for r in existing:
        if not r.status.closed and r.programme_code.upper() == code:
            raise Conflict(
                f"{who}: already has open referral {r.id} ({r.status.value}) for {code} at {r.site}; "
                "a second open referral for one programme is a duplicate "
                f"(to change site: desist referral transfer {r.id})"
            )


def check_transfer(
    status: ReferralStatus,
    from_programme: str,
    from_offering: int,
    to_programme: str,
    to_offering: int,
    to_active: bool,
    where: str = "referral",
) -> None:
    """Check moving an open referral to another offering (another site) of the same programme.

    The referral keeps its status and history; only its offering changes. A man on a programme has a
    place in a group at his current site, so he must leave it first (deselection back to suitable).

    Raises
    ------
    InvalidTransition
        Closed referral, man on the programme, or the same offering.
    InputError
        Another programme, or an inactive offering.
    """
    if status.closed:
        raise InvalidTransition(
            f"{where}: {status.value} is closed; only an open referral can be transferred"
        )
    if status is S.ON_PROGRAMME:
        raise InvalidTransition(
            f"{where}: ON_PROGRAMME has a group place at its site; deselect him "
            "(desist group deselect --to ASSESSED_SUITABLE) before transferring"
        )
    if to_offering == from_offering:
        raise InvalidTransition(f"{where}: already at offering {to_offering}; expected another offering")
    if to_programme.upper() != from_programme.upper():
        raise InputError(
            f"{where}: offering {to_offering} runs {to_programme}, the referral is for {from_programme}; "
            "a transfer keeps the programme (for another programme, make a new referral)"
        )
    if not to_active:
        raise InputError(f"{where}: offering {to_offering} is not active; expected an active offering")
