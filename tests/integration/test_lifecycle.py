"""The whole casework lifecycle through the service layer, on SQLite and PostgreSQL.

Import people, sentences and assessments -> refer -> assess -> allocate to a group -> sessions and
attendance -> complete one man, refuse and then deselect another -> import outcomes; the audit log shows
every step and the programme history records both endings.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from desist.adapters.orm import (
    AuditLog,
    Enrolment,
    Outcome,
    ProgrammeGroup,
    ProgrammeHistory,
    Referral,
    ReferralStatusChange,
)
from desist.domain.errors import Conflict, Forbidden, InvalidTransition
from desist.domain.groups import GroupKind
from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
from desist.services import groups as gs
from desist.services import referrals as rs
from desist.services.imports import import_file
from tests.principals import as_user, importing

S = ReferralStatus
#: the referrer and the programme team, each with their own role only (national: the men have no prison)
RITA = as_user("referrer", national=True, name="rita.referrer")
TOM = as_user("programme_team", national=True, name="tom.team")

PEOPLE = """prison_number,date_of_birth,sex,establishment
A1001AA,1975-03-02,M,HMP Whatton
A1002AA,1982-11-20,M,HMP Whatton
A1003AA,1990-06-15,M,HMP Whatton
"""
#: the day the referrals were made (entered after the fact): before the group ran in January 2025
REFERRED = dt.date(2024, 11, 1)

SENTENCES = """prison_number,start_date,release_date,custodial
A1001AA,2021-01-10,2027-06-30,true
A1002AA,2022-04-01,2026-12-31,true
A1003AA,2023-02-01,2029-01-31,true
"""
OSP = (
    "prison_number,assessed_on,tool,age,contact_adult_sanctions,contact_child_sanctions,paraphilia_sanctions,"
    "indecent_image_sanctions,total_sanctions,age_at_last_sexual_offence,stranger_victim,in_custody,"
    "offence_in_last_5_years,sexual_offence_in_last_5_years\n"
)
ASSESSMENTS = (
    OSP
    + """A1001AA,2024-01-15,osp,48,1,0,0,0,2,45,true,true,true,true
