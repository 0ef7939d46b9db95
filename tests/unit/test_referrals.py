"""The referral state machine against domain.md section 2, written out independently of the code's table."""

from __future__ import annotations

import itertools

import pytest

from desist.domain.errors import Forbidden, InputError, InvalidTransition
from desist.domain.referrals import (
    CLOSED_STATUSES,
    Reason,
    ReasonCategory,
    ReferralStatus,
    Role,
    check_transition,
    parse_role,
    parse_status,
)

S = ReferralStatus
R, T = Role.REFERRER, Role.PROGRAMME_TEAM
BOTH = {R, T}
REASON = Reason(ReasonCategory.MOTIVATION, "does not want to take part")

PRE = [
    S.REFERRAL_STARTED, S.REFERRAL_SUBMITTED, S.ON_HOLD_REFERRAL_SUBMITTED, S.AWAITING_ASSESSMENT,
    S.ON_HOLD_AWAITING_ASSESSMENT, S.ASSESSMENT_STARTED, S.ON_HOLD_ASSESSMENT_STARTED, S.ASSESSED_SUITABLE,
    S.SUITABLE_NOT_READY,
]  # fmt: skip
# Written from domain.md section 2, line by line.
EXPECTED: dict[tuple[ReferralStatus, ReferralStatus], set[Role]] = {
    (S.REFERRAL_STARTED, S.REFERRAL_SUBMITTED): BOTH,
    **{(s, S.WITHDRAWN): BOTH for s in PRE},
    (S.REFERRAL_SUBMITTED, S.ON_HOLD_REFERRAL_SUBMITTED): BOTH,
    (S.ON_HOLD_REFERRAL_SUBMITTED, S.REFERRAL_SUBMITTED): BOTH,
    (S.AWAITING_ASSESSMENT, S.ON_HOLD_AWAITING_ASSESSMENT): BOTH,
    (S.ON_HOLD_AWAITING_ASSESSMENT, S.AWAITING_ASSESSMENT): BOTH,
    (S.ASSESSMENT_STARTED, S.ON_HOLD_ASSESSMENT_STARTED): BOTH,
    (S.ON_HOLD_ASSESSMENT_STARTED, S.ASSESSMENT_STARTED): BOTH,
    (S.REFERRAL_SUBMITTED, S.AWAITING_ASSESSMENT): {T},
    (S.REFERRAL_SUBMITTED, S.NOT_ELIGIBLE): {T},
    (S.AWAITING_ASSESSMENT, S.ASSESSMENT_STARTED): {T},
    (S.ASSESSMENT_STARTED, S.ASSESSED_SUITABLE): {T},
    (S.ASSESSMENT_STARTED, S.SUITABLE_NOT_READY): {T},
    (S.ASSESSMENT_STARTED, S.NOT_SUITABLE): {T},
    (S.ASSESSED_SUITABLE, S.ON_PROGRAMME): {T},
    (S.ASSESSED_SUITABLE, S.SUITABLE_NOT_READY): {T},
    (S.SUITABLE_NOT_READY, S.ASSESSED_SUITABLE): {T},
    (S.ON_PROGRAMME, S.PROGRAMME_COMPLETE): {T},
    (S.ON_PROGRAMME, S.DESELECTED): {T},
    (S.ON_PROGRAMME, S.ASSESSED_SUITABLE): {T},
    (S.ON_PROGRAMME, S.SUITABLE_NOT_READY): {T},
}
NEEDS_REASON = {
    pair for pair in EXPECTED
    if pair[1] in {S.WITHDRAWN, S.DESELECTED, S.ON_HOLD_REFERRAL_SUBMITTED, S.ON_HOLD_AWAITING_ASSESSMENT,
                   S.ON_HOLD_ASSESSMENT_STARTED}
    or (pair[0] is S.ON_PROGRAMME and pair[1] is not S.PROGRAMME_COMPLETE)
}  # fmt: skip


def _check(source, target, role, reason=None):
    return check_transition(
        source, target, role, reason, assessment_confirmed=True, programme_history_reviewed=True
    )


def test_statuses_are_exactly_the_services():
    assert len(S) == 15
    assert {s.value for s in CLOSED_STATUSES} == {
        "NOT_ELIGIBLE", "NOT_SUITABLE", "WITHDRAWN", "DESELECTED", "PROGRAMME_COMPLETE"}  # fmt: skip
    assert len(EXPECTED) == 29  # 1 submit + 9 withdrawals + 6 holds + 13 team moves


