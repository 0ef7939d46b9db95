"""Benchmark: import 1,000,000 generated outcome rows into PostgreSQL through the real import path.

The import is the same all-or-nothing path as ``desist import outcomes FILE``: every row validated, prison
numbers resolved, natural keys compared with what is stored, rows written with COPY and each one audited,
one commit. Target: under 60 s. Prints wall time per phase and peak memory (ru_maxrss).

Usage::

    python3 benchmarks/import_outcomes.py [--rows 1000000] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The URL defaults to DESIST_TEST_POSTGRES_URL. The benchmark works in a schema of its own
(``bench_<pid>``) and drops it afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
from sqlalchemy import text

from desist.adapters.engine import make_engine, make_session_factory
from desist.adapters.migrate import upgrade
from desist.domain.access import Principal, StaffRole
from desist.services.imports import import_file
from desist.services.unit_of_work import UnitOfWork

#: who the benchmark imports as (an administrator: the import checks the role)
BENCH = Principal("bench", frozenset({StaffRole.ADMIN}), national=True)

KINDS = np.array(["sexual_contact", "sexual_images", "violent", "other"])


def generate(rows: int, folder: Path, seed: int = 7) -> tuple[Path, Path]:
    """People and outcome files: 20 outcomes per man, distinct (man, offence date, kind)."""
    rng = np.random.default_rng(seed)
    per_person = 20
    people = (rows + per_person - 1) // per_person
    numbers = np.array([f"B{i:07d}" for i in range(people)])
    dob = pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 15_000, people), unit="D")
    pd.DataFrame({"prison_number": numbers, "date_of_birth": dob.strftime("%Y-%m-%d"), "sex": "M"}).to_csv(
        folder / "people.csv", index=False
    )
    # offence dates 30 days apart per man keep the natural key unique without a de-duplication pass
    step = np.tile(np.arange(per_person), people)[:rows]
    offence = pd.Timestamp("2005-01-01") + pd.to_timedelta(step * 30 + rng.integers(0, 20, rows), unit="D")
    proven = offence + pd.to_timedelta(rng.integers(30, 400, rows), unit="D")
    frame = pd.DataFrame(
        {
            "prison_number": np.repeat(numbers, per_person)[:rows],
            "offence_date": offence.strftime("%Y-%m-%d"),
            "proven_date": proven.strftime("%Y-%m-%d"),
            "kind": KINDS[rng.integers(0, 4, rows)],
            "disposal": np.where(rng.random(rows) < 0.6, "immediate custody", "community order"),
        }
    )
    frame.to_csv(folder / "outcomes.csv", index=False)
    return folder / "people.csv", folder / "outcomes.csv"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "DESIST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()

    schema = f"bench_{os.getpid()}"
    admin = make_engine(args.url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{args.url}{'&' if '?' in args.url else '?'}options={quote(f'-csearch_path={schema}')}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            # generated in a child process so the peak memory reported below is the import's alone
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                people, outcomes = pool.submit(generate, args.rows, Path(tmp)).result()
            t1 = time.perf_counter()
            engine = upgrade(url)
            factory = make_session_factory(engine)
            import_file(UnitOfWork(factory, principal=BENCH), "people", people)
            t2 = time.perf_counter()
            phases: list[tuple[str, float, float]] = []
            start = time.perf_counter()
            report = import_file(
                UnitOfWork(factory, principal=BENCH),
                "outcomes",
                outcomes,
                progress=lambda msg: phases.append((msg, time.perf_counter() - start, _rss_mb())),
            )
            t3 = time.perf_counter()
            first_peak = _rss_mb()
            again = import_file(UnitOfWork(factory, principal=BENCH), "outcomes", outcomes)
            t4 = time.perf_counter()
            with engine.connect() as conn:
                stored = conn.execute(text("SELECT count(*) FROM outcome")).scalar_one()
                audited = conn.execute(
                    text("SELECT count(*) FROM audit_log WHERE entity = 'outcome'")
                ).scalar_one()
            engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    peak_mb = _rss_mb()
    print(f"generate files            {t1 - t0:7.1f} s")
    print(f"import people             {t2 - t1:7.1f} s")
    for msg, at, rss in phases:
        print(f"  +{at:6.1f} s  (peak so far {rss:5.0f} MB)  {msg}")
    print(
        f"import {report.inserted:,} outcomes  {t3 - t2:7.1f} s  (target < 60 s; peak {first_peak:.0f} MB)"
    )
    print(
        f"re-import (no-op)         {t4 - t3:7.1f} s  ({again.unchanged:,} unchanged, {again.inserted} new)"
    )
    print(f"rows stored {stored:,}; audit rows {audited:,}")
    print(f"peak memory (ru_maxrss)   {peak_mb:7.0f} MB")
    assert stored == args.rows == audited and again.inserted == 0


if __name__ == "__main__":
    main()
