"""The CLI convention in one place (docs/cli.md): shared options, output formats, deprecated spellings.

Every command family uses these so the same thing has the same flag everywhere:

- ``--format table|json|csv`` wherever output is tabular (``table``, for people, is the default);
- ``--input FILE`` for an input file (old ``--data`` and positional files still work, with a notice);
- ``--time`` for a time column (old ``--duration``), ``--event`` for the event column;
- ``--db URL`` or ``DESIST_DATABASE_URL`` for the database (old ``--url``);
- flags named as the import columns (``--date-of-birth``, ``--pnc-number``; old ``--dob``, ``--pnc``);
- choices listed in ``--help``; help text on every option.

Library errors name Python parameters (``date_of_birth: ...``); :func:`flag_names` turns those names into the
command's flags in the one line the user sees.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from enum import Enum, StrEnum
from typing import Any

import typer

from desist.domain.errors import DesistError


class Format(StrEnum):
    """Output format of a command with tabular output."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def choices(values: Iterable[Any]) -> str:
    """A metavar listing the accepted values, as ``--help`` shows click's choices: ``[a|b|c]``."""
    return "[" + "|".join(str(getattr(v, "value", v)) for v in values) + "]"


#: the old spellings that still work for one release, with a one-line deprecation notice on stderr:
#: old flag -> new flag. They are rewritten before parsing, only for commands that declare the new flag.
DEPRECATED_FLAGS: dict[str, str] = {
    "--url": "--db",
    "--data": "--input",
    "--duration": "--time",
    "--dob": "--date-of-birth",
    "--pnc": "--pnc-number",
    "--start": "--start-date",
    "--release": "--release-date",
    "--licence-end": "--licence-end-date",
    "--offence": "--index-offence",
    "--on": "--assessed-on",
    "--actor": "--as",
}
#: spellings removed: using one is an error naming what replaced it (only where a command does not
#: declare the flag itself, as ``desist user add --role`` does)
REMOVED_FLAGS: dict[str, str] = {
    "--role": "--role was removed; act as a named user with --as USER (see desist user --help)",
}
#: old ``--format`` values -> new
DEPRECATED_FORMATS: dict[str, str] = {"text": "table"}

DbOpt = typer.Option(
    None,
    "--db",
    metavar="URL",
    help="Database URL (default: DESIST_DATABASE_URL, else the SQLite file desist.db in this folder).",
)
FormatOpt = typer.Option(
    Format.TABLE, "--format", case_sensitive=False, help="Output: table (for people), json or csv."
)


def command_group(parent: typer.Typer, name: str, help: str) -> typer.Typer:
    """A command group ``parent name`` (``desist referral``); named alone, it prints its help."""
    group = typer.Typer(help=help, no_args_is_help=True)
    parent.add_typer(group, name=name)
    return group


def InputOpt(help: str = "Input file: CSV or Parquet.", required: bool = True) -> Any:  # noqa: N802
    """The ``--input FILE`` option (a factory: help differs by command)."""
    return typer.Option(... if required else None, "--input", metavar="FILE", help=help)


def TimeOpt(help: str = "Follow-up time column.", required: bool = True) -> Any:  # noqa: N802
    """The ``--time COLUMN`` option."""
    return typer.Option(... if required else None, "--time", metavar="COLUMN", help=help)


def EventOpt(help: str = "Event column: 1 = event (reoffence), 0 = censored.", required: bool = True) -> Any:  # noqa: N802
    """The ``--event COLUMN`` option."""
    return typer.Option(... if required else None, "--event", metavar="COLUMN", help=help)


