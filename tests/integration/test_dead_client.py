"""A PostgreSQL client killed in the middle of a statement: the server stops the work and frees its locks
within seconds (client_connection_check_interval), instead of running on for the statement's full length."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

SLOW = """
import sys
from desist.adapters.engine import make_engine
engine = make_engine(sys.argv[1])
with engine.begin() as conn:
    conn.exec_driver_sql("LOCK TABLE person IN EXCLUSIVE MODE")
    print("locked", flush=True)
    conn.exec_driver_sql("SELECT pg_sleep(120)")
"""


def test_killed_client_ends_its_server_work_and_frees_its_locks(backend, database_url, engine):
    if backend != "postgresql":
        pytest.skip("SQLite has no server: a killed writer's lock goes with its process")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW, database_url], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout.readline().strip() == "locked"  # type: ignore[union-attr]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        started = time.monotonic()
        with engine.connect() as conn:
            conn.exec_driver_sql("SET lock_timeout = '30s'")
            conn.execute(text("LOCK TABLE person IN EXCLUSIVE MODE"))  # waits until the server let go
            conn.rollback()
        assert time.monotonic() - started < 20
    finally:
        if proc.poll() is None:
            proc.kill()
