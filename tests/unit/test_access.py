"""The access policy and the acting user (domain.access)."""

from __future__ import annotations

import pytest

from desist.domain.access import Action, Principal, StaffRole, parse_roles, policy
from desist.domain.errors import Forbidden, InputError, NotFound
from desist.domain.referrals import ReferralStatus as S
from desist.domain.referrals import Role


def who(*roles: StaffRole, org: str | None = "HMP Whatton", national: bool = False) -> Principal:
    return Principal("u", frozenset(roles), organisation=org, national=national)


def test_every_action_has_roles_and_every_role_has_work() -> None:
    p = policy()
    assert set(p.allowed) == set(Action)
    assert all(p.allowed[a] for a in Action)
    for role in StaffRole:
        assert any(role in p.allowed[a] for a in Action), role


def test_admin_does_no_casework_and_analyst_sees_no_identified_person() -> None:
    admin, analyst = who(StaffRole.ADMIN), who(StaffRole.ANALYST)
    assert not admin.can(Action.PERSON_READ) and admin.can(Action.USER_MANAGE)
    assert not analyst.can(Action.PERSON_READ) and analyst.can(Action.EXPORT_PSEUDONYMISED)
    with pytest.raises(Forbidden, match="may not; needs programme_team or referrer or treatment_manager"):
        analyst.require(Action.PERSON_READ, "person A1234BC")


def test_scope_is_by_organisation_unless_national() -> None:
    p = who(StaffRole.REFERRER, org="HMP  whatton")
    assert p.sees(["HMP Whatton"]) and not p.sees(["HMP Usk", None]) and not p.sees([])
    with pytest.raises(NotFound, match="person A1: not found"):
        p.require_scope(["HMP Usk"], "person A1")
    assert who(StaffRole.REFERRER, org=None, national=True).sees(["HMP Usk"])


def test_lists_are_limited_to_the_users_organisation_unless_national() -> None:
    assert who(StaffRole.REFERRER).limited_to == "HMP Whatton"
    assert who(StaffRole.REFERRER, org="HMP Usk", national=True).limited_to is None
    assert who(StaffRole.ANALYST, org=None, national=True).limited_to is None


def test_a_user_needs_a_name_and_an_organisation_or_national_access() -> None:
    with pytest.raises(InputError, match="no organisation"):
        Principal("x", frozenset({StaffRole.REFERRER}))
    with pytest.raises(InputError, match="username: empty"):
        Principal(" ", frozenset(), national=True)


def test_referral_role_follows_the_state_machine() -> None:
    ref, team, tm = who(StaffRole.REFERRER), who(StaffRole.PROGRAMME_TEAM), who(StaffRole.TREATMENT_MANAGER)
    assert ref.referral_role(S.REFERRAL_STARTED, S.REFERRAL_SUBMITTED) is Role.REFERRER
    assert tm.referral_role(S.REFERRAL_SUBMITTED, S.AWAITING_ASSESSMENT) is Role.PROGRAMME_TEAM
    assert team.referral_role(S.REFERRAL_STARTED, S.REFERRAL_SUBMITTED) is Role.PROGRAMME_TEAM
    with pytest.raises(Forbidden, match="made by the programme_team"):
        ref.referral_role(S.REFERRAL_SUBMITTED, S.AWAITING_ASSESSMENT)
    with pytest.raises(Forbidden, match="does no casework"):
        who(StaffRole.ANALYST).referral_role(S.REFERRAL_STARTED, S.REFERRAL_SUBMITTED)


def test_role_names_are_read_leniently_and_refused_clearly() -> None:
    assert parse_roles(["Programme-Team", "admin"]) == {StaffRole.PROGRAMME_TEAM, StaffRole.ADMIN}
    with pytest.raises(InputError, match="'boss' is not a role; expected one of referrer"):
        parse_roles(["boss"])
