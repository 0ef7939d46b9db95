"""Records of events (incentive changes, sessions, leaving a programme, assessments, reoffences) cannot be
dated after today; a day's tolerance allows for time zones."""

from __future__ import annotations

import datetime as dt

import pytest

from desist.domain.errors import InputError
from desist.domain.groups import GroupKind
from desist.domain.incentives import IncentiveLevel, LevelReason, LevelReasonCategory
from desist.services import casework as cw
from desist.services import groups as gs
from desist.services import incentives as inc
from desist.services.dates import TOLERANCE_DAYS, check_happened
from tests.integration.casework_helpers import suitable_referrals

FUTURE = dt.date(2999, 1, 1)


def _today() -> dt.date:
    """Today when the test runs, not when it was collected (a run may cross midnight)."""
    return dt.date.today()


def test_check_happened_allows_the_tolerance_and_refuses_beyond_it():
    today = dt.date(2025, 6, 1)
    assert check_happened(dt.date(2025, 6, 2), "x", today) == dt.date(2025, 6, 2)
    with pytest.raises(InputError) as info:
        check_happened(dt.date(2025, 6, 3), "incentive change date", today)
    assert str(info.value) == (
        "incentive change date: 2025-06-03 is in the future (today is 2025-06-01); "
        "expected the date it happened"
    )


@pytest.mark.parametrize("ahead", [None, TOLERANCE_DAYS + 1], ids=["2999", "just-over"])
def test_incentive_change_in_the_future_is_refused_and_nothing_written(uow_factory, ahead):
    day = FUTURE if ahead is None else _today() + dt.timedelta(days=ahead)
    suitable_referrals(uow_factory, 1)
    reason = LevelReason(LevelReasonCategory.RECEPTION, "arrival")
    with pytest.raises(InputError, match=f"incentive change date: {day.isoformat()} is in the future"):
        inc.set_level(uow_factory(), person="T0000XX", level=IncentiveLevel.STANDARD, reason=reason, on=day)
    assert inc.level_history(uow_factory(), "T0000XX") == []
    inc.set_level(uow_factory(), person="T0000XX", level=IncentiveLevel.STANDARD, reason=reason, on=_today())
    assert len(inc.level_history(uow_factory(), "T0000XX")) == 1


def test_session_and_completion_in_the_future_are_refused(uow_factory):
    ids, offering_id = suitable_referrals(uow_factory, 1)
    g = gs.create_group(
        uow_factory(), offering_id=offering_id, kind=GroupKind.ROLLING, capacity=6, planned_sessions=1
    )
    gs.enrol(uow_factory(), group_id=g.id, referral_id=ids[0], on=dt.date(2025, 1, 1))
    with pytest.raises(InputError, match="session date: 2999-01-01 is in the future"):
        gs.record_session(uow_factory(), group_id=g.id, held_on=FUTURE)
    assert gs.show_group(uow_factory(), g.id).sessions_held == 0
    gs.record_session(
        uow_factory(), group_id=g.id, held_on=dt.date(2025, 1, 2), attendance={"T0000XX": "attended"}
    )
    with pytest.raises(InputError, match="date of leaving the programme: 2999-01-01 is in the future"):
        gs.complete(uow_factory(), group_id=g.id, person="T0000XX", targets_met=True, on=FUTURE)
    done = gs.complete(
        uow_factory(), group_id=g.id, person="T0000XX", targets_met=True, on=dt.date(2025, 1, 3)
    )
    assert done.status == "PROGRAMME_COMPLETE"


def test_assessment_and_outcome_in_the_future_are_refused(uow_factory):
    suitable_referrals(uow_factory, 1)
    with pytest.raises(InputError, match="assessment date: 2999-01-01 is in the future"):
        cw.record_assessment(uow_factory(), person="T0000XX", assessed_on=FUTURE, tool="OSP", inputs={})
    with pytest.raises(InputError, match="offence date: 2999-01-01 is in the future"):
        cw.record_outcome(
            uow_factory(), person="T0000XX", offence_date=FUTURE, proven_date=FUTURE, kind="other"
        )
    with pytest.raises(InputError, match="proven date: 2999-01-01 is in the future"):
        cw.record_outcome(
            uow_factory(), person="T0000XX", offence_date=_today(), proven_date=FUTURE, kind="other"
        )
    out = cw.record_outcome(
        uow_factory(), person="T0000XX", offence_date=dt.date(2025, 1, 1), proven_date=_today(), kind="other"
    )
    assert out["kind"] == "other"
