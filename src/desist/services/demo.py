"""The demo's use cases on a real database: a fresh SQLite file, the population imported through the import
service, one live casework cycle through the referral and group services, and the evaluation of Core SOTP
through the evaluation service (which runs on what the database holds, not on the generator's own frames,
and stores the run).

Every step acts as one of the documented demo users (:data:`DEMO_USERS`, stored first), through the same
role checks as the command line and the web app: the administrator imports, the analyst evaluates, Whatton's
staff run the casework. The audit log names them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from desist.adapters.engine import make_engine, make_session_factory
from desist.adapters.migrate import upgrade
from desist.adapters.store import Store
from desist.domain.access import Principal
from desist.domain.errors import InputError
from desist.services.imports import ImportReport, import_file
from desist.services.unit_of_work import UnitOfWork

#: the demo's SQLAlchemy engine (typed loosely: services import no SQLAlchemy)
Engine = Any

#: the demo accounts' one password (documented in docs/demo.md and printed by the demo: demo use only)
DEMO_PASSWORD = "desist-demo-password"
#: the documented demo users: (user name, roles, organisation, national access)
DEMO_USERS: tuple[tuple[str, tuple[str, ...], str | None, bool], ...] = (
    ("ada.admin", ("admin",), None, True),
    ("nina.analyst", ("analyst",), None, True),
    ("rita.whatton", ("referrer",), "HMP Whatton", False),
    ("tom.whatton", ("programme_team",), "HMP Whatton", False),
    ("tess.whatton", ("treatment_manager",), "HMP Whatton", False),
    ("rhys.usk", ("referrer",), "HMP Usk", False),
    ("tara.usk", ("programme_team",), "HMP Usk", False),
    ("uma.usk", ("treatment_manager",), "HMP Usk", False),
)
#: who imports the population (an administrator) and who evaluates it (an analyst)
DEMO_ADMIN, DEMO_ANALYST = "ada.admin", "nina.analyst"
#: who runs the demo's casework cycle (the Kaizen group at HMP Whatton)
CYCLE_REFERRER, CYCLE_TEAM = "rita.whatton", "tom.whatton"
#: the statistical floor of desist.evaluation (below it no estimate is made)
DEMO_MIN_TREATED = 10


#: SQLite's application_id (a 32-bit number in the file header) of a database the demo made: "DSDm"
DEMO_APPLICATION_ID = 0x4453446D
MARKER_TABLE = "desist_demo_marker"


def marker_path(path: Path) -> Path:
    """The sidecar file holding the random token of the demo database at ``path``."""
    return path.with_name(path.name + ".demo-marker")


def _is_demo_database(path: Path) -> bool:
    """A file this demo made: its header says so, and its marker table holds the token of its sidecar file.

    Nothing a user can type through desist sets either: the header's application_id is written only here,
    and the token is random, kept in the database and in a file beside it. (The old test, demo prison
    numbers and a demo actor in the audit log, was data anyone could enter.)
    """
    sidecar = marker_path(path)
    if not sidecar.is_file():
        return False
    try:
        token = sidecar.read_text(encoding="ascii").strip()
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            stored = con.execute(f"SELECT token FROM {MARKER_TABLE}").fetchall()
        finally:
            con.close()
    except (sqlite3.Error, OSError, UnicodeError):
        return False
    return app_id == DEMO_APPLICATION_ID and len(token) == 64 and stored == [(token,)]


def _mark_as_demo(engine: Engine, path: Path) -> None:
    token = secrets.token_hex(32)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA application_id = {DEMO_APPLICATION_ID}")
        conn.exec_driver_sql(f"CREATE TABLE {MARKER_TABLE} (token TEXT NOT NULL)")
        conn.exec_driver_sql(f"INSERT INTO {MARKER_TABLE} (token) VALUES (?)", (token,))
    marker_path(path).write_text(token + "\n", encoding="ascii")


def check_target(path: Path) -> Path:
    """Check that the demo may write its database at ``path`` (absent, or written by an earlier demo).

    Raises
    ------
    InputError
        ``path`` is a folder, its folder is missing, or it exists and is not a demo database.
    """
    path = path.expanduser().resolve()
    if path.is_dir():
        raise InputError(f"--db {path}: is a directory, expected a file name such as desist-demo.db")
    if path.exists() and not _is_demo_database(path):
        raise InputError(
            f"--db {path}: exists and is not a desist demo database; refusing to overwrite it "
            "(choose another --db path)"
        )
    if not path.parent.is_dir():
        raise InputError(f"--db {path}: folder {path.parent}: does not exist, expected an existing folder")
    return path


def prepare_database(path: Path) -> Engine:
    """Create a fresh, migrated SQLite database at ``path``, replacing an earlier demo's (see
    :func:`check_target`, which refuses any other file)."""
    path = check_target(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    marker_path(path).unlink(missing_ok=True)
    engine = upgrade(make_engine(f"sqlite:///{path}"))
    _mark_as_demo(engine, path)
    return engine


def load_population(
    engine: Engine,
    files: dict[str, Path],
    progress: Callable[[str, ImportReport], None] | None = None,
    *,
    principal: Principal,
) -> list[ImportReport]:
    """Import the five files in order through :func:`desist.services.imports.import_file` as ``principal``
    (a user whose role may import: the demo's administrator)."""
    factory = make_session_factory(engine)
    reports = []
    for kind, path in files.items():
        report = import_file(UnitOfWork(factory, principal=principal), kind, path)
        reports.append(report)
        if progress:
            progress(kind, report)
    return reports


def evaluate_core(engine: Engine, as_of: dt.date, *, principal: Principal, keep_fit: bool = True) -> Any:
    """Evaluate Core SOTP from the database through :func:`desist.services.evaluations.evaluate_programme`
    with the default spec (what ``desist evaluate --programme SOTP-CORE --as-of AS_OF`` runs) as
    ``principal`` (an analyst), stored as an ``evaluation_run``; returns the
    :class:`~desist.services.evaluations.StoredRun` with its cohort and fit.

    The demo's population is synthetic and may be small (1,000 men), so fewer treated men than the Justice
    Data Lab's 60 give a warning in the result rather than a refusal.
    """
    from desist.services.evaluations import evaluate_programme

    uow = UnitOfWork(make_session_factory(engine), principal=principal)
    return evaluate_programme(
        "SOTP-CORE", as_of, None, uow, min_treated=DEMO_MIN_TREATED, keep_fit=keep_fit
    )


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table (for the summary and the tests)."""
    names = (
        "person",
        "sentence",
        "assessment",
        "programme_history",
        "outcome",
        "offering",
        "programme_group",
        "referral",
        "referral_status_change",
        "enrolment",
        "group_session",
        "attendance",
        "evaluation_run",
        "audit_log",
    )
    with engine.connect() as conn:
        return {n: int(conn.exec_driver_sql(f"SELECT count(*) FROM {n}").scalar_one()) for n in names}


@dataclass(frozen=True)
class CaseworkSummary:
    """What the live casework cycle did."""

    offering_id: int
    group_id: int
    referred: tuple[str, ...]
    not_suitable: tuple[str, ...]
    withdrawn: tuple[str, ...]
    enrolled: tuple[str, ...]
    passed_over: tuple[tuple[str, str], ...]
    sessions: int
    completed: tuple[str, ...]
    deselected: tuple[str, ...]
    audit_rows: int
    next_group_id: int  # "Kaizen 2": planned, no member yet, taking the men left waiting (and new referrals)


def demo_user(engine: Engine, username: str) -> Principal:
    """The stored demo user ``username`` as the services check them (see :func:`seed_users`)."""
    from desist.services.users import principal_for

    return principal_for(UnitOfWork(make_session_factory(engine), "system:demo"), username)


def seed_users(engine: Engine) -> list[Any]:
    """Add the documented demo users (:data:`DEMO_USERS`), all with :data:`DEMO_PASSWORD`: the first is
    the first administrator (created with no one signed in, as ``desist user add --first-admin``), who adds
    the others."""
    from desist.services import users

    factory = make_session_factory(engine)
    admin, *others = DEMO_USERS
    first = users.create_first_admin(
        lambda: UnitOfWork(factory, "system:demo"), username=admin[0], password=DEMO_PASSWORD, national=True
    )
    me = demo_user(engine, first.username)
    return [first, *users.add_users(UnitOfWork(factory, principal=me), others, password=DEMO_PASSWORD)]


def casework_cycle(engine: Engine, candidates: list[str], start: dt.date, seed: int = 0) -> CaseworkSummary:
    """One Kaizen group run through the services: offering, group, referrals, assessment, allocation,
    twelve sessions with attendance, completions and a deselection, each step audited; then the next group
    ("Kaizen 2", closed, 8 places, no session yet) for the men left waiting, so that a user of the web
    application can refer a man and put him in a group.

    ``candidates`` are prison numbers of men in custody on ``start`` with a high or very high OSP/DC band.
    """
    from desist.domain.groups import GroupKind
    from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
    from desist.services import groups as gs
    from desist.services import referrals as rs
    from desist.services.group_state import GroupView

    S = ReferralStatus
    factory = make_session_factory(engine)
    acting = {name: demo_user(engine, name) for name in (CYCLE_REFERRER, CYCLE_TEAM)}

    def uow(actor: str) -> UnitOfWork:
        name = actor.removeprefix("demo:")
        if name in acting:
            return UnitOfWork(factory, principal=acting[name])
        return UnitOfWork(factory, actor)

    rng = np.random.default_rng(seed)
    offering = gs.create_offering(
        uow("demo:tom.whatton"), programme_code="KAIZEN", site="HMP Whatton"
    )
    referred, not_suitable, withdrawn = [], [], []
    for i, number in enumerate(candidates):
        v = rs.create_referral(
            uow("demo:rita.whatton"),
            person=number,
            offering_id=offering["id"],
            referred_on=start - dt.timedelta(days=28),  # referred a month before the group starts
        )
        referred.append(number)
        if i == len(candidates) - 1:  # the last man is released on appeal before his assessment
            rs.move_referral(
                uow("demo:rita.whatton"),
                v.id,
                S.WITHDRAWN,
                reason=Reason(ReasonCategory.OPERATIONAL, "released on appeal"),
            )
            withdrawn.append(number)
            continue
        rs.move_referral(
            uow("demo:rita.whatton"),
            v.id,
            S.REFERRAL_SUBMITTED,
            assessment_confirmed=True,
            programme_history_reviewed=True,
        )
        for target in (S.AWAITING_ASSESSMENT, S.ASSESSMENT_STARTED):
            rs.move_referral(uow("demo:tom.whatton"), v.id, target)
        if i == len(candidates) - 2:  # one man is assessed not suitable (e.g. acute mental ill health)
            rs.move_referral(
                uow("demo:tom.whatton"),
                v.id,
                S.NOT_SUITABLE,
                reason=Reason(ReasonCategory.PERSONAL, "acute mental ill health; refer again later"),
            )
            not_suitable.append(number)
            continue
        rs.move_referral(uow("demo:tom.whatton"), v.id, S.ASSESSED_SUITABLE)

    def kaizen_group(label: str, start_date: dt.date | None = None) -> GroupView:
        """A closed group of 8 men over 12 sessions at the demo's Kaizen offering."""
        return gs.create_group(
            uow("demo:tom.whatton"),
            offering_id=offering["id"],
            kind=GroupKind.CLOSED,
            capacity=8,
            planned_sessions=12,
            label=label,
            facilitators=["A. Facilitator"],
            start_date=start_date,
        )

    group = kaizen_group("Kaizen 1", start)
    alloc = gs.allocate(uow("demo:tom.whatton"), group_id=group.id, on=start)
    with uow("demo:read") as reading:
        enrolled = _numbers(reading, alloc.enrolled_referrals)
        passed = tuple(
            zip(
                _numbers(reading, [r for r, _ in alloc.passed_over]),
                [w for _, w in alloc.passed_over],
                strict=True,
            )
        )
    # attendance: most men attend nearly every session; one stops coming after the fourth
    dropout = enrolled[-1] if enrolled else None
    # others miss at most one session (11 of 12 is above the 80% completion threshold)
    missed = {m: (int(rng.integers(12)) if rng.random() < 0.4 else -1) for m in enrolled}
    day = start
    for k in range(12):
        marks = {
            m: ("absent" if (m == dropout and k >= 4) or missed[m] == k else "attended") for m in enrolled
        }
        gs.record_session(
            uow("demo:tom.whatton"),
            group_id=group.id,
            held_on=day,
            topic=f"session {k + 1}",
            attendance=marks,
        )
        day += dt.timedelta(days=7 if k % 2 else 3)
    completed, deselected = [], []
    for m in enrolled:
        if m == dropout:
            gs.deselect(
                uow("demo:tom.whatton"),
                group_id=group.id,
                person=m,
                on=day,
                reason=Reason(ReasonCategory.MOTIVATION, "stopped attending after session 4"),
            )
            deselected.append(m)
        else:
            gs.complete(
                uow("demo:tom.whatton"), group_id=group.id, person=m, targets_met=True, on=day
            )
            completed.append(m)
    following = kaizen_group("Kaizen 2")
    store = Store(engine, "demo")
    audit = sum(store.audit_count(actor_prefix=name, except_actor=None) for name in acting)
    return CaseworkSummary(
        offering["id"],
        group.id,
        tuple(referred),
        tuple(not_suitable),
        tuple(withdrawn),
        tuple(enrolled),
        passed,
        12,
        tuple(completed),
        tuple(deselected),
        audit,
        following.id,
    )


def _numbers(uow: UnitOfWork, referral_ids: Any) -> tuple[str, ...]:
    out = []
    for rid in referral_ids:
        r = uow.referrals.find(rid)
        p = uow.people.find(r.person_id) if r else None
        out.append(p.prison_number if p else "?")
    return tuple(out)
