"""A small casework world driven through the referral and group services, and its invariants.

Used by the random-walk, concurrent-walk and stateful (hypothesis) tests: one programme (HORIZON) offered at
two prisons plus a second programme (KAIZEN) at the first, two rolling groups per offering, and men with
sentences (distinct release dates, so waiting-list order matters) and assessments (one risk band, so the
mixing rules never refuse anyone and every refusal seen is a casework rule).

The invariants are read straight from the tables, joining the offering (not the repeated
``programme_code``), so they hold the data itself to the rules, not desist's bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text

from desist.adapters.orm import Assessment, Person, Sentence
from desist.domain.errors import DesistError
from desist.domain.groups import GroupKind
from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
from desist.services import groups as gs
from desist.services import referrals as rs
from desist.services.transfers import transfer_referral
from desist.services.unit_of_work import UnitOfWork

S = ReferralStatus
WHY = Reason(ReasonCategory.OPERATIONAL, "walk")
#: the assessment path, each step from the status before it
FORWARD = {
    S.REFERRAL_STARTED: S.REFERRAL_SUBMITTED,
    S.REFERRAL_SUBMITTED: S.AWAITING_ASSESSMENT,
    S.AWAITING_ASSESSMENT: S.ASSESSMENT_STARTED,
    S.ASSESSMENT_STARTED: S.ASSESSED_SUITABLE,
}
FIRST_DAY = dt.date(2025, 1, 1)
#: when the walks' referrals were made: before any group event (nothing may be dated before a referral)
REFERRED_ON = FIRST_DAY - dt.timedelta(days=30)
#: actions and how often a walker picks each (weighted towards reaching and leaving groups)
OPS = ("refer", "advance", "withdraw", "transfer", "allocate", "enrol", "deselect", "deselect_closed")
WEIGHTS = (2, 6, 1, 1, 3, 1, 3, 1)

UowFactory = Callable[[str], UnitOfWork]


@dataclass
class World:
    men: list[str]
    offerings: dict[int, str]  # id -> programme code
    groups: dict[int, int]  # id -> offering id
    capacity: int
    day: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def today(self) -> dt.date:
        # every action on its own day (all in the past), so a man deselected and placed again never
        # writes two programme-history rows with the same start date
        self.day += 1
        return FIRST_DAY + dt.timedelta(days=self.day)


def build_world(uow_factory: UowFactory, men: int = 8, capacity: int = 2) -> World:
    """Two sites of HORIZON, KAIZEN at the first, two rolling groups each, ``men`` assessed men."""
    offerings = {}
    for code, site in (("HORIZON", "HMP North"), ("HORIZON", "HMP South"), ("KAIZEN", "HMP North")):
        o = gs.create_offering(uow_factory("lead"), programme_code=code, site=site)
        offerings[o["id"]] = code
    groups = {}
    for oid in offerings:
        for _ in range(2):
            g = gs.create_group(
                uow_factory("lead"),
                offering_id=oid,
                kind=GroupKind.ROLLING,
                capacity=capacity,
                planned_sessions=10,
            )
            groups[g.id] = oid
    numbers = [f"W{i:04d}AA" for i in range(men)]
    with uow_factory("setup") as uow:
        s = uow.session
        for i, number in enumerate(numbers):
            p = Person(prison_number=number, date_of_birth=dt.date(1970, 1, 1), sex="M")
            s.add(p)
            s.flush()
            release = dt.date(2027, 1, 1) + dt.timedelta(days=(i * 37) % men)
            s.add(Sentence(person_id=p.id, start_date=dt.date(2020, 1, 1), release_date=release))
            s.add(
                Assessment(
                    person_id=p.id,
                    assessed_on=dt.date(2024, 1, 1),
                    tool="OSP",
                    inputs={},
                    outputs={"risk_band": "medium", "offence_type": "contact"},
                )
            )
        uow.commit()
    return World(numbers, offerings, groups, capacity)


def referral_ids(uow_factory: UowFactory) -> list[tuple[int, str, str, int]]:
    """Every referral: (id, status, prison number, offering id)."""
    with uow_factory("reader") as uow:
        rows = uow.session.execute(
            text(
                "SELECT r.id, r.status, p.prison_number, r.offering_id FROM referral r "
                "JOIN person p ON p.id = r.person_id ORDER BY r.id"
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def open_places(uow_factory: UowFactory) -> list[tuple[int, str]]:
    """Every open place: (group id, prison number)."""
    with uow_factory("reader") as uow:
        rows = uow.session.execute(
            text(
                "SELECT e.group_id, p.prison_number FROM enrolment e JOIN person p ON p.id = e.person_id "
                "WHERE e.left_on IS NULL ORDER BY e.id"
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def step(world: World, uow_factory: UowFactory, rng: random.Random, actor: str = "walker") -> str:
    """One random action through the services; returns its name, ``name:refused`` when a rule said no."""
    op = rng.choices(OPS, weights=WEIGHTS)[0]
    uow = uow_factory(actor)
    try:
        if op == "refer":
            man, offering = rng.choice(world.men), rng.choice(list(world.offerings))
            rs.create_referral(uow, person=man, offering_id=offering, referred_on=REFERRED_ON)
        elif op in ("advance", "withdraw", "transfer"):
            refs = [r for r in referral_ids(uow_factory) if not S(r[1]).closed]
            if op == "advance":
                refs = [r for r in refs if S(r[1]) in FORWARD]
            if not refs:
                return f"{op}:none"
            rid, status, _number, oid = rng.choice(refs)
            if op == "advance":
                target = FORWARD[S(status)]
                confirmed = {"assessment_confirmed": True, "programme_history_reviewed": True}
                rs.move_referral(uow, rid, target, **confirmed)
            elif op == "withdraw":
                rs.move_referral(uow, rid, S.WITHDRAWN, reason=WHY)
            else:
                others = [o for o in world.offerings if o != oid]
                transfer_referral(uow, rid, to_offering_id=rng.choice(others), reason=WHY)
        elif op == "allocate":
            gs.allocate(uow, group_id=rng.choice(list(world.groups)), on=world.today())
        elif op == "enrol":
            refs = [r for r in referral_ids(uow_factory) if r[1] == S.ASSESSED_SUITABLE.value]
            if not refs:
                return f"{op}:none"
            rid, _s, _n, oid = rng.choice(refs)
            group = rng.choice([g for g, o in world.groups.items() if o == oid])
            gs.enrol(uow, group_id=group, referral_id=rid, on=world.today())
        else:
            places = open_places(uow_factory)
            if not places:
                return f"{op}:none"
            group, number = rng.choice(places)
            to = S.ASSESSED_SUITABLE if op == "deselect" else S.DESELECTED
            gs.deselect(uow, group_id=group, person=number, reason=WHY, to=to, on=world.today())
    except DesistError:
        return f"{op}:refused"
    return op


def violations(uow_factory: UowFactory) -> list[str]:
    """Every broken invariant, one line each (empty when the data keeps every rule)."""
    closed = ", ".join(f"'{s.value}'" for s in S if s.closed)
    checks = {
        "two open referrals for one programme": (
            "SELECT r.person_id, o.programme_code, count(*) FROM referral r "
            f"JOIN offering o ON o.id = r.offering_id WHERE r.status NOT IN ({closed}) "
            "GROUP BY r.person_id, o.programme_code HAVING count(*) > 1"
        ),
        "two open places for one programme": (
            "SELECT e.person_id, o.programme_code, count(*) FROM enrolment e "
            "JOIN programme_group g ON g.id = e.group_id JOIN offering o ON o.id = g.offering_id "
            "WHERE e.left_on IS NULL GROUP BY e.person_id, o.programme_code HAVING count(*) > 1"
        ),
        "group over capacity": (
            "SELECT g.id, g.capacity, count(e.id) FROM programme_group g JOIN enrolment e "
            "ON e.group_id = g.id AND e.left_on IS NULL GROUP BY g.id, g.capacity "
            "HAVING count(e.id) > g.capacity"
        ),
        "ON_PROGRAMME without exactly one open place": (
            "SELECT r.id, r.status, (SELECT count(*) FROM enrolment e WHERE e.referral_id = r.id "
            "AND e.left_on IS NULL) AS places FROM referral r WHERE (r.status = 'ON_PROGRAMME') <> "
            "((SELECT count(*) FROM enrolment e WHERE e.referral_id = r.id AND e.left_on IS NULL) = 1)"
        ),
        "open place in another offering than its referral": (
            "SELECT e.id, e.referral_id FROM enrolment e JOIN referral r ON r.id = e.referral_id "
            "JOIN programme_group g ON g.id = e.group_id "
            "WHERE e.left_on IS NULL AND g.offering_id <> r.offering_id"
        ),
        "programme_code out of step": (
            "SELECT r.id, r.programme_code, o.programme_code FROM referral r JOIN offering o "
            "ON o.id = r.offering_id WHERE r.programme_code <> o.programme_code"
        ),
    }
    out = []
    with uow_factory("reader") as uow:
        for name, sql in checks.items():
            out += [f"{name}: {tuple(row)}" for row in uow.session.execute(text(sql))]
    return out


def eligible_waiting(uow_factory: UowFactory, group_id: int) -> list[int]:
    """Referral ids allocation may place in ``group_id``, best first (the model of the waiting list)."""
    with uow_factory("reader") as uow:
        rows = uow.session.execute(
            text(
                "SELECT r.id FROM referral r JOIN programme_group g ON g.offering_id = r.offering_id "
                "JOIN sentence s ON s.person_id = r.person_id "
                "WHERE g.id = :g AND r.status = 'ASSESSED_SUITABLE' AND r.person_id NOT IN "
                "(SELECT e.person_id FROM enrolment e WHERE e.group_id = :g) "
                "ORDER BY s.release_date, r.id"
            ),
            {"g": group_id},
        ).all()
    return [r[0] for r in rows]


def free_places(uow_factory: UowFactory, group_id: int, capacity: int) -> int:
    with uow_factory("reader") as uow:
        taken = uow.session.execute(
            text("SELECT count(*) FROM enrolment WHERE group_id = :g AND left_on IS NULL"), {"g": group_id}
        ).scalar_one()
    return capacity - int(taken)


def jammed_groups(world: World, uow_factory: UowFactory) -> list[str]:
    """Allocate every group with a free place and an eligible man; any that places nobody is jammed.

    This changes the data (it is the check: a waiting list that cannot be allocated from is the bug).
    """
    jammed = []
    for group_id in world.groups:
        expected = eligible_waiting(uow_factory, group_id)
        places = free_places(uow_factory, group_id, world.capacity)
        if not expected or places <= 0:
            continue
        try:
            result = gs.allocate(uow_factory("checker"), group_id=group_id, on=world.today())
        except DesistError as exc:
            jammed.append(f"group {group_id}: allocate refused with {len(expected)} waiting: {exc}")
            continue
        want = expected[: min(places, len(expected))]
        if list(result.enrolled_referrals) != want:
            jammed.append(f"group {group_id}: placed {result.enrolled_referrals}, expected {want}")
    return jammed
