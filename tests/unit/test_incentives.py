"""IEP levels, change rules and the 2017 Basic review selection."""

from __future__ import annotations

from datetime import date

import pytest

from desist.domain.errors import InputError, InvalidTransition
from desist.domain.incentives import (
    IncentiveLevel,
    LevelReason,
    LevelReasonCategory,
    LevelRecord,
    check_level_change,
    entry_validity,
    parse_level,
    protection_from,
    select_for_basic_review,
    select_for_entry_abolition,
)

L = IncentiveLevel
C = LevelReasonCategory
NON_PART = LevelReason(C.NON_PARTICIPATION, "refuses SOTP")
BEHAVIOUR = LevelReason(C.BEHAVIOUR, "fighting")


def test_entry_level_existed_nov_2013_to_aug_2019():
    start, end = entry_validity()
    assert (start.year, start.month, end.year, end.month) == (2013, 11, 2019, 8)
    assert not L.ENTRY.valid_on(date(2013, 10, 31))
    assert L.ENTRY.valid_on(date(2016, 5, 1))
    assert not L.ENTRY.valid_on(date(2019, 9, 1))
    assert L.STANDARD.valid_on(date(2000, 1, 1))
    with pytest.raises(InvalidTransition, match="entry level did not exist on 2020-01-01"):
        check_level_change(L.STANDARD, L.ENTRY, LevelReason(C.RECEPTION, "arrival"), date(2020, 1, 1))
    check_level_change(None, L.ENTRY, LevelReason(C.RECEPTION, "arrival"), date(2015, 1, 1))


def test_no_change_is_refused():
    with pytest.raises(InvalidTransition, match="already on standard"):
        check_level_change(L.STANDARD, L.STANDARD, BEHAVIOUR, date(2020, 1, 1))


@pytest.mark.parametrize(
    ("innocence", "appellant", "who"),
    [(True, False, "a man maintaining innocence"), (False, True, "a recognised appellant")],
)
def test_protected_men_may_not_be_put_on_basic_for_non_participation(innocence, appellant, who):
    after = protection_from()
    with pytest.raises(InvalidTransition, match=f"{who} may not be placed on basic"):
        check_level_change(
            L.STANDARD,
            L.BASIC,
            NON_PART,
            after,
            maintains_innocence=innocence,
            recognised_appellant=appellant,
        )
    with pytest.raises(InvalidTransition):
        denies = LevelReason(C.MAINTAINING_INNOCENCE, "denies")
        check_level_change(
            L.STANDARD,
            L.BASIC,
            denies,
            date(2024, 1, 1),
            maintains_innocence=innocence,
            recognised_appellant=appellant,
        )
    # Basic for behaviour is still possible, and the rule does not rewrite history before it came in
    check_level_change(L.STANDARD, L.BASIC, BEHAVIOUR, after, maintains_innocence=innocence)
    check_level_change(L.STANDARD, L.BASIC, NON_PART, date(2015, 3, 1), maintains_innocence=innocence)


def test_unprotected_man_may_be_put_on_basic_for_non_participation():
    check_level_change(L.STANDARD, L.BASIC, NON_PART, date(2024, 1, 1))


def test_reason_parsing():
    assert LevelReason.parse("Non-Participation", " x ") == LevelReason(C.NON_PARTICIPATION, "x")
    with pytest.raises(InputError, match="category: missing"):
        LevelReason.parse(None, "x")
    with pytest.raises(InputError, match="'mood' is unknown"):
        LevelReason.parse("mood", "x")
    with pytest.raises(InputError, match="text: empty"):
        LevelReason.parse("behaviour", "")
    assert parse_level("Enhanced") is L.ENHANCED
    with pytest.raises(InputError, match="'gold' is unknown"):
        parse_level("gold")


def test_basic_review_selects_only_basic_for_innocence_or_non_participation():
    d = date(2016, 1, 1)
    latest = [
        LevelRecord(5, L.BASIC, C.MAINTAINING_INNOCENCE, d),
        LevelRecord(2, L.BASIC, C.NON_PARTICIPATION, d),
        LevelRecord(3, L.BASIC, C.BEHAVIOUR, d),
        LevelRecord(4, L.STANDARD, C.NON_PARTICIPATION, d),
        LevelRecord(1, L.ENHANCED, C.REVIEW, d),
    ]
    assert [r.person_id for r in select_for_basic_review(latest)] == [2, 5]
    assert select_for_basic_review([]) == []


def test_entry_abolition_selects_everyone_still_on_entry():
    d = date(2018, 1, 1)
    latest = [
        LevelRecord(3, L.ENTRY, C.RECEPTION, d),
        LevelRecord(1, L.STANDARD, C.REVIEW, d),
        LevelRecord(2, L.ENTRY, C.REVIEW, d),
    ]
    assert [r.person_id for r in select_for_entry_abolition(latest)] == [2, 3]
