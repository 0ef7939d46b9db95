"""Every casework service checks the acting user: the role first, then the record's organisation.

Two prisons: men referred to Horizon at HMP Whatton, and a user of each prison per role. A role that does
not allow an action is Forbidden whatever the record; a record of another prison is "not found" in the same
words as one that does not exist, on reads, writes and lists alike. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest

from desist.domain.errors import Forbidden, NotFound
from desist.domain.groups import GroupKind
from desist.domain.incentives import IncentiveLevel, LevelReason, LevelReasonCategory
from desist.domain.referrals import Reason, ReasonCategory
from desist.domain.referrals import ReferralStatus as S
from desist.services import casework as cs
from desist.services import groups as gs
from desist.services import incentives as inc
from desist.services import referrals as rs
from desist.services.transfers import transfer_referral
from tests.integration.casework_helpers import suitable_referrals
from tests.principals import USK, WHATTON, as_user

W_REF = as_user("referrer", org=WHATTON, name="rita")
W_TEAM = as_user("programme_team", org=WHATTON, name="tom")
W_TM = as_user("treatment_manager", org=WHATTON, name="tess")
U_REF = as_user("referrer", org=USK, name="rhys")
U_TEAM = as_user("programme_team", org=USK, name="tara")
ANALYST = as_user("analyst", national=True, name="nina")
ADMIN = as_user("admin", national=True, name="ada")
NATIONAL_TEAM = as_user("programme_team", national=True, name="nat")


@pytest.fixture
def world(uow_factory):  # type: ignore[no-untyped-def]
    ids, offering = suitable_referrals(uow_factory, 2, site=WHATTON)
    group = gs.create_group(
        uow_factory(W_TEAM), offering_id=offering, kind=GroupKind.ROLLING, capacity=4, planned_sessions=3
    )
    return ids, offering, group.id


def test_a_role_that_does_not_allow_the_action_is_forbidden_whatever_the_record(uow_factory, world) -> None:
    ids, offering, group = world
    for who in (W_REF, ANALYST, ADMIN):
        needs = f"{who.username} .* may not; needs programme_team or treatment_manager"
        with pytest.raises(Forbidden, match=needs):
            gs.enrol(uow_factory(who), group_id=group, referral_id=ids[0])
        with pytest.raises(Forbidden):  # even a group that does not exist: the role is checked first
            gs.record_session(uow_factory(who), group_id=999, held_on=dt.date(2025, 1, 1))
    for who in (ANALYST, ADMIN):
        with pytest.raises(Forbidden, match="needs programme_team or referrer or treatment_manager"):
            rs.show_referral(uow_factory(who), ids[0])
        with pytest.raises(Forbidden):
            rs.create_referral(uow_factory(who), person="T0000XX", offering_id=offering)
        with pytest.raises(Forbidden):
            cs.register_person(uow_factory(who), prison_number="A9", date_of_birth=dt.date(1980, 1, 1),
                               sex="M", establishment=WHATTON)
    # the referrer may refer and submit, not assess; the treatment manager acts as the programme team
    with pytest.raises(Forbidden, match="referrer may not move ASSESSED_SUITABLE to SUITABLE_NOT_READY"):
        rs.move_referral(uow_factory(W_REF), ids[1], S.SUITABLE_NOT_READY)
    view = rs.move_referral(uow_factory(W_TM), ids[1], S.SUITABLE_NOT_READY)
    assert view.history[-1].actor == "tess (programme_team)"
    assert gs.enrol(uow_factory(W_TEAM), group_id=group, referral_id=ids[0]).places_taken == 1


def test_another_prisons_staff_find_nothing_to_read_change_or_list(uow_factory, world) -> None:
    ids, offering, group = world
    missing = "person 'T0000XX': not found; expected a known prison number or #<internal id>"
    unknown = "person 'Z9999ZZ': not found; expected a known prison number or #<internal id>"
    with pytest.raises(NotFound) as nobody:
        inc.level_history(uow_factory(U_REF), "Z9999ZZ")
    assert str(nobody.value) == unknown
    calls = [
        (lambda u: inc.level_history(u, "T0000XX"), missing),
        (lambda u: rs.create_referral(u, person="T0000XX", offering_id=offering), missing),
        (lambda u: cs.set_person_flags(u, person="T0000XX", ldc=True), missing),
        (lambda u: cs.record_sentence(u, person="T0000XX", start_date=dt.date(2020, 1, 1)), missing),
        (lambda u: inc.set_level(u, person="T0000XX", level=IncentiveLevel.BASIC,
                                 reason=LevelReason(LevelReasonCategory.BEHAVIOUR, "fight")), missing),
        (lambda u: rs.show_referral(u, ids[0]), f"referral {ids[0]}: not found"),
        (lambda u: rs.move_referral(u, ids[0], S.WITHDRAWN, reason=Reason(ReasonCategory.OTHER, "x")),
         f"referral {ids[0]}: not found"),
        (lambda u: rs.list_referrals(u, person="T0000XX"), missing),
    ]
    for call, message in calls:
        with pytest.raises(NotFound) as err:
            call(uow_factory(U_REF))
        assert str(err.value) == message
    team_calls = [
        (lambda u: gs.show_group(u, group), f"group {group}: not found"),
        (lambda u: gs.enrol(u, group_id=group, referral_id=ids[0]), f"group {group}: not found"),
        (lambda u: gs.allocate(u, group_id=group), f"group {group}: not found"),
        (lambda u: gs.waiting_list(u, offering), f"offering {offering}: not found"),
        (lambda u: gs.create_group(u, offering_id=offering, kind=GroupKind.ROLLING, capacity=2,
                                   planned_sessions=2), f"offering {offering}: not found"),
        (lambda u: transfer_referral(u, ids[0], to_offering_id=offering), f"referral {ids[0]}: not found"),
    ]
    for call, message in team_calls:
        with pytest.raises(NotFound) as err:
            call(uow_factory(U_TEAM))
        assert str(err.value) == message
    assert rs.list_referrals(uow_factory(U_REF)) == []
    assert [v.id for v in rs.list_referrals(uow_factory(W_REF))] == ids
    assert [v.id for v in rs.list_referrals(uow_factory(NATIONAL_TEAM))] == ids
    with pytest.raises(Forbidden, match="HMP Whatton is outside your organisation"):
        gs.create_offering(uow_factory(U_TEAM), programme_code="KAIZEN", site=WHATTON)
    with pytest.raises(Forbidden, match="outside your organisation"):
        cs.register_person(uow_factory(U_REF), prison_number="A9", date_of_birth=dt.date(1980, 1, 1), sex="M",
                           establishment=WHATTON)
    assert cs.register_person(uow_factory(U_REF), prison_number="A9", date_of_birth=dt.date(1980, 1, 1),
                              sex="M", establishment="HMP  usk").prison_number == "A9"


def test_a_referral_to_another_prison_brings_its_staff_the_man(uow_factory, world) -> None:
    ids, _, _ = world
    usk = gs.create_offering(uow_factory(U_TEAM), programme_code="HORIZON", site=USK)["id"]
    with pytest.raises(NotFound):
        rs.list_referrals(uow_factory(U_TEAM), person="T0000XX")
    # Whatton's team records that he moved to HMP Usk: the referral follows him, and Usk's staff see him
    transfer_referral(uow_factory(W_TEAM), ids[0], to_offering_id=usk,
                      reason=Reason(ReasonCategory.OPERATIONAL, "moved to HMP Usk"))
    assert [v.site for v in rs.list_referrals(uow_factory(U_TEAM), person="T0000XX")] == [USK]
    assert inc.level_history(uow_factory(U_REF), "T0000XX") == []


def test_incentive_reviews_move_only_the_users_own_men(uow_factory, world) -> None:
    basic = LevelReason(LevelReasonCategory.MAINTAINING_INNOCENCE, "denies")
    for number in ("T0000XX", "T0001XX"):
        inc.set_level(uow_factory(W_REF), person=number, level=IncentiveLevel.BASIC, reason=basic,
                      on=dt.date(2016, 3, 1))
    assert inc.review_basic(uow_factory(U_REF), on=dt.date(2017, 7, 1)) == []
    moved = inc.review_basic(uow_factory(W_REF), on=dt.date(2017, 7, 1))
    assert [m.prison_number for m in moved] == ["T0000XX", "T0001XX"]


def test_the_web_reads_scope_a_man_and_a_group_as_the_services_do(uow_factory, world) -> None:
    """The caseload pages and the group board use the scope services' one definition of a man's and a
    group's organisations: another prison's staff, an unknown id and a national user each get the answer
    the casework services give (an unknown id was once an AttributeError for a national user)."""
    from desist.services import caseload
    from desist.services.group_board import group_board

    ids, _, group = world
    with uow_factory("setup") as uow:
        person_id = uow.referrals.get(ids[0]).person_id
    assert caseload.person_page(uow_factory(W_REF), person_id).person.prison_number == "T0000XX"
    assert caseload.person_page(uow_factory(NATIONAL_TEAM), person_id).person.prison_number == "T0000XX"
    assert group_board(uow_factory(W_TEAM), group).group.id == group
    assert group_board(uow_factory(NATIONAL_TEAM), group).group.id == group
    calls = [
        (lambda u: caseload.person_page(u, person_id), f"person #{person_id}: not found"),
        (lambda u: caseload.referral_page(u, ids[0]), f"referral {ids[0]}: not found"),
        (lambda u: group_board(u, group), f"group {group}: not found"),
    ]
    for call, message in calls:
        with pytest.raises(NotFound) as err:
            call(uow_factory(U_TEAM))
        assert str(err.value) == message
    unknown = [
        (lambda u: caseload.person_page(u, 999_999), "person #999999: not found"),
        (lambda u: caseload.referral_page(u, 999_999), "referral 999999: not found"),
        (lambda u: group_board(u, 999_999), "group 999999: not found"),
    ]
    for who in (U_TEAM, NATIONAL_TEAM):
        for call, message in unknown:
            with pytest.raises(NotFound) as err:
                call(uow_factory(who))
            assert str(err.value) == message
    # a referral to a Usk offering makes him part of HMP Usk's records too (scope.person_organisations)
    usk = gs.create_offering(uow_factory(U_TEAM), programme_code="HORIZON", site=USK)["id"]
    transfer_referral(uow_factory(W_TEAM), ids[0], to_offering_id=usk,
                      reason=Reason(ReasonCategory.OPERATIONAL, "moved to HMP Usk"))
    assert caseload.person_page(uow_factory(U_TEAM), person_id).person.prison_number == "T0000XX"