# ------------------------------------------------------------------------------------------- deprecations
def rewrite_deprecated(command: Any, argv: Sequence[str], warn: Any) -> list[str]:
    """Rewrite old spellings in ``argv`` to the current ones for the command it names; ``warn`` each once.

    Only a command that declares the new flag (and not the old one) is rewritten, so a command not yet on
    the convention keeps its own options. Stops at ``--``.

    Parameters
    ----------
    command : click.Command
        The root command (``typer.main.get_command(app)``).
    argv : sequence of str
        The arguments after the program name.
    warn : callable
        Called with one line per deprecated spelling used.
    """
    args = list(argv)
    leaf, start = command, 0
    while hasattr(leaf, "commands") and start < len(args):  # descend through groups by name
        sub = leaf.commands.get(args[start])
        if sub is None:
            break
        leaf, start = sub, start + 1
    declared = {opt for p in getattr(leaf, "params", []) for opt in (*p.opts, *p.secondary_opts)}
    out = args[:start]
    i = start
    while i < len(args):
        token = args[i]
        if token == "--":
            out += args[i:]
            break
        name, eq, value = token.partition("=")
        if name in REMOVED_FLAGS and name not in declared:
            from desist.domain.errors import InputError

            raise InputError(REMOVED_FLAGS[name])
        new = DEPRECATED_FLAGS.get(name)
        if new and new in declared and name not in declared:
            warn(f"warning: {name} is deprecated; use {new}")
            name = new
        elif name == "--json" and "--format" in declared and "--json" not in declared:
            warn("warning: --json is deprecated; use --format json")
            out += ["--format", "json"]
            i += 1
            continue
        if name == "--format" and "--format" in declared:
            if eq and value in DEPRECATED_FORMATS:
                warn(f"warning: --format {value} is deprecated; use --format {DEPRECATED_FORMATS[value]}")
                value = DEPRECATED_FORMATS[value]
            elif not eq and i + 1 < len(args) and args[i + 1] in DEPRECATED_FORMATS:
                old = args[i + 1]
                warn(f"warning: --format {old} is deprecated; use --format {DEPRECATED_FORMATS[old]}")
                out += [name, DEPRECATED_FORMATS[old]]
                i += 2
                continue
        out.append(f"{name}={value}" if eq else name)
        i += 1
    return out


def deprecated_positional(value: Any, option: Any, old: str, new: str) -> Any:
    """The value of a new option, or of the old positional argument it replaces (with a notice)."""
    if value is not None and option is not None:
        raise _usage(f"{new}: given twice (also as {old}); expected it once")
    if value is not None:
        typer.echo(f"warning: {old} as a positional argument is deprecated; use {new}", err=True)
        return value
    return option


def _usage(message: str) -> DesistError:
    from desist.domain.errors import InputError

    return InputError(message)


# -------------------------------------------------------------------------------- parameter names -> flags
@contextmanager
def flag_names(phrases: Mapping[str, str] | None = None, **flags: str) -> Iterator[None]:
    """Translate a library error that names a Python parameter (``limit: ...``) into the command's flag.

    ``with flag_names(entity="--entity", entity_id="--id"): service(...)`` turns ``entity: 'x' is not a
    table`` into ``--entity: 'x' is not a table``. ``phrases`` rewrites wording inside the message too, e.g.
    ``{"missing='drop'": "--missing drop"}``.
    """
    try:
        yield
    except DesistError as exc:
        message = exc.message
        for param, flag in flags.items():
            if any(message.startswith(param + sep) for sep in (":", " ")):
                message = flag + message[len(param) :]
                break
        for phrase, replacement in (phrases or {}).items():
            message = message.replace(phrase, replacement)
        exc.message = message
        exc.args = (message,)
        raise


# ---------------------------------------------------------------------------------------------- output
def plain(value: Any) -> Any:
    """A value as JSON can hold it: dataclasses and mappings as dicts, dates as ISO text, enums as values."""
    if hasattr(value, "to_dict") and not isinstance(value, type):
        value = value.to_dict()
    elif is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(plain(value), indent=2, sort_keys=False))


def emit_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> None:
    """Rows as CSV with a header (nested values as JSON text)."""
    rows = [plain(r) for r in rows]
    names = list(columns or (rows[0].keys() if rows else []))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()})
    typer.echo(buffer.getvalue(), nl=False)
