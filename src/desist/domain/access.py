"""Who may do what, and to whose records: staff roles, the acting user, organisation scope.

Every use case receives the acting user as a :class:`Principal` (a value, established by the entry point:
a web session, an API token, or the CLI's named user) and checks it here. Nobody acts under a role they
merely type. The table of which role may do which action is data (``data/access_policy.yaml``) so that a
policy change is a reviewed data change and the authorisation tests are generated from the same table.

Organisation scope: staff belong to one organisation (a prison such as "HMP Whatton", or a probation
region). A man belongs to the organisations of his establishment, his probation region and the sites of
his referrals; a group to its offering's site. A user without national access sees and changes only
records of their own organisation. Outside it, a record is reported as not found (not "forbidden"), so
that a user cannot learn that a man exists elsewhere.

Example
-------
>>> p = Principal("rita", frozenset({StaffRole.REFERRER}), organisation="HMP Whatton")
>>> p.can(Action.REFERRAL_CREATE), p.can(Action.GROUP_MANAGE)
(True, False)
>>> p.require(Action.GROUP_MANAGE, "add group")
Traceback (most recent call last):
desist.domain.errors.Forbidden: add group: rita (referrer) may not; needs programme_team or treatment_manager
>>> p.sees(["HMP Whatton", None]), p.sees(["HMP Usk"])
(True, False)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from desist.domain.errors import Forbidden, InputError, NotFound
from desist.domain.records import parse_member
from desist.domain.referrals import TRANSITIONS, ReferralStatus, Role

POLICY_FILE = Path(__file__).resolve().parent.parent / "data" / "access_policy.yaml"


class StaffRole(StrEnum):
    """A user's role in the service (a user may hold several)."""

    REFERRER = "referrer"
    PROGRAMME_TEAM = "programme_team"
    TREATMENT_MANAGER = "treatment_manager"
    ANALYST = "analyst"
    ADMIN = "admin"


class Action(StrEnum):
    """Every use case that needs a permission (the keys of the policy file's ``actions``)."""

    PERSON_READ = "person.read"
    PERSON_WRITE = "person.write"
    REFERRAL_CREATE = "referral.create"
    REFERRAL_MOVE = "referral.move"
    REFERRAL_TRANSFER = "referral.transfer"
    GROUP_READ = "group.read"
    GROUP_MANAGE = "group.manage"
    INCENTIVE_WRITE = "incentive.write"
    EVALUATION_READ = "evaluation.read"
    EVALUATION_RUN = "evaluation.run"
    MONITOR_READ = "monitor.read"
    MONITOR_RUN = "monitor.run"
    MONITOR_ACK = "monitor.ack"
    EXPORT_PSEUDONYMISED = "export.pseudonymised"
    EXPORT_IDENTIFIED = "export.identified"
    IMPORT = "import"
    AUDIT_READ = "audit.read"
    USER_MANAGE = "user.manage"


@dataclass(frozen=True)
class AccessPolicy:
    """The parsed access policy: allowed roles per action, the scoped actions, referral roles."""

    allowed: dict[Action, frozenset[StaffRole]]
    scoped: frozenset[Action]
    referral_roles: dict[StaffRole, Role]

    def roles_for(self, action: Action) -> frozenset[StaffRole]:
        return self.allowed[action]


@functools.cache
def policy() -> AccessPolicy:
    """The policy read from ``data/access_policy.yaml`` (once per process)."""
    from desist.domain.yaml_text import load_yaml  # PyYAML only when a permission is first checked

    raw: dict[str, Any] = load_yaml(POLICY_FILE.read_text(encoding="utf-8"))
    allowed = {Action(a): frozenset(StaffRole(r) for r in roles) for a, roles in raw["actions"].items()}
    missing = set(Action) - set(allowed)
    if missing:  # a new action without a policy line is a programming error, caught by the tests
        raise ValueError(f"access policy: no roles for {sorted(a.value for a in missing)}")
    return AccessPolicy(
        allowed=allowed,
        scoped=frozenset(Action(a) for a in raw["scoped"]),
        referral_roles={StaffRole(k): Role(v) for k, v in raw["referral_roles"].items()},
    )


