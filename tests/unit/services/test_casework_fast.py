"""The casework services on the in-memory unit of work: the fast tier (no database, milliseconds a test).

The same services run on SQLite and PostgreSQL in tests/integration; here they run on the fakes in
``fakes.py``, so the rules in the services (not the database's) are checked quickly and in isolation.
"""

from __future__ import annotations

import datetime as dt

import pytest

from desist.domain.errors import CapacityError, Conflict, Forbidden, InputError, InvalidTransition, NotFound
from desist.domain.groups import GroupKind
from desist.domain.incentives import IncentiveLevel, LevelReason, LevelReasonCategory
from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
from desist.services import casework as cw
from desist.services import groups as gs
from desist.services import incentives as inc
from desist.services import referrals as rs
from tests.principals import as_user
from tests.unit.services.fakes import factory

S = ReferralStatus


@pytest.fixture
def uow():  # type: ignore[no-untyped-def]
    return factory()


def _man(uow, number: str, band: str = "medium", release: dt.date = dt.date(2028, 1, 1)) -> int:  # type: ignore[no-untyped-def]
    pid = cw.register_person(uow(), prison_number=number, date_of_birth=dt.date(1980, 1, 2), sex="M").id
    cw.record_sentence(uow(), person=number, start_date=dt.date(2010, 1, 1), release_date=release)
    cw.record_assessment(
        uow(),
        person=number,
        assessed_on=dt.date(2024, 1, 1),
        tool="OSP",
        inputs={},
        outputs={"risk_band": band, "offence_type": "contact"},
    )
    return pid


def _suitable(uow, number: str, offering_id: int) -> int:  # type: ignore[no-untyped-def]
    v = rs.create_referral(
        uow("rita"), person=number, offering_id=offering_id, referred_on=dt.date(2024, 6, 1)
    )
    rs.move_referral(
        uow("rita"),
        v.id,
        S.REFERRAL_SUBMITTED,
        assessment_confirmed=True,
        programme_history_reviewed=True,
    )
    for target in (S.AWAITING_ASSESSMENT, S.ASSESSMENT_STARTED, S.ASSESSED_SUITABLE):
        v = rs.move_referral(uow("tom"), v.id, target)
    return v.id


def test_register_find_and_duplicate(uow) -> None:  # type: ignore[no-untyped-def]
    first = cw.register_person(uow(), prison_number="a1234bc", date_of_birth=dt.date(1980, 1, 2), sex="M")
    assert (first.id, first.prison_number, first.version) == (1, "A1234BC", 1)
    with uow() as u:
        assert cw.find_person(u, "A1234BC").id == 1
        assert cw.find_person(u, "#1").prison_number == "A1234BC"
        with pytest.raises(NotFound, match="#<internal id>"):
            cw.find_person(u, "Z9")
    with pytest.raises(Conflict, match="prison_number"):
        cw.register_person(uow(), prison_number="A1234BC", date_of_birth=dt.date(1980, 1, 2), sex="M")
    with pytest.raises(InputError, match="badly formed"):
        cw.register_person(uow(), prison_number="A-1", date_of_birth=dt.date(1980, 1, 2), sex="M")


def test_flags_version_check_and_no_op(uow) -> None:  # type: ignore[no-untyped-def]
    cw.register_person(uow(), prison_number="A1", date_of_birth=dt.date(1980, 1, 2), sex="M")
    changed = cw.set_person_flags(uow(), person="A1", maintains_innocence=True, expected_version=1)
    assert (changed.maintains_innocence, changed.version) == (True, 2)
    with pytest.raises(Conflict, match=r"person A1 was changed by someone else \(version 2, you had 1\)"):
        cw.set_person_flags(uow(), person="A1", ldc=True, expected_version=1)
    assert cw.set_person_flags(uow(), person="A1", maintains_innocence=True).version == 2  # nothing changed


def test_a_refused_change_writes_nothing(uow) -> None:  # type: ignore[no-untyped-def]
    _man(uow, "A1")
    with pytest.raises(InputError, match="release date"):
        cw.record_sentence(
            uow(), person="A1", start_date=dt.date(2020, 1, 1), release_date=dt.date(2019, 1, 1)
        )
    with uow() as u:
        assert len(u.sentences.for_person(1)) == 1


def test_referral_to_group_to_completion(uow) -> None:  # type: ignore[no-untyped-def]
    offering = gs.create_offering(uow(), programme_code="Horizon", site="HMP Test")
    for number in ("A1", "A2", "A3"):
        _man(uow, number)
    ids = [_suitable(uow, n, offering["id"]) for n in ("A1", "A2", "A3")]
    with pytest.raises(Conflict, match="already has open referral"):
        rs.create_referral(uow("rita"), person="A1", offering_id=offering["id"])
    group = gs.create_group(
        uow(), offering_id=offering["id"], kind=GroupKind.CLOSED, capacity=2, planned_sessions=2
    )
    alloc = gs.allocate(uow("tom"), group_id=group.id, on=dt.date(2025, 1, 6))
    assert alloc.enrolled_referrals == (ids[0], ids[1]) and alloc.group.places_taken == 2
    with pytest.raises(CapacityError):
        gs.enrol(uow("tom"), group_id=group.id, referral_id=ids[2])
    for day in (7, 8):
        gs.record_session(
            uow("tom"),
            group_id=group.id,
            held_on=dt.date(2025, 1, day),
            attendance={"A1": "attended", "A2": "absent"},
        )
    done = gs.complete(
        uow("tom"), group_id=group.id, person="A1", targets_met=True, on=dt.date(2025, 1, 9)
    )
    assert done.status == "PROGRAMME_COMPLETE"
    assert [h.to_status for h in done.history][-2:] == ["ON_PROGRAMME", "PROGRAMME_COMPLETE"]
    with pytest.raises(InvalidTransition):  # 0 of 2 attended: below the threshold
        gs.complete(
            uow("tom"), group_id=group.id, person="A2", targets_met=True, on=dt.date(2025, 1, 9)
        )
    view = gs.show_group(uow(), group.id)
    member = next(m for m in view.members if m.prison_number == "A1")
    assert (member.sessions_attended, member.sessions_offered, member.completed) == (2, 2, True)
    with uow() as u:
        assert [h.result for h in u.programme_history._rows()] == ["completed"]


