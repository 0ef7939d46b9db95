"""Random walks over the casework services, one walker and several at once, on SQLite and PostgreSQL.

Bounded (a few hundred actions) so they run in CI; the seeds are fixed so a failure replays. After every
action of the single walker, and after the concurrent walkers finish, the data keeps one open referral and
one open place per man per programme, no group over capacity, places and ON_PROGRAMME referrals in step;
and no waiting list is jammed: every group with a free place and an eligible man places the next one.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from desist.adapters.audit_chain import verify
from tests.integration import walk


@pytest.mark.parametrize("seed", [1])
def test_random_walk_keeps_every_rule(uow_factory, seed):
    world = walk.build_world(uow_factory, men=8, capacity=2)
    rng = random.Random(seed)
    done: Counter[str] = Counter()
    for i in range(150):
        done[walk.step(world, uow_factory, rng)] += 1
        assert walk.violations(uow_factory) == [], f"after step {i}: {done}"
        if i % 30 == 29:
            assert walk.jammed_groups(world, uow_factory) == []
    assert walk.jammed_groups(world, uow_factory) == []
    assert walk.violations(uow_factory) == []
    # the walk did reach the interesting states: places taken, men deselected back to suitable, transfers
    for op in ("allocate", "deselect", "transfer", "refer"):
        assert done[op] > 0, done


def test_concurrent_walkers_keep_every_rule(uow_factory, engine):
    world = walk.build_world(uow_factory, men=8, capacity=2)
    done: Counter[str] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def walker(k: int) -> None:
        rng = random.Random(100 + k)
        start.wait()
        try:
            for _ in range(60):
                name = walk.step(world, uow_factory, rng, actor=f"walker{k}")
                with lock:
                    done[name] += 1
        except BaseException as exc:  # an unexpected error fails the test below, with its type
            errors.append(exc)

    threads = [threading.Thread(target=walker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert walk.violations(uow_factory) == []
    assert walk.jammed_groups(world, uow_factory) == []
    assert walk.violations(uow_factory) == []
    assert done["allocate"] + done["enrol"] > 0, done
    # four writers at once appended to one audit chain without forking it
    with engine.connect() as conn:
        report = verify(conn)
    assert report.intact and report.rows > 100, report
