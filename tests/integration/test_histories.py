"""Consistent histories: nothing is dated before the man's birth, his first sentence or his referral, in the
services and in the imports alike; audit timestamps are UTC with a zone on both backends."""

from __future__ import annotations

import datetime as dt

import pytest

from desist.adapters.store import Store
from desist.domain.errors import InputError
from desist.domain.groups import GroupKind
from desist.domain.incentives import IncentiveLevel, LevelReason, LevelReasonCategory
from desist.services import casework as cw
from desist.services import groups as gs
from desist.services import incentives as inc
from desist.services.audit import read_audit
from desist.services.imports import ImportRejected, import_file
from tests.integration.casework_helpers import suitable_referrals
from tests.principals import admin, importing

BORN = dt.date(1970, 1, 1)  # the first man of suitable_referrals (T0000XX)
REFERRED = dt.date(2024, 1, 1)  # when suitable_referrals' referrals were made


def test_events_before_his_birth_are_refused(uow_factory):
    suitable_referrals(uow_factory, 1)
    before = dt.date(1969, 12, 31)
    cases = [
        (lambda: cw.record_sentence(uow_factory(), person="T0000XX", start_date=before), "sentence start"),
        (
            lambda: cw.record_assessment(
                uow_factory(), person="T0000XX", assessed_on=before, tool="OSP", inputs={}
            ),
            "assessment date",
        ),
        (
            lambda: cw.record_outcome(
                uow_factory(), person="T0000XX", offence_date=before, proven_date=before, kind="other"
            ),
            "offence date",
        ),
    ]
    for call, what in cases:
        with pytest.raises(InputError) as info:
            call()
        assert str(info.value) == (
            f"{what}: 1969-12-31 is before his date of birth (1970-01-01); expected a date on or after it"
        )
    with uow_factory() as uow:  # nothing was written
        assert len(uow.sentences.for_person(1)) == 1


def test_incentive_change_before_his_first_sentence_is_refused(uow_factory):
    suitable_referrals(uow_factory, 1)  # sentence from 2010-01-01
    reason = LevelReason(LevelReasonCategory.RECEPTION, "arrival")
    with pytest.raises(InputError, match=r"before his first sentence started \(2010-01-01\)"):
        inc.set_level(uow_factory(), person="T0000XX", level=IncentiveLevel.STANDARD, reason=reason,
                      on=dt.date(2009, 12, 31))  # fmt: skip
    assert inc.level_history(uow_factory(), "T0000XX") == []
    inc.set_level(uow_factory(), person="T0000XX", level=IncentiveLevel.STANDARD, reason=reason,
                  on=dt.date(2010, 1, 1))  # fmt: skip
    assert len(inc.level_history(uow_factory(), "T0000XX")) == 1


def test_group_events_before_the_referral_are_refused(uow_factory):
    ids, offering_id = suitable_referrals(uow_factory, 1)
    g = gs.create_group(
        uow_factory(), offering_id=offering_id, kind=GroupKind.ROLLING, capacity=4, planned_sessions=1
    )
    with pytest.raises(InputError) as info:
        gs.enrol(uow_factory(), group_id=g.id, referral_id=ids[0], on=dt.date(2023, 12, 31))
    assert str(info.value) == (
        f"joining date: 2023-12-31 is before referral {ids[0]} was made (2024-01-01); "
        "expected a date on or after it"
    )
    assert gs.show_group(uow_factory(), g.id).places_taken == 0
    gs.enrol(uow_factory(), group_id=g.id, referral_id=ids[0], on=dt.date(2024, 2, 1))
    # a session held before he joined cannot carry his attendance
    with pytest.raises(InputError, match="before T0000XX joined"):
        gs.record_session(
            uow_factory(),
            group_id=g.id,
            held_on=dt.date(2024, 1, 15),
            attendance={"T0000XX": "attended"},
        )
    assert gs.show_group(uow_factory(), g.id).sessions_held == 0


def test_imports_refuse_events_before_birth_and_write_nothing(uow_factory, session_factory, tmp_path):
    suitable_referrals(uow_factory, 1)
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "prison_number,offence_date,proven_date,kind\n"
        "T0000XX,2025-01-01,2025-02-01,other\n"
        "T0000XX,1960-05-01,2025-02-01,violent\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as info:
        import_file(importing(session_factory, "importer"), "outcomes", path)
    # the import's limits (data/limits.yaml) refuse any event outside his life: one line for the row
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (2, "offence_date")
    assert "1970-01-01" in str(problem) or "1980-01-01" in str(problem)
    with uow_factory() as uow:
        assert uow.session.query(uow.outcomes.model).count() == 0


def test_audit_times_are_utc_with_a_zone(uow_factory, engine):
    cw.register_person(uow_factory("a"), prison_number="A0001AA", date_of_birth=BORN, sex="M")
    cw.set_person_flags(uow_factory("b"), person="A0001AA", ldc=True)
    entries = read_audit(Store(engine, "test"), principal=admin(), entity="person")
    assert [e.action for e in entries] == ["update", "insert"]
    assert all(e.at.tzinfo is dt.UTC for e in entries)
    update, insert = entries
    # the stored row's creation time reads back with its zone, so before and after agree
    assert insert.after["created_at"].endswith("+00:00")
    assert update.before["created_at"] == insert.after["created_at"]
