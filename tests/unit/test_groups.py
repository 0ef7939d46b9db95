"""Group rules: capacity, joining, mixing, waiting-list priority, allocation and completion."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desist.domain.errors import CapacityError, InputError, InvalidTransition
from desist.domain.groups import (
    GroupKind,
    GroupPolicy,
    Member,
    MixingRuleError,
    OffenceContact,
    Progress,
    WaitingEntry,
    check_can_join,
    check_completion,
    check_mixing,
    mixing_conflict,
    order_waiting_list,
    parse_enum,
    plan_allocation,
    policy_data,
)
from desist.domain.risk.bands import ORDERED_BANDS, Band

POLICY = GroupPolicy(attendance_threshold=0.8, closed_group_last_joining_session=3)


def man(key, band=Band.MEDIUM, offence=OffenceContact.CONTACT):
    return Member(key, band, offence)


def entry(rid, referred, release=None, band=Band.MEDIUM, offence=OffenceContact.CONTACT):
    return WaitingEntry(rid, referred, release, man(rid, band, offence))


def test_policy_defaults_come_from_data_with_sources():
    data = policy_data()["groups"]
    assert GroupPolicy().attendance_threshold == data["attendance_threshold"]["value"] == 0.8
    assert all("source" in fact and "verified" in fact for fact in data.values())
    with pytest.raises(InputError, match="attendance_threshold"):
        GroupPolicy(attendance_threshold=1.5)
    with pytest.raises(InputError, match="closed_group_last_joining_session"):
        GroupPolicy(closed_group_last_joining_session=0)


def test_capacity_is_never_exceeded():
    check_can_join(GroupKind.CLOSED, capacity=10, members=9, sessions_held=0, last_joining_session=3)
    with pytest.raises(CapacityError, match=r"full \(10 of 10 places taken\)"):
        check_can_join(GroupKind.ROLLING, capacity=10, members=10, sessions_held=0, last_joining_session=None)


def test_closed_group_stops_taking_joiners_after_its_set_session():
    for held in (0, 1, 2):
        check_can_join(GroupKind.CLOSED, capacity=10, members=5, sessions_held=held, last_joining_session=3)
    with pytest.raises(CapacityError, match="no joiners after session 3 .3 sessions held."):
        check_can_join(GroupKind.CLOSED, capacity=10, members=5, sessions_held=3, last_joining_session=3)


def test_rolling_group_takes_joiners_at_any_session():
    for held in (0, 3, 50, 500):
        check_can_join(GroupKind.ROLLING, capacity=10, members=5, sessions_held=held, last_joining_session=3)


def test_no_low_risk_man_with_high_or_very_high_risk_men():
    high_group = [man(1, Band.HIGH), man(2, Band.MEDIUM)]
    with pytest.raises(MixingRuleError, match="low-risk man may not join"):
        check_mixing(man(9, Band.LOW), high_group, POLICY)
    with pytest.raises(MixingRuleError, match="very high-risk man may not join a group with low-risk men"):
        check_mixing(man(9, Band.VERY_HIGH), [man(1, Band.LOW)], POLICY)
    check_mixing(man(9, Band.LOW), [man(1, Band.MEDIUM), man(2, Band.LOW)], POLICY)
    check_mixing(man(9, Band.HIGH), [man(1, Band.MEDIUM), man(2, Band.VERY_HIGH)], POLICY)
    relaxed = GroupPolicy(no_low_risk_with_high_risk=False)
    assert mixing_conflict(man(9, Band.LOW), high_group, relaxed) is None
    assert issubclass(MixingRuleError, CapacityError)


def test_unknown_risk_band_is_refused_while_the_rule_is_on():
    assert "risk band unknown" in mixing_conflict(man(9, None), [], POLICY)


def test_contact_and_non_contact_separation_is_optional():
    group = [man(1, offence=OffenceContact.CONTACT)]
    candidate = man(9, offence=OffenceContact.NON_CONTACT)
    assert mixing_conflict(candidate, group, POLICY) is None  # default: not separated (Horizon/Kaizen)
    separated = GroupPolicy(separate_contact_and_non_contact=True)
    assert "contact/non-contact separated" in mixing_conflict(candidate, group, separated)
    assert mixing_conflict(candidate, [man(2, offence=OffenceContact.NON_CONTACT)], separated) is None
    assert "offence type" in mixing_conflict(man(9, offence=None), group, separated)


def test_waiting_list_priority_earliest_release_then_referral_date():
    entries = [
        entry(1, date(2024, 1, 1), release=None),
        entry(2, date(2024, 3, 1), release=date(2026, 1, 1)),
        entry(3, date(2024, 2, 1), release=date(2025, 6, 1)),
        entry(4, date(2024, 1, 15), release=date(2026, 1, 1)),
        entry(5, date(2023, 12, 1), release=None),
        entry(6, date(2024, 1, 15), release=date(2026, 1, 1)),
    ]
    assert [e.referral_id for e in order_waiting_list(entries)] == [3, 4, 6, 2, 5, 1]


def test_allocation_fills_places_in_priority_order_and_respects_mixing():
    waiting = [
        entry(1, date(2024, 1, 1), date(2025, 1, 1), Band.HIGH),
        entry(2, date(2024, 1, 1), date(2025, 2, 1), Band.LOW),
        entry(3, date(2024, 1, 1), date(2025, 3, 1), Band.MEDIUM),
        entry(4, date(2024, 1, 1), date(2025, 4, 1), Band.VERY_HIGH),
        entry(5, date(2024, 1, 1), date(2025, 5, 1), Band.MEDIUM),
    ]
    plan = plan_allocation(waiting, members=[man(100, Band.MEDIUM)], places=3, policy=POLICY)
    assert [e.referral_id for e in plan.chosen] == [1, 3, 4]
    assert [(e.referral_id, "low-risk" in why) for e, why in plan.passed_over] == [(2, True)]
    none_free = plan_allocation(waiting, members=[], places=0, policy=POLICY)
    assert none_free.chosen == () and none_free.passed_over == ()


def test_allocation_checks_each_man_against_those_chosen_before_him():
    # the first low-risk man is chosen; the high-risk man after him must be passed over
    waiting = [entry(1, date(2024, 1, 1), date(2025, 1, 1), Band.LOW),
               entry(2, date(2024, 1, 1), date(2025, 2, 1), Band.HIGH)]  # fmt: skip
    plan = plan_allocation(waiting, members=[], places=2, policy=POLICY)
    assert [e.referral_id for e in plan.chosen] == [1]
    assert plan.passed_over[0][0].referral_id == 2


@pytest.mark.parametrize(
    ("attended", "offered", "targets", "error"),
    [
        (8, 10, True, None),
        (10, 10, True, None),
        (7, 10, True, r"attended 7 of 10 sessions \(70%\), policy needs 80%"),
        (8, 10, False, "treatment targets not recorded as met"),
        (8, 9, True, "9 of 10 planned sessions held since joining"),
    ],
)
def test_completion_needs_threshold_and_targets(attended, offered, targets, error):
    progress = Progress(
        planned_sessions=10, sessions_offered=offered, sessions_attended=attended, targets_met=targets
    )
    if error is None:
        check_completion(progress, POLICY)
    else:
        with pytest.raises(InvalidTransition, match=error):
            check_completion(progress, POLICY)


def test_attendance_rate_is_capped_and_a_rolling_member_may_catch_up():
    caught_up = Progress(planned_sessions=4, sessions_offered=6, sessions_attended=5, targets_met=True)
    assert caught_up.attendance_rate == 1.0
    check_completion(caught_up, POLICY)
    behind = Progress(planned_sessions=4, sessions_offered=4, sessions_attended=2, targets_met=True)
    with pytest.raises(InvalidTransition, match="attended 2 of 4"):
        check_completion(behind, POLICY)


def test_completion_threshold_is_a_setting():
    progress = Progress(planned_sessions=10, sessions_offered=10, sessions_attended=7, targets_met=True)
    check_completion(progress, GroupPolicy(attendance_threshold=0.7))
    assert progress.attendance_rate == pytest.approx(0.7)
    with pytest.raises(InvalidTransition, match="no session plan"):
        check_completion(Progress(0, 0, 0, True), POLICY)


def test_parse_enum():
    assert parse_enum(Band, "Very-High", "risk band") is Band.VERY_HIGH
    assert parse_enum(GroupKind, None, "kind") is None
    with pytest.raises(InputError, match="kind: 'open' is unknown; expected one of closed, rolling"):
        parse_enum(GroupKind, "open", "kind")


# Property: whatever the waiting list, allocation never overfills, never breaks the mixing rules, and takes
# men in priority order (each man passed over had a mixing reason, never "no room").
bands = st.sampled_from([*ORDERED_BANDS, None])
offences = st.sampled_from([*OffenceContact, None])
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    waiting=st.lists(st.tuples(days, st.none() | days, bands, offences), max_size=25),
    members=st.lists(st.tuples(bands, offences), max_size=6),
    places=st.integers(min_value=0, max_value=12),
    separate=st.booleans(),
)
def test_allocation_invariants(waiting, members, places, separate):
    policy = GroupPolicy(separate_contact_and_non_contact=separate)
    entries = [
        WaitingEntry(i, referred, release, Member(i, b, o))
        for i, (referred, release, b, o) in enumerate(waiting)
    ]
    current = [Member(100 + i, b, o) for i, (b, o) in enumerate(members)]
    plan = plan_allocation(entries, current, places, policy)
    assert len(plan.chosen) <= places
    group = list(current)
    for e in plan.chosen:  # every chosen man was acceptable to the group as it stood when he joined
        assert mixing_conflict(e.member, group, policy) is None
        group.append(e.member)
    ordered = order_waiting_list(entries)
    seen = [e for e in ordered if e in plan.chosen or any(e is p for p, _ in plan.passed_over)]
    assert seen == ordered[: len(seen)]  # considered strictly in priority order
    assert all(why for _, why in plan.passed_over)
