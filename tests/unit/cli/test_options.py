"""The CLI convention (docs/cli.md): help on every option, choices listed, deprecated spellings, --version."""

from __future__ import annotations

import pytest
import typer

from desist import __version__
from desist.entrypoints.cli.app import build_app
from desist.entrypoints.cli.casework_common import Acting, casework_command
from desist.entrypoints.cli.options import Format, rewrite_deprecated
from tests.cli import ADMIN, run_cli, seed_user

#: the command families that follow the convention fully (the others move as their owners port them)
CONVENTION_FAMILIES = (
    "db", "import", "export", "audit", "person", "offering", "referral", "group", "incentive"
)


def _leaves(command, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    # typer >= 0.20 vendors click: duck-type rather than isinstance(click.Group)
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _leaves(sub, (*path, name))
    else:
        yield path, command


@pytest.fixture(scope="module")
def root():  # type: ignore[no-untyped-def]
    return typer.main.get_command(build_app())


def test_every_option_of_the_casework_families_has_help(root) -> None:
    missing = [
        f"desist {' '.join(path)} {param.opts[0]}"
        for path, command in _leaves(root)
        if path[0] in CONVENTION_FAMILIES
        for param in command.params
        if param.param_type_name == "option" and not (param.help or "").strip()
    ]
    assert missing == []


def test_database_option_is_db_everywhere_it_appears(root) -> None:
    for path, command in _leaves(root):
        if path[0] not in CONVENTION_FAMILIES:
            continue
        names = {opt for p in command.params for opt in p.opts}
        assert "--url" not in names, path
        assert "--db" in names, path


def test_choices_are_listed_in_help(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # so Rich does not wrap the choices
    code, out, _ = run_cli(["referral", "move", "--help"], capsys)
    assert code == 0
    assert "table|json|csv" in out
    code, out, _ = run_cli(["user", "add", "--help"], capsys)
    assert code == 0 and "[referrer|programme_team|treatment_manager|analyst|admin]" in out


def test_version(capsys) -> None:
    assert run_cli(["--version"], capsys) == (0, f"desist {__version__}\n", "")


def test_old_spellings_are_rewritten_with_one_notice_each(root) -> None:
    notices: list[str] = []
    argv = ["person", "add", "--dob", "1980-01-02", "--pnc=12/34", "--url", "sqlite://", "--actor", "x"]
    assert rewrite_deprecated(root, argv, notices.append) == [
        "person", "add", "--date-of-birth", "1980-01-02", "--pnc-number=12/34", "--db", "sqlite://",
        "--as", "x",
    ]
    assert notices == [
        "warning: --dob is deprecated; use --date-of-birth",
        "warning: --pnc is deprecated; use --pnc-number",
        "warning: --url is deprecated; use --db",
        "warning: --actor is deprecated; use --as",
    ]


def test_role_was_removed_and_says_what_replaced_it(root, tmp_path, monkeypatch, capsys) -> None:
    from desist.domain.errors import InputError

    with pytest.raises(InputError, match=r"^--role was removed; act as a named user with --as USER"):
        rewrite_deprecated(root, ["referral", "move", "1", "--to", "X", "--role", "referrer"], print)
    # `desist user add --role` is that command's own option, not the removed one
    assert rewrite_deprecated(root, ["user", "add", "x", "--role", "admin"], print)[-1] == "admin"
    code, _, err = run_cli(["group", "show", "1", "--role=programme_team"], capsys)
    assert code == 2 and err == (
        "error: --role was removed; act as a named user with --as USER (see desist user --help)\n"
    )
    monkeypatch.setenv("DESIST_ROLE", "programme_team")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["group", "show", "1", "--as", "tom"], capsys)
    assert code == 2 and err.startswith("error: DESIST_ROLE was removed; act as a named user with --as USER")


def test_old_format_values_and_json_flag(root) -> None:
    notices: list[str] = []
    assert rewrite_deprecated(root, ["referral", "list", "--format", "text"], notices.append) == [
        "referral", "list", "--format", "table"
    ]
    assert rewrite_deprecated(root, ["audit", "--json"], notices.append) == ["audit", "--format", "json"]
    assert len(notices) == 2


def test_a_command_without_the_new_flag_is_left_alone(root) -> None:
    notices: list[str] = []
    # `group session` keeps --on (the date it was held); only `person assess` renamed it to --assessed-on
    argv = ["group", "session", "1", "--on", "2025-01-01"]
    assert rewrite_deprecated(root, argv, notices.append) == argv
    assert notices == []
    # after `--` nothing is rewritten
    assert rewrite_deprecated(root, ["person", "add", "--", "--dob"], notices.append)[-1] == "--dob"


def test_deprecated_spelling_still_works_end_to_end(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESIST_DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert run_cli(["db", "init", "--db", url], capsys)[0] == 0
    seed_user(url, "ted", "referrer")
    code, out, err = run_cli(
        ["person", "add", "--prison-number", "A1234BC", "--dob", "1980-01-02", "--actor", "ted",
         "--url", url],
        capsys,
    )
    assert code == 0, err
    assert out.startswith("person 1: A1234BC")
    assert err.splitlines() == [
        "warning: --dob is deprecated; use --date-of-birth",
        "warning: --actor is deprecated; use --as",
        "warning: --url is deprecated; use --db",
    ]


def test_library_error_names_the_flag_in_the_cli(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run_cli(["db", "init", "--db", url], capsys)
    seed_user(url, ADMIN)
    code, _, err = run_cli(["audit", "--entity", "nope", "--db", url, "--as", ADMIN], capsys)
    assert code == 2
    assert err.startswith("error: --entity: 'nope' is not a table; expected one of")


def _groups(command, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    for name, sub in getattr(command, "commands", {}).items():
        if hasattr(sub, "commands"):
            yield (*path, name), sub
            yield from _groups(sub, (*path, name))


def test_a_command_group_named_alone_prints_its_help_and_exits_0(root, capsys) -> None:
    groups = {path: group for path, group in _groups(root) if group.no_args_is_help}
    assert {("referral",), ("group",), ("user",), ("user", "token"), ("db",), ("monitor",)} <= set(groups)
    for path in groups:
        alone = run_cli(list(path), capsys)
        assert alone == run_cli([*path, "--help"], capsys), path
        code, out, err = alone
        assert code == 0 and err == "", path
        assert out.startswith(f"Usage: desist {' '.join(path)} [OPTIONS] COMMAND [ARGS]..."), path
    alone = run_cli([], capsys)  # `desist` alone
    assert alone == run_cli(["--help"], capsys) and alone[0] == 0


def test_casework_command_adds_as_db_and_format_after_the_commands_own_options(monkeypatch) -> None:
    monkeypatch.delenv("DESIST_USER", raising=False)
    group = typer.Typer()
    seen = []

    @group.callback()
    def root() -> None:
        """A group."""

    @casework_command(group, "probe", formats=True)
    def probe(act: Acting, count: int = typer.Option(1, "--count", help="How many.")) -> None:
        """Probe."""
        seen.append((act.as_user, act.url, act.fmt, count))

    @casework_command(group, "plain")
    def plain_probe(act: Acting) -> None:
        """Without --format."""
        seen.append((act.as_user, act.url, act.fmt))

    command = typer.main.get_command(group)
    params = {name: [p.opts[0] for p in sub.params] for name, sub in command.commands.items()}
    assert params == {"probe": ["--count", "--as", "--db", "--format"], "plain": ["--as", "--db"]}
    assert command.commands["probe"].help == "Probe."
    command.main(["probe", "--count", "3", "--as", "ann", "--format", "json"], standalone_mode=False)
    command.main(["plain", "--db", "sqlite://"], standalone_mode=False)
    assert seen == [("ann", None, Format.JSON, 3), (None, "sqlite://", Format.TABLE)]
