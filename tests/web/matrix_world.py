"""A world for the authorisation matrix and the attack tests: a stored evaluation, two prisons, one signed-in
user per role (own organisation HMP Whatton), and factories for fresh records (so that every write case starts
from a record in the state it needs, whatever earlier cases did).

Built once per test module (``build_world``); writes are made through the services as a national treatment
manager (``SEEDER``), never through the routes under test.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desist.config import Settings
from desist.domain.access import Action, Principal, StaffRole
from tests.web.seed import (
    OSP_INPUTS,
    PASSWORD,
    SEEDER,
    USK,
    WHATTON,
    World,
    _assess,
    add_account,
    call,
    seed_world,
    staff,
    uow_as,
)

END = dt.date(2024, 12, 31)
#: the date of the fixture's past casework (joining, sessions): well before today
PAST = dt.date(2025, 1, 6)
NATIONAL_ANALYST = staff("nat-analyst", "analyst", org=None, national=True)
SUITABLE = ("REFERRAL_SUBMITTED", "AWAITING_ASSESSMENT", "ASSESSMENT_STARTED", "ASSESSED_SUITABLE")
PSEUDONYM_KEY = "matrix-test-pseudonym-key-0123456789abcdef"


@dataclass
class RoleUser:
    principal: Principal
    session: str  # the desist_session cookie
    csrf: str
    token: str  # an API token with every action the role allows


@dataclass
class MatrixWorld:
    app: Any  # desist.bootstrap.App
    world: World
    groups: dict[str, int]  # organisation -> a group there (with a member and session 1)
    offerings: dict[str, int]  # organisation -> an offering there
    people: dict[str, int]  # organisation -> a man there
    referrals: dict[str, int]  # organisation -> a referral there (REFERRAL_STARTED, left alone)
    users: dict[StaffRole, RoleUser]
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    # -- fresh records -------------------------------------------------------------------------------
    def man(self, org: str, name_suffix: str = "") -> int:
        from desist.services.casework import record_sentence, register_person

        n = next(self.numbers)
        number = f"Z{n:04d}{'WU'[org == USK]}Q"
        v = call(
            register_person,
            uow_as(self.app, SEEDER),
            prison_number=number,
            date_of_birth=dt.date(1979, 2, 3),
            sex="M",
            establishment=org,
        )
        call(
            record_sentence,
            uow_as(self.app, SEEDER),
            person=number,
            start_date=dt.date(2023, 1, 10),
            release_date=dt.date(2032, 1, 10),
            custodial=True,
            index_offence="rape",
        )
        _assess(self.app, number, "osp", OSP_INPUTS, dt.date(2024, 3, 1))  # a risk band: groups need one
        return int(v.id if hasattr(v, "id") else v["id"])

    def referral(self, org: str, path: tuple[str, ...] = (), offering: int | None = None) -> int:
        """A fresh man of ``org`` referred (referred on PAST) and moved along ``path``."""
        from desist.domain.referrals import Reason, ReferralStatus
        from desist.services.referrals import create_referral, move_referral

        person = self.man(org)
        v = call(
            create_referral,
            uow_as(self.app, SEEDER),
            person=person,
            offering_id=offering or self.offerings[org],
            referred_on=PAST - dt.timedelta(days=30),
        )
        rid = int(v.id)
        for target in path:
            kwargs: dict[str, Any] = {"assessment_confirmed": True, "programme_history_reviewed": True}
            if target in ("NOT_ELIGIBLE", "WITHDRAWN", "NOT_SUITABLE", "SUITABLE_NOT_READY"):
                kwargs["reason"] = Reason.parse("other", "matrix set-up")
            _move(self.app, rid, ReferralStatus(target), kwargs)
        del move_referral
        return rid

    def group(self, org: str, *, member: bool = True, session: bool = True) -> int:
        """A fresh closed group at ``org``'s offering, with one member joined on PAST and session 1."""
        from desist.domain.groups import GroupKind
        from desist.services.groups import create_group, enrol, record_session

        g = call(
            create_group,
            uow_as(self.app, SEEDER),
            offering_id=self.offerings[org],
            kind=GroupKind.CLOSED,
            capacity=8,
            planned_sessions=20,
            label=f"Matrix {next(self.numbers)}",
            start_date=PAST,
        )
        if member:
            rid = self.referral(org, SUITABLE)
            call(enrol, uow_as(self.app, SEEDER), group_id=g.id, referral_id=rid, on=PAST)
            if session:
                person = self.person_of(rid)
                call(
                    record_session,
                    uow_as(self.app, SEEDER),
                    group_id=g.id,
                    held_on=PAST + dt.timedelta(days=1),
                    topic="first",
                    attendance={person: "attended"},
                )
        return int(g.id)

    def person_of(self, referral_id: int) -> int:
        from desist.services.referrals import show_referral

        return int(show_referral(uow_as(self.app, SEEDER), referral_id).person_id)

    def member_of(self, group_id: int) -> int:
        from desist.services.group_board import group_board

        board = group_board(uow_as(self.app, SEEDER), group_id)
        return int(board.group.members[0].person_id)

    def audit_rows(self) -> int:
        """Audited casework writes so far (sign-ins and session refreshes left out)."""
        from sqlalchemy import text

        accounts = "'api_token', 'app_user', 'app_user_role', 'login_attempt', 'user_session'"
        with self.app.engine.connect() as conn:
            sql = f"select count(*) from audit_log where entity not in ({accounts})"
            return int(conn.execute(text(sql)).scalar_one())


