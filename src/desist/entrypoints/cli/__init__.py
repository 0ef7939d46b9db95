"""The ``desist`` command line."""

from desist.entrypoints.cli.app import build_app, main

__all__ = ["build_app", "main"]
