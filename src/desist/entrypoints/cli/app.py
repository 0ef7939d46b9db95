"""Builds the Typer application from one module per command family and maps user errors to exit 2.

Each command module exposes ``register(app)``; nothing heavy is imported or built at import time.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from collections.abc import Sequence

import typer

from desist.domain.errors import DesistError

#: command modules, each with ``register(app: typer.Typer) -> None``, and the top-level commands each adds
COMMAND_MODULES = {
    "desist.entrypoints.cli.risk": ("risk",),
    "desist.entrypoints.cli.recommend": ("recommend",),
    "desist.entrypoints.cli.db": ("db", "import", "export", "audit"),
    "desist.entrypoints.cli.casework": ("person", "offering", "referral", "group", "incentive"),
    "desist.entrypoints.cli.evaluate": ("evaluate", "survival"),
    "desist.entrypoints.cli.report": ("report",),
    "desist.entrypoints.cli.demo": ("demo",),
    "desist.entrypoints.cli.monitor": ("monitor",),
    "desist.entrypoints.cli.serve": ("serve",),
    "desist.entrypoints.cli.users": ("user",),
}

#: commands that start with the cyclic garbage collector off until they open the store (cli.collector)
CASEWORK_COMMANDS = frozenset(
    {"db", "import", "export", "audit", "person", "offering", "referral", "group", "incentive", "user"}
)


def build_app(command: Sequence[str] = ()) -> typer.Typer:
    """The ``desist`` application; with ``command`` (``["referral", "list"]``), only what runs that command.

    Typer builds every command it holds before it runs one, reading each function's type hints: for the
    whole tree (over a hundred commands) that was almost half of a casework command's work after its
    imports. ``desist referral list`` gets the root, ``referral`` and its ``list`` (and imports only the
    module defining them); ``desist --help``, ``desist referral --help`` and a name that does not exist get
    everything at that level, so the help lists it all and click suggests the names.
    """
    app = typer.Typer(
        name="desist",
        help="Offer men with sexual convictions the right programme, run it, and find out whether it works.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root(
        version: bool = typer.Option(
            False,
            "--version",
            is_eager=True,
            expose_value=False,
            callback=_print_version,
            help="Print the installed desist version and exit.",
        ),
    ) -> None:
        """desist: the programme menu, casework and evaluation for men with sexual convictions."""

    @app.command()
    def version() -> None:
        """Print the installed desist version."""
        from desist import __version__

        typer.echo(__version__)

    top = command[0] if command else None
    modules = [module for module, names in COMMAND_MODULES.items() if top in names]
    if not modules and top != "version":  # the whole tree, or a name to look for in it
        modules = list(COMMAND_MODULES)
    for module in modules:
        importlib.import_module(module).register(app)
    _keep_only(app, command)
    return app


def _keep_only(app: typer.Typer, path: Sequence[str]) -> None:
    """Drop the commands and groups beside each one ``path`` names, down to the first name not found."""
    level: typer.Typer | None = app
    for name in path:
        if level is None:
            return
        commands = [c for c in level.registered_commands if _command_name(c) == name]
        groups = [g for g in level.registered_groups if _group_name(g) == name]
        if not commands and not groups:
            return
        level.registered_commands, level.registered_groups = commands, groups
        level = groups[0].typer_instance if groups and not commands else None


def _command_name(info: typer.models.CommandInfo) -> str | None:
    if info.name:
        return info.name
    return None if info.callback is None else typer.main.get_command_name(info.callback.__name__)


def _group_name(info: typer.models.TyperInfo) -> str | None:
    if isinstance(info.name, str):
        return info.name
    sub = info.typer_instance
    return sub.info.name if sub is not None and isinstance(sub.info.name, str) else None


def _command_named(args: list[str]) -> list[str]:
    """The words before the first option (``referral list``): the command ``args`` run, perhaps arguments."""
    if args[:1] == ["--version"]:  # the root's own option: any command's tree has it
        return ["version"]
    words = []
    for arg in args:
        if arg.startswith("-"):
            break
        words.append(arg)
    return words


def _print_version(value: bool) -> None:
    if value:
        from desist import __version__

        typer.echo(f"desist {__version__}")
        raise typer.Exit(0)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: user errors are one line on stderr and exit 2; a bug is one line and exit 1.

    Click runs with ``standalone_mode=False`` so that its usage errors (unknown option, bad choice, missing
    argument) reach us and are printed as one line like every other user error, instead of Rich's boxed
    multi-line panel. Anything else that escapes a command is a bug: the user gets one line saying so and
    where the full traceback was written (``DESIST_DEBUG=1`` re-raises it instead).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    named = _command_named(args)
    app = build_app(named)
    bad = next((i for i, a in enumerate(args, start=1) if not _is_utf8(a)), None)
    if bad is not None:  # Python keeps undecodable bytes as lone surrogates; they cannot be stored or shown
        shown = os.fsencode(args[bad - 1]).decode("ascii", "backslashreplace")
        typer.echo(f"error: argument {bad} ({shown}) is not valid UTF-8; expected UTF-8 text", err=True)
        sys.exit(2)
    from desist.entrypoints.cli import collector
    from desist.entrypoints.cli.safe_output import escaped_output

    with escaped_output(args), collector.paused(bool(named) and named[0] in CASEWORK_COMMANDS):
        _run(app, args)


def _run(app: typer.Typer, args: list[str]) -> None:
    from desist.entrypoints.cli.options import rewrite_deprecated

    command = typer.main.get_command(app)
    _plain_help(command)
    try:
        # old spellings (--url, --dob, --format text...) become the current ones, with one notice each
        args = rewrite_deprecated(command, args, lambda line: typer.echo(line, err=True))
        result = command.main(args=args, prog_name="desist", standalone_mode=False)
    except DesistError as exc:  # user-caused: one line, exit 2, no traceback
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # Typer's (vendored) click errors: usage errors, bad files
        if _is_no_args_help(exc):  # `desist referral` alone: its help, as `desist referral --help` prints it
            typer.echo(exc.format_message())
            sys.exit(0)
        ctx = getattr(exc, "ctx", None)
        message = " ".join(exc.format_message().split())
        if ctx is not None:
            command = ctx.command_path
            message = f"{command}: {message} (see '{command} --help')"
        typer.echo(f"error: {message}", err=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        line = _fault_line(exc)
        if line is not None:  # a fault the user can fix (database busy or read-only, disk full...)
            typer.echo(f"error: {line}", err=True)
            sys.exit(2)
        if os.environ.get("DESIST_DEBUG"):
            raise
        sys.exit(_report_bug(exc))
    # standalone_mode=False returns typer.Exit codes as ints and a finished command's return value
    sys.exit(result if isinstance(result, int) else 0)


def _plain_help(command: object) -> None:
    """Help as click prints it rather than Rich's boxed panels: importing Rich cost ``desist --help`` about
    0.3 s of CPU (more than the rest of it), on a tool that must start in under 0.5 s."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


