"""Faults the user can fix give one line, exit 2, and leave the data as it was (SQLite and PostgreSQL).

Read-only database, a writer holding the lock (SQLite busy timeout, PostgreSQL lock timeout), a missing
table, a database from a newer desist, a PostgreSQL server that accepts connections and never answers,
a statement running past the statement timeout. Timeouts are set to about a second through the settings'
environment variables so the suite stays fast.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.cli import ADMIN, run_cli, seed_user

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def one_line(code: int, out: str, err: str, *mentions: str) -> str:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert lines and lines[-1].startswith("error: "), err
    assert all(line.startswith(("error: ", "checking ", "writing ")) for line in lines), err
    for text_ in mentions:
        assert text_ in lines[-1], (text_, lines[-1])
    return lines[-1]


@pytest.fixture
def cli_db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DESIST_DATABASE_URL", database_url)
    monkeypatch.setenv("DESIST_USER", ADMIN)  # these commands import and export: an administrator's
    seed_user(database_url, ADMIN)
    monkeypatch.setenv("DESIST_BUSY_TIMEOUT_S", "0.5")
    monkeypatch.setenv("DESIST_LOCK_TIMEOUT_S", "0.5")
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "import" / "people.csv", tmp_path / "people.csv")
    return database_url


def _count(url: str, table: str) -> int:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return int(conn.execute(text(f"select count(*) from {table}")).scalar_one())
    finally:
        eng.dispose()


def test_another_writer_holding_the_lock_is_busy_try_again(cli_db: str, backend: str, capsys) -> None:  # type: ignore[no-untyped-def]
    holder = create_engine(cli_db)
    conn = holder.connect()
    if backend == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.execute(text("LOCK TABLE person IN ACCESS EXCLUSIVE MODE"))
    try:
        started = time.monotonic()
        line = one_line(*run_cli(["import", "people", "--input", "people.csv"], capsys), "try again")
        assert time.monotonic() - started < 20, line
    finally:
        conn.rollback()
        conn.close()
        holder.dispose()
    assert _count(cli_db, "person") == 0
    # and it works once the lock is gone
    assert run_cli(["import", "people", "--input", "people.csv"], capsys)[0] == 0


def test_missing_table(cli_db: str, capsys) -> None:  # type: ignore[no-untyped-def]
    eng = create_engine(cli_db)
    with eng.begin() as conn:
        conn.execute(text("DROP TABLE outcome"))
    eng.dispose()
    one_line(*run_cli(["export", "outcomes", "o.csv"], capsys), "no table outcome", "desist db init")
    assert not Path("o.csv").exists()


def test_database_from_a_newer_desist(cli_db: str, capsys) -> None:  # type: ignore[no-untyped-def]
    eng = create_engine(cli_db)
    with eng.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    eng.dispose()
    for argv in (["db", "status"], ["import", "people", "--input", "people.csv"], ["db", "init"]):
        one_line(*run_cli(argv, capsys), "newer than desist", "9999")
    assert _count(cli_db, "person") == 0


def test_statement_timeout_on_postgresql(cli_db: str, backend: str, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("statement timeout is a PostgreSQL setting")
    from desist.adapters.engine import make_engine

    monkeypatch.setenv("DESIST_STATEMENT_TIMEOUT_S", "0.2")
    eng = make_engine(cli_db)  # reads the settings now
    with eng.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"
        assert conn.execute(text("SHOW lock_timeout")).scalar_one() == "500ms"
        assert conn.execute(text("SHOW search_path")).scalar_one().startswith("t_")  # URL options kept
        with pytest.raises(Exception) as err:
            conn.execute(text("SELECT pg_sleep(2)"))
    eng.dispose()
    from desist.adapters.db_errors import explain

    assert "did not answer in time" in (explain(err.value, 0.2) or "")


def test_read_only_database(database_url: str, backend: str, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        # tests run as root, who may write any file: open it read-only as a user without rights would be
        path = database_url.removeprefix("sqlite:///")
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
    else:  # a server or role that refuses writes (a read-only replica, a read-only grant)
        url = database_url.replace("options=", "options=-cdefault_transaction_read_only%3Don%20", 1)
    seed_user(database_url, ADMIN)  # before the database is read-only
    monkeypatch.setenv("DESIST_DATABASE_URL", url)
    monkeypatch.setenv("DESIST_USER", ADMIN)
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "import" / "people.csv", tmp_path / "people.csv")
    one_line(*run_cli(["import", "people", "--input", "people.csv"], capsys), "read-only")
    assert _count(database_url, "person") == 0


class SilentServer:
    """A TCP server that accepts connections and never says a word (a hung PostgreSQL, a black hole)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


def test_silent_postgresql_server_times_out_in_one_line(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    server = SilentServer()
    try:
        monkeypatch.setenv("DESIST_DATABASE_URL", f"postgresql+psycopg://desist@127.0.0.1:{server.port}/desist")
        monkeypatch.setenv("DESIST_CONNECT_TIMEOUT_S", "2")
        monkeypatch.chdir(tmp_path)
        started = time.monotonic()
        line = one_line(*run_cli(["db", "status"], capsys), "cannot connect")
        took = time.monotonic() - started
    finally:
        server.close()
    assert took < 15, (took, line)
