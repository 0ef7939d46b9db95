"""Who may do what: the programme-team-only actions of group work and offerings."""

from __future__ import annotations

from desist.domain.errors import Forbidden
from desist.domain.referrals import Role


def team_only(role: Role, what: str) -> None:
    """Refuse ``what`` unless the acting user acts in the programme team's role.

    Examples
    --------
    >>> team_only(Role.PROGRAMME_TEAM, "create group")
    """
    if role is not Role.PROGRAMME_TEAM:
        raise Forbidden(f"{what}: only the programme team may do this (role {role.value})")