def _move(app: Any, rid: int, target: Any, kwargs: dict[str, Any]) -> None:
    from desist.services.referrals import move_referral, show_referral

    current = show_referral(uow_as(app, SEEDER), rid)
    import inspect

    if "role" in inspect.signature(move_referral).parameters:
        from desist.domain.referrals import Role

        move_referral(uow_as(app, SEEDER), rid, target, Role.PROGRAMME_TEAM, **kwargs)
    else:
        move_referral(uow_as(app, SEEDER), rid, target, **kwargs)
    del current


def evaluated_database(template: Path, folder: Path, men: int = 1500) -> Path:
    """A migrated SQLite file: a synthetic population, SOTP-CORE evaluated once, one monitoring review."""
    from desist.adapters.engine import make_engine, make_session_factory
    from desist.adapters.orm import MonitoringReview
    from desist.bootstrap import bootstrap
    from desist.services.demo import load_population
    from desist.services.evaluations import evaluate_programme
    from desist.synth import generate_population
    from desist.synth.export import write_import_files

    path = folder / "matrix.db"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    files = write_import_files(generate_population(men, seed=3), END, folder / "files")
    load_population(engine, files, principal=staff("importer", "admin", org=None, national=True))
    with bootstrap(Settings(database_url=url)) as app:  # type: ignore[call-arg]
        evaluate_programme("SOTP-CORE", END, None, uow_as(app, NATIONAL_ANALYST))
    with make_session_factory(engine)() as s:
        s.add(
            MonitoringReview(
                programme_code="SOTP-CORE",
                as_of=dt.date(2012, 12, 31),
                method="group-sequential",
                design={},
                source="test",
                treated=400,
                comparison=800,
                events=60,
                estimate=1.1,
                ci_low=0.9,
                ci_high=1.3,
                z=1.0,
                information=20.0,
                information_fraction=0.5,
                boundary=2.5,
                decision="continue",
                evidence={},
            )
        )
        s.commit()
    engine.dispose()
    return path


def settings_for(path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=f"sqlite:///{path}", cookie_secure=False, pseudonym_key=PSEUDONYM_KEY
    )


def build_world(app: Any) -> MatrixWorld:
    """Seed the two-prison world on ``app`` and sign one Whatton user per role in."""
    from desist.domain.groups import GroupKind
    from desist.services import users
    from desist.services.groups import create_group

    world = seed_world(app)
    usk_group = call(
        create_group,
        uow_as(app, SEEDER),
        offering_id=world.horizon_usk,
        kind=GroupKind.CLOSED,
        capacity=8,
        planned_sessions=10,
        label="Horizon A",
    )
    del usk_group
    m = MatrixWorld(
        app=app,
        world=world,
        groups={},
        offerings={WHATTON: world.kaizen_whatton, USK: world.horizon_usk},
        people={WHATTON: world.whatton_man, USK: world.usk_man},
        referrals={},
        users={},
    )
    for org in (WHATTON, USK):
        m.groups[org] = m.group(org)
        m.referrals[org] = m.referral(org)
    for role in StaffRole:
        p = staff(f"{role.value.replace('_', '-')}-w", role.value)
        add_account(app, p)
        principal = users.authenticate(app.uow("system:test"), p.username, PASSWORD, client="test")
        started = users.start_session(app.uow("system:test"), principal)
        me = users.principal_for(app.uow("system:test"), p.username)
        scopes = {a for a in Action if me.can(a)}
        issued = users.issue_token(app.uow(me), username=p.username, name="matrix", scopes=scopes)
        m.users[role] = RoleUser(principal, started.token, started.csrf_token, str(issued.token))
    return m
