"""A process killed (SIGKILL) in the middle of an import leaves the database exactly as it was."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from sqlalchemy import make_url, select, text

from desist.adapters.orm import Base
from desist.services.imports import import_file
from tests.cli import ADMIN, seed_user
from tests.principals import importing

PEOPLE = 2_000
OUTCOMES_PER_PERSON = 100  # 200,000 rows: long enough to be killed while writing
CLI = [sys.executable, "-c", "from desist.entrypoints.cli.app import main; main()"]


def _fingerprint(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A digest of every row of every table (order by primary key)."""
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()}"
    return out


def _write_files(tmp_path) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    numbers = [f"K{i:06d}" for i in range(PEOPLE)]
    people = pd.DataFrame({"prison_number": numbers, "date_of_birth": "1970-01-01", "sex": "M"})
    people.to_csv(tmp_path / "people.csv", index=False)
    offence = pd.Timestamp("2000-01-01") + pd.to_timedelta(np.arange(OUTCOMES_PER_PERSON) * 7, unit="D")
    outcomes = pd.DataFrame(
        {
            "prison_number": np.repeat(numbers, OUTCOMES_PER_PERSON),
            "offence_date": np.tile(offence.strftime("%Y-%m-%d"), PEOPLE),
            "proven_date": np.tile((offence + pd.Timedelta(days=90)).strftime("%Y-%m-%d"), PEOPLE),
            "kind": "other",
            "disposal": "fine",
        }
    )
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    return tmp_path / "people.csv", tmp_path / "outcomes.csv"


def _wait_until_writing(engine, database_url: str, proc: subprocess.Popen) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Block until the import is visibly writing rows: the SQLite WAL grows, or PostgreSQL runs the COPY."""
    deadline = time.monotonic() + 60
    wal = make_url(database_url).database + "-wal" if engine.dialect.name == "sqlite" else None
    baseline = os.path.getsize(wal) if wal and os.path.exists(wal) else 0
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the import finished before it could be killed; make the file bigger"
        if wal is not None:
            if os.path.exists(wal) and os.path.getsize(wal) > baseline + 1_000_000:
                return
        else:
            with engine.connect() as conn:
                busy = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                        "AND query LIKE '%_desist_import_%' AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            if busy:
                return
        time.sleep(0.01)
    raise AssertionError("the import never started writing")


def test_import_killed_part_way_leaves_the_database_unchanged(
    database_url, engine, session_factory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    people, outcomes = _write_files(tmp_path)
    import_file(importing(session_factory, "setup"), "people", people)
    seed_user(database_url, ADMIN)  # the administrator the command line imports as
    before = _fingerprint(engine)
    engine.dispose()

    env = {**os.environ, "DESIST_DATABASE_URL": database_url, "DESIST_USER": ADMIN}
    proc = subprocess.Popen(
        [*CLI, "import", "outcomes", "--input", str(outcomes)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = []
        while True:  # wait until validation is over and the rows are being written
            line = proc.stderr.readline()  # type: ignore[union-attr]
            assert line, f"import ended before writing: {''.join(seen)}"
            seen.append(line)
            if line.startswith("writing"):
                break
        _wait_until_writing(engine, database_url, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert proc.stdout.read() == ""  # type: ignore[union-attr]  # no summary: it never committed

    assert _fingerprint(engine) == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    # the database is usable afterwards: the same import now completes
    report = import_file(importing(session_factory, "retry"), "outcomes", outcomes)
    assert report.inserted == PEOPLE * OUTCOMES_PER_PERSON
