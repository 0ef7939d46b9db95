"""find_person: text is a prison number first (prison numbers may be all digits), ``#12`` and ints are ids."""

from __future__ import annotations

import datetime as dt

import pytest

from desist.domain.errors import NotFound
from desist.services.casework import find_person, register_person


def _add(uow_factory, number: str) -> int:
    return register_person(uow_factory(), prison_number=number, date_of_birth=dt.date(1980, 1, 2), sex="M").id


@pytest.fixture
def two_men(uow_factory):
    """A man, and a second man whose all-digit prison number is the first man's internal id."""
    first = _add(uow_factory, "A0001AA")
    second = _add(uow_factory, str(first))
    return first, second


def test_all_digit_text_is_the_prison_number_not_the_id(two_men, uow_factory):
    first, second = two_men
    with uow_factory() as s:
        assert find_person(s, str(first)).id == second
        assert find_person(s, f" {first} ").id == second


def test_hash_and_int_are_always_the_internal_id(two_men, uow_factory):
    first, second = two_men
    with uow_factory() as s:
        assert find_person(s, f"#{first}").prison_number == "A0001AA"
        assert find_person(s, first).prison_number == "A0001AA"
        assert find_person(s, f"#{second}").prison_number == str(first)


def test_digits_matching_no_prison_number_fall_back_to_the_id(two_men, uow_factory):
    first, second = two_men
    with uow_factory() as s:
        assert find_person(s, str(second)).prison_number == str(first)
        assert find_person(s, "a0001aa").id == first


@pytest.mark.parametrize("ref", ["#999", "#", "#x1", "#-1", "999", "B9999ZZ", f"#{2**70}", str(2**70)])
def test_unknown_references_are_not_found(two_men, uow_factory, ref):
    with uow_factory() as s, pytest.raises(NotFound) as info:
        find_person(s, ref)
    assert "\n" not in str(info.value) and "#<internal id>" in str(info.value)
