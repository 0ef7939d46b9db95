"""Group, referral and incentive use cases on SQLite and PostgreSQL: mixing, rolling groups, deselection that
keeps a referral open, duplicate referrals at once, and the 2017 Basic review with its audit trail."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from desist.adapters.orm import AuditLog, Enrolment, IncentiveLevelChange, ProgrammeHistory, Referral
from desist.domain.errors import Conflict, InputError, InvalidTransition
from desist.domain.groups import GroupKind
from desist.domain.incentives import IncentiveLevel, LevelReason, LevelReasonCategory
from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
from desist.services import casework as cw
from desist.services import groups as gs
from desist.services import incentives as inc
from desist.services import referrals as rs
from tests.integration.casework_helpers import suitable_referrals

S = ReferralStatus
L, C = IncentiveLevel, LevelReasonCategory


def _band(uow_factory, referral_id, band, release):
    """Give the man of a referral a new assessment band and a release date."""
    with uow_factory("setup") as uow:
        person_id = uow.session.get(Referral, referral_id).person_id
    cw.record_assessment(
        uow_factory(),
        person=person_id,
        assessed_on=dt.date(2024, 6, 1),
        tool="OSP",
        inputs={},
        outputs={"risk_band": band},
    )
    cw.record_sentence(uow_factory(), person=person_id, start_date=dt.date(2024, 6, 1), release_date=release)


def test_allocation_follows_priority_and_mixing_rules(uow_factory, session_factory):
    ids, offering_id = suitable_referrals(uow_factory, 4)
    _band(uow_factory, ids[0], "medium", dt.date(2027, 1, 1))
    _band(uow_factory, ids[1], "low", dt.date(2026, 1, 1))  # earliest release, but low risk
    _band(uow_factory, ids[2], "very_high", dt.date(2026, 6, 1))
    _band(uow_factory, ids[3], "high", dt.date(2028, 1, 1))
    g = gs.create_group(
        uow_factory(), offering_id=offering_id, kind=GroupKind.CLOSED, capacity=2, planned_sessions=6
    )
    result = gs.allocate(uow_factory(), group_id=g.id, on=dt.date(2025, 3, 3))
    # low-risk man first (earliest release); the very-high man is passed over; medium fills the last place
    assert result.enrolled_referrals == (ids[1], ids[0])
    assert [(rid, "low-risk" in why) for rid, why in result.passed_over] == [(ids[2], True)]
    with session_factory() as s:
        assert set(s.scalars(select(Enrolment.referral_id))) == {ids[0], ids[1]}
        assert s.get(Referral, ids[2]).status == S.ASSESSED_SUITABLE.value  # still waiting for another group
    remaining = gs.waiting_list(uow_factory(), offering_id)
    assert [e.referral_id for e in remaining] == [ids[2], ids[3]]


def test_rolling_group_tracks_each_members_own_stage(uow_factory):
    ids, offering_id = suitable_referrals(uow_factory, 2)
    g = gs.create_group(
        uow_factory(), offering_id=offering_id, kind=GroupKind.ROLLING, capacity=6, planned_sessions=3
    )
    gs.enrol(uow_factory(), group_id=g.id, referral_id=ids[0], on=dt.date(2025, 1, 1))
    day = iter(dt.date(2025, 1, d) for d in range(2, 30))
    for _ in range(3):
        gs.record_session(
            uow_factory(), group_id=g.id, held_on=next(day), attendance={"T0000XX": "attended"}
        )
    gs.enrol(
        uow_factory(), group_id=g.id, referral_id=ids[1], on=dt.date(2025, 1, 5)
    )  # joins at session 4
    gs.complete(
        uow_factory(), group_id=g.id, person="T0000XX", targets_met=True, on=dt.date(2025, 1, 4)
    )
    for _ in range(2):
        gs.record_session(
            uow_factory(), group_id=g.id, held_on=next(day), attendance={"T0001XX": "attended"}
        )
    with pytest.raises(InvalidTransition, match="2 of 3 planned sessions held since joining"):
        gs.complete(uow_factory(), group_id=g.id, person="T0001XX", targets_met=True)
    with pytest.raises(InputError, match="not a member of group .* at session 6"):
        gs.record_session(
            uow_factory(), group_id=g.id, held_on=next(day), attendance={"T0000XX": "attended"}
        )
    view = gs.show_group(uow_factory(), g.id)
    assert view.sessions_held == 5  # the refused session was not half-written
    late = next(m for m in view.members if m.prison_number == "T0001XX")
    assert (late.joined_session, late.sessions_offered, late.sessions_attended) == (4, 2, 2)
    gs.record_session(
        uow_factory(), group_id=g.id, held_on=next(day), attendance={"T0001XX": "absent"}
    )
    gs.record_attendance(
        uow_factory(), group_id=g.id, session_number=6, marks={"T0001XX": "attended"}
    )
    done = gs.complete(uow_factory(), group_id=g.id, person="T0001XX", targets_met=True)
    assert done.status == S.PROGRAMME_COMPLETE.value
    view = gs.show_group(uow_factory(), g.id)
    first = next(m for m in view.members if m.prison_number == "T0000XX")
    assert (first.sessions_offered, first.sessions_attended) == (3, 3)  # nothing counted after he left
    # the group view counts all members at once; the completion check one member with its own queries
    with uow_factory() as uow:
        one_by_one = [
            rs.enrolment_progress(uow, e, bool(e.targets_met)) for e in uow.groups.enrolments(g.id)
        ]
    assert [(m.sessions_offered, m.sessions_attended, m.attendance_rate) for m in view.members] == [
        (p.sessions_offered, p.sessions_attended, round(p.attendance_rate, 4)) for p in one_by_one
    ] == [(3, 3, 1.0), (3, 3, 1.0)]


def test_deselection_back_to_suitable_keeps_the_referral_open(uow_factory, session_factory):
    ids, offering_id = suitable_referrals(uow_factory, 1)
    first = gs.create_group(
        uow_factory(), offering_id=offering_id, kind=GroupKind.CLOSED, capacity=4, planned_sessions=2
    )
    gs.enrol(uow_factory(), group_id=first.id, referral_id=ids[0], on=dt.date(2025, 1, 1))
    with pytest.raises(InputError, match="needs a reason"):
        gs.deselect(
            uow_factory(), group_id=first.id, person="T0000XX", reason=None, to=S.SUITABLE_NOT_READY
        )
    view = gs.deselect(
        uow_factory(),
        group_id=first.id,
        person="T0000XX",
        to=S.SUITABLE_NOT_READY,
        reason=Reason(ReasonCategory.PERSONAL, "in hospital"),
        on=dt.date(2025, 1, 10),
    )
    assert view.status == S.SUITABLE_NOT_READY.value and view.history[-1].reason_category == "personal"
    rs.move_referral(uow_factory(), ids[0], S.ASSESSED_SUITABLE)
    second = gs.create_group(
        uow_factory(), offering_id=offering_id, kind=GroupKind.CLOSED, capacity=4, planned_sessions=2
    )
    gs.enrol(uow_factory(), group_id=second.id, referral_id=ids[0], on=dt.date(2025, 3, 1))
    with session_factory() as s:
        history = s.execute(
            select(ProgrammeHistory.result, ProgrammeHistory.started_on, ProgrammeHistory.ended_on)
        ).all()
        assert [tuple(h) for h in history] == [("incomplete", dt.date(2025, 1, 1), dt.date(2025, 1, 10))]
        assert s.get(Referral, ids[0]).status == S.ON_PROGRAMME.value


def test_two_duplicate_referrals_at_once_only_one_is_created(uow_factory, session_factory):
    ids, offering_id = suitable_referrals(uow_factory, 1, status=S.WITHDRAWN)  # a closed one does not block
    barrier, outcomes = threading.Barrier(2), []

    def create():
        barrier.wait()
        try:
            outcomes.append(
                rs.create_referral(
                    uow_factory(), person="T0000XX", offering_id=offering_id
                )
            )
        except Exception as exc:  # any error is recorded; the assertion below names its type
            outcomes.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "ReferralView"]
    refused = next(o for o in outcomes if isinstance(o, Conflict))
    assert "HORIZON" in str(refused) and "is a duplicate" in str(refused)
    with session_factory() as s:
        open_count = s.scalar(
            select(func.count()).select_from(Referral).where(Referral.status == "REFERRAL_STARTED")
        )
        assert open_count == 1


def test_incentive_changes_and_the_2017_review(uow_factory, session_factory):
    suitable_referrals(uow_factory, 4)  # four men: T0000XX .. T0003XX
    basic = {
        "T0000XX": LevelReason(C.MAINTAINING_INNOCENCE, "denies; cannot do SOTP"),
        "T0001XX": LevelReason(C.NON_PARTICIPATION, "refused SOTP"),
        "T0002XX": LevelReason(C.BEHAVIOUR, "assault on staff"),
    }
    for man, reason in basic.items():
        inc.set_level(
            uow_factory("wing"),
            person=man,
            level=L.STANDARD,
            reason=LevelReason(C.RECEPTION, "arrival"),
            on=dt.date(2014, 1, 1),
        )
        inc.set_level(uow_factory("wing"), person=man, level=L.BASIC, reason=reason, on=dt.date(2015, 5, 1))
    inc.set_level(
        uow_factory("wing"),
        person="T0003XX",
        level=L.ENTRY,
        reason=LevelReason(C.RECEPTION, "arrival"),
        on=dt.date(2015, 1, 1),
    )
    with pytest.raises(InputError, match="before his latest level change"):
        inc.set_level(
            uow_factory("wing"),
            person="T0000XX",
            level=L.STANDARD,
            reason=LevelReason(C.REVIEW, "x"),
            on=dt.date(2015, 1, 1),
        )

    preview = inc.review_basic(uow_factory("hq"), on=dt.date(2017, 7, 1), dry_run=True)
    assert [v.prison_number for v in preview] == ["T0000XX", "T0001XX"]
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(IncentiveLevelChange)) == 7  # dry run wrote nothing
    moved = inc.review_basic(uow_factory("hq"), on=dt.date(2017, 7, 1))
    assert [(v.prison_number, v.from_level, v.to_level) for v in moved] == [
        ("T0000XX", "basic", "standard"),
        ("T0001XX", "basic", "standard"),
    ]
    assert inc.review_basic(uow_factory("hq"), on=dt.date(2017, 7, 2)) == []  # nothing left to reverse
    with session_factory() as s:
        audit = s.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "incentive_level_change", AuditLog.actor == "hq")
            .order_by(AuditLog.id)
        ).all()
        assert [(a.action, a.after["level"], a.after["reason_category"]) for a in audit] == [
            ("insert", "Standard", "policy"),
            ("insert", "Standard", "policy"),
        ]
    assert [v.to_level for v in inc.level_history(uow_factory(), "T0002XX")] == ["standard", "basic"]

    # after the review, a man maintaining innocence may not be put back on Basic for not taking part
    with pytest.raises(InvalidTransition, match="maintaining innocence may not be placed on basic"):
        inc.set_level(
            uow_factory("wing"),
            person="T0000XX",
            level=L.BASIC,
            reason=LevelReason(C.NON_PARTICIPATION, "refuses Kaizen"),
            on=dt.date(2018, 1, 1),
            maintains_innocence=True,
        )
    entry = inc.review_entry(uow_factory("hq"))
    assert [(v.prison_number, v.from_level, v.to_level, v.effective_on) for v in entry] == [
        ("T0003XX", "entry", "standard", dt.date(2019, 9, 1))
    ]
    with pytest.raises(InvalidTransition, match="entry level did not exist on 2020-01-01"):
        inc.set_level(
            uow_factory("wing"),
            person="T0002XX",
            level=L.ENTRY,
            reason=LevelReason(C.REVIEW, "x"),
            on=dt.date(2020, 1, 1),
        )
