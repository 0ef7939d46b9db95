"""Builds the Typer application from one module per command family and maps user errors to exit 2.

Each command module exposes ``register(app)``; nothing heavy is imported or built at import time.
"""

from __future__ import annotations

import importlib
import sys

import typer

from desist.domain.errors import DesistError

#: command modules, each with ``register(app: typer.Typer) -> None``
COMMAND_MODULES = (
    "desist.entrypoints.cli.risk",
    "desist.entrypoints.cli.recommend",
    "desist.entrypoints.cli.db",
    "desist.entrypoints.cli.casework",
    "desist.entrypoints.cli.evaluate",
    "desist.entrypoints.cli.demo",
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="desist",
        help="Offer men with sexual convictions the right programme, run it, and find out whether it works.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root() -> None:
        """desist: the programme menu, casework and evaluation for men with sexual convictions."""

    @app.command()
    def version() -> None:
        """Print the installed desist version."""
        from desist import __version__

        typer.echo(__version__)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def main(argv: list[str] | None = None) -> None:
    app = build_app()
    try:
        app(args=argv, standalone_mode=True)
    except DesistError as exc:  # user-caused: one line, exit 2, no traceback
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