def test_waiting_list_priority_and_roles(uow) -> None:  # type: ignore[no-untyped-def]
    offering = gs.create_offering(uow(), programme_code="Horizon", site="HMP Test")
    _man(uow, "A1", release=dt.date(2029, 1, 1))
    _man(uow, "A2", release=dt.date(2026, 1, 1))
    first, second = _suitable(uow, "A1", offering["id"]), _suitable(uow, "A2", offering["id"])
    assert [e.referral_id for e in gs.waiting_list(uow(), offering["id"])] == [second, first]
    with pytest.raises(Forbidden, match="referrer .* may not; needs programme_team or treatment_manager"):
        gs.create_group(
            uow(as_user("referrer", national=True)),
            offering_id=offering["id"],
            kind=GroupKind.ROLLING,
            capacity=4,
            planned_sessions=3,
        )


def test_stale_referral_version_is_refused(uow) -> None:  # type: ignore[no-untyped-def]
    offering = gs.create_offering(uow(), programme_code="Horizon", site="HMP Test")
    _man(uow, "A1")
    rid = _suitable(uow, "A1", offering["id"])
    seen = rs.show_referral(uow(), rid)
    rs.move_referral(uow(), rid, S.SUITABLE_NOT_READY)
    with pytest.raises(Conflict, match=f"referral {rid} was changed by someone else"):
        rs.move_referral(
            uow(),
            rid,
            S.WITHDRAWN,
            reason=Reason(ReasonCategory.OTHER, "x"),
            expected_version=seen.version,
        )


def test_incentive_change_order_and_the_2017_review(uow) -> None:  # type: ignore[no-untyped-def]
    _man(uow, "A1")
    refuses = LevelReason(LevelReasonCategory.NON_PARTICIPATION, "refuses the programme")
    inc.set_level(
        uow(),
        person="A1",
        level=IncentiveLevel.STANDARD,
        reason=LevelReason(LevelReasonCategory.OTHER, "reception"),
        on=dt.date(2015, 1, 1),
    )
    inc.set_level(uow(), person="A1", level=IncentiveLevel.BASIC, reason=refuses, on=dt.date(2016, 1, 1))
    with pytest.raises(InputError, match="before his latest level change"):
        inc.set_level(
            uow(), person="A1", level=IncentiveLevel.STANDARD, reason=refuses, on=dt.date(2015, 6, 1)
        )
    preview = inc.review_basic(uow(), on=dt.date(2017, 7, 1), dry_run=True)
    assert [v.prison_number for v in preview] == ["A1"]
    assert [v.to_level for v in inc.level_history(uow(), "A1")] == [
        "standard",
        "basic",
    ]  # dry run wrote nothing
    inc.review_basic(uow(), on=dt.date(2017, 7, 1))
    assert [v.to_level for v in inc.level_history(uow(), "A1")] == ["standard", "basic", "standard"]


def test_impossible_histories_are_refused_and_nothing_is_written(uow) -> None:  # type: ignore[no-untyped-def]
    _man(uow, "A1")  # born 1980-01-02, sentence from 2010-01-01
    with pytest.raises(
        InputError, match=r"^sentence start: 1979-12-31 is before his date of birth \(1980-01-02\)"
    ):
        cw.record_sentence(uow(), person="A1", start_date=dt.date(1979, 12, 31))
    reception = LevelReason(LevelReasonCategory.RECEPTION, "arrival")
    with pytest.raises(InputError, match="before his first sentence started"):
        inc.set_level(
            uow(), person="A1", level=IncentiveLevel.STANDARD, reason=reception, on=dt.date(2009, 6, 1)
        )
    offering = gs.create_offering(uow(), programme_code="Horizon", site="HMP Test")
    rid = _suitable(uow, "A1", offering["id"])  # referred on 2024-06-01
    group = gs.create_group(
        uow(), offering_id=offering["id"], kind=GroupKind.ROLLING, capacity=4, planned_sessions=3
    )
    with pytest.raises(InputError, match=f"joining date: 2024-05-31 is before referral {rid} was made"):
        gs.enrol(uow(), group_id=group.id, referral_id=rid, on=dt.date(2024, 5, 31))
    with uow() as u:
        assert len(u.sentences.for_person(1)) == 1
        assert u.incentives.for_person(1) == []
        assert u.groups.enrolments(group.id) == []
    assert rs.show_referral(uow(), rid).status == "ASSESSED_SUITABLE"
