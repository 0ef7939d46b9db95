"""One open referral and one open place per man per programme, across sites; transfers; no jammed lists."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from desist.adapters.migrate import current_revision, downgrade, upgrade
from desist.adapters.orm import AuditLog, Enrolment, Referral
from desist.domain.errors import Conflict, InputError, InvalidTransition
from desist.domain.groups import GroupKind
from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
from desist.services import groups as gs
from desist.services import referrals as rs
from desist.services.transfers import transfer_referral
from tests.integration.casework_helpers import suitable_referrals

S = ReferralStatus
MOVED = Reason(ReasonCategory.OPERATIONAL, "moved to HMP Usk")


def _second_site(uow_factory, code="HORIZON", site="HMP Usk") -> int:
    return gs.create_offering(uow_factory("lead"), programme_code=code, site=site)["id"]


def test_second_open_referral_for_the_programme_at_another_site_is_refused(uow_factory):
    (rid,), north = suitable_referrals(uow_factory, 1, status=S.AWAITING_ASSESSMENT)
    south = _second_site(uow_factory)
    with pytest.raises(
        Conflict, match=rf"already has open referral {rid} \(AWAITING_ASSESSMENT\) for HORIZON"
    ):
        rs.create_referral(uow_factory("rita"), person="T0000XX", offering_id=south)
    kaizen = _second_site(uow_factory, "KAIZEN", "HMP Test")  # another programme is another matter
    assert rs.create_referral(uow_factory("rita"), person="T0000XX", offering_id=kaizen)


def test_the_database_refuses_a_second_open_referral_or_place_written_directly(uow_factory, engine):
    (rid,), north = suitable_referrals(uow_factory, 1)
    south = _second_site(uow_factory)
    with (
        uow_factory("sneaky") as uow,
        pytest.raises(Conflict, match="uq_referral_open_person_programme|referral"),
    ):
        uow.session.add(Referral(person_id=1, offering_id=south, status="REFERRAL_STARTED", referrer="x"))
        uow.commit()
    # two groups of the programme at two sites; a place in each for one man is refused by the index
    g1 = gs.create_group(
        uow_factory("lead"), offering_id=north, kind=GroupKind.ROLLING, capacity=5, planned_sessions=5
    )
    g2 = gs.create_group(
        uow_factory("lead"), offering_id=south, kind=GroupKind.ROLLING, capacity=5, planned_sessions=5
    )
    gs.enrol(uow_factory("lead"), group_id=g1.id, referral_id=rid)
    with uow_factory("sneaky") as uow, pytest.raises(Conflict, match="enrolment"):
        uow.session.add(Enrolment(group_id=g2.id, person_id=1, referral_id=rid, joined_on=dt.date.today()))
        uow.commit()
    # the repeated programme code cannot drift from the offering's
    with uow_factory("sneaky") as uow, pytest.raises(Conflict, match="programme_code"):
        uow.session.add(
            Referral(
                person_id=1, offering_id=south, programme_code="KAIZEN", status="WITHDRAWN", referrer="x"
            )
        )
        uow.commit()


def test_transfer_moves_the_referral_and_records_it(uow_factory):
    (rid,), north = suitable_referrals(uow_factory, 1, status=S.ASSESSED_SUITABLE)
    south = _second_site(uow_factory)
    view = transfer_referral(uow_factory("tom"), rid, to_offering_id=south, reason=MOVED)
    assert (view.offering_id, view.site, view.status) == (south, "HMP Usk", "ASSESSED_SUITABLE")
    last = view.history[-1]
    assert (last.from_status, last.to_status, last.reason_category) == ("ASSESSED_SUITABLE",) * 2 + (
        "operational",
    )
    assert (
        last.reason
        == f"transferred from offering {north} (HMP Test) to offering {south} (HMP Usk): moved to HMP Usk"
    )
    assert gs.waiting_list(uow_factory("r"), south)[0].referral_id == rid
    assert gs.waiting_list(uow_factory("r"), north) == []
    with uow_factory("r") as uow:
        audited = uow.session.query(AuditLog).filter_by(entity="referral_transfer").count()
    assert audited == 1
    with pytest.raises(InvalidTransition, match="already at offering"):
        transfer_referral(uow_factory("tom"), rid, to_offering_id=south)
    kaizen = _second_site(uow_factory, "KAIZEN", "HMP Usk")
    with pytest.raises(InputError, match="runs KAIZEN, the referral is for HORIZON"):
        transfer_referral(uow_factory("tom"), rid, to_offering_id=kaizen)


def test_deselected_back_to_suitable_never_jams_the_waiting_list(uow_factory):
    ids, oid = suitable_referrals(uow_factory, 3)
    g = gs.create_group(
        uow_factory("lead"), offering_id=oid, kind=GroupKind.ROLLING, capacity=1, planned_sessions=5
    )
    first = gs.allocate(uow_factory("lead"), group_id=g.id, on=dt.date(2025, 1, 1))
    placed = first.enrolled_referrals[0]
    number = next(m.prison_number for m in first.group.members)
    gs.deselect(
        uow_factory("lead"),
        group_id=g.id,
        person=number,
        to=S.ASSESSED_SUITABLE,
        reason=Reason(ReasonCategory.RISK, "not ready"),
        on=dt.date(2025, 1, 2),
    )
    # he is back at the head of the waiting list, but this group passes him over and places the next man
    assert gs.waiting_list(uow_factory("r"), oid)[0].referral_id == placed
    second = gs.allocate(uow_factory("lead"), group_id=g.id, on=dt.date(2025, 1, 3))
    assert second.enrolled_referrals == (next(i for i in ids if i != placed),)
    assert second.passed_over[0][0] == placed and "left it" in second.passed_over[0][1]
    with pytest.raises(InputError, match="had a place in group"):
        gs.enrol(uow_factory("lead"), group_id=g.id, referral_id=placed)


def test_migration_reports_existing_duplicates_in_one_line_and_changes_nothing(database_url):
    engine = downgrade(database_url, "0003")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person (prison_number, date_of_birth, sex, created_at, version) "
                "VALUES ('A1111AA', '1980-01-01', 'M', '2025-01-01', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO offering (programme_code, site, active) VALUES "
                "('HORIZON', 'HMP North', true), ('HORIZON', 'HMP South', true)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO referral (person_id, offering_id, status, referrer, created_at, "
                "updated_at, version) VALUES (1, 1, 'AWAITING_ASSESSMENT', 'x', '2025-01-01', "
                "'2025-01-01', 1), (1, 2, 'REFERRAL_STARTED', 'x', '2025-01-01', '2025-01-01', 1)"
            )
        )
    with pytest.raises(InputError) as caught:
        upgrade(engine)
    line = str(caught.value)
    assert "\n" not in line
    assert "A1111AA HORIZON: referral 1, referral 2" in line and "nothing was changed" in line
    assert current_revision(engine) == "0003"
    engine.dispose()
