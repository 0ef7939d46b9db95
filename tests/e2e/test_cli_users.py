"""``desist user``: accounts and tokens through the CLI; passwords never on the command line."""

from __future__ import annotations

import io
import sqlite3

import pytest

from tests.cli import run_cli


@pytest.fixture
def db(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    path = tmp_path / "users.db"
    monkeypatch.setenv("DESIST_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("DESIST_USER", raising=False)
    assert run_cli(["db", "init"], capsys)[0] == 0
    return path


def run(argv: list[str], capsys, monkeypatch, stdin: str | None = None):  # type: ignore[no-untyped-def]
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_cli(argv, capsys)


def test_first_admin_then_users_tokens_and_refusals(db, capsys, monkeypatch) -> None:
    code, out, err = run(["user", "add", "ada", "--first-admin", "--password-stdin"], capsys, monkeypatch,
                         "admin password 1\n")
    assert (code, out.strip()) == (0, "user ada: admin; national")
    code, _, err = run(["user", "add", "eve", "--first-admin", "--password-stdin"], capsys, monkeypatch,
                       "x" * 12)
    assert code == 2 and err.strip() == (
        "error: --first-admin: users exist already; an administrator adds users with --as ADMIN")
    # a password is never a flag value
    code, _, err = run(["user", "add", "rita", "--role", "referrer", "--password", "secret secret"], capsys,
                       monkeypatch)
    assert code == 2 and "No such option: --password" in err
    code, out, err = run(["user", "add", "rita", "--role", "referrer", "--organisation", "HMP Whatton",
                          "--password-stdin", "--as", "ada"], capsys, monkeypatch, "rita password 1\n")
    assert (code, out.strip()) == (0, "user rita: referrer; HMP Whatton")
    code, _, err = run(["user", "list", "--as", "rita"], capsys, monkeypatch)
    assert code == 2 and err.strip() == "error: list users: rita (referrer) may not; needs admin"
    code, _, err = run(["user", "list"], capsys, monkeypatch)
    assert code == 2 and "--as: missing" in err
    monkeypatch.setenv("DESIST_USER", "ada")
    code, out, _ = run(["user", "list", "--format", "csv"], capsys, monkeypatch)
    assert code == 0 and out.splitlines()[0].startswith("id,username,display_name,organisation,national")
    assert "hash" not in out and [line.split(",")[1] for line in out.splitlines()[1:]] == ["ada", "rita"]
    code, out, err = run(["user", "token", "issue", "rita", "--name", "sync", "--scope", "person.read"],
                         capsys, monkeypatch)
    assert code == 0 and out.startswith("token 1 (sync; person.read): dst_") and "shown this once" in err
    token = out.split(": ")[-1].strip()
    code, _, err = run(["user", "token", "issue", "rita", "--name", "x", "--scope", "group.manage"], capsys,
                       monkeypatch)
    assert code == 2 and "do not allow group.manage" in err
    code, out, _ = run(["user", "disable", "rita"], capsys, monkeypatch)
    assert out.strip() == "user rita: referrer; HMP Whatton (disabled)"
    code, out, _ = run(["user", "token", "list"], capsys, monkeypatch)
    assert out.strip() == "token 1 of rita: sync; person.read; revoked " + out.strip()[-10:]
    code, _, err = run(["user", "list", "--as", "rita"], capsys, monkeypatch)
    assert code == 2 and err.strip() == "error: user rita is disabled; an administrator can enable them again"
    with sqlite3.connect(db) as conn:
        text = repr(conn.execute("SELECT * FROM app_user").fetchall()) + repr(
            conn.execute("SELECT before, after FROM audit_log").fetchall()) + repr(
            conn.execute("SELECT * FROM api_token").fetchall())
    for secret in ("admin password 1", "rita password 1", token):
        assert secret not in text