@pytest.mark.parametrize(("pair", "roles"), sorted(EXPECTED.items()), ids=lambda v: str(v))
def test_every_allowed_transition_is_allowed_for_its_roles(pair, roles):
    source, target = pair
    for role in Role:
        reason = REASON if pair in NEEDS_REASON else None
        if role in roles:
            t = _check(source, target, role, reason)
            assert (t.source, t.target, t.role) == (source, target, role)
        else:
            with pytest.raises(Forbidden, match="only the programme team"):
                _check(source, target, role, reason)


def test_every_other_pair_is_refused_for_both_roles():
    refused = 0
    for source, target in itertools.product(S, S):
        if (source, target) in EXPECTED:
            continue
        for role in Role:
            with pytest.raises(InvalidTransition):
                _check(source, target, role, REASON)
        refused += 1
    assert refused == 15 * 15 - 29


@pytest.mark.parametrize("closed", sorted(CLOSED_STATUSES))
def test_nothing_leaves_a_closed_status(closed):
    for target in S:
        with pytest.raises(InvalidTransition, match="closed|already"):
            _check(closed, target, T, REASON)


@pytest.mark.parametrize("pair", sorted(NEEDS_REASON))
def test_withdraw_deselect_and_hold_need_a_reason(pair):
    with pytest.raises(InputError, match="needs a reason"):
        _check(*pair, T, None)
    assert _check(*pair, T, REASON).reason == REASON


def test_reasons_not_needed_for_ordinary_progress():
    assert _check(S.REFERRAL_SUBMITTED, S.AWAITING_ASSESSMENT, T).reason is None
    assert _check(S.ON_PROGRAMME, S.PROGRAMME_COMPLETE, T).is_completion


def test_deselection_kinds_and_programme_history():
    closing = _check(S.ON_PROGRAMME, S.DESELECTED, T, REASON)
    kept_open = _check(S.ON_PROGRAMME, S.SUITABLE_NOT_READY, T, REASON)
    assert closing.is_deselection and closing.writes_programme_history
    assert kept_open.is_deselection and kept_open.writes_programme_history and not kept_open.target.closed
    assert not _check(S.ASSESSED_SUITABLE, S.SUITABLE_NOT_READY, T).writes_programme_history
    assert _check(S.ON_PROGRAMME, S.PROGRAMME_COMPLETE, T).writes_programme_history


@pytest.mark.parametrize(
    ("confirmed", "reviewed", "missing"),
    [(False, True, "assessment confirmed"), (True, False, "programme history reviewed"),
     (False, False, "assessment confirmed and programme history reviewed")],
)  # fmt: skip
def test_submit_needs_assessment_confirmed_and_history_reviewed(confirmed, reviewed, missing):
    with pytest.raises(InvalidTransition, match=f"cannot submit before {missing}$"):
        check_transition(S.REFERRAL_STARTED, S.REFERRAL_SUBMITTED, R, assessment_confirmed=confirmed,
                         programme_history_reviewed=reviewed)  # fmt: skip
    t = check_transition(S.REFERRAL_STARTED, S.REFERRAL_SUBMITTED, R, assessment_confirmed=True,
                         programme_history_reviewed=True)  # fmt: skip
    assert t.target is S.REFERRAL_SUBMITTED


def test_error_messages_are_one_line_and_name_the_referral():
    with pytest.raises(InvalidTransition) as info:
        check_transition(S.AWAITING_ASSESSMENT, S.ON_PROGRAMME, T, where="referral 7")
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(
        "referral 7: cannot move from AWAITING_ASSESSMENT to ON_PROGRAMME"
    )
    assert "ASSESSMENT_STARTED" in msg and "WITHDRAWN" in msg  # lists what is allowed


def test_reason_parsing():
    assert Reason.parse(None, None) is None
    assert Reason.parse("Operational", " released ") == Reason(ReasonCategory.OPERATIONAL, "released")
    with pytest.raises(InputError, match="category: 'bored' is unknown"):
        Reason.parse("bored", "x")
    with pytest.raises(InputError, match="reason text: empty"):
        Reason.parse("personal", "  ")
    with pytest.raises(InputError, match="category: missing"):
        Reason.parse(None, "some text")


def test_parse_status_and_role():
    assert parse_status("on_programme") is S.ON_PROGRAMME
    assert parse_role("programme-team") is T
    with pytest.raises(InputError, match="not a referral status"):
        parse_status("FINISHED")
    with pytest.raises(InputError, match="role: 'judge'"):
        parse_role("judge")