A1002AA,2024-01-20,osp,41,1,0,0,0,3,38,true,true,true,true
A1003AA,2024-02-01,osp,33,0,1,0,0,1,31,false,true,true,true
"""
)
# a reoffence on temporary release, dated in the past: imports refuse events after today (data/limits.yaml)
OUTCOMES = """prison_number,offence_date,proven_date,kind,disposal
A1002AA,2025-03-01,2025-08-15,sexual_contact,custody
"""


def _file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _referral_to_suitable(uow_factory, person, offering_id):
    v = rs.create_referral(
        uow_factory(RITA), person=person, offering_id=offering_id, referred_on=REFERRED
    )
    rs.move_referral(
        uow_factory(RITA),
        v.id,
        S.REFERRAL_SUBMITTED,
        assessment_confirmed=True,
        programme_history_reviewed=True,
    )
    for target in (S.AWAITING_ASSESSMENT, S.ASSESSMENT_STARTED, S.ASSESSED_SUITABLE):
        v = rs.move_referral(uow_factory(TOM), v.id, target)
    return v


def test_full_lifecycle(tmp_path, session_factory, uow_factory):
    for kind, name, text in (
        ("people", "people.csv", PEOPLE),
        ("sentences", "sentences.csv", SENTENCES),
        ("assessments", "assessments.csv", ASSESSMENTS),
    ):
        report = import_file(importing(session_factory, "ada.admin"), kind, _file(tmp_path, name, text))
        assert report.inserted == 3

    offering = gs.create_offering(
        uow_factory(TOM), programme_code="HORIZON", site="HMP Whatton"
    )
    oid = offering["id"]
    r1 = _referral_to_suitable(uow_factory, "A1001AA", oid)
    r2 = _referral_to_suitable(uow_factory, "A1002AA", oid)
    # the third man is referred, then withdrawn (released early) with a reason
    r3 = rs.create_referral(
        uow_factory(RITA), person="A1003AA", offering_id=oid, referred_on=REFERRED
    )
    with pytest.raises(Conflict, match="duplicate"):
        rs.create_referral(uow_factory(RITA), person="A1003AA", offering_id=oid)
    with pytest.raises(Forbidden):
        rs.move_referral(uow_factory(RITA), r1.id, S.SUITABLE_NOT_READY)
    rs.move_referral(
        uow_factory(RITA),
        r3.id,
        S.WITHDRAWN,
        reason=Reason(ReasonCategory.OPERATIONAL, "released on appeal"),
    )

    # waiting list: earliest release first (A1002AA is released in 2026, A1001AA in 2027)
    waiting = gs.waiting_list(uow_factory(), oid)
    assert [e.referral_id for e in waiting] == [r2.id, r1.id]
    # the mixing rules read the bands scored from the imported OSP inputs (OSP/DC)
    assert [(e.member.risk_band.value, e.member.offence_type.value) for e in waiting] == [
        ("HIGH", "contact"),
        ("MEDIUM", "contact"),
    ]

    group = gs.create_group(
        uow_factory(TOM),
        offering_id=oid,
        kind=GroupKind.CLOSED,
        capacity=10,
        planned_sessions=4,
        label="Horizon 1",
        start_date=dt.date(2025, 1, 6),
    )
    allocation = gs.allocate(uow_factory(TOM), group_id=group.id, on=dt.date(2025, 1, 6))
    assert allocation.enrolled_referrals == (r2.id, r1.id)

    marks = [
        {"A1001AA": "attended", "A1002AA": "attended"},
        {"A1001AA": "attended", "A1002AA": "absent"},
        {"A1001AA": "absent", "A1002AA": "absent"},
        {"A1001AA": "attended", "A1002AA": "attended"},
    ]
    for i, m in enumerate(marks):
        gs.record_session(
            uow_factory(TOM),
            group_id=group.id,
            held_on=dt.date(2025, 1, 7 + i),
            topic=f"session {i + 1}",
            attendance=m,
        )
    with session_factory() as s:
        stored = s.get(ProgrammeGroup, group.id)
        assert (stored.start_date, stored.end_date) == (dt.date(2025, 1, 6), dt.date(2025, 1, 10))
    # A1001AA attended 3 of 4 (75% < 80%): completion refused until the attendance is corrected
    with pytest.raises(InvalidTransition, match=r"attended 3 of 4 sessions \(75%\), policy needs 80%"):
        gs.complete(uow_factory(TOM), group_id=group.id, person="A1001AA", targets_met=True)
    gs.record_attendance(
        uow_factory(TOM), group_id=group.id, session_number=3, marks={"A1001AA": "attended"}
    )
    done = gs.complete(
        uow_factory(TOM),
        group_id=group.id,
        person="A1001AA",
        targets_met=True,
        on=dt.date(2025, 1, 11),
    )
    assert done.status == S.PROGRAMME_COMPLETE.value
    # A1002AA attended 2 of 4: deselected with a reason
    with pytest.raises(InvalidTransition, match="attended 2 of 4"):
        gs.complete(uow_factory(TOM), group_id=group.id, person="A1002AA", targets_met=True)
    out = gs.deselect(
        uow_factory(TOM),
        group_id=group.id,
        person="A1002AA",
        reason=Reason(ReasonCategory.MOTIVATION, "stopped attending"),
        on=dt.date(2025, 1, 11),
    )
    assert out.status == S.DESELECTED.value

    report = import_file(
        importing(session_factory, "ada.admin"), "outcomes", _file(tmp_path, "outcomes.csv", OUTCOMES)
    )
    assert report.inserted == 1

    with session_factory() as s:
        history = s.execute(
            select(
                ProgrammeHistory.referral_id,
                ProgrammeHistory.result,
                ProgrammeHistory.targets_met,
                ProgrammeHistory.started_on,
                ProgrammeHistory.ended_on,
            ).order_by(ProgrammeHistory.referral_id)
        ).all()
        assert [tuple(h) for h in history] == [
            (r1.id, "completed", True, dt.date(2025, 1, 6), dt.date(2025, 1, 11)),
            (r2.id, "incomplete", None, dt.date(2025, 1, 6), dt.date(2025, 1, 11)),
        ]
        assert s.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.left_on.is_(None))) == 0
        assert s.get(Referral, r3.id).status == S.WITHDRAWN.value
        path = s.scalars(
            select(ReferralStatusChange.to_status)
            .where(ReferralStatusChange.referral_id == r1.id)
            .order_by(ReferralStatusChange.id)
        ).all()
        assert path == [
            "REFERRAL_STARTED",
            "REFERRAL_SUBMITTED",
            "AWAITING_ASSESSMENT",
            "ASSESSMENT_STARTED",
            "ASSESSED_SUITABLE",
            "ON_PROGRAMME",
            "PROGRAMME_COMPLETE",
        ]
        assert s.scalar(select(func.count()).select_from(Outcome)) == 1

        # the audit log shows every step, with who did it
        counts = dict(
            s.execute(
                select(AuditLog.entity + ":" + AuditLog.action, func.count()).group_by(
                    AuditLog.entity, AuditLog.action
                )
            ).all()
        )
        status_changes = s.scalar(select(func.count()).select_from(ReferralStatusChange))
        assert (
            counts["person:insert"] == 3
            and counts["sentence:insert"] == 3
            and counts["assessment:insert"] == 3
        )
        assert counts["offering:insert"] == 1 and counts["programme_group:insert"] == 1
        assert (
            counts["referral:insert"] == 3
            and counts["referral_status_change:insert"] == status_changes == 7 + 7 + 2
        )
        assert (
            counts["referral:update"] == status_changes - 3
        )  # every move after creation updated the referral
        assert counts["enrolment:insert"] == 2 and counts["enrolment:update"] == 2
        assert counts["group_session:insert"] == 4 and counts["attendance:insert"] == 8
        assert counts["attendance:update"] == 1  # the corrected mark, with before and after
        assert counts["programme_history:insert"] == 2 and counts["outcome:insert"] == 1
        actors = set(s.scalars(select(AuditLog.actor).distinct()))
        assert actors == {"ada.admin", "rita.referrer", "tom.team"}
        fix = s.scalars(
            select(AuditLog).where(AuditLog.entity == "attendance", AuditLog.action == "update")
        ).one()
        assert (fix.before["status"], fix.after["status"]) == ("absent", "attended")
