"""Benchmark: concurrent enrolments and referral moves through the casework services (SQLite and PostgreSQL).

Each group has 10 places and 50 men waiting for it; ``--threads`` workers enrol all of them at once, each with
its own unit of work, so every group ends with exactly 10 members and 40 refusals. Then every enrolled man is
deselected with a reason, one unit of work each, to time the referral state machine with its status history,
programme history and audit rows. Prints wall time, rates and peak memory (ru_maxrss).

Usage::

    python3 benchmarks/casework_enrolment.py [--groups 20] [--threads 16] [--backend sqlite|postgresql|both]

PostgreSQL comes from ``DESIST_TEST_POSTGRES_URL`` and is worked in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, select, text

from desist.adapters.engine import make_engine, make_session_factory
from desist.adapters.migrate import upgrade
from desist.adapters.orm import Assessment, Enrolment, Offering, Person, Referral, ReferralStatusChange
from desist.domain.access import Principal, StaffRole
from desist.domain.errors import CapacityError
from desist.domain.groups import GroupKind
from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
from desist.services import groups as gs
from desist.services.referrals import move_referral
from desist.services.unit_of_work import UnitOfWork

#: the acting user: the programme team, every organisation
BENCH = Principal("bench", frozenset({StaffRole.PROGRAMME_TEAM}), national=True)

PLACES, WAITING = 10, 50


def setup(session_factory, groups: int) -> list[tuple[int, int]]:
    """Groups and suitable referrals; returns (group id, referral id) for every enrolment attempt."""
    with UnitOfWork(session_factory, "bench:setup") as uow:
        s = uow.session
        offering = Offering(programme_code="HORIZON", site="HMP Bench", active=True)
        s.add(offering)
        s.flush()
        referrals = []
        for i in range(groups * WAITING):
            p = Person(prison_number=f"B{i:06d}", date_of_birth=dt.date(1970, 1, 1), sex="M")
            s.add(p)
            s.flush()
            s.add(
                Assessment(
                    person_id=p.id,
                    assessed_on=dt.date(2024, 1, 1),
                    tool="OSP",
                    inputs={},
                    outputs={"risk_band": "medium"},
                )
            )
            r = Referral(
                person_id=p.id, offering_id=offering.id, status="ASSESSED_SUITABLE", referrer="bench"
            )
            s.add(r)
            referrals.append(r)
        s.flush()
        for r in referrals:
            s.add(ReferralStatusChange(referral_id=r.id, actor="bench", to_status="ASSESSED_SUITABLE"))
        uow.commit()
        ids = [r.id for r in referrals]
    group_ids = [
        gs.create_group(
            UnitOfWork(session_factory, principal=BENCH),
            offering_id=offering.id,
            kind=GroupKind.ROLLING,
            capacity=PLACES,
            planned_sessions=10,
        ).id
        for _ in range(groups)
    ]
    return [(group_ids[i % groups], rid) for i, rid in enumerate(ids)]


def run(url: str, groups: int, threads: int) -> None:
    engine = make_engine(url, pool_size=threads, max_overflow=0) if "postgresql" in url else make_engine(url)
    sf = make_session_factory(engine)
    attempts = setup(sf, groups)

    def enrol(pair: tuple[int, int]) -> bool:
        try:
            gs.enrol(
                UnitOfWork(sf, principal=BENCH), group_id=pair[0], referral_id=pair[1], on=dt.date(2025, 1, 6)
            )
            return True
        except CapacityError:
            return False

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(enrol, attempts))
    enrol_s = time.perf_counter() - start
    with sf() as s:
        per_group = s.execute(select(Enrolment.group_id, func.count()).group_by(Enrolment.group_id)).all()
        members = {g: n for g, n in per_group}
        enrolled = [r for (r,) in s.execute(select(Enrolment.referral_id)).all()]
    assert all(n == PLACES for n in members.values()) and len(members) == groups, members
    assert sum(results) == groups * PLACES

    reason = Reason(ReasonCategory.OPERATIONAL, "transferred")
    start = time.perf_counter()
    for rid in enrolled:
        move_referral(
            UnitOfWork(sf, principal=BENCH), rid, ReferralStatus.DESELECTED, reason=reason,
            on=dt.date(2025, 2, 1),
        )
    move_s = time.perf_counter() - start
    engine.dispose()
    print(
        f"{url.split(':')[0]:<22} {len(attempts)} enrolment attempts, {threads} threads, {groups} groups: "
        f"{enrol_s:.2f} s ({len(attempts) / enrol_s:.0f}/s), {sum(results)} enrolled, "
        f"{len(results) - sum(results)} refused"
    )
    print(
        f"{'':<22} {len(enrolled)} deselections (history, programme history, audit): {move_s:.2f} s "
        f"({len(enrolled) / move_s:.0f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    wall = time.perf_counter()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            upgrade(url).dispose()
            run(url, args.groups, args.threads)
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("DESIST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        schema = f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
            upgrade(url).dispose()
            run(url, args.groups, args.threads)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total wall time {time.perf_counter() - wall:.1f} s, peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