def parse_roles(values: Iterable[Any], where: str = "roles") -> frozenset[StaffRole]:
    """Read role names such as ``referrer`` or ``programme-team`` (case-insensitive; members as they are).

    Examples
    --------
    >>> sorted(parse_roles(["Programme-Team", StaffRole.REFERRER]))
    [<StaffRole.PROGRAMME_TEAM: 'programme_team'>, <StaffRole.REFERRER: 'referrer'>]
    """
    return frozenset(parse_member(StaffRole, v, where, "a role") for v in values)


def parse_actions(values: Iterable[Any], where: str = "actions") -> frozenset[Action]:
    """Read action names such as ``person.read`` (case-insensitive; members as they are)."""
    return frozenset(parse_member(Action, v, where, "an action") for v in values)


@dataclass(frozen=True)
class Principal:
    """The acting user: who, with which roles, in which organisation.

    ``national`` grants access to every organisation's records (for reads and writes alike).
    ``user_id`` is the stored account's id (None for a principal built in a test or a script).
    ``scopes``, when set (an API token's), limits the user further: an action must be both allowed by a
    role and named in the scopes.
    """

    username: str
    roles: frozenset[StaffRole]
    organisation: str | None = None
    national: bool = False
    user_id: int | None = None
    display_name: str | None = field(default=None, compare=False)
    scopes: frozenset[Action] | None = None

    def __post_init__(self) -> None:
        if not self.username or not self.username.strip():
            raise InputError("username: empty; expected the name of the person acting")
        if not self.national and not self.organisation:
            raise InputError(f"user {self.username}: no organisation and no national access; expected one")

    @property
    def actor(self) -> str:
        """How the audit log names this user."""
        return self.username

    def can(self, action: Action) -> bool:
        """True if one of the user's roles allows ``action`` (and, for a token, its scopes name it).

        Organisation scope is not considered here (see :meth:`sees`).
        """
        if self.scopes is not None and action not in self.scopes:
            return False
        return bool(self.roles & policy().roles_for(action))

    def require(self, action: Action, what: str) -> None:
        """Refuse ``what`` with :class:`Forbidden` unless a role (and a token's scopes) allow ``action``."""
        if not self.roles & policy().roles_for(action):
            needs = " or ".join(sorted(r.value for r in policy().roles_for(action)))
            has = ", ".join(sorted(r.value for r in self.roles)) or "no role"
            raise Forbidden(f"{what}: {self.username} ({has}) may not; needs {needs}")
        if self.scopes is not None and action not in self.scopes:
            raise Forbidden(f"{what}: this token of user {self.username} may not do {action.value}")

    @property
    def limited_to(self) -> str | None:
        """The organisation this user's lists are limited to; None with national access (every one)."""
        return None if self.national else self.organisation

    def sees(self, organisations: Iterable[str | None]) -> bool:
        """True if a record belonging to ``organisations`` is within this user's scope."""
        if self.national:
            return True
        own = _norm(self.organisation)
        return any(_norm(o) == own for o in organisations if o)

    def require_scope(self, organisations: Iterable[str | None], what: str) -> None:
        """Refuse ``what`` as :class:`NotFound` when the record is outside this user's organisation."""
        if not self.sees(organisations):
            raise NotFound(f"{what}: not found")

    def referral_role(self, source: ReferralStatus, target: ReferralStatus) -> Role:
        """The referral-machine role this user makes the move ``source -> target`` in.

        A user may hold several roles; the move is allowed if any of them may make it. The programme
        team's role is preferred when both may (its moves are the wider set).
        """
        mapped = {policy().referral_roles[r] for r in self.roles if r in policy().referral_roles}
        allowed = TRANSITIONS.get((source, target), frozenset())
        for role in (Role.PROGRAMME_TEAM, Role.REFERRER):
            if role in mapped and role in allowed:
                return role
        if mapped:  # the user does casework, but not this move: name the move and who may make it
            who = " or ".join(sorted(r.value for r in allowed)) or "nobody"
            raise Forbidden(
                f"referral {source.value} -> {target.value}: user {self.username} may not make this move; "
                f"it is made by the {who}"
            )
        raise Forbidden(f"referral {source.value} -> {target.value}: user {self.username} does no casework")


def _norm(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()
