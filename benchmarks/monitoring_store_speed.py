"""Speed of one stored review on the casework store: ``desist monitor run`` on a 50,000-man database.

Builds (once) a SQLite database of a synthetic population imported through the validated, audited import
(``--db PATH`` keeps it between runs), then times one review of Core SOTP on each date: the store's
evaluation as of that date (``evaluate_programme``: reading the tables known then, the cohort, matching,
balance, outcomes, survival, subgroups, sensitivity; kept as an evaluation run) and the stored review.
Prints wall and CPU time per review and the peak memory.

    python benchmarks/monitoring_store_speed.py [--men 50000] [--db /tmp/monitor-50k.db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from desist.domain.access import Principal, StaffRole

#: who the benchmark acts as (the services check roles; nobody signs in here)
ADMIN = Principal("bench.admin", frozenset({StaffRole.ADMIN}), national=True)
ANALYST = Principal("bench.analyst", frozenset({StaffRole.ANALYST}), national=True)


def build(path: Path, men: int) -> None:
    from desist.adapters.migrate import upgrade
    from desist.services.demo import load_population
    from desist.synth import generate_population
    from desist.synth.export import write_import_files

    t0 = time.perf_counter()
    engine = upgrade(f"sqlite:///{path}")
    pop = generate_population(men, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        load_population(engine, write_import_files(pop, dt.date(2024, 12, 31), Path(tmp)), principal=ADMIN)
    engine.dispose()
    print(f"built {path}: {men:,} men in {time.perf_counter() - t0:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--men", type=int, default=50_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "desist-monitor-50k.db")
    parser.add_argument("--dates", default="2016-12-31,2020-12-31,2024-12-31")
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.men)
    import shutil

    from desist.bootstrap import bootstrap
    from desist.config import Settings
    from desist.services import monitoring as svc

    work = Path(tempfile.mkdtemp()) / "copy.db"  # reviews are stored: measure on a fresh copy each time
    shutil.copy(args.db, work)
    from desist.adapters.migrate import upgrade

    upgrade(f"sqlite:///{work}").dispose()  # a database built by an earlier version
    factory = bootstrap(Settings(database_url=f"sqlite:///{work}")).uow_factory(ANALYST)
    monitor = svc.make_monitor()
    evaluator = svc.store_evaluator(factory)
    for text in args.dates.split(","):
        day = dt.date.fromisoformat(text)
        source = svc.STORE_SOURCE
        w, c = time.perf_counter(), time.process_time()
        review = svc.run_reviews(factory, evaluator, ["SOTP-CORE"], day, monitor, source=source)[0]
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        print(
            f"one review of SOTP-CORE as of {day}: {wall:.2f} s wall, {cpu:.2f} s CPU; "
            f"{review['treated']:,} treated, {review['comparison']:,} comparison, {review['events']} events, "
            f"HR {review['estimate'] or float('nan'):.2f}, {review['decision']}"
        )
    shutil.rmtree(work.parent)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
