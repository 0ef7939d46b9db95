"""Concurrent imports of one file (separate processes): one wins, each loser says so in one line and
changes nothing; no traceback on either backend."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from sqlalchemy import text

from tests.cli import seed_user

CLI = [sys.executable, "-c", "from desist.entrypoints.cli.app import main; main()"]


CHAIN_KEY = "hashtext('desist.audit_log.' || current_schema())"


def _waiting(conn) -> int:  # type: ignore[no-untyped-def]
    """Backends waiting for a lock while writing rows and audit rows (the importers)."""
    count = conn.execute(
        text(
            "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.query ILIKE '%INSERT INTO audit_log%'"
        )
    ).scalar_one()
    conn.rollback()  # pg_stat_activity is a snapshot per transaction: look again in a new one
    return int(count)


def test_four_processes_importing_the_same_file_at_once(database_url, engine, backend, tmp_path):
    rows = ["prison_number,date_of_birth,sex"] + [f"R{i:05d}AA,1980-01-01,M" for i in range(3000)]
    people = tmp_path / "people.csv"
    people.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    importers = range(4 if backend == "postgresql" else 2)
    for i in importers:  # administrators the command line imports as
        seed_user(database_url, f"importer{i}", "admin")
    holder = engine.connect()
    if backend == "postgresql":
        # Hold the audit chain's lock so every importer gets as far as writing its rows before any of them
        # can commit: all four then race on the same new rows (SQLite runs writers one after another).
        holder.execute(text(f"SELECT pg_advisory_lock({CHAIN_KEY})"))
        holder.commit()
    procs = [
        subprocess.Popen(
            [*CLI, "import", "people", "--input", str(people), "--db", database_url,
             "--as", f"importer{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        # SQLite runs writers one after another, so two show it; PostgreSQL races four
        for i in importers
    ]
    try:
        if backend == "postgresql":
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and _waiting(holder) < 4:
                time.sleep(0.2)
            assert _waiting(holder) == 4  # one waits for the chain, three for its uncommitted rows
    finally:
        if backend == "postgresql":
            holder.execute(text(f"SELECT pg_advisory_unlock({CHAIN_KEY})"))
            holder.commit()
        holder.close()
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for code, out, err in results:
        assert "Traceback" not in err and "internal error" not in err, err
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        if code == 0:  # the winner, or one that started after the winner committed
            assert "3000 people row(s): " in out and errors == []
        else:
            assert code == 2 and len(errors) == 1, err
            assert "nothing was imported" in errors[0] and "another import" in errors[0]
    assert sum("3000 new" in out for _, out, _ in results) == 1
    if backend == "postgresql":
        assert sum(code == 2 for code, _, _ in results) == 3  # the race was real
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM person")).scalar_one() == 3000
        actors = conn.execute(
            text("SELECT DISTINCT actor FROM audit_log WHERE entity = 'person'")
        ).scalars().all()
    assert len(actors) == 1  # only the winner wrote (and audited) anything
