"""Stateful property test: referrals, transfers, allocation and deselection in any order never jam.

Hypothesis drives the referral, transfer and group services in random orders (bounded: a few examples of a
few dozen steps, on SQLite; the random walks in test_walks.py cover PostgreSQL). After every step the
invariants of :func:`tests.integration.walk.violations` hold, and ``allocate`` always places exactly the
next eligible men of the waiting list (priority order, never a man who already left that group) while a
place is free.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from desist.adapters.engine import make_engine, make_session_factory
from desist.adapters.migrate import upgrade
from desist.domain.errors import CapacityError, DesistError
from desist.services import groups as gs
from desist.services import referrals as rs
from desist.services.transfers import transfer_referral
from desist.services.unit_of_work import UnitOfWork
from tests.integration import walk
from tests.principals import caseworker

S = walk.S
_TEMPLATE: dict[str, Path] = {}


def _template() -> Path:
    """A migrated database with the walk's world, made once and copied for each example (fast)."""
    if "path" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="desist-stateful-"))
        path = folder / "template.db"
        engine = upgrade(f"sqlite:///{path}")
        factory = make_session_factory(engine)
        uow = lambda actor: UnitOfWork(factory, principal=caseworker(actor))  # noqa: E731
        world = walk.build_world(uow, men=6, capacity=2)
        # three men already waiting at the first site, so examples reach allocation and deselection early
        first = min(world.offerings)
        for man in world.men[:3]:
            view = rs.create_referral(
                uow("setup"), person=man, offering_id=first, referred_on=walk.REFERRED_ON
            )
            status = S.REFERRAL_STARTED
            while status in walk.FORWARD:
                status = walk.FORWARD[status]
                rs.move_referral(uow("setup"), view.id, status,
                                 assessment_confirmed=True, programme_history_reviewed=True)
        engine.dispose()
        _TEMPLATE["path"], _TEMPLATE["world"] = path, world  # type: ignore[assignment]
    return _TEMPLATE["path"]


class Casework(RuleBasedStateMachine):
    @initialize()
    def fresh_database(self) -> None:
        template = _template()
        self.folder = Path(tempfile.mkdtemp(prefix="desist-example-"))
        path = self.folder / "desist.db"
        shutil.copy(template, path)
        self.engine = make_engine(f"sqlite:///{path}")
        factory = make_session_factory(self.engine)
        self.uow = lambda actor="machine": UnitOfWork(factory, principal=caseworker(actor))
        base = _TEMPLATE["world"]
        self.world = walk.World(list(base.men), dict(base.offerings), dict(base.groups), base.capacity)

    def teardown(self) -> None:
        if hasattr(self, "engine"):
            self.engine.dispose()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _pick(self, rows: list, k: int):  # type: ignore[no-untyped-def]
        return rows[k % len(rows)] if rows else None

    @rule(man=st.integers(0, 99), offering=st.integers(0, 99))
    def refer(self, man: int, offering: int) -> None:
        # refused when he already has an open referral for that programme, which is the rule at work
        with contextlib.suppress(DesistError):
            rs.create_referral(
                self.uow(),
                person=self._pick(self.world.men, man),
                offering_id=self._pick(sorted(self.world.offerings), offering),
                referred_on=walk.REFERRED_ON,
            )

    @rule(k=st.integers(0, 99), steps=st.integers(1, 4))
    def advance(self, k: int, steps: int) -> None:
        row = self._pick([r for r in walk.referral_ids(self.uow) if S(r[1]) in walk.FORWARD], k)
        if row is None:
            return
        status = S(row[1])
        for _ in range(steps):  # along the assessment path, all of whose steps the programme team may take
            if status not in walk.FORWARD:
                break
            status = walk.FORWARD[status]
            rs.move_referral(
                self.uow(),
                row[0],
                status,
                assessment_confirmed=True,
                programme_history_reviewed=True,
            )

    @rule(k=st.integers(0, 99), to=st.integers(0, 99))
    def transfer(self, k: int, to: int) -> None:
        row = self._pick([r for r in walk.referral_ids(self.uow) if not S(r[1]).closed], k)
        if row is None:
            return
        targets = [
            o
            for o, code in self.world.offerings.items()
            if o != row[3] and code == self.world.offerings[row[3]]
        ]
        if not targets:
            return
        try:
            transfer_referral(self.uow(), row[0], to_offering_id=self._pick(targets, to))
        except DesistError as exc:  # only a man on the programme may not be transferred
            assert row[1] == S.ON_PROGRAMME.value, exc

    @rule(k=st.integers(0, 99))
    def allocate(self, k: int) -> None:
        # groups of offerings with men waiting first: allocating an empty waiting list tells little
        waiting = {r[3] for r in walk.referral_ids(self.uow) if r[1] == S.ASSESSED_SUITABLE.value}
        groups = sorted(self.world.groups, key=lambda g: (self.world.groups[g] not in waiting, g))
        group = self._pick(groups[: max(1, sum(self.world.groups[g] in waiting for g in groups))], k)
        expected = walk.eligible_waiting(self.uow, group)
        free = walk.free_places(self.uow, group, self.world.capacity)
        try:
            result = gs.allocate(self.uow(), group_id=group, on=self.world.today())
        except CapacityError:
            assert free == 0
            return
        assert list(result.enrolled_referrals) == expected[:free]

    @rule(k=st.integers(0, 99), closing=st.booleans())
    def deselect(self, k: int, closing: bool) -> None:
        place = self._pick(walk.open_places(self.uow), k)
        if place is not None:
            gs.deselect(
                self.uow(),
                group_id=place[0],
                person=place[1],
                reason=walk.WHY,
                to=S.DESELECTED if closing else S.ASSESSED_SUITABLE,
                on=self.world.today(),
            )

    @invariant()
    def rules_hold(self) -> None:
        if hasattr(self, "uow"):
            assert walk.violations(self.uow) == []


Casework.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
test_casework_never_jams = Casework.TestCase
