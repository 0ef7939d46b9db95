"""The caseload search on both databases: a prefix of the prison number or PNC number, in number order,
within the user's organisation, served by the prefix indexes of migration 0010."""

from __future__ import annotations

import datetime as dt

import pytest

from desist.adapters.caseload_queries import _after_prefix
from desist.adapters.orm import Person
from desist.domain.errors import InputError
from desist.services.caseload import search_people
from tests.principals import as_user, caseworker

MEN = [
    # prison number, PNC number, establishment, probation region
    ("A1234BC", "2001/0012345A", "HMP Whatton", None),
    ("A1235BC", None, "HMP Whatton", None),
    ("A1299ZZ", "1999/0000001Z", None, "North East"),
    ("A13", None, "HMP Whatton", None),  # just after every A12...: not a match for "A12"
    ("A12", None, "HMP Usk", None),  # the prefix itself is a match
    ("B1234BC", "2001/0099999B", "HMP Usk", None),
]


@pytest.fixture
def men(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("setup") as uow:
        for number, pnc, establishment, region in MEN:
            uow.session.add(
                Person(
                    prison_number=number, pnc_number=pnc, date_of_birth=dt.date(1980, 5, 17), sex="M",
                    establishment=establishment, probation_region=region,
                )
            )
        uow.commit()


def _numbers(uow_factory, query: str, who=None) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.prison_number for p in search_people(uow_factory(who or caseworker()), query)]


def test_a_prefix_finds_the_numbers_that_start_with_it_in_order(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    assert _numbers(uow_factory, "a12") == ["A12", "A1234BC", "A1235BC", "A1299ZZ"]
    assert _numbers(uow_factory, "A1234") == ["A1234BC"]
    assert _numbers(uow_factory, "A1299ZZ") == ["A1299ZZ"]
    assert _numbers(uow_factory, "A1299ZZX") == []
    assert _numbers(uow_factory, "C1") == []


def test_pnc_numbers_match_by_prefix_whatever_the_case(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    assert _numbers(uow_factory, "2001/00") == ["A1234BC", "B1234BC"]
    assert _numbers(uow_factory, "1999/0000001z") == ["A1299ZZ"]


def test_wildcards_are_plain_text_not_patterns(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    # '%' and '_' are dropped (as they always were), never matching any character
    assert _numbers(uow_factory, "A1_3") == ["A13"]
    assert _numbers(uow_factory, "%%") == [m[0] for m in sorted(MEN)]


def test_the_search_keeps_to_the_users_organisation(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    whatton = as_user("referrer", org="HMP Whatton")
    assert _numbers(uow_factory, "A1", whatton) == ["A1234BC", "A1235BC", "A13"]
    north_east = as_user("referrer", org="north  EAST")  # names compare without case or extra spaces
    assert _numbers(uow_factory, "A1", north_east) == ["A1299ZZ"]


def test_too_short_or_too_long_is_one_line(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    for query in ("A", " ", "A" * 21):
        with pytest.raises(InputError, match="at least 2 and at most 20"):
            search_people(uow_factory(caseworker()), query)


def test_postgresql_serves_a_prefix_from_the_pattern_indexes(engine, men, backend) -> None:  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("the plan of PostgreSQL's pattern indexes")
    from desist.adapters.caseload_queries import _search

    stmt = _search("postgresql", True, False).compile(engine)
    params = {"prefix": "A12", "after": "A13", "limit": 50}
    with engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")  # six men: make the planner show what it can use
        conn.exec_driver_sql("SET enable_indexscan = off")  # not the number order of the unique index
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {stmt}", params))
    assert "ix_person_prison_number_prefix" in plan and "ix_person_pnc_number_prefix" in plan


@pytest.mark.parametrize(
    ("prefix", "after"),
    [
        ("A12", "A13"),
        ("AZ", "A["),
        ("A\U0010ffff", "B"),
        ("\U0010ffff\U0010ffff", None),
        ("", None),
        ("A\ud7ff", "A\ue000"),  # the next character skips the surrogates
    ],
)
def test_after_prefix(prefix: str, after: str | None) -> None:
    assert _after_prefix(prefix) == after
