"""The one writer every output goes through: refused targets, --force, atomic replacement, one-line faults."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest

from desist.adapters import files
from desist.domain.errors import InputError


def _db(folder: Path) -> Path:
    db = folder / "desist.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (x)")
    return db


def _refused(path: Path | str, *mentions: str, **kwargs: object) -> None:
    with pytest.raises(InputError) as err:
        files.write_text(path, "new", **kwargs)  # type: ignore[arg-type]
    line = err.value.message
    assert "\n" not in line
    for text in mentions:
        assert text in line, (text, line)


def test_writes_a_new_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    files.write_text(tmp_path / "a.txt", "hello")
    assert (tmp_path / "a.txt").read_text() == "hello"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_existing_file_needs_force(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old")
    _refused(tmp_path / "a.txt", "exists", "--force")
    assert (tmp_path / "a.txt").read_text() == "old"
    files.write_text(tmp_path / "a.txt", "new", force=True)
    assert (tmp_path / "a.txt").read_text() == "new"


def test_database_refused_even_with_force_by_name_symlink_hardlink_dotdot_and_content(tmp_path: Path) -> None:
    db = _db(tmp_path)
    before = db.read_bytes()
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(db)
    os.link(db, tmp_path / "hard.csv")
    protect = files.database_files(f"sqlite:///{db}")
    for target in (db, tmp_path / "link.csv", tmp_path / "hard.csv", tmp_path / "sub" / ".." / "desist.db"):
        _refused(target, "database", protect=protect, force=True)
        _refused(target, "database", force=True)  # not named as protected: still a SQLite file
    _refused(tmp_path / "desist.db-wal", "the database", protect=protect)  # its write-ahead log
    assert db.read_bytes() == before


def test_input_refused_through_a_symlink(tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    data.write_text("a\n1\n")
    (tmp_path / "out.csv").symlink_to(data)
    _refused(tmp_path / "out.csv", "a file being read", protect=[data], force=True)
    assert data.read_text() == "a\n1\n"


def test_symlink_to_another_file_is_replaced_not_written_through(tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("keep")
    (tmp_path / "out.txt").symlink_to(other)
    files.write_text(tmp_path / "out.txt", "new", force=True)
    assert other.read_text() == "keep"
    assert not (tmp_path / "out.txt").is_symlink()
    assert (tmp_path / "out.txt").read_text() == "new"


def test_folder_missing_folder_and_long_name(tmp_path: Path) -> None:
    _refused(tmp_path, "is a folder")
    _refused(tmp_path / "no" / "x.csv", "does not exist")
    _refused(tmp_path / ("x" * 300 + ".csv"), "file name too long", "at most")


def test_case_insensitive_alias_of_the_database_is_refused(tmp_path: Path) -> None:
    # on a case-insensitive filesystem DESIST.DB is desist.db: the inode check catches it; here we
    # simulate that with a second name for the same inode
    db = _db(tmp_path)
    os.link(db, tmp_path / "DESIST.DB")
    _refused(tmp_path / "DESIST.DB", "the database", protect=[db], force=True)


@pytest.mark.parametrize(("code", "words"), [(errno.ENOSPC, "disk is full"), (errno.EROFS, "read-only")])
def test_disk_full_mid_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, code: int, words: str):
    target = tmp_path / "out.csv"
    target.write_text("old")

    def writer(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError(code, os.strerror(code))

    with pytest.raises(InputError) as err:
        files.write_with(target, writer, force=True)
    assert words in err.value.message
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_real_disk_full_on_dev_full(tmp_path: Path) -> None:
    # /dev/full answers every write with ENOSPC: the writer's own error path, not a simulated one
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")

    def writer(tmp: Path) -> None:
        with open("/dev/full", "w") as fh:
            fh.write("x" * 10_000)

    with pytest.raises(InputError, match="disk is full"):
        files.write_with(tmp_path / "out.csv", writer)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------ through the CLI
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    from tests.cli import ADMIN, run_cli, seed_user

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESIST_DATABASE_URL", raising=False)
    monkeypatch.delenv("DESIST_DB_PATH", raising=False)
    assert run_cli(["db", "init"], capsys)[0] == 0
    seed_user("sqlite:///desist.db", ADMIN)  # identified exports: an administrator's
    monkeypatch.setenv("DESIST_USER", ADMIN)
    (tmp_path / "in.json").write_text((EXAMPLES / "risk_osp.json").read_text())
    (tmp_path / "db-link.csv").symlink_to(tmp_path / "desist.db")
    return tmp_path


RISK = ["risk", "--tool", "osp", "--input", "in.json", "--on-error", "skip"]


@pytest.mark.parametrize(
    "argv",
    [
        [*RISK, "--rejects", "desist.db", "--force"],
        [*RISK, "--rejects", "db-link.csv"],
        [*RISK, "--rejects", "in.json", "--force"],
        ["recommend", "--input", "in.json", "--on-error", "skip", "--rejects", "./sub/../desist.db"],
        ["export", "people", "db-link.csv", "--force"],
        ["export", "person", "desist.db-wal.csv"],  # a new name: allowed (control for the next)
    ],
    ids=["rejects-db", "rejects-symlink-db", "rejects-input", "rejects-dotdot-db", "export-symlink-db", "ok"],
)
def test_no_command_overwrites_the_database_or_an_input(
    workdir: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli import run_cli

    (workdir / "sub").mkdir(exist_ok=True)
    db, data = (workdir / "desist.db").read_bytes(), (workdir / "in.json").read_bytes()
    code, out, err = run_cli(argv, capsys)
    if argv[-1] == "desist.db-wal.csv":
        assert code == 0, err
        return
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    assert (workdir / "desist.db").read_bytes() == db and (workdir / "in.json").read_bytes() == data
    assert run_cli(["db", "status"], capsys)[0] == 0


def test_killed_mid_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    """SIGKILL while writing: the target keeps its old content (only a hidden .partial file may remain)."""
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "out.csv"
    target.write_text("old\n")
    script = (
        "import sys, time\n"
        "from desist.adapters import files\n"
        "def slow(tmp):\n"
        "    with open(tmp, 'w') as fh:\n"
        "        for i in range(10**6):\n"
        "            fh.write('row %d\\n' % i); fh.flush()\n"
        "            if i == 10: print('writing', flush=True)\n"
        "            time.sleep(0.001)\n"
        f"files.write_with({str(target)!r}, slow, force=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert target.read_text() == "old\n"
    partial = [p for p in tmp_path.iterdir() if p.name.startswith(".desist-")]
    assert len(partial) == 1 and partial[0].stat().st_size > 0  # the half-written copy, never the target
