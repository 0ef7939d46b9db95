"""Concurrency: capacity under 50 simultaneous enrolments, and two people changing one referral at once.

Every thread has its own unit of work (own session and connection), as separate users would.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from desist.adapters.orm import AuditLog, Enrolment, Referral, ReferralStatusChange
from desist.domain.errors import CapacityError, Conflict
from desist.domain.groups import GroupKind
from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
from desist.services import groups as gs
from desist.services import referrals as rs
from tests.integration.casework_helpers import suitable_referrals

S = ReferralStatus


def _run_at_once(n, fn):
    """Run fn(i) for i in range(n) in n threads released together; return (results, errors) by index."""
    barrier = threading.Barrier(n)
    results: dict[int, object] = {}
    errors: dict[int, BaseException] = {}

    def call(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # collected and asserted on below
            errors[i] = exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(call, range(n)))
    return results, errors


def test_fifty_concurrent_enrolments_into_ten_places(uow_factory, session_factory):
    referral_ids, offering_id = suitable_referrals(uow_factory, 50)
    group = gs.create_group(
        uow_factory("lead"),
        offering_id=offering_id,
        kind=GroupKind.ROLLING,
        capacity=10,
        planned_sessions=20,
    )

    results, errors = _run_at_once(
        50,
        lambda i: gs.enrol(uow_factory(f"user{i}"), group_id=group.id, referral_id=referral_ids[i]),
    )

    assert len(results) == 10 and len(errors) == 40
    assert all(isinstance(e, CapacityError) for e in errors.values()), {type(e) for e in errors.values()}
    assert all(
        str(e) == f"group {group.id}: full (10 of 10 places taken); expected a free place"
        for e in errors.values()
    )
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Enrolment)) == 10
        statuses = s.scalars(select(Referral.status).where(Referral.id.in_(referral_ids))).all()
        assert statuses.count(S.ON_PROGRAMME.value) == 10 and statuses.count(S.ASSESSED_SUITABLE.value) == 40
        winners = {referral_ids[i] for i in results}
        enrolled = set(s.scalars(select(Enrolment.referral_id)))
        assert enrolled == winners
        # each success wrote exactly one enrolment insert to the audit log, refusals wrote nothing
        assert (
            s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "enrolment")) == 10
        )
    assert gs.show_group(uow_factory(), group.id).places_taken == 10


def test_two_people_change_one_referral_at_once(uow_factory, session_factory):
    (referral_id,), _ = suitable_referrals(uow_factory, 1, status=S.AWAITING_ASSESSMENT)
    seen = rs.show_referral(uow_factory(), referral_id)
    hold = Reason(ReasonCategory.OPERATIONAL, "transferred to another prison")
    moves = [
        lambda: rs.move_referral(
            uow_factory("ann"), referral_id, S.ASSESSMENT_STARTED, expected_version=seen.version
        ),
        lambda: rs.move_referral(
            uow_factory("raj"),
            referral_id,
            S.ON_HOLD_AWAITING_ASSESSMENT,
            reason=hold,
            expected_version=seen.version,
        ),
    ]
    results, errors = _run_at_once(2, lambda i: moves[i]())

    assert len(results) == 1 and len(errors) == 1
    (loser,) = errors.values()
    assert isinstance(loser, Conflict) and "changed by someone else" in str(loser)
    (winner,) = results.values()
    with session_factory() as s:
        r = s.get(Referral, referral_id)
        assert r.status == winner.status and r.version == seen.version + 1
        changes = s.scalars(
            select(ReferralStatusChange.to_status)
            .where(ReferralStatusChange.referral_id == referral_id)
            .order_by(ReferralStatusChange.id)
        ).all()
        assert changes[-2:] == [S.AWAITING_ASSESSMENT.value, winner.status]  # the winner's change, once
        updates = s.scalars(
            select(AuditLog)
            .where(
                AuditLog.entity == "referral",
                AuditLog.action == "update",
                AuditLog.entity_id == str(referral_id),
            )
            .order_by(AuditLog.id)
        ).all()
        assert (
            updates[-1].after["status"] == winner.status
            and updates[-1].before["status"] == "AWAITING_ASSESSMENT"
        )


def test_stale_write_is_a_conflict_not_a_lost_update(backend, uow_factory, session_factory):
    """Version column: two transactions read the same referral, the second to write is refused."""
    if backend == "sqlite":
        pytest.skip(
            "SQLite serialises transactions (BEGIN IMMEDIATE), so two cannot both read before writing"
        )
    (referral_id,), _ = suitable_referrals(uow_factory, 1, status=S.AWAITING_ASSESSMENT)
    with uow_factory("ann") as first, uow_factory("raj") as second:
        a = rs.get_referral(first, referral_id)
        b = rs.get_referral(second, referral_id)
        rs.apply_transition(first, a, S.ASSESSMENT_STARTED)
        first.commit()
        rs.apply_transition(
            second,
            b,
            S.ON_HOLD_AWAITING_ASSESSMENT,
            Reason(ReasonCategory.PERSONAL, "in hospital"),
        )
        with pytest.raises(Conflict, match="changed by someone else"):
            second.commit()
    with session_factory() as s:
        assert s.get(Referral, referral_id).status == S.ASSESSMENT_STARTED.value
        held = s.scalar(
            select(func.count())
            .select_from(ReferralStatusChange)
            .where(ReferralStatusChange.to_status == S.ON_HOLD_AWAITING_ASSESSMENT.value)
        )
        assert held == 0


def test_closed_group_refuses_joiners_after_its_last_joining_session(uow_factory):
    referral_ids, offering_id = suitable_referrals(uow_factory, 2)
    g = gs.create_group(
        uow_factory(),
        offering_id=offering_id,
        kind=GroupKind.CLOSED,
        capacity=8,
        planned_sessions=10,
        last_joining_session=2,
    )
    gs.enrol(uow_factory(), group_id=g.id, referral_id=referral_ids[0])
    for day in (1, 2):
        gs.record_session(uow_factory(), group_id=g.id, held_on=dt.date(2025, 1, day))
    with pytest.raises(CapacityError, match="no joiners after session 2"):
        gs.enrol(uow_factory(), group_id=g.id, referral_id=referral_ids[1])