#: OSErrors that say something about the user's disk or rights, never about desist's code
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENAMETOOLONG}


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _fault_line(exc: BaseException) -> str | None:
    """One line for a database or file fault the user can fix, or None for a bug.

    Looked up only when something escaped a command, so the CLI's start-up imports nothing for it.
    """
    if type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
        from desist.adapters.db_errors import explain

        return explain(exc)
    if type(exc).__module__.startswith("alembic"):
        from desist.adapters.migrate import explain_alembic

        return explain_alembic(exc)
    if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
        from desist.adapters.files import os_error_line

        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{os_error_line(exc)}"
    if isinstance(exc, RecursionError):
        return "input nested too deeply (JSON or similar); expected flat records"
    return None


def _is_no_args_help(exc: Exception) -> bool:
    try:
        from typer._click.exceptions import NoArgsIsHelpError  # typer >= 0.20 vendors click
    except ImportError:  # pragma: no cover - older typer on the real click
        from click.exceptions import NoArgsIsHelpError
    return isinstance(exc, NoArgsIsHelpError)


def _report_bug(exc: Exception) -> int:
    """Write the traceback of an unexpected exception to a file, print one line pointing at it; exit 1."""
    import tempfile
    import traceback

    first = (str(exc).strip().splitlines() or [""])[0][:200]
    try:
        fd, path = tempfile.mkstemp(prefix="desist-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"desist {' '.join(sys.argv[1:])}\n\n")
            traceback.print_exception(exc, file=fh)
        where = f"full traceback in {path}"
    except OSError:
        where = "set DESIST_DEBUG=1 to see the traceback"
    typer.echo(
        f"error: internal error, a bug in desist ({type(exc).__name__}: {first}); {where}; please report it",
        err=True,
    )
    return 1
